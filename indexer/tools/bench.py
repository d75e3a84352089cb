"""``policy-search bench``: how fast the engine indexes and answers, measured against jieba alone.

One run, on this machine, for each corpus size:

* synthesizes a corpus of N passages by sampling real passages (the seed corpus
  and ``../shared/extra-corpus/`` when present): contiguous runs of a source
  document's passages become a synthetic document, with a city drawn from
  ``dictionaries/places.tsv`` (weighted by the city's number of county-level
  districts, some documents province-wide) and a year from 2015–2026 (recent
  years more frequent);
* the floor: jieba segmentation alone of the same passage text, one process,
  the engine's HMM setting;
* index build throughput (passage characters per second, from documents in
  memory to a published index) and its ratio to the floor;
* query latency p50/p95/p99 of ``SearchEngine.search`` over a fixed mix (one
  word, two words, a phrase, Traditional script, city/year filters), facet
  counts and highlighted top 10 included;
* cold start: a fresh ``policy-search search … --json`` process, from exec to
  its answer (interpreter, imports, jieba's dictionary, opening the index);
* index size on disk, and peak memory of the build and of the searching process.

Every measurement that is about memory or a fresh process runs in a child
process, so the numbers do not carry the bench's own state. With
``--baseline`` the naive pairing — jieba's ``ChineseAnalyzer`` with Whoosh's
defaults (one TEXT field, ``QueryParser``, default highlighter, ``groupedby``
facets) — is measured beside it on the same passages.

The module keeps its top-level imports to the standard library: it is also the
parent of its child processes (``python -m indexer.tools.bench_tasks TASK …``, :mod:`.bench_tasks`);
the report is :mod:`.bench_report`.
"""

from __future__ import annotations

import json
import os
import pickle
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from indexer.tools.bench_report import TARGETS, evaluate_cluster_targets, evaluate_targets, latency_summary, markdown
from indexer.tools.bench_tasks import read_documents

DEFAULT_SIZES = (10_000, 100_000)
MILLION = 1_000_000
YEARS = tuple(range(2015, 2027))
PROVINCE_WIDE_SHARE = 0.08
DOC_PASSAGES = (4, 60)  # a synthetic document takes this many consecutive passages of a source
FLOOR_MAX_CHARS = 20_000_000  # the floor is a rate: beyond this much text it is measured on a prefix
ROUNDS = 3
COLD_RUNS = 3
SAMPLE_SECONDS = 0.05
PSS_EVERY = 5  # PSS (shared pages counted once) is costlier to read: every 5th sample

# The fixed query mix. Filtered queries get the corpus's most common cities and recent years.
QUERY_MIX = {
    "one_word": ["养老", "低保", "社会救助", "残疾人", "儿童福利", "殡葬", "婚姻登记", "慈善", "社会组织",
                 "特困", "就业", "医疗保障"],
    "two_words": ["养老 服务", "低保 标准", "残疾人 补贴", "社区 养老", "困难群众 救助", "农村 留守儿童",
                  "殡葬 改革", "慈善 捐赠"],
    "phrase": ['"养老服务"', '"最低生活保障"', '"社会救助体系"', '"城乡居民"', '"特困人员"', '"基本养老保险"'],
    "traditional": ["養老服務", "殘疾人", "兒童福利", "社會救助", "婚姻登記", "慈善事業"],
}
FILTERED = [  # (query, city rank or None, years)
    ("养老", 0, ()), ("低保", None, (2024,)), ("养老 服务", 0, (2023,)), ('"社会救助"', 1, ()),
    ("殘疾人", None, (2025, 2026)), ("儿童 保护", 2, ()), ("就业", 1, (2022,)), ("社区", None, (2021,)),
]
COLD_QUERY = "养老服务"
CLIENTS = 8  # concurrent clients, each a process with its own engine



# -- the corpus ------------------------------------------------------------

def default_sources() -> list[Path]:
    """The seed corpus and, when present, each folder of ``../shared/extra-corpus/``."""
    from indexer.config import DEFAULT_CORPUS_DIR, PROJECT_ROOT

    dirs = [DEFAULT_CORPUS_DIR]
    extra = PROJECT_ROOT.parent / "shared" / "extra-corpus"
    if extra.is_dir():
        dirs += sorted(p for p in extra.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [d for d in dirs if d.is_dir()]


def load_sources(corpus_dirs: list[Path]) -> list:
    """Real documents with their passages, read and split by the engine's own ingestion (one of each text)."""
    from indexer.ingest import corpus as ingest

    return [item for item in ingest.iter_corpus(corpus_dirs) if not isinstance(item, ingest.Skipped)]


def city_weights() -> tuple[list[str], list[float]]:
    from indexer.ingest.places import places

    cities = [(place.city, max(1, len(place.names) - 1)) for place in places()]
    return [c for c, _ in cities], [float(w) for _, w in cities]


def synthesize(sources: list, passages: int, seed: int = 6) -> list:
    """Documents totalling exactly ``passages`` passages, cut from real documents, re-homed in cities and years."""
    from indexer.documents import Document, Passage

    rng = random.Random(seed)
    cities, weights = city_weights()
    if not cities:
        cities, weights = [""], [1.0]
    year_weights = [y - YEARS[0] + 2 for y in YEARS]
    documents: list[Document] = []
    remaining = passages
    while remaining > 0:
        source = rng.choice(sources)
        size = min(remaining, rng.randint(*DOC_PASSAGES), len(source.passages))
        start = rng.randrange(0, len(source.passages) - size + 1)
        year = rng.choices(YEARS, year_weights)[0]
        city = "" if rng.random() < PROVINCE_WIDE_SHARE else rng.choices(cities, weights)[0]
        number = len(documents)
        documents.append(Document(
            doc_id=f"bench-{number:07d}", path=f"{source.path}#{start}", title=source.title,
            city=city, province=source.province, date=f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            year=year, source=source.source, authors=list(source.authors), doc_type=source.doc_type,
            script=source.script, corpus="bench", content_hash=f"{source.content_hash[:16]}-{number}",
            provenance=dict(source.provenance),
            passages=[Passage(text=p.text, order=i, section=list(p.section))
                      for i, p in enumerate(source.passages[start:start + size])],
        ))
        remaining -= size
    return documents


def query_mix(documents: list) -> list[dict]:
    """The fixed mix, each entry ``{"kind", "query", "cities", "years"}``; filters use common values."""
    counts: dict[str, int] = {}
    for document in documents:
        if document.city:
            counts[document.city] = counts.get(document.city, 0) + len(document.passages)
    common = [c for c, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))] or [""]
    mix = [{"kind": kind, "query": q, "cities": [], "years": []} for kind, queries in QUERY_MIX.items() for q in queries]
    for query, city_rank, years in FILTERED:
        cities = [common[min(city_rank, len(common) - 1)]] if city_rank is not None and common[0] else []
        mix.append({"kind": "filtered", "query": query, "cities": cities, "years": list(years)})
    return mix


def write_documents(documents: list, path: Path) -> None:
    """One pickle per document, so a child process can stream them."""
    with path.open("wb") as handle:
        for document in documents:
            pickle.dump(document, handle, protocol=pickle.HIGHEST_PROTOCOL)


# -- the floor -------------------------------------------------------------

def segmentation_floor(texts: list[str], max_chars: int = FLOOR_MAX_CHARS) -> dict:
    """jieba alone over the passage texts: the engine's dictionary and HMM setting, one process."""
    from indexer.text.segmentation import USE_HMM, segmenter

    jieba = segmenter()
    sample, chars = [], 0
    for text in texts:
        if chars >= max_chars:
            break
        sample.append(text)
        chars += len(text)
    cut = jieba.cut
    started = time.perf_counter()
    for text in sample:
        for _ in cut(text, HMM=USE_HMM):
            pass
    seconds = time.perf_counter() - started
    return {"characters": chars, "seconds": round(seconds, 3), "chars_per_s": round(chars / seconds)}


# -- child processes ---------------------------------------------------------

@dataclass
class ChildResult:
    data: dict
    wall_s: float
    peak_rss_mb: float
    peak_pss_mb: float | None = None


class _PeakMemory(threading.Thread):
    """Samples the summed RSS (and now and then PSS) of a process and all its descendants."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.rss = 0
        self.pss = 0
        self._halt = threading.Event()

    def run(self):
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        tick = 0
        while not self._halt.is_set():
            try:
                processes = [root] + root.children(recursive=True)
            except psutil.Error:
                break
            rss = pss = 0
            for process in processes:
                try:
                    if tick % PSS_EVERY == 0:
                        info = process.memory_full_info()
                        rss += info.rss
                        pss += getattr(info, "pss", info.rss)
                    else:
                        rss += process.memory_info().rss
                except psutil.Error:
                    pass
            self.rss = max(self.rss, rss)
            if tick % PSS_EVERY == 0:
                self.pss = max(self.pss, pss)
            tick += 1
            self._halt.wait(SAMPLE_SECONDS)

    def stop(self):
        self._halt.set()
        self.join()


def _child_env() -> dict:
    from indexer.config import PROJECT_ROOT

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH", "")]))
    return env


def run_child(args: list[str], timeout: float | None = None) -> ChildResult:
    """Run ``python -m indexer.tools.bench …`` (or any argv); its last stdout line is JSON."""
    command = args if args[0] == sys.executable else [sys.executable, "-m", "indexer.tools.bench_tasks", *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_child_env(), text=True)
    sampler = _PeakMemory(process.pid)
    sampler.start()
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        sampler.stop()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[2:4])} failed ({process.returncode}): {err.strip()[-2000:]}")
    lines = [line for line in out.splitlines() if line.strip()]
    data = json.loads(lines[-1]) if lines else {}
    return ChildResult(data, wall, round(sampler.rss / 2**20, 1), round(sampler.pss / 2**20, 1) if sampler.pss else None)


# The tasks below run inside child processes.

# -- measuring ---------------------------------------------------------------

def directory_mb(path: Path) -> float:
    total = sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file() and not p.is_symlink())
    return round(total / 2**20, 1)


def cold_start(command: list[str], runs: int = COLD_RUNS) -> dict:
    times = []
    for _ in range(runs):
        result = run_child(command)
        times.append(result.wall_s)
    return {"runs_s": [round(t, 3) for t in times], "median_s": round(statistics.median(times), 3),
            "max_s": round(max(times), 3)}


def measure_size(sources: list, size: int, workdir: Path, baseline: bool, seed: int, rounds: int,
                 cold_runs: int = COLD_RUNS, log=print, cluster: bool = False) -> dict:
    documents = synthesize(sources, size, seed=seed)
    texts = [p.text for d in documents for p in d.passages]
    characters = sum(len(t) for t in texts)
    docs_path = workdir / f"documents-{size}.pickle"
    write_documents(documents, docs_path)
    mix_path = workdir / f"mix-{size}.json"
    mix = query_mix(documents)
    mix_path.write_text(json.dumps(mix, ensure_ascii=False), encoding="utf-8")
    row: dict = {"passages": len(texts), "documents": len(documents), "characters": characters,
                 "cities": len({d.city for d in documents if d.city}), "queries_per_round": len(mix), "rounds": rounds}
    del documents

    log(f"[{size}] 纯 jieba 分词基准……")
    floor = segmentation_floor(texts)
    del texts

    log(f"[{size}] 建立索引（本引擎）……")
    index_dir = workdir / f"ours-{size}"
    build = run_child(["build-ours", str(docs_path), str(index_dir)])
    generation = (index_dir / "current").resolve()
    ours = {"build": _build_row(build, characters, floor), "index_mb": directory_mb(generation)}
    log(f"[{size}] 查询延迟（本引擎）……")
    query = run_child(["query-ours", str(index_dir), str(mix_path), str(rounds)])
    ours["query"] = latency_summary(query.data["timings"])
    ours["search_peak_rss_mb"] = query.peak_rss_mb
    log(f"[{size}] 冷启动（本引擎）……")
    ours["cold_start"] = cold_start([sys.executable, "-m", "indexer.cli.commands", "search", COLD_QUERY, "--json",
                                     "--index-dir", str(index_dir)], cold_runs)
    if cluster:
        log(f"[{size}] {CLIENTS} 个并发客户端（本引擎）……")
        ours["clients"] = _clients(str(index_dir), mix_path)
    row["ours"] = ours
    shutil.rmtree(index_dir, ignore_errors=True)
    if cluster:
        row["sphinx"] = measure_cluster(docs_path, mix_path, workdir / f"cluster-{size}", characters, floor, rounds,
                                        cold_runs, log=lambda text: log(f"[{size}] {text}"),
                                        expected_totals=[t["total"] for t in query.data["timings"][:len(mix)]])

    if baseline:
        log(f"[{size}] 建立索引（朴素基线）……")
        base_dir = workdir / f"baseline-{size}"
        base_dir.mkdir()
        build = run_child(["build-baseline", str(docs_path), str(base_dir)])
        base = {"build": _build_row(build, characters, floor), "index_mb": directory_mb(base_dir)}
        log(f"[{size}] 查询延迟（朴素基线）……")
        query = run_child(["query-baseline", str(base_dir), str(mix_path), str(rounds)])
        base["query"] = latency_summary(query.data["timings"])
        base["search_peak_rss_mb"] = query.peak_rss_mb
        log(f"[{size}] 冷启动（朴素基线）……")
        base["cold_start"] = cold_start(["first-query-baseline", str(base_dir), COLD_QUERY], cold_runs)
        row["baseline"] = base
        shutil.rmtree(base_dir, ignore_errors=True)

    # The floor again, after the builds: the better of the two is the floor (a slower one would flatter the ratio).
    again = segmentation_floor([p.text for d in read_documents(docs_path) for p in d.passages])
    if again["chars_per_s"] > floor["chars_per_s"]:
        floor = again
        for name in ("ours", "baseline", "sphinx"):
            if name in row:
                build_row = row[name]["build"]
                build_row["ratio_to_floor"] = round(build_row["chars_per_s"] / floor["chars_per_s"], 3)
    row["floor"] = floor
    docs_path.unlink()
    return row


def measure_cluster(docs_path: Path, mix_path: Path, directory: Path, characters: int, floor: dict, rounds: int,
                    cold_runs: int, log=print, expected_totals: list[int] | None = None) -> dict:
    """The same documents and query mix on a 2-shard Sphinx cluster on loopback: load, query latency (facets and
    highlighted top 10), cold start of a fresh client, each daemon's memory, concurrent clients; and whether
    each query's total is ``expected_totals`` (the embedded engine's), which small collections cannot show."""
    import psutil

    from indexer.api import cluster_stop
    from indexer.backends.sphinx.cluster import Cluster

    port = free_port_range(5)
    address = f"sphinx://127.0.0.1:{port}"
    try:
        log("载入 Sphinx 集群（2 个分片）……")
        build = run_child(["build-cluster", str(docs_path), str(directory), str(port)])
        cluster = Cluster.read(directory)
        sphinx = {"build": _build_row(build, characters, floor),
                  "index_mb": round(sum(directory_mb(directory / daemon) for daemon in cluster.daemons()), 1)}
        log("查询延迟（Sphinx 集群）……")
        query = run_child(["query-ours", address, str(mix_path), str(rounds)])
        sphinx["query"] = latency_summary(query.data["timings"])
        if expected_totals is not None:
            sphinx["totals"] = totals_agreement(mix_path, expected_totals, query.data["timings"])
        sphinx["search_peak_rss_mb"] = query.peak_rss_mb
        sphinx["daemons_rss_mb"] = {daemon: round(psutil.Process(cluster.pid(daemon)).memory_info().rss / 2**20, 1)
                                    for daemon in cluster.daemons() if cluster.pid(daemon)}
        log("冷启动（Sphinx 集群）……")
        sphinx["cold_start"] = cold_start([sys.executable, "-m", "indexer.cli.commands", "search", COLD_QUERY, "--json",
                                           "--backend", address], cold_runs)
        log(f"{CLIENTS} 个并发客户端（Sphinx 集群）……")
        sphinx["clients"] = _clients(address, mix_path)
        return sphinx
    finally:
        if directory.exists():
            cluster_stop(directory)
            shutil.rmtree(directory, ignore_errors=True)


def totals_agreement(mix_path: Path, expected: list[int], timings: list[dict]) -> dict:
    """How many of the mix's queries found as many passages as ``expected`` says; the ones that did not."""
    mix = json.loads(mix_path.read_text(encoding="utf-8"))
    differing = [{"query": item["query"], "cities": item["cities"], "years": item["years"], "expected": want,
                  "found": timing["total"]}
                 for item, want, timing in zip(mix, expected, timings) if timing["total"] != want]
    return {"queries": len(expected), "equal": len(expected) - len(differing), "differing": differing}


def _clients(index: str, mix_path: Path) -> dict:
    result = run_child(["clients", index, str(mix_path), str(CLIENTS)])
    summary = latency_summary(result.data["timings"])
    return {"clients": CLIENTS, "queries_per_s": result.data["queries_per_s"], "p50_ms": summary["p50_ms"],
            "p95_ms": summary["p95_ms"], "peak_rss_mb": result.peak_rss_mb}


def free_port_range(count: int) -> int:
    """A loopback port such that it and the ``count - 1`` after it are free."""
    import socket

    for base in range(29300, 60000, 97):
        try:
            for port in range(base, base + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("没有空闲的本机端口")


def _build_row(result: ChildResult, characters: int, floor: dict) -> dict:
    seconds = result.data["seconds"]
    rate = characters / seconds if seconds else 0.0
    return {"seconds": seconds, "chars_per_s": round(rate), "ratio_to_floor": round(rate / floor["chars_per_s"], 3),
            "segments": result.data.get("segments"), "peak_rss_mb": result.peak_rss_mb,
            "peak_pss_mb": result.peak_pss_mb, "cpu_s": result.data.get("cpu_s"),
            "workers_cpu_s": result.data.get("workers_cpu_s")}


def machine() -> dict:
    from importlib.metadata import version

    try:
        import psutil
        memory_gb = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:  # pragma: no cover - psutil is a dependency
        memory_gb = None
    return {"cpu_count": os.cpu_count(), "memory_gb": memory_gb, "python": platform.python_version(),
            "platform": platform.platform(), "whoosh": version("whoosh-reloaded"), "jieba": version("jieba")}


def run(sizes: list[int], out: Path | None, baseline: bool = False, corpus_dirs: list[Path] | None = None,
        seed: int = 6, rounds: int = ROUNDS, cold_runs: int = COLD_RUNS, log=print, cluster: bool = False) -> dict:
    corpus_dirs = corpus_dirs or default_sources()
    log(f"读取语料：{', '.join(str(d) for d in corpus_dirs)}")
    sources = load_sources(corpus_dirs)
    if not sources:
        raise ValueError("没有可用的语料文档")
    report = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": machine(), "seed": seed, "rounds": rounds,
        "corpus": {"dirs": [str(d) for d in corpus_dirs], "documents": len(sources),
                   "passages": sum(len(d.passages) for d in sources),
                   "characters": sum(len(p.text) for d in sources for p in d.passages)},
        "targets_defined": TARGETS, "sizes": [],
    }
    with tempfile.TemporaryDirectory(prefix="policy-search-bench-") as tmp:
        for size in sizes:
            report["sizes"].append(measure_size(sources, size, Path(tmp), baseline, seed, rounds, cold_runs, log=log,
                                                cluster=cluster))
    report["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    report["targets"] = evaluate_targets(report["sizes"])
    if cluster:
        report["cluster_targets"] = evaluate_cluster_targets(report["sizes"])
    text = markdown(report)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "latest.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (out / "latest.md").write_text(text, encoding="utf-8")
    report["markdown"] = text
    return report


def parse_sizes(text: str) -> list[int]:
    sizes = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        if not part:
            continue
        factor = 1
        if part.endswith("k"):
            part, factor = part[:-1], 1000
        elif part.endswith("m"):
            part, factor = part[:-1], 1_000_000
        value = int(float(part) * factor)
        if value <= 0:
            raise ValueError(f"规模应为正整数：{part}")
        sizes.append(value)
    return sizes
