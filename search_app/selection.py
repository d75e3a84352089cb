"""The passages a reader has ticked for export: kept in the session, across searches, until cleared.

A selection is a reader's scratch pad, not a search anyone could share, so it
lives in ``st.session_state`` (not the URL). It keeps each ticked hit as the
engine returned it, in the order ticked; the files are made by
:mod:`indexer.engine.export`, the same code as ``policy-search export``.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from functools import partial

import streamlit as st

from indexer.api import FORMATS, Hit, SearchBackend, export

SELECTION_KEY = "export_selection"
PICK_PREFIX = "pick:"
TITLE = "检索摘录"


def _selected() -> dict[str, dict]:
    return st.session_state.setdefault(SELECTION_KEY, {})


def pick_key(hit: Hit) -> str:
    return f"{PICK_PREFIX}{hit.doc_id}:{hit.order}"


def hits() -> list[Hit]:
    return [Hit(**fields) for fields in _selected().values()]


def checkbox(hit: Hit) -> None:
    """The card's 选入摘录 box, ticked when the passage is in the selection (whichever search found it).

    Its state is set from the selection only when the box appears (Streamlit forgets a widget's state when
    a run does not draw it), never on every run: a run under way when the reader ticks would otherwise
    write the old value over the tick, and the tick was lost.
    """
    key = pick_key(hit)
    if key not in st.session_state:
        st.session_state[key] = key in _selected()
    st.checkbox("选入摘录", key=key, on_change=_on_pick, args=(hit,))


def _on_pick(hit: Hit) -> None:
    key = pick_key(hit)
    if st.session_state.get(key):
        _selected()[key] = asdict(hit)
    else:
        _selected().pop(key, None)


def _on_clear() -> None:
    _selected().clear()
    for key in [key for key in st.session_state if str(key).startswith(PICK_PREFIX)]:
        st.session_state[key] = False


def panel(engine: SearchBackend) -> None:
    """In the sidebar: how many passages are ticked, a download button per format, and 清空."""
    chosen = hits()
    if not chosen:
        return
    with st.sidebar:
        st.header("摘录")
        documents = {hit.doc_id: engine.document(hit.doc_id) or {} for hit in chosen}
        st.caption(f"已选 {len(chosen)} 个段落，出自 {len(documents)} 篇文档；换个检索词继续勾选，选择仍保留。")
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        with st.container(horizontal=True):
            for name, fmt in FORMATS.items():
                st.download_button(
                    fmt.label, data=partial(export, chosen, documents, name, TITLE), file_name=f"{TITLE}-{stamp}{fmt.suffix}",
                    mime=fmt.mime, key=f"export:{name}", on_click="ignore", icon=":material/download:",
                )
        st.button("清空摘录", key="export:clear", on_click=_on_clear, icon=":material/delete_sweep:", type="tertiary")
        st.divider()
