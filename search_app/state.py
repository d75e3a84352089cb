"""The state of a search lives in the URL: ``?q=低保&city=烟台&city=青岛&year=2025&type=新闻报道&page=2``.

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
# ``indexer.query.MAX_QUERY_CHARS`` of it and says so in a notice, which the page shows;
# this bound only keeps an address from growing without end (the box counts down to it).
MAX_QUERY_CHARS = 1000

# URL parameter names, and the facet each filter belongs to.
QUERY, PAGE, EXACT, SIMILAR = "q", "page", "exact", "similar"
# The whole-document view: ``&doc=DOC_ID&p=ORDER`` (the passage marked and brought into view).
DOCUMENT, PASSAGE = "doc", "p"
FILTER_PARAMS = {"city": "city", "year": "year", "doc_type": "type"}

# Widget keys mirrored from the URL.
QUERY_KEY = "query_input"
PAGE_KEY = "page_input"
# One-shot requests from a callback to the run it causes: scroll to the new page's first result,
# fold the sidebar away on a phone after a filter was chosen.
SCROLL_KEY = "scroll_to_page"
CLOSE_SIDEBAR_KEY = "close_sidebar"


class QueryParams(Protocol):
    def get_all(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class SearchState:
    query: str = ""
    cities: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    doc_types: tuple[str, ...] = ()
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
        years = tuple(int(y) for y in _unique(params.get_all(FILTER_PARAMS["year"])) if y.strip().isdigit())
        page = _last(params.get_all(PAGE)).strip()
        return cls(
            query=query,
            cities=_unique(params.get_all(FILTER_PARAMS["city"])),
            years=years,
            doc_types=_unique(params.get_all(FILTER_PARAMS["doc_type"])),
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
        return {"city": self.cities, "year": self.years, "doc_type": self.doc_types}

    @property
    def has_filters(self) -> bool:
        return any(self.selections().values())

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE

    def with_query(self, query: str) -> SearchState:
        """A new search keeps the filters and starts on page 1."""
        return replace(self, query=" ".join(query.split())[:MAX_QUERY_CHARS], page=1, similar=None, document=None)

    def toggled(self, facet: str, value) -> SearchState:
        """Select or unselect one facet value; the result list starts again on page 1."""
        current = self.selections()[facet]
        values = tuple(v for v in current if v != value) if value in current else (*current, value)
        field = {"city": "cities", "year": "years", "doc_type": "doc_types"}[facet]
        return replace(self, **{field: values}, page=1)

    def without_filters(self) -> SearchState:
        return replace(self, cities=(), years=(), doc_types=(), page=1)

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
    wanted = {QUERY_KEY: state.query, PAGE_KEY: state.page}
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
    """A bar clicked in a chart beside the results: select that year or place (once; the sidebar unselects)."""
    from search_app.chart import UNKNOWN_CITY, picked

    value = picked(st.session_state.get(key), field)
    if value is None or value == UNKNOWN_CITY:
        return
    search = current()
    value = int(value) if facet == "year" else str(value)
    if value not in search.selections()[facet]:
        navigate(search.toggled(facet, value))


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
