"""A smoke run of ``policy-search bench`` (timings are the command's business, not pytest's) and batch search.

What guards the writer and the evaluator against Whoosh is beside the backend (tests/backends/whoosh/)."""

from __future__ import annotations

import json

from indexer.tools import bench

RESULT_KEYS = {"build", "query", "cold_start", "index_mb", "search_peak_rss_mb"}


def test_bench_smoke_writes_json_and_markdown(tmp_path, corpus_dir):
    report = bench.run([200], tmp_path, baseline=True, corpus_dirs=[corpus_dir], rounds=1, cold_runs=1,
                       log=lambda message: None)
    data = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert data["machine"]["cpu_count"] >= 1
    row = data["sizes"][0]
    assert row["passages"] == 200
    assert row["floor"]["chars_per_s"] > 0
    for name in ("ours", "baseline"):
        assert RESULT_KEYS <= set(row[name])
        assert row[name]["build"]["ratio_to_floor"] > 0
        assert {"p50_ms", "p95_ms", "p99_ms", "by_kind"} <= set(row[name]["query"])
        assert row[name]["build"]["peak_rss_mb"] > 0
    assert row["ours"]["query"]["empty_results"] < row["ours"]["query"]["count"]
    assert set(data["targets"]) >= {"index_ratio", "query_p95_ms", "cold_start_s", "peak_memory_mb"}
    markdown = (tmp_path / "latest.md").read_text(encoding="utf-8")
    assert "index build" in markdown and "baseline" in markdown
    assert report["markdown"] == markdown


def test_synthetic_corpus_has_exact_size_and_spread(corpus_dir):
    sources = bench.load_sources([corpus_dir])
    documents = bench.synthesize(sources, 500, seed=1)
    assert sum(len(d.passages) for d in documents) == 500
    assert len({d.city for d in documents}) > 5
    assert {d.year for d in documents} <= set(bench.YEARS)
    assert len({d.doc_id for d in documents}) == len(documents)


def test_parse_sizes():
    assert bench.parse_sizes("10000, 100k,1m") == [10_000, 100_000, 1_000_000]


def test_batch_search_one_json_object_per_line(cli, tmp_path):
    queries = tmp_path / "queries.txt"
    queries.write_text("养老\n\n-\n低保 青岛\n", encoding="utf-8")
    result = cli("search", "--batch", queries, "--json")
    assert result.code == 0
    records = [json.loads(line) for line in result.out.splitlines()]
    assert [r["line"] for r in records] == [1, 3, 4]
    assert "error" in records[1] and "hits" not in records[1]
    for record in (records[0], records[2]):
        assert record["took_ms"] >= 0 and record["total"] > 0 and record["hits"]
