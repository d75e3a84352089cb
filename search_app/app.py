"""民政政策检索 — the Streamlit page. Run with ``streamlit run search_app/app.py`` (or ``make run``).

The page reads the search from the URL, asks the engine, and draws what it gets;
every search decision is the engine's (``indexer.api``).
"""

from __future__ import annotations

import logging
import time

import streamlit as st

import search_app.preload  # noqa: F401  (first: every import done once, before this run goes on)
from indexer.api import IndexMissing, PassageMissing, QueryError
from search_app import cards, components, figures_view, filters, selection, state
from search_app.escaping import md
from search_app.engine import get_engine
from search_app.state import PAGE_SIZE

log = logging.getLogger("search_app")


def main() -> None:
    search = state.current()
    page_start(search)
    try:
        engine = get_engine()
    except IndexMissing as missing:
        components.index_missing(missing)
        st.stop()
    for warning in engine.warnings:
        st.warning(md(warning))
    selection.panel(engine)
    if search.document or search.similar or not search.query:
        other_view(engine, search)
        st.stop()
    search, response = run_search(engine, search)
    # With cities ticked, the provinces are listed with their counts as if none were (ticking another
    # province drops the cities), so the 地区 section never shrinks to the one province of those cities.
    provinces = (engine.search(search.query, limit=0, **search.engine_filters(cities=())).facets["province"]
                 if search.cities else None)
    filters.facets_sidebar(response, search, provinces)
    if not response.total:
        components.no_results(engine, search, response)
        st.stop()
    result_tabs(engine, search, response, provinces)


def page_start(search: state.SearchState) -> None:
    """The page's title, style and the search box; a sidebar fold asked for by the last choice."""
    view = "全文" if search.document else "相似段落" if search.similar else ""
    title = " · ".join(part for part in (view, search.query, "民政政策检索") if part)
    st.set_page_config(page_title=title, page_icon=":material/search:", layout="wide")
    components.inject_css()
    if state.requested(state.CLOSE_SIDEBAR_KEY):
        components.close_sidebar_on_phones(time.time_ns())
    state.sync_widgets(search)
    components.header()
    components.search_box()


def other_view(engine, search: state.SearchState) -> None:
    """A page that is not a result list: the whole document, the passages like one, or the overview."""
    if search.document:
        filters.sidebar_hint()
        cards.document_view(engine, search)
    elif search.similar:
        try:
            similar = engine.similar(*search.similar)
        except PassageMissing as missing:
            cards.similar_missing(missing)
            return
        cards.similar_view(engine, similar, search)
    else:
        filters.sidebar_hint()
        components.overview(engine)


def run_search(engine, search: state.SearchState):
    """The search and its response; a page past the end (an old link, or reprints folded away) becomes the
    last page that has results, found by halving (a few searches), never by walking back a page at a time."""
    filters_and_order = dict(search.engine_filters(), sort=search.sort, group=search.group)
    try:
        response = engine.search(search.query, limit=PAGE_SIZE, offset=search.offset, **filters_and_order)
        if not response.hits and search.page > 1 and components.results_total(response):
            def has_hits(page: int) -> bool:
                return bool(engine.search(search.query, limit=1, offset=(page - 1) * PAGE_SIZE,
                                          **filters_and_order).hits)

            pages = components.page_count(components.results_total(response))
            last = components.last_page(has_hits, min(search.page, pages + 1))
            state.remember_last_page(search, last)
            search = search.on_page(last)
            st.session_state[state.PAGE_KEY] = search.page
            response = engine.search(search.query, limit=PAGE_SIZE, offset=search.offset, **filters_and_order)
    except QueryError as error:
        filters.sidebar_hint(with_syntax=False)
        components.query_error(error)
        st.stop()
    return search, response


def result_tabs(engine, search: state.SearchState, response, provinces) -> None:
    """段落 (cards, pager, charts), 数字 and 历年; a tab's content is computed only when it is open."""
    passages_tab, figures_tab, years_tab = figures_view.tabs()
    if figures_tab.open:
        with figures_tab:
            figures_view.figures_panel(engine, search)
    if years_tab.open:
        with years_tab:
            figures_view.years_panel(engine, search)
    if not passages_tab.open:
        return
    with passages_tab:
        results, side = st.columns([2.4, 1], gap="large")
        with results:
            components.summary(response, search)
            grouped = search if response.group == "document" else None
            for hit in response.hits:
                cards.result_card(engine, hit, search.query, grouped=grouped)
            components.pager(components.results_total(response), search)
            if state.requested(state.SCROLL_KEY):
                components.scroll_to_rank(search.offset + 1, time.time_ns())
        with side:
            # By province; by city once one province (not 全国) is chosen or is the only one.
            by_city = filters.expanded_province(search, provinces or response.facets["province"]) is not None
            rows = engine.region_year_counts(search.query, **search.engine_filters(),
                                             region="city" if by_city else "province")
            components.result_charts(rows, by_city)


try:
    main()
except Exception:  # never a traceback in front of a reader; Streamlit's stop and rerun are not Exceptions
    log.exception("search_app: unexpected error")
    st.error("页面出错了，已记录在服务器日志中。请刷新页面重试；如果仍然出错，请换一个检索词或清除筛选条件。",
             icon=":material/error:")
