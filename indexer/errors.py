"""The errors a caller of the engine can meet, each a message for the reader (in Chinese) and no traceback.

Raised anywhere in ``indexer``; caught by the CLI (one line on stderr) and the app (a notice).
Every one is importable from :mod:`indexer.api` too.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; printed as one line, no traceback."""


class QueryError(ValueError):
    """A query that cannot be searched; the message tells the reader what to change."""


class PassageMissing(QueryError):
    """No passage at the given document and order (a stale link, a typo)."""


class IndexMissing(Exception):
    """No complete index at the given place; the message says how to build one."""


class IndexBusy(Exception):
    """Another process is writing this index."""


class NotAnIndex(Exception):
    """A writer was pointed at a folder this program did not make; nothing in it was changed."""


class BuildFailed(Exception):
    """A build or update stopped on an error no file can be blamed for; the live generation is untouched."""


class IndexOutdated(Exception):
    """The index was built by another schema or dictionary: an update would mix two analyses."""


class UnknownDocuments(Exception):
    """``remove`` was given ids the index does not hold."""


class UnreadableFile(Exception):
    """A file skipped on purpose; the message says why."""
