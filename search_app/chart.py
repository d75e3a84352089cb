"""City × year heat maps: where the matches (or the documents) are, at a glance."""

from __future__ import annotations

from collections import Counter

import altair as alt

UNKNOWN_YEAR = "未注明"
UNKNOWN_CITY = "未注明"
FONT = "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Zen Hei, PingFang SC, Microsoft YaHei, sans-serif"


def city_year_heatmap(rows: list[dict], count_title: str) -> alt.Chart | None:
    """A heat map of ``rows`` (``{"city", "year", "count"}``) with each cell's count written in it."""
    data = [{"城市": row.get("city") or UNKNOWN_CITY, "年份": str(row.get("year") or UNKNOWN_YEAR), count_title: row["count"]}
            for row in rows if row.get("count")]
    if not data:
        return None
    cities = [city for city, _ in _totals(data, "城市", count_title).most_common()]
    years = sorted({d["年份"] for d in data})
    base = alt.Chart(alt.Data(values=data)).encode(
        x=alt.X("年份:O", sort=years, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("城市:N", sort=cities, title=None),
    )
    cells = base.mark_rect(cornerRadius=3).encode(
        color=alt.Color(f"{count_title}:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=["城市:N", "年份:O", f"{count_title}:Q"],
    )
    peak = max(d[count_title] for d in data)
    labels = base.mark_text(fontSize=13).encode(
        text=f"{count_title}:Q",
        color=alt.condition(alt.datum[count_title] > peak / 2, alt.value("white"), alt.value("#1f2d3d")),
    )
    return (cells + labels).properties(height=max(90, 44 * len(cities))).configure(font=FONT).configure_view(stroke=None)


def documents_by_city_year(documents: list[dict]) -> list[dict]:
    """Documents tallied by city and year, in the shape :func:`city_year_heatmap` draws."""
    counts = Counter((doc.get("city") or "", doc.get("year") or "") for doc in documents)
    return [{"city": city, "year": year, "count": count} for (city, year), count in counts.items()]


def _totals(data: list[dict], key: str, count_title: str) -> Counter:
    totals: Counter = Counter()
    for d in data:
        totals[d[key]] += d[count_title]
    return totals
