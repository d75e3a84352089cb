"""民政政策检索 — the Streamlit page. Run with ``streamlit run search_app/app.py`` (or ``make run``).

The page reads the search from the URL, asks the engine, and draws what it gets;
every search decision is the engine's (``indexer.searching``).
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import streamlit as st

# `streamlit run` puts this file's folder on sys.path; the project root is needed for `search_app.*`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import search_app.preload  # noqa: E402,F401  (first: every import done once, before this run goes on)
from indexer.query import QueryError  # noqa: E402
from indexer.searching import PassageMissing  # noqa: E402
from indexer.store import IndexMissing  # noqa: E402
from search_app import chart, components, figures_view, selection, state  # noqa: E402
from search_app.engine import get_engine  # noqa: E402
from search_app.state import PAGE_SIZE  # noqa: E402

log = logging.getLogger("search_app")


def main() -> None:
    search = state.current()
    view = "全文" if search.document else "相似段落" if search.similar else ""
    title = " · ".join(part for part in (view, search.query, "民政政策检索") if part)
    st.set_page_config(page_title=title, page_icon=":material/search:", layout="wide")
    components.inject_css()
    if state.requested(state.CLOSE_SIDEBAR_KEY):
        components.close_sidebar_on_phones(time.time_ns())
    state.sync_widgets(search)
    components.header()
    components.search_box()

    try:
        engine = get_engine()
    except IndexMissing as missing:
        components.index_missing(missing)
        st.stop()

    for warning in engine.warnings:
        st.warning(components.md(warning))
    selection.panel(engine)

    if search.document:
        components.sidebar_hint()
        components.document_view(engine, search)
        st.stop()

    if search.similar:
        try:
            similar = engine.similar(*search.similar)
        except PassageMissing as missing:
            components.similar_missing(missing)
            st.stop()
        components.similar_view(engine, similar, search)
        st.stop()

    if not search.query:
        components.sidebar_hint()
        components.overview(engine)
        st.stop()

    selections = dict(cities=search.cities, years=search.years, doc_types=search.doc_types, exact=search.exact)
    try:
        response = engine.search(search.query, limit=PAGE_SIZE, offset=search.offset, **selections)
        if not response.hits and search.page > 1 and response.total:
            # A page past the end (an old link, or reprints folded away): show the last page that has results,
            # found by halving (a few searches), never by walking back a page at a time.
            def has_hits(page: int) -> bool:
                return bool(engine.search(search.query, limit=1, offset=(page - 1) * PAGE_SIZE, **selections).hits)

            last = components.last_page(has_hits, min(search.page, components.page_count(response.total) + 1))
            state.remember_last_page(search, last)
            search = search.on_page(last)
            st.session_state[state.PAGE_KEY] = search.page
            response = engine.search(search.query, limit=PAGE_SIZE, offset=search.offset, **selections)
    except QueryError as error:
        components.sidebar_hint(with_syntax=False)
        components.query_error(error)
        st.stop()

    components.facets_sidebar(response, search)
    if not response.total:
        components.no_results(engine, search, response)
        st.stop()

    passages_tab, figures_tab, years_tab = figures_view.tabs()
    if figures_tab.open:
        with figures_tab:
            figures_view.figures_panel(engine, search)
    if years_tab.open:
        with years_tab:
            figures_view.years_panel(engine, search)
    if passages_tab.open:
        with passages_tab:
            results, side = st.columns([2.4, 1], gap="large")
            with results:
                components.summary(response, search)
                for hit in response.hits:
                    components.result_card(engine, hit, search.query)
                components.pager(response.total, search)
                if state.requested(state.SCROLL_KEY):
                    components.scroll_to_rank(search.offset + 1, time.time_ns())
            with side:
                components.result_charts(engine.city_year_counts(search.query, **selections))


try:
    main()
except Exception:  # never a traceback in front of a reader; Streamlit's stop and rerun are not Exceptions
    log.exception("search_app: unexpected error")
    st.error("页面出错了，已记录在服务器日志中。请刷新页面重试；如果仍然出错，请换一个检索词或清除筛选条件。",
             icon=":material/error:")
