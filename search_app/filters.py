"""The sidebar's filters: 地区 as a hierarchy (全国, provinces, the chosen province's cities), 年份 as a
range with decades, 文件类型; every choice goes through :mod:`search_app.state` into the URL."""

from __future__ import annotations

import streamlit as st

from indexer.api import NATIONAL, SearchResponse
from search_app import state
from search_app.state import SearchState
from search_app.escaping import md

FACET_TITLES = {"doc_type": "文件类型"}
NATIONAL_LABEL = "全国（国家层面文件）"
SHOWN_PROVINCES = 8
SYNTAX_HELP = """\
- 空格分开的词须同时出现：`养老 青岛`
- 引号内为精确短语：`"城市低保"`
- 减号排除：`养老 -殡葬`
- `OR` 表示任选其一：`婚姻登记 OR 殡葬`
- 简体、繁体通查，结果保留原文字形。
"""


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
    shown, more = _listed_provinces(buckets, search)
    opened = expanded_province(search, buckets)
    for bucket in shown:
        facet_checkbox("province", bucket, NATIONAL_LABEL if bucket["value"] == NATIONAL else None)
        if bucket["value"] == opened and cities:
            with st.container(key="cities-of-province", gap=None):
                for city in cities:
                    facet_checkbox("city", city)
    if cities and not opened:
        _ticked_cities(cities, search)
    if more:
        with st.expander(f"更多省份（{len(more)} 个）"):
            for bucket in more:
                facet_checkbox("province", bucket)
    if len(search.provinces) > 1:
        st.caption("只勾选一个省份时，可再按其城市筛选。")


def _listed_provinces(buckets: list[dict], search: SearchState) -> tuple[list[dict], list[dict]]:
    """The buckets shown (全国, the ticked provinces, then the most matched up to ``SHOWN_PROVINCES``) and
    the rest, for 「更多省份」."""
    national = [b for b in buckets if b["value"] == NATIONAL]
    others = [b for b in buckets if b["value"] != NATIONAL]
    ticked = [b for b in others if b["value"] in search.provinces]
    rest = [b for b in others if b["value"] not in search.provinces]
    room = max(0, SHOWN_PROVINCES - len(national) - len(ticked))
    return national + ticked + rest[:room], rest[room:]


def _ticked_cities(cities: list[dict], search: SearchState) -> None:
    """Cities ticked from a link (or under several provinces): listed on their own so they can be unticked."""
    ticked = [c for c in cities if c["value"] in search.cities]
    if ticked:
        st.caption("城市")
        for city in ticked:
            facet_checkbox("city", city)


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
    if len(options) > 1:
        _year_slider(search, options)
    st.caption(years_label(search) if search.has_years else f"全部年份（{options[0]}–{options[-1]}）")
    decades = sorted(response.facets.get("decade", []), key=lambda b: b["value"])
    if decades:
        _decade_pills(search, {b["value"]: b["count"] for b in decades})
    if search.has_years:
        st.button("不限年份", key="years:clear", on_click=state.on_years_cleared, type="tertiary",
                  icon=":material/close:")


def _year_slider(search: SearchState, options: list[int]) -> None:
    low = search.year_from or options[0]
    high = search.year_to or options[-1]
    wanted = (max(low, options[0]), min(high, options[-1]))
    if st.session_state.get(state.YEARS_KEY) != wanted:
        st.session_state[state.YEARS_KEY] = wanted
    # The default is a range, so the slider is a range slider (its value is set from the URL above).
    st.select_slider("年份范围", options=options, value=(options[0], options[-1]), key=state.YEARS_KEY,
                     on_change=state.on_years, args=(options,), label_visibility="collapsed")


def _decade_pills(search: SearchState, counts: dict[int, int]) -> None:
    """One pill per decade with its count; the pill of the chosen decade (a range of exactly its ten years) on."""
    picked = search.year_from if search.year_from and search.year_to == search.year_from + 9 else None
    picked = picked if picked in counts else None
    if st.session_state.get(state.DECADE_KEY) != picked:
        st.session_state[state.DECADE_KEY] = picked
    st.pills("年代", list(counts), key=state.DECADE_KEY, on_change=state.on_decade, label_visibility="collapsed",
             format_func=lambda decade: f"{decade}年代 {counts.get(decade, 0)}")


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
