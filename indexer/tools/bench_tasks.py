"""The benchmark's child processes: ``python -m indexer.tools.bench_tasks TASK ARGS…`` prints one JSON line.

Each task builds or queries an index — the engine's, or the naive pairing's
(:mod:`indexer.backends.whoosh.baselines`) — in a process of its own, so memory
and start-up are measured without the bench's own state.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import time
from pathlib import Path


def read_documents(path: Path):
    with path.open("rb") as handle:
        while True:
            try:
                yield pickle.load(handle)
            except EOFError:
                return


def task_build_ours(documents_path: str, index_dir: str) -> dict:
    """Index the synthetic documents the way ``policy-search index`` does, from documents in memory."""
    # Not from baselines: that imports jieba.analyse, whose TF-IDF table (~80 MB) every forked worker would carry.
    from indexer.backends.whoosh.build import build_from_documents
    from indexer.backends.whoosh.generations import segment_count
    from indexer.text.segmentation import segmenter

    segmenter()  # the dictionary load is not part of build throughput (nor of the floor)
    started = time.perf_counter()
    summary, generation = build_from_documents(read_documents(Path(documents_path)), Path(index_dir))
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "passages": summary.passages, "characters": summary.characters,
            "segments": segment_count(generation), "max_rss_mb": _own_max_rss_mb(), **_cpu_seconds()}


def _cpu_seconds() -> dict:
    """CPU time of this process and of its finished workers (what the build cost, whatever the wall clock)."""
    times = os.times()
    return {"cpu_s": round(times.user + times.system, 2),
            "workers_cpu_s": round(times.children_user + times.children_system, 2)}


def _own_max_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def task_query_ours(index: str, mix_path: str, rounds: int) -> dict:
    """The query mix on the engine: ``index`` is an index folder, or a cluster's ``sphinx://`` address."""
    mix = json.loads(Path(mix_path).read_text(encoding="utf-8"))
    engine = _open(index)
    for item in mix:  # warm-up: the OS page cache and lazily loaded columns, not timed
        engine.search(item["query"], cities=item["cities"], years=item["years"], limit=10)
    return {"timings": _timed_mix(engine, mix, rounds), "max_rss_mb": _own_max_rss_mb()}


def _open(index: str):
    from indexer.api import open_engine

    return open_engine(backend=index) if index.startswith("sphinx://") else open_engine(index)


def _timed_mix(engine, mix: list[dict], rounds: int) -> list[dict]:
    timings = []
    for _ in range(rounds):
        for item in mix:
            started, cpu = time.perf_counter(), time.process_time()
            response = engine.search(item["query"], cities=item["cities"], years=item["years"], limit=10)
            timings.append({"kind": item["kind"], "ms": (time.perf_counter() - started) * 1000,
                            "cpu_ms": (time.process_time() - cpu) * 1000,
                            "total": response.total, "hits": len(response.hits)})
    return timings


def _client(index: str, mix_path: str, start, results) -> None:
    mix = json.loads(Path(mix_path).read_text(encoding="utf-8"))
    engine = _open(index)
    engine.search(mix[0]["query"], limit=10)
    start.wait()
    results.put(_timed_mix(engine, mix, 1))


def task_clients(index: str, mix_path: str, clients: int) -> dict:
    """``clients`` processes, each with its own engine, running the mix once at the same time: throughput and
    latency under concurrency."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=_client, args=(index, mix_path, start, results)) for _ in range(clients)]
    for worker in workers:
        worker.start()
    time.sleep(2.0)  # every client opened and warmed up
    started = time.perf_counter()
    start.set()
    timings = [timing for _ in workers for timing in results.get(timeout=3600)]
    seconds = time.perf_counter() - started
    for worker in workers:
        worker.join()
    return {"timings": timings, "seconds": round(seconds, 3), "queries_per_s": round(len(timings) / seconds, 1)}


def task_build_cluster(documents_path: str, cluster_dir: str, port: int) -> dict:
    """Start a 2-shard cluster (not timed) and load the synthetic documents into it (timed): our analysis in
    two processes, Sphinx's indexer, the global IDF, the daemons' rotation."""
    from indexer.api import cluster_start
    from indexer.backends.sphinx import load
    from indexer.backends.sphinx.cluster import Cluster
    from indexer.text.segmentation import segmenter

    cluster_start(Path(cluster_dir), 2, port)
    segmenter()
    started = time.perf_counter()
    records = load.build_from_documents(Cluster.read(Path(cluster_dir)), read_documents(Path(documents_path)),
                                        processes=os.cpu_count() or 1)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "passages": sum(r["passages"] for r in records),
            "characters": sum(r["characters"] for r in records), "max_rss_mb": _own_max_rss_mb(), **_cpu_seconds()}


def task_build_baseline(documents_path: str, index_dir: str) -> dict:
    """The naive pairing: one TEXT field with jieba's ChineseAnalyzer, Whoosh's default writer."""
    from indexer.backends.whoosh.baselines import build_baseline, quiet_jieba
    from indexer.backends.whoosh.generations import segment_count

    quiet_jieba(initialize=True)
    started = time.perf_counter()
    passages, characters = build_baseline(read_documents(Path(documents_path)), index_dir)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "passages": passages, "characters": characters,
            "segments": segment_count(Path(index_dir)), "max_rss_mb": _own_max_rss_mb(), **_cpu_seconds()}


def task_query_baseline(index_dir: str, mix_path: str, rounds: int) -> dict:
    from indexer.backends.whoosh.baselines import baseline_search, open_baseline, quiet_jieba

    quiet_jieba()
    mix = json.loads(Path(mix_path).read_text(encoding="utf-8"))
    searcher, parser = open_baseline(index_dir)
    for item in mix:
        baseline_search(searcher, parser, item)
    timings = []
    for _ in range(rounds):
        for item in mix:
            started, cpu = time.perf_counter(), time.process_time()
            total, hits = baseline_search(searcher, parser, item)
            timings.append({"kind": item["kind"], "ms": (time.perf_counter() - started) * 1000,
                            "cpu_ms": (time.process_time() - cpu) * 1000, "total": total, "hits": hits})
    return {"timings": timings, "max_rss_mb": _own_max_rss_mb()}


def task_first_query_baseline(index_dir: str, query: str) -> dict:
    """Cold start of the naive pairing: open the index and answer one query, facets and highlights included."""
    from indexer.backends.whoosh.baselines import baseline_search, open_baseline, quiet_jieba

    quiet_jieba()
    searcher, parser = open_baseline(index_dir)
    total, _ = baseline_search(searcher, parser, {"query": query, "cities": [], "years": []})
    return {"total": total}


TASKS = {
    "build-ours": task_build_ours, "build-baseline": task_build_baseline,
    "query-ours": task_query_ours, "query-baseline": task_query_baseline,
    "first-query-baseline": task_first_query_baseline, "clients": task_clients, "build-cluster": task_build_cluster,
}


def main(argv: list[str]) -> int:
    """Child-process entry: run one task, print its result as one JSON line."""
    task = TASKS[argv[0]]
    args = [int(a) if a.isdigit() else a for a in argv[1:]]
    print(json.dumps(task(*args), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
