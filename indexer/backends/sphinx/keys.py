"""How the cluster names its rows and values: the ids and codes the loader writes and a search reads (apart
from the loader, so that a searching process does not import the ingest stage)."""

from __future__ import annotations

from hashlib import blake2b

from indexer.backends.sphinx.cluster import PLACEHOLDER_ID
from indexer.text.terms import match_form


def row_key(text: str) -> int:
    """A stable 62-bit id for a passage or a document (never the placeholder's)."""
    return max(PLACEHOLDER_ID + 1, int.from_bytes(blake2b(text.encode("utf-8"), digest_size=8).digest(), "big") >> 2)


def document_key(doc_id: str) -> int:
    return row_key("document\x00" + doc_id)


def passage_key(doc_id: str, order: int) -> int:
    return row_key(f"passage\x00{doc_id}\x00{order}")


def copy_key(text: str) -> int:
    """The same for passages of the same folded text (the verbatim copies a search folds)."""
    return row_key("copy\x00" + match_form(text))


def attribute(value) -> str:
    """A value as one line of an attribute column (whitespace runs made one space)."""
    return " ".join(str(value or "").split())


# The facets whose values the passages hold as codes; year is a number already.
CODED_FACETS = ("city", "province", "doc_type")


def value_code(value) -> int:
    """A facet value as the passages' attribute holds it: 0 for none, else a stable 62-bit code (the same in
    every load, so filters need no table)."""
    value = attribute(value)
    return row_key("value\x00" + value) if value else 0
