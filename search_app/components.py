"""What the page is made of: the search box, result cards, context, the whole document and the page's states.

Document text reaches the page only through :mod:`search_app.escaping`; the filters are :mod:`search_app.filters`.
"""

from __future__ import annotations

import json
import math
from functools import partial

import streamlit as st

from indexer.api import NATIONAL, SearchBackend, SearchResponse, describe_query, plain_date
from search_app import chart, filters, state
from search_app.escaping import esc, markup, md
from search_app.state import PAGE_SIZE, SearchState

# Provinces shown at once in the 地区 section (全国 and the ticked ones besides); the rest behind 「更多省份」.
EXAMPLES = ["低保", "养老服务", "儿童福利", "“城市低保”", "養老服務", "养老 -殡葬", "婚姻登记 OR 殡葬"]

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
    if (filters) {  // the sidebar's own open button, once it is drawn (a busy page draws it late)
      const open = () => {
        const button = document.querySelector('[data-testid="stExpandSidebarButton"]');
        if (button) button.click();
        return Boolean(button);
      };
      let tries = 0;
      if (!open()) {
        const timer = setInterval(() => { if (open() || ++tries >= 30) clearInterval(timer); }, 100);
      }
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
        st.markdown(filters.SYNTAX_HELP)


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
    chosen = filters.filters_in_force(search)
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
