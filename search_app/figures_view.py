"""The 数字 and 历年 tabs: the figures the matching passages state, and how often each year speaks of the query.

Both are drawn only when their tab is open (the engine computes them only when
asked), and the open tab is in the address (``?view=数字``) like the rest of a search.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from indexer.api import FigureRow, SearchBackend
from search_app.chart import FONT
from search_app.cards import context_html
from search_app.escaping import esc, markup, md
from search_app.state import SearchState

PASSAGES_TAB, FIGURES_TAB, YEARS_TAB = "段落", "数字", "历年"
VIEW_KEY = "view"
ALL_MEASURES = "（全部）"
BY_PLACE, BY_YEAR = "按地区", "按年份"
TABLE_KEY = "figures_table"

# Table columns: (FigureRow field or derived, heading), in the order shown and written to CSV.
COLUMNS = {
    "measure": "指标", "figure": "数字", "value": "数值", "unit": "单位", "rate": "计量周期", "change": "增减幅",
    "place": "地区", "level": "级别", "year": "年份", "phrase": "所在语句", "title": "文件", "date": "日期",
    "section": "章节", "doc_id": "文档编号", "order": "段落序号", "passage": "段落原文",
}
# Place, figure and year first: on a phone the first columns are all a reader sees without scrolling sideways.
SHOWN = ["place", "figure", "year", "measure", "rate", "value", "unit", "level", "phrase", "title"]


def tabs():
    """The three tabs above a search's results; each has ``.open``."""
    return st.tabs([PASSAGES_TAB, FIGURES_TAB, YEARS_TAB], key=VIEW_KEY, bind="query-params")


# -- figures ------------------------------------------------------------------------


def figures_panel(engine: SearchBackend, search: SearchState) -> None:
    response = engine.figures(search.query, **_filters(search))
    if not response.figures:
        st.info("匹配段落中，检索词附近没有带单位的数字。", icon=":material/info:")
        return
    rows = response.figures
    frame = figures_frame(rows)
    more = "（已达上限，只读了排在前面的段落）" if response.truncated else ""
    st.caption(f"在 {response.passages_read:,} 个匹配段落中，检索词附近共有 **{len(rows):,}** 个数字{more}。"
               "数值已换算（1.2万 → 12000，三千 → 3000）；年份、日期、序号不算数字。")
    sizes = frame.groupby("group", sort=False).agg(count=("group", "size"), changes=("change", lambda c: (c == "是").all()))
    # Levels (标准 1045元) before changes (提高40%) when they are several, then the larger groups first.
    sizes["order"] = [(group.startswith("未识别"), changes or count < 3, -count)
                      for group, count, changes in zip(sizes.index, sizes["count"], sizes["changes"])]
    groups = sizes.sort_values("order", kind="stable").index.tolist()
    chosen = st.selectbox("指标", [*groups, ALL_MEASURES], key="figures_measure",
                          format_func=lambda g: g if g == ALL_MEASURES else f"{g}（{sizes['count'][g]} 个）")
    shown = frame if chosen == ALL_MEASURES else frame[frame["group"] == chosen]
    if chosen != ALL_MEASURES:
        measure_chart(shown, chosen)
    st.markdown("**数字一览** · 点表头排序，点选一行查看段落")
    table = shown.sort_values(["group", "value"], ascending=[True, False], kind="stable")
    selection = st.dataframe(
        table[SHOWN].rename(columns=COLUMNS), hide_index=True, key=TABLE_KEY, on_select="rerun",
        selection_mode="single-row", width="stretch",
        column_config={COLUMNS["value"]: st.column_config.NumberColumn(format="%g"),
                       COLUMNS["year"]: st.column_config.NumberColumn(format="%d"),
                       COLUMNS["phrase"]: st.column_config.TextColumn(width="large")},
    )
    st.download_button("下载 CSV（含段落原文与出处）", data=csv_bytes(table), file_name=f"数字-{search.query}.csv",
                       mime="text/csv", icon=":material/download:", key="figures_csv", on_click="ignore")
    picked = selection.selection.rows if selection else []
    if picked:
        passage_card(engine, table.iloc[picked[0]], search.query)


def figures_frame(rows: list[FigureRow]) -> pd.DataFrame:
    """The rows as a table, each with its group: what it measures and in what unit (低保标准 · 每人每月元)."""
    frame = pd.DataFrame([row.to_dict() for row in rows])
    frame["section"] = frame["section"].map(" › ".join)
    frame["change"] = frame["change"].map({True: "是", False: ""})
    frame["group"] = [group_label(row) for row in rows]
    return frame[[*COLUMNS, "group"]]


def group_label(row: FigureRow) -> str:
    """低保标准 · 元/月: the measure and the unit it is stated in, so one group's numbers compare.

    每人每月 and 每月 (or /月) state the same period, so they share a group.
    """
    period = next((f"/{p}" for p in ("季度", "年", "月", "日", "天", "周") if row.rate.endswith(p)), "")
    label = f"{row.measure or '未识别'} · {row.unit or '数量'}{period}"
    return label + ("（增减）" if row.change else "")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The table as CSV with Chinese headings, BOM first so spreadsheet programs read it as UTF-8."""
    return frame.rename(columns=COLUMNS).to_csv(index=False).encode("utf-8-sig")


def measure_chart(frame: pd.DataFrame, group: str) -> None:
    """One measure (in one unit) across places or years."""
    same = frame.copy()
    label = group.split(" · ", 1)[-1]
    axis = st.segmented_control("比较", [BY_PLACE, BY_YEAR], default=BY_PLACE, key="figures_axis",
                                label_visibility="collapsed") or BY_PLACE
    same["年份"] = same["year"].map(lambda y: str(int(y)) if pd.notna(y) else "未注明")
    same["地区"] = same["place"]
    tooltip = ["地区:N", "年份:N", alt.Tooltip("figure:N", title="数字"), alt.Tooltip("phrase:N", title="所在语句")]
    if axis == BY_PLACE:  # a row per place, a dot per figure (城市 and 农村 both), the highest place first
        chart = alt.Chart(same).mark_circle(size=110, opacity=0.85).encode(
            y=alt.Y("地区:N", sort=alt.EncodingSortField("value", op="max", order="descending"), title=None),
            x=alt.X("value:Q", title=label), color=alt.Color("年份:N", title="年份"), tooltip=tooltip,
        ).properties(height=alt.Step(26))
    else:
        chart = alt.Chart(same).mark_line(point=True).encode(
            x=alt.X("年份:O", title=None, axis=alt.Axis(labelAngle=0)), y=alt.Y("value:Q", title=label),
            color=alt.Color("地区:N", title="地区"), tooltip=tooltip).properties(height=300)
    st.altair_chart(chart.configure(font=FONT), width="stretch")
    st.caption("每个点是一个数字（同一地区常有城市、农村两个标准）；点图中的点可看原句，点选下表一行看段落。")


def passage_card(engine: SearchBackend, row, query: str) -> None:
    """The picked figure's passage with its neighbours, as on the results' cards."""
    with st.container(border=True):
        meta = " · ".join(esc(part) for part in (row["place"], row["date"]) if part)
        markup(f'<div class="hit-title">{esc(row["title"])}</div><div class="hit-meta">{meta}</div>'
               f'<div class="hit-section">{esc(row["section"])}</div>')
        passages = engine.passages(row["doc_id"], query, around=int(row["order"]), window=1)
        markup(f"<div>{context_html(passages)}</div>")


# -- years --------------------------------------------------------------------------


def years_panel(engine: SearchBackend, search: SearchState) -> None:
    rows = engine.year_counts(search.query, **_filters(search))
    if not rows:
        st.info("所选范围内的文档都没有注明年份。", icon=":material/info:")
        return
    st.markdown(f"**各年份文档提到「{md(search.query)}」的频度**（每千个段落中的匹配段落数）")
    data = pd.DataFrame(rows).rename(columns={"year": "年份", "matching": "匹配段落", "passages": "段落总数",
                                              "per_thousand": "每千段落"})
    data["from"], data["to"] = data["年份"] - 0.4, data["年份"] + 0.4  # a year's bar, gaps where no documents
    earliest, latest = int(data["年份"].min()), int(data["年份"].max())
    x = alt.X("from:Q", title=None, axis=alt.Axis(format="d", tickMinStep=1),
              scale=alt.Scale(domain=[earliest - 1, latest + 1], nice=False, zero=False))
    tooltip = ["年份:Q", "匹配段落:Q", "段落总数:Q", "每千段落:Q"]
    bars = alt.Chart(data).mark_bar(color="#2f6f9f").encode(x=x, x2="to:Q", y=alt.Y("每千段落:Q", title="每千段落"),
                                                            y2=alt.datum(0), tooltip=tooltip)
    # Years whose documents never speak of it: a grey mark on the axis, so "not spoken of" differs from "no documents".
    silent = alt.Chart(data[data["匹配段落"] == 0]).mark_tick(color="#9aa3ad", thickness=2, size=8).encode(
        x=alt.X("年份:Q"), y=alt.datum(0), tooltip=tooltip)
    chart = alt.layer(bars, silent)
    st.altair_chart(chart.properties(height=300).configure(font=FONT), width="stretch")
    spoken = [row for row in rows if row["matching"]]
    first = f"最早见于 {spoken[0]['year']} 年的文档；" if spoken else ""
    st.caption(f"{first}所选范围内 {len(rows)} 个年份有文档，其中 {len(spoken)} 个年份提到；灰色短线是有文档但没有提到的年份，空白是没有文档的年份。"
               "柱高 = 该年匹配段落数 ÷ 该年全部段落数 × 1000（各年文档多少不一，故按千段落折算），点柱子可看段落数。")


def _filters(search: SearchState) -> dict:
    return search.engine_filters()
