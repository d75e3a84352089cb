"""Charts of where and when: a region × year heat map while it is small, else bars per year and per region.

Rows are ``{"region", "year", "count"}`` as ``SearchBackend.region_year_counts`` (:mod:`indexer.api`)
returns them (a region is a province, 全国 among them, or a city).
"""

from __future__ import annotations

from collections import Counter

import altair as alt

UNKNOWN_YEAR = "未注明"
UNKNOWN_CITY = "未注明"
# Passages of a province's own documents have no city: under a chosen province they are its 省级文件.
PROVINCE_LEVEL = "省级文件"
UNKNOWN_REGIONS = (UNKNOWN_CITY, PROVINCE_LEVEL)
FONT = "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Zen Hei, PingFang SC, Microsoft YaHei, sans-serif"


def region_year_heatmap(rows: list[dict], count_title: str, unknown: str = UNKNOWN_CITY) -> alt.Chart | None:
    """A heat map of ``rows`` with each cell's count written in it."""
    data = [{"地区": row.get("region") or unknown, "年份": str(row.get("year") or UNKNOWN_YEAR), count_title: row["count"]}
            for row in rows if row.get("count")]
    if not data:
        return None
    regions = [region for region, _ in _totals(data, "地区", count_title).most_common()]
    years = sorted({d["年份"] for d in data})
    base = alt.Chart(alt.Data(values=data)).encode(
        x=alt.X("年份:O", sort=years, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("地区:N", sort=regions, title=None),
    )
    cells = base.mark_rect(cornerRadius=3).encode(
        color=alt.Color(f"{count_title}:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=["地区:N", "年份:O", f"{count_title}:Q"],
    )
    peak = max(d[count_title] for d in data)
    labels = base.mark_text(fontSize=13).encode(
        text=f"{count_title}:Q",
        color=alt.condition(alt.datum[count_title] > peak / 2, alt.value("white"), alt.value("#1f2d3d")),
    )
    return (cells + labels).properties(height=max(90, 44 * len(regions))).configure(font=FONT).configure_view(stroke=None)


def _totals(data: list[dict], key: str, count_title: str) -> Counter:
    totals: Counter = Counter()
    for d in data:
        totals[d[key]] += d[count_title]
    return totals


# A heat map stays legible up to about this many rows and columns; past it, two bar charts.
HEATMAP_MAX_PLACES, HEATMAP_MAX_YEARS = 6, 12
TOP_PLACES = 15


def fits_heatmap(rows: list[dict]) -> bool:
    places = {row.get("region") or UNKNOWN_CITY for row in rows if row.get("count")}
    years = {row.get("year") or UNKNOWN_YEAR for row in rows if row.get("count")}
    return len(places) <= HEATMAP_MAX_PLACES and len(years) <= HEATMAP_MAX_YEARS


def year_bars(rows: list[dict], count_title: str) -> alt.Chart | None:
    """Matches per year as bars on a year axis (labels thinned so 70 years stay readable); a bar can be picked."""
    totals: Counter = Counter()
    for row in rows:
        if row.get("count") and row.get("year"):
            totals[int(row["year"])] += row["count"]
    if not totals:
        return None
    data = [{"年份": year, count_title: count} for year, count in sorted(totals.items())]
    pick = alt.selection_point(name="pick", fields=["年份"], on="click")
    return alt.Chart(alt.Data(values=data)).mark_bar(color="#2f6f9f").encode(
        x=alt.X("年份:O", title=None, axis=alt.Axis(labelAngle=0, labelOverlap=True, labelSeparation=6)),
        y=alt.Y(f"{count_title}:Q", title=None, axis=alt.Axis(tickMinStep=1)),
        opacity=alt.condition(pick, alt.value(1), alt.value(0.55)),
        tooltip=["年份:O", f"{count_title}:Q"],
    ).add_params(pick).properties(height=150).configure(font=FONT).configure_view(stroke=None)


def place_bars(rows: list[dict], count_title: str, unknown: str = UNKNOWN_CITY) -> alt.Chart | None:
    """Matches per region as a ranked bar chart (the largest first, at most 15 rows); a bar can be picked."""
    totals: Counter = Counter()
    for row in rows:
        if row.get("count"):
            totals[row.get("region") or unknown] += row["count"]
    if not totals:
        return None
    ranked = totals.most_common(TOP_PLACES)
    data = [{"地区": place, count_title: count} for place, count in ranked]
    pick = alt.selection_point(name="pick", fields=["地区"], on="click")
    base = alt.Chart(alt.Data(values=data)).encode(
        y=alt.Y("地区:N", sort=[place for place, _ in ranked], title=None),
        x=alt.X(f"{count_title}:Q", title=None, axis=None),
    )
    bars = base.mark_bar(color="#2f6f9f", cornerRadiusEnd=3).encode(
        opacity=alt.condition(pick, alt.value(1), alt.value(0.55)), tooltip=["地区:N", f"{count_title}:Q"],
    ).add_params(pick)
    labels = base.mark_text(align="left", dx=3, fontSize=12, color="#1f2d3d").encode(text=f"{count_title}:Q")
    return (bars + labels).properties(height=alt.Step(22)).configure(font=FONT).configure_view(stroke=None)


def picked(state_value, field: str):
    """The value of ``field`` in the bar the reader clicked (``st.altair_chart(on_select=…)`` state), or None."""
    try:
        points = state_value["selection"]["pick"]
    except (KeyError, TypeError):
        return None
    return points[0].get(field) if points else None
