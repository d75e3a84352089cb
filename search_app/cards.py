"""A result as the reader sees it: the card (passage once, its copy button beside it), its context, the
whole document, the other passages of its document, and the passages like it elsewhere."""

from __future__ import annotations

import html

import streamlit as st

from indexer.api import MAX_LIMIT, ContextPassage, Hit, SearchBackend, SimilarResponse
from search_app import selection, state
from search_app.components import place_label, scroll_into_view, when
from search_app.escaping import esc, markup, md
from search_app.state import SearchState


def result_card(engine: SearchBackend, hit: Hit, query: str, with_similar: bool = True,
                grouped: SearchState | None = None) -> None:
    """A hit's card; ``grouped``: the search, when hits are grouped by document (its other passages on request)."""
    with st.container(border=True):
        markup(card_html(hit))
        if grouped is not None and hit.document_matches > 1:
            more_passages(engine, hit, grouped)
        if hit.duplicates:
            titles = {(engine.document(d["doc_id"]) or {}).get("title", d["doc_id"]) for d in hit.duplicates}
            st.caption(f"相同段落另见：{md('；'.join(f'《{t}》' for t in sorted(titles)))}")
        with st.container(horizontal=True, vertical_alignment="center"):
            selection.checkbox(hit)
            if with_similar:
                st.button("相似段落", key=f"similar:{hit.doc_id}:{hit.order}", on_click=state.on_similar,
                          args=(hit.doc_id, hit.order), icon=":material/travel_explore:", type="tertiary",
                          help="其他地方、其他年份讲同一举措的段落")
            with st.popover("GB/T 7714", icon=":material/format_quote:", type="tertiary"):
                st.caption("参考文献（GB/T 7714—2015）")
                markup(f'<div class="ref-text">{esc(hit.reference)}</div>{copy_button(hit.reference, "复制参考文献")}')
        with st.expander("阅读上下文"):
            context(engine, hit, query)


def more_passages(engine: SearchBackend, hit: Hit, search: SearchState) -> None:
    """「本文件另有 k 段」: opened, the document's other matching passages (same filters and order), each
    with its copy button; asked of the engine only when opened."""
    others = hit.document_matches - 1
    box = st.expander(f"本文件另有 {others} 段", key=f"more:{hit.doc_id}", on_change="rerun",
                      icon=":material/unfold_more:")
    if not box.open:
        return
    with box:
        response = engine.search(search.query, limit=min(hit.document_matches, MAX_LIMIT), doc_ids=[hit.doc_id],
                                 sort=search.sort, **search.engine_filters())
        rest = [other for other in response.hits if other.order != hit.order]
        blocks = "".join(
            '<div class="ctx">'
            + (f'<div class="ctx-section">{esc(" › ".join(other.section))}</div>' if other.section else "")
            + f'<div class="hit-body"><div class="ctx-passage">{_lines(other.highlight)}</div>'
            f'{copy_button(other.citation)}</div></div>'
            for other in rest)
        markup(f'<div class="more-passages">{blocks}</div>')
        if len(rest) < others:
            st.caption(f"另有 {others - len(rest)} 段与上列段落相同或超出列出上限，未重复列出；请「阅读全文」。")


def copy_button(text: str, label: str = "复制段落和出处") -> str:
    """A button that copies ``text`` (see :data:`COPY_SCRIPT`); the text rides in an escaped attribute."""
    value = html.escape(text.replace("\r\n", "\n").replace("\r", "\n"), quote=True).replace("\n", "&#10;")
    return f'<button type="button" class="copy-btn" data-copy="{value}">{esc(label)}</button>'


def card_html(hit: Hit) -> str:
    """The card's head, and the passage once with its copy button beside it.

    The engine's highlight is already escaped; the rest is escaped here.
    """
    meta = " · ".join(esc(part) for part in (place_label(hit), when(hit), hit.source) if part)
    tag = f'<span class="hit-tag">{esc(hit.doc_type)}</span>' if hit.doc_type else ""
    section = " › ".join(esc(s) for s in hit.section)
    rank = f'<span class="hit-rank">{hit.rank}.</span>' if hit.rank else ""  # 0: a passage shown for itself
    return (
        f'<div class="hit" data-rank="{hit.rank}"><div class="hit-title">{rank}{esc(hit.title)}</div>'
        f'<div class="hit-meta">{meta}{tag}</div>'
        + (f'<div class="hit-section">{section}</div>' if section else "")
        + f'<div class="hit-body"><div class="hit-passage">{_lines(hit.highlight)}</div>{copy_button(hit.citation)}</div></div>'
    )


def similar_view(engine: SearchBackend, response: SimilarResponse, search: SearchState) -> None:
    """The passage, then the passages like it in other documents, grouped by place."""
    with st.container(horizontal=True, vertical_alignment="center"):
        st.subheader("相似段落")
        label = "返回检索结果" if search.query else "返回首页"
        st.button(label, key="similar:back", on_click=state.on_similar, args=(None,), icon=":material/arrow_back:")
    st.caption("下面这个段落最有代表性的词，在其他文档中找到的段落（本文档及其转载不计），按地区分组。")
    result_card(engine, response.source, "", with_similar=False)
    st.caption(f"依据的词：{md('、'.join(response.terms) or '（无）')}")
    if response.copies:
        titles = sorted((engine.document(doc_id) or {}).get("title", doc_id) for doc_id in response.copies)
        st.caption(f"已排除含相同段落的文档：{md('；'.join(f'《{t}》' for t in titles))}")
    if not response.hits:
        st.info("没有找到相似段落。", icon=":material/info:")
    query = " ".join(response.terms)
    for place, hits in response.places():
        st.markdown(f"**{md(place or '地区未注明')}** :gray[{len(hits)} 个段落]")
        for hit in hits:
            result_card(engine, hit, query)


def similar_missing(error: Exception) -> None:
    st.warning(md(error))
    st.button("返回检索结果", key="similar:back", on_click=state.on_similar, args=(None,), icon=":material/arrow_back:")


def context(engine: SearchBackend, hit: Hit, query: str) -> None:
    """The passages around the hit (two each side), the hit marked; the whole document on request."""
    passages = engine.passages(hit.doc_id, query, around=hit.order, window=2)
    markup(f"<div>{context_html(passages)}</div>")
    st.button("阅读全文", key=f"doc:{hit.doc_id}:{hit.order}:{hit.rank}", icon=":material/article:",
              on_click=state.on_document, args=(hit.doc_id, hit.order))


def document_view(engine: SearchBackend, search: SearchState) -> None:
    """The whole document (``&doc=…&p=…``), the passage marked and brought into view; a link to it survives a reload."""
    doc_id, order = search.document
    back = "返回相似段落" if search.similar else "返回检索结果" if search.query else "返回首页"
    st.button(back, key="doc:back", on_click=state.on_document, args=(None,), icon=":material/arrow_back:")
    document = engine.document(doc_id)
    if document is None:
        st.warning(f"找不到文档「{md(doc_id)}」：它可能已从索引中删除。")
        return
    passages = engine.passages(doc_id, search.query, around=order)
    meta = " · ".join(esc(part) for part in (place_label(document), when(document), document.get("source")) if part)
    markup(f'<div class="hit-title">{esc(document.get("title"))}</div><div class="hit-meta">{meta}</div>')
    shown = next((p for p in passages if p.is_hit), None)
    st.caption(f"全文 {len(passages)} 个段落" + ("；所选段落以蓝色标出，已滚动到视野中。" if shown else "。"))
    markup(f'<div class="doc-page">{context_html(passages)}</div>')
    if shown:
        scroll_into_view(".doc-page .ctx-hit", "center", f"{doc_id}:{order}")


def context_html(passages: list[ContextPassage]) -> str:
    parts, last_section = [], None
    for p in passages:
        section = " › ".join(p.section)
        head = f'<div class="ctx-section">{esc(section)}</div>' if section and section != last_section else ""
        last_section = section
        label = '<div class="ctx-label">▶ 命中段落</div>' if p.is_hit else ""
        css = "ctx ctx-hit" if p.is_hit else "ctx"
        parts.append(f'<div class="{css}">{head}{label}<div class="ctx-passage">{_lines(p.highlight)}</div></div>')
    return "".join(parts)


def _lines(escaped_html: str) -> str:
    # A blank line would end the HTML block and hand the rest to Markdown.
    return escaped_html.replace("\r", "").replace("\n", "<br>")
