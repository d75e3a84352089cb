"""The state of a search lives in the URL:
``?q=低保&province=山东省&city=烟台&city=青岛&from=2020&to=2025&type=新闻报道&sort=date&group=document&page=2``.

An old link's ``&year=2025`` (the year checkboxes this replaced) is read as the range 2025–2025.

``&similar=DOC_ID:ORDER`` shows the passages like one passage instead of the results.

``SearchState`` is read from ``st.query_params`` at the start of every run and
written back by widget callbacks, so a search can be bookmarked, shared and
reloaded, and the browser's Back button (which reruns the app with the older
address) restores the previous search. ``st.session_state`` holds only the
widgets' mirrors of that state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Protocol

import streamlit as st

PAGE_SIZE = 10
# What the address and the box keep of a query. The engine uses the first
# ``indexer.api.MAX_QUERY_CHARS`` of it and says so in a notice, which the page shows;
# this bound only keeps an address from growing without end (the box counts down to it).
MAX_QUERY_CHARS = 1000

# URL parameter names, and the facet each filter belongs to.
QUERY, PAGE, EXACT, SIMILAR = "q", "page", "exact", "similar"
# The year range (``from``/``to``, each optional), the order and the grouping of the results.
YEAR_FROM, YEAR_TO, SORT, GROUP, LEGACY_YEAR = "from", "to", "sort", "group", "year"
SORTS = {"relevance": "相关度", "date": "日期从新到旧"}
GROUPS = {"passage": "逐段", "document": "按文件"}
# The whole-document view: ``&doc=DOC_ID&p=ORDER`` (the passage marked and brought into view).
DOCUMENT, PASSAGE = "doc", "p"
# The facets ticked in the sidebar: URL parameter per facet, and the state's field for it.
FILTER_PARAMS = {"province": "province", "city": "city", "doc_type": "type"}
FILTER_FIELDS = {"province": "provinces", "city": "cities", "doc_type": "doc_types"}

# Widget keys mirrored from the URL.
QUERY_KEY = "query_input"
PAGE_KEY = "page_input"
YEARS_KEY = "years_input"
DECADE_KEY = "decade_input"
SORT_KEY = "sort_input"
GROUP_KEY = "group_input"
# One-shot requests from a callback to the run it causes: scroll to the new page's first result,
# fold the sidebar away on a phone after a filter was chosen.
SCROLL_KEY = "scroll_to_page"
CLOSE_SIDEBAR_KEY = "close_sidebar"


class QueryParams(Protocol):
    def get_all(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class SearchState:
    query: str = ""
    # 全国 among the provinces selects the national documents.
    provinces: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    # The year range, both ends included; None: open on that side.
    year_from: int | None = None
    year_to: int | None = None
    doc_types: tuple[str, ...] = ()
    sort: str = "relevance"
    group: str = "passage"
    page: int = 1
    # True: search only the words as typed, without the thesaurus's synonyms.
    exact: bool = False
    # The passage whose like are shown, as (doc_id, order); None shows the results.
    similar: tuple[str, int] | None = None
    # The document read in full, as (doc_id, order of the passage to show); None shows the results.
    document: tuple[str, int] | None = None

    @classmethod
    def from_params(cls, params: QueryParams) -> SearchState:
        """Read a state from query parameters, ignoring values that make no sense (a bad year, page 0)."""
        query = " ".join(_last(params.get_all(QUERY)).split())[:MAX_QUERY_CHARS]
        year_from, year_to = _year(_last(params.get_all(YEAR_FROM))), _year(_last(params.get_all(YEAR_TO)))
        legacy = [year for year in map(_year, params.get_all(LEGACY_YEAR)) if year]
        if legacy and year_from is None and year_to is None:
            year_from, year_to = min(legacy), max(legacy)
        if year_from and year_to and year_from > year_to:
            year_from, year_to = year_to, year_from
        page = _last(params.get_all(PAGE)).strip()
        sort, group = _last(params.get_all(SORT)).strip(), _last(params.get_all(GROUP)).strip()
        return cls(
            query=query,
            **{field: _unique(params.get_all(FILTER_PARAMS[facet])) for facet, field in FILTER_FIELDS.items()},
            year_from=year_from,
            year_to=year_to,
            sort=sort if sort in SORTS else "relevance",
            group=group if group in GROUPS else "passage",
            page=max(1, int(page)) if page.isdigit() else 1,
            exact=_last(params.get_all(EXACT)).strip() in ("1", "true"),
            similar=_passage(_last(params.get_all(SIMILAR))),
            document=_document(_last(params.get_all(DOCUMENT)), _last(params.get_all(PASSAGE))),
        )

    def to_params(self) -> dict[str, str | list[str]]:
        """Query parameters for this state; defaults (no filter, page 1) are left out to keep URLs short."""
        params: dict[str, str | list[str]] = {}
        if self.query:
            params[QUERY] = self.query
        for facet, values in self.selections().items():
            if values:
                params[FILTER_PARAMS[facet]] = [str(v) for v in values]
        if self.year_from:
            params[YEAR_FROM] = str(self.year_from)
        if self.year_to:
            params[YEAR_TO] = str(self.year_to)
        if self.sort != "relevance":
            params[SORT] = self.sort
        if self.group != "passage":
            params[GROUP] = self.group
        if self.exact:
            params[EXACT] = "1"
        if self.page > 1:
            params[PAGE] = str(self.page)
        if self.similar:
            params[SIMILAR] = f"{self.similar[0]}:{self.similar[1]}"
        if self.document:
            params[DOCUMENT], params[PASSAGE] = self.document[0], str(self.document[1])
        return params

    def selections(self) -> dict[str, tuple]:
        """The ticked values of each sidebar facet."""
        return {facet: getattr(self, field) for facet, field in FILTER_FIELDS.items()}

    def engine_filters(self, **overrides) -> dict:
        """The filters as ``SearchBackend.search`` (:mod:`indexer.api`) and its siblings take them."""
        filters = dict(provinces=self.provinces, cities=self.cities, doc_types=self.doc_types,
                       date_from=self.year_from, date_to=self.year_to, exact=self.exact)
        return filters | overrides

    @property
    def has_filters(self) -> bool:
        return any(self.selections().values()) or self.has_years

    @property
    def has_years(self) -> bool:
        return bool(self.year_from or self.year_to)

    @property
    def chosen_province(self) -> str | None:
        """The one province whose cities the 地区 section lists (None: none or several are ticked)."""
        return self.provinces[0] if len(self.provinces) == 1 else None

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE

    def with_query(self, query: str) -> SearchState:
        """A new search keeps the filters and starts on page 1."""
        return replace(self, query=" ".join(query.split())[:MAX_QUERY_CHARS], page=1, similar=None, document=None)

    def toggled(self, facet: str, value) -> SearchState:
        """Select or unselect one facet value; the result list starts again on page 1.

        Cities are listed under the one province chosen, so ticking or unticking a province
        drops the cities ticked (they belonged to the province chosen before).
        """
        current = self.selections()[facet]
        values = tuple(v for v in current if v != value) if value in current else (*current, value)
        changes = {FILTER_FIELDS[facet]: values}
        if facet == "province":
            changes["cities"] = ()
        return replace(self, **changes, page=1)

    def with_years(self, year_from: int | None, year_to: int | None) -> SearchState:
        """The year range (None: open on that side); back to page 1."""
        return replace(self, year_from=year_from or None, year_to=year_to or None, page=1)

    def with_sort(self, sort: str) -> SearchState:
        return replace(self, sort=sort if sort in SORTS else "relevance", page=1)

    def with_group(self, group: str) -> SearchState:
        return replace(self, group=group if group in GROUPS else "passage", page=1)

    def without_filters(self) -> SearchState:
        return replace(self, provinces=(), cities=(), year_from=None, year_to=None, doc_types=(), page=1)

    def on_page(self, page: int) -> SearchState:
        return replace(self, page=max(1, int(page)))

    def with_exact(self, exact: bool) -> SearchState:
        return replace(self, exact=exact, page=1)

    def with_similar(self, doc_id: str | None, order: int = 0) -> SearchState:
        """Show the passages like one passage (``None``: back to the results, on the same page)."""
        return replace(self, similar=(doc_id, int(order)) if doc_id else None, document=None)

    def with_document(self, doc_id: str | None, order: int = 0) -> SearchState:
        """Read a document in full at one passage (``None``: back to where the reader came from)."""
        return replace(self, document=(doc_id, int(order)) if doc_id else None)


def _last(values: list[str]) -> str:
    return values[-1] if values else ""


def _year(value: str) -> int | None:
    """A year as the address gives it (``1990``); anything else (empty, a word, 0) as None."""
    value = value.strip()
    return int(value) if value.isdigit() and 1 <= len(value) <= 4 and int(value) > 0 else None


def _passage(value: str) -> tuple[str, int] | None:
    """``DOC_ID:ORDER`` as (doc_id, order); anything else as None (a damaged link shows the results)."""
    doc_id, _, order = value.strip().rpartition(":")
    return (doc_id, int(order)) if doc_id and order.isdigit() else None


def _document(doc_id: str, order: str) -> tuple[str, int] | None:
    doc_id, order = doc_id.strip(), order.strip()
    return (doc_id, int(order) if order.isdigit() else 0) if doc_id else None


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        value = value.strip()
        if value:
            seen.setdefault(value, None)
    return tuple(seen)


# -- reading and writing the URL from the app ----------------------------------


def current() -> SearchState:
    return SearchState.from_params(st.query_params)


def navigate(state: SearchState) -> None:
    """Make ``state`` the address of the page (one browser-history entry)."""
    params = state.to_params()
    if params != current().to_params():
        st.query_params.from_dict(params)


def facet_key(facet: str, value) -> str:
    return f"facet:{facet}:{value}"


def sync_widgets(state: SearchState) -> None:
    """Point the widgets at the URL's state before they are drawn (after Back, reload or a shared link)."""
    wanted = {QUERY_KEY: state.query, PAGE_KEY: state.page, SORT_KEY: state.sort, GROUP_KEY: state.group}
    for facet, values in state.selections().items():
        prefix = facet_key(facet, "")
        wanted |= {key: False for key in st.session_state if isinstance(key, str) and key.startswith(prefix)}
        wanted |= {facet_key(facet, value): True for value in values}
    for key, value in wanted.items():
        if st.session_state.get(key) != value:  # writing only changes keeps Streamlit's state quiet
            st.session_state[key] = value


# -- widget callbacks: each turns one user action into a new address ---------


def on_query_submitted() -> None:
    navigate(current().with_query(st.session_state.get(QUERY_KEY, "")))


def on_example(query: str) -> None:
    navigate(SearchState().with_query(query))


def on_facet_toggled(facet: str, value) -> None:
    navigate(current().toggled(facet, value))
    _request(CLOSE_SIDEBAR_KEY)


def on_chart_pick(key: str, facet: str, field: str) -> None:
    """A bar clicked in a chart beside the results: that year becomes the range, that place is ticked
    (once; the sidebar unticks it)."""
    from search_app.chart import UNKNOWN_REGIONS, picked

    value = picked(st.session_state.get(key), field)
    if value is None or value in UNKNOWN_REGIONS:
        return
    search = current()
    if facet == "year":
        navigate(search.with_years(int(value), int(value)))
    elif str(value) not in search.selections()[facet]:
        navigate(search.toggled(facet, str(value)))


def on_years(options: list[int]) -> None:
    """The year slider moved: its range, or no range when it spans every year there is."""
    chosen = st.session_state.get(YEARS_KEY)
    if not isinstance(chosen, (tuple, list)) or len(chosen) != 2:
        return
    low, high = min(chosen), max(chosen)
    if options and low <= min(options) and high >= max(options):
        low = high = None
    navigate(current().with_years(low, high))


def on_decade() -> None:
    """A decade pill: its ten years become the range; unpicking it clears the range."""
    decade = st.session_state.get(DECADE_KEY)
    navigate(current().with_years(decade, decade + 9) if decade else current().with_years(None, None))


def on_years_cleared() -> None:
    navigate(current().with_years(None, None))


def on_sort() -> None:
    navigate(current().with_sort(st.session_state.get(SORT_KEY) or "relevance"))


def on_group() -> None:
    navigate(current().with_group(st.session_state.get(GROUP_KEY) or "passage"))


def on_clear_filters() -> None:
    navigate(current().without_filters())
    _request(CLOSE_SIDEBAR_KEY)


def on_page_changed() -> None:
    navigate(current().on_page(st.session_state.get(PAGE_KEY, 1)))
    _request(SCROLL_KEY)


def _request(key: str) -> None:
    st.session_state[key] = True


def _pages_key(search: SearchState) -> str:
    params = search.on_page(1).to_params()
    return "last_page:" + repr(sorted((k, str(v)) for k, v in params.items() if k not in (DOCUMENT, PASSAGE)))


def remember_last_page(search: SearchState, page: int) -> None:
    """This search's results end on ``page`` (its total counts reprints that fold into one result)."""
    st.session_state[_pages_key(search)] = page


def known_last_page(search: SearchState) -> int | None:
    return st.session_state.get(_pages_key(search))


def requested(key: str) -> bool:
    """Whether a request under ``key`` is pending; reading it clears it."""
    return bool(st.session_state.pop(key, False))


def on_exact(exact: bool) -> None:
    navigate(current().with_exact(exact))


def on_similar(doc_id: str | None, order: int = 0) -> None:
    navigate(current().with_similar(doc_id, order))


def on_document(doc_id: str | None, order: int = 0) -> None:
    navigate(current().with_document(doc_id, order))


def on_new_search() -> None:
    navigate(SearchState())
