"""What the benchmark families' loaders share.

:mod:`alignlab.datasets._rows` is the one place a family's ``data.py`` reads
files through: the JSON-lines, CSV/TSV and Parquet readers, the field checks,
where a family's bundled data is, and downloads of the authors' copies. Every
error is a :class:`~alignlab.errors.DatasetError` naming the file, the line and
the field. The loaders themselves live in ``alignlab.benchmarks.<family>.data``.
"""
