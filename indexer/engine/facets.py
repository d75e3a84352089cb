"""Facets: counts of matching passages by a document value, disjunctive.

One abstraction serves province, city, year and document type. A city's
passages count under their province as well (the province column holds it;
national documents have 全国 there). Counts for a facet honour
every *other* facet's selection but not its own, so a reader who picked 烟台
still sees how many matches 青岛 would give.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EMPTY_VALUES = (None, "", 0)  # a passage without the value is in no bucket


@dataclass(frozen=True, eq=False)
class FacetColumn:
    """A facet's value per passage as a small integer code, so a count is one ``bincount``."""

    values: list  # code -> value
    codes: np.ndarray  # docnum -> code

    @classmethod
    def from_values(cls, per_passage: list) -> FacetColumn:
        numbering: dict = {}
        codes = np.fromiter((numbering.setdefault(v, len(numbering)) for v in per_passage),
                            dtype=np.int32, count=len(per_passage))
        return cls(list(numbering), codes)

    def passing(self, chosen: set) -> np.ndarray:
        """Mask of the passages whose value is one of ``chosen``."""
        wanted = np.fromiter((value in chosen for value in self.values), dtype=bool, count=len(self.values))
        return wanted[self.codes]

    def counts(self, mask: np.ndarray) -> list[tuple[object, int]]:
        """(value, passages) for the values of the passages in ``mask``."""
        tally = np.bincount(self.codes[mask], minlength=len(self.values))
        return [(self.values[code], int(tally[code])) for code in np.flatnonzero(tally)
                if self.values[code] not in EMPTY_VALUES]


@dataclass(frozen=True)
class Facet:
    name: str
    # Sort buckets: by count (cities, types) or by value, newest first (years).
    by_value_descending: bool = False

    def buckets(self, counts: list[tuple[object, int]], selected: set) -> list[dict]:
        if self.by_value_descending:
            ordered = sorted(counts, key=lambda item: item[0], reverse=True)
        else:
            ordered = sorted(counts, key=lambda item: (-item[1], str(item[0])))
        return [{"value": value, "count": count, "selected": value in selected} for value, count in ordered]


# The one definition of the facets: every column, count and selection of a facet is named from here.
FACETS = (Facet("province"), Facet("city"), Facet("year", by_value_descending=True), Facet("doc_type"))
FACET_NAMES = tuple(facet.name for facet in FACETS)


def facet_counts(matching: np.ndarray, columns: dict[str, FacetColumn], selections: dict[str, set],
                 restrictions: dict[str, np.ndarray] | None = None) -> tuple[dict[str, list[dict]], np.ndarray]:
    """Disjunctive counts for every facet, and the mask of matching passages that pass all selections.

    ``matching``: a mask over docnums; ``columns``: each facet's :class:`FacetColumn`; ``restrictions``:
    masks that narrow a facet's own dimension like a selection (a date range narrows ``year``), so that
    facet's counts ignore them while every other facet's honour them.
    """
    passes = {facet.name: columns[facet.name].passing(selections[facet.name])
              for facet in FACETS if selections.get(facet.name)}
    for name, mask in (restrictions or {}).items():
        passes[name] = passes[name] & mask if name in passes else mask
    counts = {}
    for facet in FACETS:
        eligible = matching
        for name, mask in passes.items():
            if name != facet.name:
                eligible = eligible & mask
        counts[facet.name] = facet.buckets(columns[facet.name].counts(eligible), selections.get(facet.name) or set())
    selected = matching
    for mask in passes.values():
        selected = selected & mask
    return counts, selected


def cross_counts(rows: FacetColumn, columns: FacetColumn, mask: np.ndarray) -> dict[tuple, int]:
    """Passages in ``mask`` per (row value, column value) pair that occurs (a city × year table)."""
    width = len(columns.values)
    cells = rows.codes[mask].astype(np.int64) * width + columns.codes[mask]
    tally = np.bincount(cells, minlength=len(rows.values) * width)
    return {(rows.values[cell // width], columns.values[cell % width]): int(tally[cell]) for cell in np.flatnonzero(tally)}


def decade_buckets(year_buckets: list[dict]) -> list[dict]:
    """The year facet's counts summed by decade (1990 for 1990–1999), newest first: a compact year facet.

    A decade is ``selected`` when every year of it with matches is selected.
    """
    decades: dict[int, dict] = {}
    for bucket in year_buckets:
        decade = decades.setdefault(bucket["value"] // 10 * 10, {"count": 0, "selected": True})
        decade["count"] += bucket["count"]
        decade["selected"] = decade["selected"] and bucket["selected"]
    return [{"value": value, "count": d["count"], "selected": d["selected"]}
            for value, d in sorted(decades.items(), reverse=True)]


def city_year_rows(region_rows: list[dict]) -> list[dict]:
    """``region_year_counts(region="city")`` rows in the shape ``city_year_counts`` answers with."""
    return [{"city": row["region"], "year": row["year"], "count": row["count"]} for row in region_rows]
