"""Where alignlab keeps records: the run index and the audit log (SQLAlchemy).

Only constants live here, so that importing the CLI does not import SQLAlchemy.
"""

DEFAULT_DB_URL = "sqlite:///alignlab-audit.sqlite"
