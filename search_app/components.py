"""What the page is made of: the search box, facets, result cards, context, and the page's states.

Only two kinds of text reach ``unsafe_allow_html``: the engine's ``highlight``
(escaped by the engine, with ``<mark>`` added) and strings passed through
:func:`esc` here. Everything else goes through Streamlit's own text widgets.
"""

from __future__ import annotations

import html
import json
import math
import re
from functools import partial

import streamlit as st

from indexer.api import (MAX_LIMIT, NATIONAL, ContextPassage, Hit, SearchBackend, SearchResponse, SimilarResponse,
                         describe_query, plain_date)
from search_app import chart, selection, state
from search_app.state import PAGE_SIZE, SearchState

FACET_TITLES = {"doc_type": "文件类型"}
NATIONAL_LABEL = "全国（国家层面文件）"
# Provinces shown at once in the 地区 section (全国 and the ticked ones besides); the rest behind 「更多省份」.
SHOWN_PROVINCES = 8
EXAMPLES = ["低保", "养老服务", "儿童福利", "“城市低保”", "養老服務", "养老 -殡葬", "婚姻登记 OR 殡葬"]
SYNTAX_HELP = """\
- 空格分开的词须同时出现：`养老 青岛`
- 引号内为精确短语：`"城市低保"`
- 减号排除：`养老 -殡葬`
- `OR` 表示任选其一：`婚姻登记 OR 殡葬`
- 简体、繁体通查，结果保留原文字形。
"""

CSS = """
<style>
.hit-title {font-size: 1.12rem; font-weight: 600; line-height: 1.5; margin-bottom: .15rem;}
.hit-rank {display: inline-block; min-width: 1.6rem; color: #8a94a6; font-weight: 500;}
.hit-meta {color: #5b6576; font-size: .9rem; margin-bottom: .2rem;}
.hit-tag {border: 1px solid #c9d3e3; border-radius: .6rem; padding: 0 .45rem; margin-left: .4rem; font-size: .8rem; color: #4a5a75; white-space: nowrap; display: inline-block;}
.hit-section {color: #2f6f9f; font-size: .88rem; margin-bottom: .45rem;}
.hit-passage, .ctx-passage {line-height: 1.85; overflow-wrap: anywhere; word-break: break-word;}
.hit-passage mark, .ctx-passage mark {background: #ffe58a; color: inherit; padding: 0 .08rem; border-radius: .15rem;}
.ctx {padding: .35rem .7rem; margin: .25rem 0; border-left: 3px solid transparent;}
.ctx-hit {background: #f3f8ff; border-left-color: #2f6f9f; scroll-initial-target: nearest;}
.ctx-section {color: #2f6f9f; font-size: .82rem;}
.ctx-label {color: #2f6f9f; font-size: .78rem; font-weight: 600;}
.doc-page {max-width: 56rem;}
.doc-page .ctx {scroll-margin-top: 4.5rem;}
.summary {color: #44516a; margin: .2rem 0 .6rem 0;}
.summary-filters {font-size: .88rem; color: #2f6f9f; margin-top: .15rem;}
.hit {scroll-margin-top: 4.5rem;}
.hit-body {display: flex; gap: .75rem; align-items: flex-start;}
.hit-body .hit-passage, .hit-body .ctx-passage {flex: 1 1 auto; min-width: 0;}
.copy-btn {flex: none; border: 1px solid #c9d3e3; background: #fff; color: #2f6f9f; border-radius: .5rem;
  padding: .15rem .65rem; font-size: .85rem; line-height: 1.6; cursor: pointer; white-space: nowrap;}
.copy-btn:hover, .copy-btn:focus-visible {background: #f3f8ff; border-color: #2f6f9f;}
.ref-text {font-size: .88rem; line-height: 1.6; color: #44516a; margin-bottom: .5rem; overflow-wrap: anywhere;}
.filters-btn {display: none;}
/* The cities of the chosen province, nested under it. */
[class*="st-key-cities-of"] {margin-left: 1.3rem; padding-left: .5rem; border-left: 2px solid #dbe3ef;}
.more-passages .ctx {border-left-color: #dbe3ef;}
@media (max-width: 640px) {
  .hit-body {flex-direction: column; gap: .3rem;}
  .copy-btn {align-self: flex-end;}
  .filters-btn {display: inline-block; margin-left: .5rem;}
  /* A phone shows the first result above the fold: a smaller title, less space above it. */
  [data-testid="stMainBlockContainer"] {padding-top: 3.5rem;}
  [data-testid="stMain"] h1 {font-size: 1.9rem; padding-top: .25rem;}
}
</style>
"""

# One click listener for every copy button on the page (attached once per page, whatever reruns draw).
# The clipboard API needs a secure context (https or localhost); elsewhere the old execCommand path copies.
COPY_SCRIPT = """
<script>
if (!window.policySearchCopy) {
  window.policySearchCopy = true;
  document.addEventListener("click", async (event) => {
    const filters = event.target.closest && event.target.closest(".filters-btn");
    if (filters) {
      const open = document.querySelector('[data-testid="stExpandSidebarButton"]');
      if (open) open.click();
      return;
    }
    const button = event.target.closest && event.target.closest(".copy-btn");
    if (!button) return;
    const text = button.dataset.copy || "";
    let copied = false;
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch (error) {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try { copied = document.execCommand("copy"); } catch (ignored) {}
      area.remove();
    }
    button.dataset.label = button.dataset.label || button.textContent;
    button.textContent = copied ? "已复制" : "未能复制，请选中文字后复制";
    clearTimeout(button.policySearchTimer);
    button.policySearchTimer = setTimeout(() => { button.textContent = button.dataset.label; }, 1800);
  });
}
</script>
"""


def esc(value) -> str:
    """Text for HTML inside Markdown: markup escaped, and on one line.

    A line break in a title or a place could end the HTML block it sits in (a
    blank line does), and Markdown would then act on the rest: links, images a
    browser fetches, formulas. Every run of white space holding a line break is
    one space here, so a value never leaves its element.
    """
    return html.escape(_one_line(value), quote=True)


def md(value) -> str:
    """Text for Markdown (labels, captions, notices): on one line, every character Markdown acts on escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~<>$:&=@%^\"'])", r"\\\1", _one_line(value))


def html_block(text: str) -> str:
    """A block for ``st.markdown(..., unsafe_allow_html=True)``: no line break at all, so it is one HTML block."""
    return re.sub(r"[\r\n]+", " ", text)


def markup(html_text: str) -> None:
    """Draw escaped HTML (see the module's note) as one HTML block, never as Markdown."""
    st.markdown(html_block(html_text), unsafe_allow_html=True)


def _one_line(value) -> str:
    return re.sub(r"\s*[\r\n\u2028\u2029\x0b\x0c\x85]\s*", " ", str(value if value is not None else ""))


def when(item) -> str:
    """A hit's or a document record's date as a reader should take it (the engine's wording):
    the date, marked 推定 when the date is a guess, else the year alone."""
    fields = item if isinstance(item, dict) else vars(item)
    return plain_date({key: fields.get(key) for key in ("date", "year", "date_estimated")})


def year_label(year) -> str:
    return f"{year} 年" if year else "年份未注明"


def place_label(item) -> str:
    """Where a hit's or a document record's document speaks for: its city, else its province, else 全国."""
    fields = item if isinstance(item, dict) else vars(item)
    return fields.get("city") or fields.get("province") or (NATIONAL if fields.get("level") == NATIONAL else "")


def inject_css() -> None:
    st.html(CSS)
    st.html(COPY_SCRIPT, unsafe_allow_javascript=True)


def run_script(body: str, nonce) -> None:
    """Run ``body`` once in the page (the nonce makes a new element, so a repeated request runs again)."""
    st.html(f"<script>/* {esc(nonce)} */ {body}</script>", unsafe_allow_javascript=True)


def scroll_into_view(selector: str, block: str, nonce) -> None:
    """Bring the first element matching ``selector`` into view once it is drawn (``block``: start or center).

    A busy server can draw the element many seconds after the page (re)loads, so it is looked for during
    a minute — unless the reader scrolls, taps or types first: then where they are is where they stay.
    """
    run_script(
        f"""(() => {{
          const deadline = Date.now() + 60000;
          let reader = false;
          for (const kind of ["wheel", "touchstart", "keydown"])
            window.addEventListener(kind, () => {{ reader = true; }}, {{once: true, passive: true}});
          const go = () => {{
            if (reader) return;
            const element = document.querySelector({json.dumps(selector)});
            if (element) {{ element.scrollIntoView({{block: {json.dumps(block)}}}); return; }}
            if (Date.now() < deadline) setTimeout(go, 100);
          }};
          go();
        }})();""", nonce)


def scroll_to_rank(rank: int, nonce) -> None:
    """Bring the card ranked ``rank`` to the top of the view (after a page change: the new page's first result)."""
    scroll_into_view(f'.hit[data-rank="{int(rank)}"]', "start", nonce)


def close_sidebar_on_phones(nonce) -> None:
    """After a filter is chosen on a narrow screen, fold the sidebar away so the results show."""
    run_script(
        """(() => {
          if (window.innerWidth > 640) return;
          const sidebar = document.querySelector('[data-testid="stSidebar"]');
          if (!sidebar || sidebar.dataset.collapsed !== "false") return;
          const button = sidebar.querySelector('[data-testid="stSidebarCollapseButton"] button');
          if (button) button.click();
        })();""", nonce)


def header() -> None:
    st.title("民政政策检索")
    st.caption("低保、特困、养老服务、儿童福利、残疾人、社会组织、慈善、殡葬、婚姻登记……政策、规划与报道全文检索，简繁通查。")


def search_box() -> None:
    st.text_input(
        "检索词", key=state.QUERY_KEY, on_change=state.on_query_submitted,
        placeholder="输入检索词后按回车，例如：低保 青岛", label_visibility="collapsed", icon=":material/search:",
        max_chars=state.MAX_QUERY_CHARS,
    )


# -- states without results -----------------------------------------------------


def index_missing(error: Exception) -> None:
    st.error(
        "**还没有可用的索引。** 请在项目目录中运行下面的命令建立索引，然后刷新本页：\n\n"
        "```\npolicy-search index\n```\n\n"
        "（或直接运行 `make run`，它会在缺少索引时自动建立。）"
    )
    st.caption(f"详细信息：{md(error)}")


def query_error(error: Exception) -> None:
    st.error(f"检索式有误：{md(error)}")
    with st.expander("检索语法", expanded=True):
        st.markdown(SYNTAX_HELP)


def overview(engine: SearchBackend) -> None:
    """The page before any search: what the collection holds, and searches to start from."""
    facts = engine.overview()
    st.subheader("从这些检索开始")
    example_buttons()
    st.subheader("馆藏概览")
    cols = st.columns(4)
    cols[0].metric("文档", f"{facts['documents']:,} 篇")
    cols[1].metric("段落", f"{facts['passages']:,} 个")
    cols[2].metric("字数", f"{facts['characters']:,}")
    provinces = [b for b in facts["facets"].get("province", []) if b["value"] != NATIONAL]
    cities = facts["facets"].get("city", [])
    cols[3].metric("地区", f"{len(provinces)} 省" + (f" {len(cities)} 市" if cities else ""))
    documents = engine.documents()
    left, right = st.columns([1, 1.3], gap="large")
    with left:
        region_charts(engine.document_region_year_counts(), "文档数", "省份")
    with right:
        st.markdown("**最新文档**")
        newest = sorted(documents, key=lambda d: str(d.get("date") or ""), reverse=True)[:8]
        rows = "".join(
            f'<div class="hit-meta"><b>{esc(d.get("title"))}</b><br>{esc(place_label(d) or "—")} · '
            f'{esc(when(d) or "日期未注明")} · {esc(d.get("doc_type") or "")}</div>'
            for d in newest
        )
        markup(f"<div>{rows}</div>")
    if facts.get("built_at"):
        st.caption(f"索引建立于 {md(facts['built_at'])}")


def example_buttons() -> None:
    with st.container(horizontal=True):
        for example in EXAMPLES:
            st.button(example, key=f"example:{example}", on_click=state.on_example, args=(example,))


def no_results(engine: SearchBackend, search: SearchState, response: SearchResponse) -> None:
    """Say why nothing was found and what to try next."""
    st.warning(f"没有找到与「{md(search.query)}」匹配的段落。")
    notices(response)
    tips = []
    if search.has_filters:
        unfiltered = engine.search(search.query, limit=0, exact=search.exact).total
        if unfiltered:
            tips.append(f"当前筛选条件下没有结果；去掉筛选共有 **{unfiltered}** 个段落。")
        else:
            tips.append("去掉筛选条件也没有结果。")
    shape = describe_query(search.query)  # as the engine reads the query
    if shape and shape.required > 1:
        tips.append("减少检索词：空格分开的词必须同时出现，试着只保留最重要的一两个。")
    if shape and shape.phrases:
        tips.append("去掉引号：引号要求整个短语原样出现。")
    if shape and shape.excluded:
        tips.append("检查排除词（以 - 开头的词）是否排除了太多内容。")
    if search.exact:
        tips.append("打开同义词扩展，也搜索“低保”“最低生活保障”这类同义说法。")
    tips.append("换一种写法：简体或繁体、全称或简称（如“低保”与“最低生活保障”）、更短的词。")
    st.markdown("\n".join(f"- {tip}" for tip in tips))
    with st.container(horizontal=True):
        if search.has_filters:
            st.button("清除全部筛选", key="clear_filters_empty", on_click=state.on_clear_filters, type="primary")
        if search.exact:
            st.button("使用同义词扩展", key="exact_off_empty", on_click=state.on_exact, args=(False,))


# -- facets ---------------------------------------------------------------------------


def facets_sidebar(response: SearchResponse, search: SearchState, provinces: list[dict] | None = None) -> None:
    """The filters: 地区 (全国 and provinces, the chosen province's cities nested under it), 年份 (a range
    and decades), 文件类型. ``provinces``: the province buckets to list when they differ from the
    response's (with cities ticked, the counts of the provinces as if none were)."""
    with st.sidebar:
        st.header("筛选")
        if search.has_filters:
            st.button("清除全部筛选", key="clear_filters", on_click=state.on_clear_filters, icon=":material/filter_alt_off:")
        region_facet(response, search, response.facets.get("province", []) if provinces is None else provinces)
        year_facet(response, search)
        for facet, title in FACET_TITLES.items():
            buckets = _with_selected(response.facets.get(facet, []), search.selections()[facet])
            if not buckets:
                continue
            st.subheader(title)
            for bucket in buckets:
                facet_checkbox(facet, bucket)
        st.caption("数字为各项下的匹配段落数；同一类可多选。")
        syntax_help()


def facet_checkbox(facet: str, bucket: dict, label: str | None = None) -> None:
    value = bucket["value"]
    st.checkbox(f"{md(label or value or '未注明')} :gray[{bucket['count']}]", key=state.facet_key(facet, value),
                on_change=state.on_facet_toggled, args=(facet, value))


def region_facet(response: SearchResponse, search: SearchState, provinces: list[dict]) -> None:
    """全国 and the provinces (by matches), the chosen province's cities nested under it; the provinces
    past the first few behind 「更多省份」."""
    buckets = _with_selected(provinces, search.provinces)
    cities = _with_selected(response.facets.get("city", []), search.cities)
    if not buckets and not cities:
        return
    st.subheader("地区")
    national = [b for b in buckets if b["value"] == NATIONAL]
    others = [b for b in buckets if b["value"] != NATIONAL]
    ticked = [b for b in others if b["value"] in search.provinces]
    rest = [b for b in others if b["value"] not in search.provinces]
    room = max(0, SHOWN_PROVINCES - len(national) - len(ticked))
    shown, more = ticked + rest[:room], rest[room:]
    opened = expanded_province(search, buckets)
    for bucket in national + shown:
        facet_checkbox("province", bucket, NATIONAL_LABEL if bucket["value"] == NATIONAL else None)
        if bucket["value"] == opened and cities:
            with st.container(key="cities-of-province", gap=None):
                for city in cities:
                    facet_checkbox("city", city)
    if cities and not opened:  # cities ticked from a link (or several provinces): listed so they can be unticked
        ticked_cities = [c for c in cities if c["value"] in search.cities]
        if ticked_cities:
            st.caption("城市")
            for city in ticked_cities:
                facet_checkbox("city", city)
    if more:
        with st.expander(f"更多省份（{len(more)} 个）"):
            for bucket in more:
                facet_checkbox("province", bucket)
    if len(search.provinces) > 1:
        st.caption("只勾选一个省份时，可再按其城市筛选。")


def years_label(search: SearchState) -> str:
    """The chosen year range as a reader says it: 2021–2029 年, 2025 年, 2021 年起, 至 1999 年."""
    low, high = search.year_from, search.year_to
    if low and high:
        return f"{low}–{high} 年" if low != high else f"{low} 年"
    return f"{low} 年起" if low else f"至 {high} 年" if high else ""


def filters_in_force(search: SearchState) -> str:
    """The filters chosen, on one line: 山东省 › 青岛 · 2021–2029 年 · 政策文件."""
    places = "、".join(NATIONAL_LABEL if p == NATIONAL else p for p in search.provinces)
    if search.cities:
        places = f"{places} › {'、'.join(search.cities)}" if places else "、".join(search.cities)
    return " · ".join(part for part in (places, years_label(search), "、".join(search.doc_types)) if part)


def expanded_province(search: SearchState, provinces: list[dict]) -> str | None:
    """The province whose cities are listed (and charted) under it: the one ticked, else the only one
    with matches; None for 全国 (no cities) or when several are ticked or listed."""
    if search.provinces:
        chosen = search.chosen_province
    else:
        listed = [b["value"] for b in provinces if b["value"] != NATIONAL]
        chosen = listed[0] if len(listed) == 1 else None
    return None if chosen == NATIONAL else chosen


def year_facet(response: SearchResponse, search: SearchState) -> None:
    """A range over the years with matches (a slider) and the decades as pills with their counts."""
    present = sorted(b["value"] for b in response.facets.get("year", []) if b["value"])
    chosen = [y for y in (search.year_from, search.year_to) if y]
    if not present and not chosen:
        return
    st.subheader("年份")
    ends = present + chosen
    options = list(range(min(ends), max(ends) + 1))
    low = search.year_from or options[0]
    high = search.year_to or options[-1]
    if len(options) > 1:
        wanted = (max(low, options[0]), min(high, options[-1]))
        if st.session_state.get(state.YEARS_KEY) != wanted:
            st.session_state[state.YEARS_KEY] = wanted
        # The default is a range, so the slider is a range slider (its value is set from the URL above).
        st.select_slider("年份范围", options=options, value=(options[0], options[-1]), key=state.YEARS_KEY,
                         on_change=state.on_years, args=(options,), label_visibility="collapsed")
    st.caption(years_label(search) if search.has_years else f"全部年份（{options[0]}–{options[-1]}）")
    decades = sorted(response.facets.get("decade", []), key=lambda b: b["value"])
    if decades:
        counts = {b["value"]: b["count"] for b in decades}
        picked = search.year_from if search.year_from and search.year_to == search.year_from + 9 else None
        picked = picked if picked in counts else None
        if st.session_state.get(state.DECADE_KEY) != picked:
            st.session_state[state.DECADE_KEY] = picked
        st.pills("年代", list(counts), key=state.DECADE_KEY, on_change=state.on_decade, label_visibility="collapsed",
                 format_func=lambda decade: f"{decade}年代 {counts.get(decade, 0)}")
    if search.has_years:
        st.button("不限年份", key="years:clear", on_click=state.on_years_cleared, type="tertiary",
                  icon=":material/close:")


def sidebar_hint(with_syntax: bool = True) -> None:
    """The sidebar when there is nothing to filter yet."""
    with st.sidebar:
        st.header("筛选")
        st.caption("输入检索词后，可在这里按地区（全国、省份、城市）、年份和文件类型筛选。")
        if with_syntax:
            syntax_help()


def syntax_help() -> None:
    with st.expander("检索语法"):
        st.markdown(SYNTAX_HELP)


def _with_selected(buckets: list[dict], selected: tuple) -> list[dict]:
    """The engine's buckets, plus any selected value that no longer matches (count 0), so it can be unselected."""
    present = {b["value"] for b in buckets}
    return list(buckets) + [{"value": v, "count": 0, "selected": True} for v in selected if v not in present]


# -- results --------------------------------------------------------------------------


def page_count(total: int, search: SearchState | None = None) -> int:
    """Pages of ten for ``total`` passages; fewer when this search is known to end earlier (reprints folded)."""
    pages = max(1, math.ceil(total / PAGE_SIZE))
    known = state.known_last_page(search) if search else None
    return min(pages, known) if known else pages


def last_page(has_hits, empty: int) -> int:
    """The last page with results, given that page ``empty`` has none and page 1 has some (binary search)."""
    low, high = 1, empty  # has_hits(low) is true, has_hits(high) is false
    while high - low > 1:
        middle = (low + high) // 2
        if has_hits(middle):
            low = middle
        else:
            high = middle
    return low


def summary(response: SearchResponse, search: SearchState) -> None:
    pages = page_count(results_total(response), search)
    text = (f"<b>{response.total:,}</b> 个段落，来自 <b>{response.documents_total:,}</b> 份文件"
            f" · 用时 {response.took_ms:.0f} 毫秒")
    if pages > 1:
        text += f" · 第 {search.page} / {pages} 页"
    if response.relaxed:
        text += " · 含只匹配部分检索词的结果"
    # On a phone the sidebar is folded away: a visible way to open the filters beside the count.
    text += '<button type="button" class="copy-btn filters-btn">筛选</button>'
    chosen = filters_in_force(search)
    if chosen:
        text += f'<div class="summary-filters">筛选：{esc(chosen)}</div>'
    markup(f'<div class="summary">{text}</div>')
    order_controls()
    if response.expansions:
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.caption(f"已同时搜索：{md('、'.join(response.expansions))}", width="content")
            st.button("只搜原词", key="exact_on", on_click=state.on_exact, args=(True,), type="tertiary")
    elif search.exact:
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.caption("只搜索输入的原词（未用同义词扩展）。", width="content")
            st.button("使用同义词", key="exact_off", on_click=state.on_exact, args=(False,), type="tertiary")
    notices(response)


def order_controls() -> None:
    """The order (相关度 / 日期从新到旧) and the grouping (逐段列出 / 按文件归并) of the results."""
    with st.container(horizontal=True, gap="small", key="order-controls"):
        st.segmented_control("排序", list(state.SORTS), key=state.SORT_KEY, on_change=state.on_sort, required=True,
                             format_func=state.SORTS.get, label_visibility="collapsed")
        st.segmented_control("显示", list(state.GROUPS), key=state.GROUP_KEY, on_change=state.on_group, required=True,
                             format_func=state.GROUPS.get, label_visibility="collapsed",
                             help="逐段：每个匹配段落一条结果；按文件：每份文件一条，列出最相关的一段，其余段落可展开。")


def notices(response: SearchResponse) -> None:
    """The engine's notices (a query cut to its limit, an unclosed quote, partial matches added)."""
    for notice in response.notices:
        st.info(md(notice), icon=":material/info:")


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


def result_charts(rows: list[dict], by_city: bool) -> None:
    """Beside the results: where and when the matches are, by province (by city once a province is
    chosen). Clicking a bar filters."""
    bars = region_charts(rows, "段落数", "城市" if by_city else "省份", facet="city" if by_city else "province")
    st.caption("当前结果（含筛选）中的匹配段落数；"
               + ("点一根柱即按该年份或地区筛选，再点筛选栏可取消。" if bars else "格中数字为各地区、各年份的段落数。"))


def region_charts(rows: list[dict], count_title: str, region_title: str, facet: str | None = None) -> bool:
    """A region × year heat map while it is small; past that, counts per year as bars and per region as
    a ranked bar chart (then True). With ``facet`` (province or city), clicking a bar selects that year or region."""
    unknown = chart.PROVINCE_LEVEL if facet == "city" else chart.UNKNOWN_CITY
    if chart.fits_heatmap(rows):
        heatmap = chart.region_year_heatmap(rows, count_title, unknown)
        if heatmap is not None:
            st.markdown(f"**{count_title}：{region_title} × 年份**")
            st.altair_chart(heatmap, width="stretch")
        return False
    picking = {}
    years = chart.year_bars(rows, count_title)
    if years is not None:
        st.markdown(f"**{count_title}：各年份**")
        if facet:
            picking = dict(key="chart:year", selection_mode="pick",
                           on_select=partial(state.on_chart_pick, "chart:year", "year", "年份"))
        st.altair_chart(years, width="stretch", **picking)
    places = chart.place_bars(rows, count_title, unknown)
    if places is not None:
        st.markdown(f"**{count_title}：各{region_title}**（前 {chart.TOP_PLACES} 个）")
        if facet:
            picking = dict(key="chart:region", selection_mode="pick",
                           on_select=partial(state.on_chart_pick, "chart:region", facet, "地区"))
        st.altair_chart(places, width="stretch", **picking)
    return True


def results_total(response: SearchResponse) -> int:
    """What the pages count: passages, or documents when grouped by document."""
    return response.documents_total if response.group == "document" else response.total


def pager(total: int, search: SearchState) -> None:
    pages = page_count(total, search)
    if pages > 1:
        st.pagination(pages, key=state.PAGE_KEY, on_change=state.on_page_changed)


def _lines(escaped_html: str) -> str:
    # A blank line would end the HTML block and hand the rest to Markdown.
    return escaped_html.replace("\r", "").replace("\n", "<br>")
