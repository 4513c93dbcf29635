"""Typed errors that users can hit; the CLI prints them without a traceback."""

from __future__ import annotations


class AlignlabError(Exception):
    """Base class: a problem the user can fix; the message says how."""


class DatasetError(AlignlabError):
    """A dataset file is missing or malformed.

    The message names the file, the line (1-based, as an editor shows it) and
    the field, so the user can open the file and fix it.
    """

    def __init__(
        self, path: object, message: str, line: int | None = None, field: str | None = None
    ) -> None:
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line
        self.field = field


class UnknownTaskError(AlignlabError):
    """A task or suite name that alignlab does not know."""


class ModelError(AlignlabError):
    """A model that cannot be found, loaded or reached."""


class LogError(AlignlabError):
    """An eval log directory that holds no readable logs."""
