"""Facets: counts of matching passages by a document value, disjunctive.

One abstraction serves city, year and document type. Counts for a facet honour
every *other* facet's selection but not its own, so a reader who picked 烟台
still sees how many matches 青岛 would give.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Facet:
    name: str
    # Sort buckets: by count (cities, types) or by value, newest first (years).
    by_value_descending: bool = False

    def buckets(self, values: Iterable, selected: set) -> list[dict]:
        counts = Counter(values)  # counted in C; the empty values dropped after
        for empty in (None, "", 0):
            counts.pop(empty, None)
        if self.by_value_descending:
            ordered = sorted(counts.items(), key=lambda item: item[0], reverse=True)
        else:
            ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
        return [{"value": value, "count": count, "selected": value in selected} for value, count in ordered]


FACETS = (Facet("city"), Facet("year", by_value_descending=True), Facet("doc_type"))


def facet_counts(docnums: Iterable[int], column: Callable[[str, int], object],
                 selections: dict[str, set], columns: dict[str, list] | None = None,
                 ) -> tuple[dict[str, list[dict]], set[int]]:
    """Disjunctive counts for every facet, and the docnums that pass all selections.

    ``columns`` (optional) holds each facet's value per docnum, the same values
    ``column`` returns, so values are looked up in C.
    """
    docnums = list(docnums)
    everything = set(docnums)

    def values(name: str, docs: Iterable[int]):
        if columns is not None and name in columns:
            return map(columns[name].__getitem__, docs)
        return (column(name, d) for d in docs)

    passes = {}
    for facet in FACETS:
        chosen = selections.get(facet.name)
        passes[facet.name] = ({d for d, v in zip(docnums, values(facet.name, docnums)) if v in chosen}
                              if chosen else everything)
    counts = {}
    for facet in FACETS:
        others = [passes[f.name] for f in FACETS if f.name != facet.name]
        eligible = everything.intersection(*others)
        counts[facet.name] = facet.buckets(values(facet.name, eligible), selections.get(facet.name) or set())
    selected = everything.intersection(*passes.values())
    return counts, selected
