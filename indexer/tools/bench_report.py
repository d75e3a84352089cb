"""The benchmark's figures: latency percentiles, the targets met or missed, and the Markdown report."""

from __future__ import annotations

import math
import statistics

TARGETS = {
    "index_ratio_min": 1.0,      # build chars/s ÷ jieba-only chars/s
    "query_p95_ms_max": 25.0,    # at 100k passages, facets and highlights included
    "cold_start_s_max": 1.5,
    "peak_memory_mb_max": 1024,  # at 100k passages
}
TARGET_SIZE = 100_000
# The Sphinx backend's targets, at a million passages over two shards.
CLUSTER_TARGETS = {"query_p95_ms_max": 150.0, "cold_start_s_max": 1.5}
CLUSTER_TARGET_SIZE = 1_000_000


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(timings: list[dict]) -> dict:
    def summary(ms: list[float]) -> dict:
        return {"count": len(ms), "p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2),
                "p99_ms": round(percentile(ms, 99), 2), "mean_ms": round(statistics.fmean(ms), 2) if ms else 0.0}

    result = summary([t["ms"] for t in timings])
    cpu = summary([t["cpu_ms"] for t in timings if "cpu_ms" in t])
    result["cpu_p50_ms"], result["cpu_p95_ms"] = cpu["p50_ms"], cpu["p95_ms"]  # unaffected by other processes' load
    result["by_kind"] = {kind: summary([t["ms"] for t in timings if t["kind"] == kind])
                         for kind in dict.fromkeys(t["kind"] for t in timings)}
    result["empty_results"] = sum(1 for t in timings if not t["total"])
    return result


def evaluate_targets(rows: list[dict]) -> dict:
    """Each target against the row it is defined for (100k passages, or the largest size measured)."""
    if not rows:
        return {}
    row = next((r for r in rows if r["passages"] == TARGET_SIZE), max(rows, key=lambda r: r["passages"]))
    ours = row["ours"]
    memory = max(ours["build"]["peak_rss_mb"], ours["search_peak_rss_mb"])
    checks = {
        "index_ratio": (ours["build"]["ratio_to_floor"], ">=", TARGETS["index_ratio_min"]),
        "query_p95_ms": (ours["query"]["p95_ms"], "<=", TARGETS["query_p95_ms_max"]),
        "cold_start_s": (ours["cold_start"]["median_s"], "<=", TARGETS["cold_start_s_max"]),
        "peak_memory_mb": (memory, "<=", TARGETS["peak_memory_mb_max"]),
    }
    result = {"at_passages": row["passages"]}
    for name, (value, op, target) in checks.items():
        met = value >= target if op == ">=" else value <= target
        result[name] = {"value": value, "target": f"{op} {target}", "met": met}
    return result


def evaluate_cluster_targets(rows: list[dict]) -> dict:
    rows = [r for r in rows if "sphinx" in r]
    if not rows:
        return {}
    row = next((r for r in rows if r["passages"] == CLUSTER_TARGET_SIZE), max(rows, key=lambda r: r["passages"]))
    sphinx = row["sphinx"]
    result = {"at_passages": row["passages"]}
    for name, value, target in (("query_p95_ms", sphinx["query"]["p95_ms"], CLUSTER_TARGETS["query_p95_ms_max"]),
                                ("cold_start_s", sphinx["cold_start"]["median_s"], CLUSTER_TARGETS["cold_start_s_max"])):
        result[name] = {"value": value, "target": f"<= {target}", "met": value <= target}
    return result


# -- reporting ----------------------------------------------------------------

def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"Measured {report['finished_at']} on {m['cpu_count']} cores ({m['platform']}, Python {m['python']}, "
        f"Whoosh {m['whoosh']}, jieba {m['jieba']}); corpus sampled from {report['corpus']['documents']} real documents "
        f"({report['corpus']['passages']} passages); query mix of {report['sizes'][0]['queries_per_round'] if report['sizes'] else 0} "
        f"queries × {report['rounds']} rounds after a warm-up round.",
        "",
    ]
    columns = ["ours"] + [name for name in ("baseline", "sphinx") if any(name in r for r in report["sizes"])]
    header = "| passages | | " + " | ".join(columns) + " |"
    lines += [header, "|---|---|" + "---|" * len(columns)]
    for row in report["sizes"]:
        lines += _size_lines(row, columns)
    lines += _target_lines(report.get("targets") or {})
    lines += _target_lines(report.get("cluster_targets") or {}, "Sphinx cluster targets")
    kinds = [r for r in report["sizes"] if r["ours"]["query"].get("by_kind")]
    if kinds:
        lines += _kind_lines(kinds[-1], columns)
    return "\n".join(lines) + "\n"


def _size_lines(row: dict, columns: list[str]) -> list[str]:
    """The table rows of one corpus size: floor, build, query, CPU, cold start, size, memory."""
    def cells(getter):
        return " | ".join(getter(row[c]) if c in row else "—" for c in columns)

    lines = []
    label = f"{row['passages']:,}"
    lines.append(f"| {label} | jieba-only floor (1 process) | "
                 + " | ".join(f"{row['floor']['chars_per_s'] / 1000:,.0f}k chars/s" for _ in columns) + " |")
    lines.append("| | index build | " + cells(lambda c: f"{c['build']['chars_per_s'] / 1000:,.0f}k chars/s "
                                               f"(**{c['build']['ratio_to_floor']:.2f}×** floor, {c['build']['seconds']:.1f} s)") + " |")
    lines.append("| | query p50 / p95 / p99 | " + cells(lambda c: f"{c['query']['p50_ms']:.1f} / **{c['query']['p95_ms']:.1f}** / "
                                                      f"{c['query']['p99_ms']:.1f} ms") + " |")
    lines.append("| | query CPU time p50 / p95 | " + cells(lambda c: f"{c['query']['cpu_p50_ms']:.1f} / "
                                                          f"{c['query']['cpu_p95_ms']:.1f} ms") + " |")
    lines.append("| | build CPU time (all processes) | " + cells(
        lambda c: f"{(c['build']['cpu_s'] or 0) + (c['build']['workers_cpu_s'] or 0):.1f} s") + " |")
    lines.append(f"| | cold start (median of {len(row['ours']['cold_start']['runs_s'])}) | " + cells(lambda c: f"{c['cold_start']['median_s']:.2f} s") + " |")
    lines.append("| | index size | " + cells(lambda c: f"{c['index_mb']:,.0f} MB") + " |")
    lines.append("| | peak memory build / search (RSS) | " + cells(
        lambda c: f"{c['build']['peak_rss_mb']:,.0f} / {c['search_peak_rss_mb']:,.0f} MB") + " |")
    if any("totals" in row[c] for c in columns if c in row):
        lines.append("| | queries whose total equals ours | " + cells(
            lambda c: f"{c['totals']['equal']} of {c['totals']['queries']}" if "totals" in c else "—") + " |")
    if any("daemons_rss_mb" in row[c] for c in columns if c in row):
        lines.append("| | search daemons (RSS) | " + cells(lambda c: ", ".join(
            f"{name} {mb:,.0f} MB" for name, mb in c.get("daemons_rss_mb", {}).items()) or "—") + " |")
    if any("clients" in row[c] for c in columns if c in row):
        lines.append("| | concurrent clients: queries/s, p50 / p95 | " + cells(
            lambda c: f"{c['clients']['clients']}: {c['clients']['queries_per_s']:.1f}/s, {c['clients']['p50_ms']:.0f} / "
                      f"{c['clients']['p95_ms']:.0f} ms" if "clients" in c else "—") + " |")
    return lines


def _target_lines(targets: dict, title: str = "Targets") -> list[str]:
    if not targets:
        return []
    lines = ["", f"{title} (at {targets['at_passages']:,} passages):", ""]
    for name in (n for n in ("index_ratio", "query_p95_ms", "cold_start_s", "peak_memory_mb") if n in targets):
        check = targets[name]
        lines.append(f"- {name}: {check['value']} (target {check['target']}) — {'met' if check['met'] else 'NOT met'}")
    return lines


def _kind_lines(row: dict, columns: list[str]) -> list[str]:
    lines = ["", f"Query latency by kind at {row['passages']:,} passages (p50 / p95 ms):", "",
             "| kind | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for kind in row["ours"]["query"]["by_kind"]:
        cells = []
        for c in columns:
            stats = row[c]["query"]["by_kind"].get(kind) if c in row else None
            cells.append(f"{stats['p50_ms']:.1f} / {stats['p95_ms']:.1f}" if stats else "—")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return lines
