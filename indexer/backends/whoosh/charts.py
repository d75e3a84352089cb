"""The counts behind the app's charts: matching passages by region and year, and per year against all."""

from __future__ import annotations

import numpy as np

from indexer.query.plan import compile_query
from indexer.engine.tiers import counted_union
from indexer.engine.arguments import facet_selections
from indexer.engine.facets import city_year_rows, cross_counts
from indexer.engine.timespan import bounds
from indexer.errors import QueryError
from indexer.query.parse import parse_query


class ChartCounts:
    """Part of :class:`indexer.backends.whoosh.engine.SearchEngine`: the same filters as ``search``, counted."""

    def city_year_counts(self, query: str, cities=(), years=(), doc_types=(), exact: bool = False, provinces=(),
                         date_from=None, date_to=None) -> list[dict]:
        """The passages :meth:`search` would count, tallied by city and year (for a chart).

        Returns ``[{"city", "year", "count"}, …]``; raises :class:`QueryError` like ``search``.
        """
        return city_year_rows(self.region_year_counts(query, cities, years, doc_types, exact, provinces, date_from,
                                                      date_to, region="city"))

    def region_year_counts(self, query: str, cities=(), years=(), doc_types=(), exact: bool = False, provinces=(),
                           date_from=None, date_to=None, region: str = "province") -> list[dict]:
        """The passages :meth:`search` would count (every filter applied), by region and year: for charts of
        matches per year (sum over regions) and per region (sum over years).

        ``region``: "province" (全国 for national documents) or "city". Returns
        ``[{"region", "year", "count"}, …]`` for the pairs that occur; a passage without a city (a national
        or provincial document) has region "" when ``region="city"``, a year of 0 when undated.
        """
        if region not in ("province", "city"):
            raise QueryError(f"地区应为 province 或 city：{region}")
        compiled = compile_query(parse_query(query), expand=not exact)
        selections, date_range = facet_selections(cities, years, doc_types, provinces), bounds(date_from, date_to)
        with self._lock:
            self._refresh()
            _, selected = self._facet_counts(counted_union(self._tiers(compiled)), selections, date_range)
            counts = cross_counts(self._columns[region], self._columns["year"], selected)
        return [{"region": place or "", "year": year, "count": count}
                for (place, year), count in sorted(counts.items(), key=lambda item: (str(item[0][0]), str(item[0][1])))]

    def year_counts(self, query: str, cities=(), years=(), doc_types=(), exact: bool = False, provinces=(),
                    date_from=None, date_to=None) -> list[dict]:
        """How often each year's documents speak of ``query``: the passages :meth:`search` would count per year.

        Returns ``[{"year", "matching", "passages", "per_thousand"}, …]`` oldest first, one row per year
        with passages (within the filters), ``per_thousand`` = matching passages per 1,000 of that year's.
        """
        compiled = compile_query(parse_query(query), expand=not exact)
        selections, date_range = facet_selections(cities, years, doc_types, provinces), bounds(date_from, date_to)
        with self._lock:
            self._refresh()
            year_column = self._columns["year"]
            _, selected = self._facet_counts(counted_union(self._tiers(compiled)), selections, date_range)
            _, scope = self._facet_counts(np.ones(len(year_column.codes), dtype=bool), selections, date_range)
            matching = dict(year_column.counts(selected))
            totals = year_column.counts(scope)
        return [{"year": year, "matching": matching.get(year, 0), "passages": total,
                 "per_thousand": round(1000 * matching.get(year, 0) / total, 2)}
                for year, total in sorted(totals)]
