"""Time as filters and an order: each passage's document date as a span of day keys (``yyyymmdd``).

A document dated 2025-05-28 spans that day; one dated 2024-01 the month; one with a year only the
year. A range ``--from``/``--to`` keeps the passages whose span meets it, so a year-only 1995 report
is in ``--from 1995-06-01`` and in ``--to 1995``. Undated passages are in no range and sort last.
Keys are integers: a month or a year stands as day 00 to 99 of it, so spans compare as numbers.
"""

from __future__ import annotations

import re

import numpy as np

from indexer.engine.facets import FacetColumn
from indexer.ingest.front_matter import MAX_YEAR, MIN_YEAR
from indexer.query.parse import QueryError

UNDATED = -1  # sort key of a passage without a year: after every dated one
_PARTS = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


def span(value: str) -> tuple[int, int] | None:
    """The first and last day key a date, year-month or year stands for; ``None`` for anything else."""
    text = re.sub(r"\s+", "", str(value).translate(_FULL_WIDTH))
    found = _PARTS.match(re.sub(r"[年月/.]", "-", text).replace("日", "").strip("-"))
    if not found:
        return None
    year, month, day = (int(part) if part else None for part in found.groups())
    if not MIN_YEAR <= year <= MAX_YEAR or (month is not None and not 1 <= month <= 12) or (
            day is not None and not 1 <= day <= 31):
        return None
    if month is None:
        return year * 10000, year * 10000 + 9999
    if day is None:
        return year * 10000 + month * 100, year * 10000 + month * 100 + 99
    key = year * 10000 + month * 100 + day
    return key, key


_FULL_WIDTH = str.maketrans("０１２３４５６７８９－／．", "0123456789-/.")


def bounds(date_from, date_to) -> tuple[int, int] | None:
    """``(first, last)`` day keys of a ``--from``/``--to`` range (either may be empty); ``None`` when both are.

    Raises :class:`QueryError` for a value that is not a year or a date, or a range that ends before it starts.
    """
    first, last = _bound(date_from, "起始", 0), _bound(date_to, "截止", 1)
    if first is None and last is None:
        return None
    first, last = first if first is not None else 0, last if last is not None else 99999999
    if first > last:
        raise QueryError(f"起始时间（{date_from}）晚于截止时间（{date_to}）。")
    return first, last


def _bound(value, label: str, end: int) -> int | None:
    if value in (None, ""):
        return None
    found = span(str(value))
    if found is None:
        raise QueryError(f"{label}时间应为年份或日期（如 1990、2025-05 或 2025-05-28）：{value}")
    return found[end]


class TimeColumns:
    """Per passage: the first and last day key of its document's date (or year), and a sort key."""

    def __init__(self, years: FacetColumn, dates: FacetColumn):
        year_first = np.array([v * 10000 if v else UNDATED for v in years.values], dtype=np.int64)[years.codes]
        year_last = np.array([v * 10000 + 9999 if v else UNDATED for v in years.values], dtype=np.int64)[years.codes]
        spans = [span(v) if v else None for v in dates.values]
        date_first = np.array([s[0] if s else UNDATED for s in spans], dtype=np.int64)[dates.codes]
        date_last = np.array([s[1] if s else UNDATED for s in spans], dtype=np.int64)[dates.codes]
        dated = date_first != UNDATED
        self.first = np.where(dated, date_first, year_first)
        self.last = np.where(dated, date_last, year_last)
        # Newest first: a day before its month, a month before its year (the less precise date is later in the list).
        self.sort_key = self.first

    def within(self, first: int, last: int) -> np.ndarray:
        """Mask of the passages whose date span meets ``[first, last]``; undated passages never do."""
        return (self.last >= first) & (self.first <= last) & (self.first != UNDATED)
