"""Loading a collection into a cluster: shard files written, indexes built beside the live ones, one global
IDF, then every daemon rotated to the new indexes.

Each shard's rows live in ``data/shard_N.{passages,documents}.tsv`` (the terms already made by our
analysis). A load writes the new files (``.tsv.new``), builds ``.new`` indexes from them with Sphinx's
``indexer``, builds the IDF of the whole collection from every shard's dictionary (``indextool
--dumpdict`` / ``--buildidf``: the same BM25 idf on every shard, so the front ranks as one index
would), and only then replaces the files and signals each daemon to rotate: until that moment the
previous data answers, and a failed load leaves it as it was. Adding or removing documents rewrites
the shard files without them and rebuilds every shard (the IDF changes for all).
"""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path

from indexer.backends.sphinx.cluster import PLACEHOLDER_ID, Cluster, _run, write_atomically
from indexer.backends.sphinx.keys import CODED_FACETS, attribute, copy_key, document_key, passage_key, value_code
from indexer.backends.sphinx.match import keywords
from indexer.engine.hits import facet_value
from indexer.engine.timespan import UNDATED, span
from indexer.errors import BuildFailed, UnknownDocuments
from indexer.ingest.corpus import Skipped, walk
from indexer.documents import Document
from indexer.ingest.feed import BuildSummary, UpdateSummary, absolute, index_files, passage_fields
from indexer.ingest.places import facet_province
from indexer.text.terms import gram_terms, word_terms

ROTATE_TIMEOUT = 120.0
DOC_KEY_COLUMN = 7  # id, six text fields, then doc_key


def facet_values(records) -> dict[str, list[str]]:
    """Each coded facet's values among ``records``, as the passages hold them."""
    return {name: sorted({attribute(facet_value(record, name)) for record in records} - {""}) for name in CODED_FACETS}


@lru_cache(maxsize=20_000)
def _short_field(text: str) -> tuple[str, str]:
    """A title's or heading path's words and bigrams (they repeat for every passage of a document)."""
    return keywords(word_terms(text)), keywords(gram_terms(text))


def date_span(date: str, year) -> tuple[int, int]:
    """The first and last day key of a document's date, else of its year (as :mod:`indexer.engine.timespan`)."""
    found = span(date) if date else None
    if found:
        return found
    return (int(year) * 10000, int(year) * 10000 + 9999) if year else (UNDATED, UNDATED)


def passage_row(fields: dict) -> str:
    """One passage as a shard file's line (the fields :func:`indexer.ingest.feed.passage_fields` gives)."""
    text = fields["passage"]
    title, title_grams = _short_field(fields["title"])
    section, section_grams = _short_field(fields["section"])
    first, last = date_span(fields["date"], fields["year"])
    stored = json.dumps({"doc_id": fields["doc_id"], "order": fields["order"], "passage": text,
                         "section": json.loads(fields["section_path"])}, ensure_ascii=False)
    values = [passage_key(fields["doc_id"], fields["order"]), keywords(word_terms(text)), keywords(gram_terms(text)),
              title, title_grams, section, section_grams, document_key(fields["doc_id"]), fields["order"],
              value_code(fields["city"]), value_code(fields["province"]), value_code(fields["doc_type"]),
              fields["year"] or 0, first, last, copy_key(text), attribute(fields["doc_id"]), stored]
    return "\t".join(map(str, values)) + "\n"


def document_row(record: dict) -> str:
    province = facet_province(record.get("level", ""), record.get("province", ""))
    values = [document_key(record["doc_id"]), keywords(word_terms(record.get("title", ""))), attribute(province),
              attribute(record.get("city")), record.get("year") or 0, json.dumps(record, ensure_ascii=False)]
    return "\t".join(map(str, values)) + "\n"


PLACEHOLDERS = {"passages": f"{PLACEHOLDER_ID}\t\t\t\t\t\t\t0\t0\t0\t0\t0\t0\t{UNDATED}\t{UNDATED}\t0\t\t{{}}\n",
                "documents": f"{PLACEHOLDER_ID}\t\t\t\t0\t{{}}\n"}


class ShardWriter:
    """What :func:`indexer.ingest.feed.index_files` writes passages to: each one to its province's shard."""

    def __init__(self, cluster: Cluster, folder: Path):
        self.cluster = cluster
        self._files = {shard.number: open(folder / f"{shard.name}.added", "w", encoding="utf-8")
                       for shard in cluster.shards}

    def add_document(self, **fields) -> None:
        self.add_rows(fields["province"], passage_row(fields))

    def add_rows(self, province: str, rows: str) -> None:
        """Rows already made (:func:`passage_row`) for a document of ``province``."""
        self._files[self.cluster.shard_for(province).number].write(rows)

    def close(self) -> None:
        for file in self._files.values():
            file.close()


def read_documents(cluster: Cluster) -> dict[str, dict]:
    """The records of the documents the cluster's files hold."""
    records = {}
    for shard in cluster.shards:
        path = cluster.data_file(shard, "documents")
        if path.exists():
            with open(path, encoding="utf-8") as file:
                for line in file:
                    record = json.loads(line.rstrip("\n").split("\t")[5])
                    if record:
                        records[record["doc_id"]] = record
    return records


def build(cluster: Cluster, corpus_dirs: list[Path], show_progress: bool = False,
          follow_links: bool = False) -> BuildSummary:
    """Every readable file under ``corpus_dirs`` into the cluster, replacing what it held."""
    corpus_dirs = [absolute(c) for c in corpus_dirs]
    for shard in cluster.shards[1:]:
        shard.provinces = []
    cluster.corpora = [str(c) for c in corpus_dirs]
    summary = BuildSummary()
    records, _ = _load(cluster, _files(corpus_dirs, follow_links, summary), existing={}, dropped=None,
                       show_progress=show_progress)
    summary.documents, summary.passages = len(records), sum(r["passages"] for r in records)
    summary.characters = sum(r["characters"] for r in records)
    summary.generation = cluster.built_at
    return summary


def reload(cluster: Cluster, corpus_dirs: list[Path] | None = None, show_progress: bool = False) -> UpdateSummary:
    """``index --update`` on a cluster: its corpora (or ``corpus_dirs``) loaded again, whole."""
    before = set(read_documents(cluster))
    built = build(cluster, corpus_dirs or [Path(c) for c in cluster.corpora], show_progress=show_progress)
    after = set(read_documents(cluster))
    summary = UpdateSummary(added=sorted(after - before), removed=sorted(before - after), unchanged=len(after & before),
                            skipped=built.skipped, notes=built.notes, seconds=built.seconds)
    return _totals(summary, cluster)


def add(cluster: Cluster, paths: list[Path], corpus: Path | None = None, show_progress: bool = False) -> UpdateSummary:
    """Files (or folders) added to what the cluster holds; a file already indexed (same content) is skipped."""
    summary = UpdateSummary()
    files = []
    for path in paths:
        path = absolute(path)
        root = absolute(corpus) if corpus else (path if path.is_dir() else path.parent)
        for item in walk([path]) if path.is_dir() else [(path, root)]:
            (summary.skipped if isinstance(item, Skipped) else files).append(item)
    existing = read_documents(cluster)
    records, _ = _load(cluster, (summary, files), existing=existing, dropped=set(), show_progress=show_progress)
    summary.added, summary.unchanged = [r["doc_id"] for r in records], len(existing)
    return _totals(summary, cluster)


def remove(cluster: Cluster, doc_ids: list[str]) -> UpdateSummary:
    existing = read_documents(cluster)
    unknown = [doc_id for doc_id in doc_ids if doc_id not in existing]
    if unknown:
        raise UnknownDocuments(f"集群中没有这些文件：{'、'.join(unknown)}")
    summary = UpdateSummary(removed=sorted(set(doc_ids)))
    _, kept = _load(cluster, (summary, []), existing=existing, dropped=set(doc_ids), show_progress=False)
    summary.unchanged = len(kept)
    return _totals(summary, cluster)


def _totals(summary: UpdateSummary, cluster: Cluster) -> UpdateSummary:
    summary.documents, summary.passages, summary.characters = cluster.documents, cluster.passages, cluster.characters
    summary.generation = cluster.built_at
    return summary


def _files(corpus_dirs: list[Path], follow_links: bool, summary: BuildSummary):
    files = []
    for item in walk(corpus_dirs, follow_links=follow_links):
        (summary.skipped if isinstance(item, Skipped) else files).append(item)
    return summary, files


def _load(cluster: Cluster, work, existing: dict[str, dict], dropped: set[str] | None,
          show_progress: bool) -> tuple[list[dict], dict[str, dict]]:
    """Files into the cluster: ``work`` is (summary, files); see :func:`_publish`."""
    summary, files = work

    def feed(writer: ShardWriter) -> list[dict]:
        # A file that failed part-way left rows in the added files; its document is not among the
        # records, so its rows are not copied.
        return index_files(writer, files, summary, existing if dropped is not None else {}, show_progress)[0]

    started = time.perf_counter()
    result = _publish(cluster, feed, existing, dropped)
    summary.seconds = round(time.perf_counter() - started, 3)
    return result


def build_from_documents(cluster: Cluster, documents: Iterable[Document], processes: int = 1) -> list[dict]:
    """Documents already in memory (with their passages) replacing what the cluster holds: the benchmark's
    load, the rows made in ``processes`` worker processes; the documents' records."""
    for shard in cluster.shards[1:]:
        shard.provinces = []

    def feed(writer: ShardWriter) -> list[dict]:
        records = []
        with multiprocessing.get_context("fork").Pool(processes) if processes > 1 else nullcontext() as pool:
            made = pool.imap(_document_rows, documents, chunksize=16) if pool else map(_document_rows, documents)
            for province, rows, record in made:
                writer.add_rows(province, rows)
                records.append(record)
        return records

    return _publish(cluster, feed, {}, None)[0]


def _document_rows(document: Document) -> tuple[str, str, dict]:
    rows = "".join(passage_row(fields) for fields in passage_fields(document))
    return facet_province(document.level, document.province), rows, document.metadata()


def _publish(cluster: Cluster, feed, existing: dict[str, dict], dropped: set[str] | None,
             ) -> tuple[list[dict], dict[str, dict]]:
    """Write the shards' new files — the old rows still wanted (``dropped=None``: none), then what ``feed``
    writes — build and publish them; the records ``feed`` returned, and of every document the cluster now holds."""
    with _write_lock(cluster), tempfile.TemporaryDirectory(dir=cluster.directory, prefix="load-") as folder:
        writer = ShardWriter(cluster, Path(folder))
        try:
            records = feed(writer)
        finally:
            writer.close()
        kept = {} if dropped is None else {d: r for d, r in existing.items() if d not in dropped}
        for record in records:
            kept[record["doc_id"]] = record
        keep_keys = {document_key(doc_id) for doc_id in kept}
        cluster.documents, cluster.passages = len(kept), sum(r.get("passages", 0) for r in kept.values())
        cluster.characters = sum(r.get("characters", 0) for r in kept.values())
        cluster.facet_values = facet_values(kept.values())
        cluster.built_at = time.strftime("%Y-%m-%dT%H:%M:%S")
        new_files = _write_shard_files(cluster, Path(folder), kept, keep_keys, keep_old=dropped is not None)
        try:
            _build_and_publish(cluster, new_files)
        except BaseException:
            for path in new_files:
                path.unlink(missing_ok=True)
            _remove_new_indexes(cluster)
            raise
        cluster.write()
    return records, kept


def _write_shard_files(cluster: Cluster, folder: Path, records: dict[str, dict], keep_keys: set[int],
                       keep_old: bool) -> list[Path]:
    """Each shard's ``.tsv.new`` files: its old rows still wanted (when ``keep_old``), then the added ones."""
    written = []
    by_shard: dict[int, list[dict]] = {shard.number: [] for shard in cluster.shards}
    for record in records.values():
        by_shard[cluster.shard_for(facet_province(record.get("level", ""), record.get("province", ""))).number].append(record)
    for shard in cluster.shards:
        passages = cluster.data_file(shard, "passages").with_suffix(".tsv.new")
        with open(passages, "w", encoding="utf-8") as out:
            out.write(PLACEHOLDERS["passages"])
            sources = ([cluster.data_file(shard, "passages")] if keep_old else []) + [folder / f"{shard.name}.added"]
            for source in sources:
                if source.exists():
                    _copy_rows(source, out, keep_keys)
        documents = cluster.data_file(shard, "documents").with_suffix(".tsv.new")
        with open(documents, "w", encoding="utf-8") as out:
            out.write(PLACEHOLDERS["documents"])
            out.writelines(document_row(record) for record in by_shard[shard.number])
        written += [passages, documents]
    cluster_rows = cluster.directory / "data" / "cluster.tsv.new"
    write_atomically(cluster_rows, f"1\tcluster\t{json.dumps(cluster.describe(), ensure_ascii=False)}\n")
    return written + [cluster_rows]


def _copy_rows(source: Path, out, keep_keys: set[int]) -> None:
    with open(source, encoding="utf-8") as rows:
        for line in rows:
            parts = line.split("\t", DOC_KEY_COLUMN + 1)
            if int(parts[0]) != PLACEHOLDER_ID and int(parts[DOC_KEY_COLUMN]) in keep_keys:
                out.write(line)


def _build_and_publish(cluster: Cluster, new_files: list[Path]) -> None:
    cluster.write_configs()
    dictionaries = []
    for shard in cluster.shards:
        config = str(cluster.config_path(shard.name, building=True))
        _run(["indexer", "--config", config, "--all", "--quiet"], f"建立 {shard.name} 的索引")
        dictionary = cluster.directory / "data" / f"{shard.name}.dict.txt"
        with open(dictionary, "w", encoding="utf-8") as out:
            result = subprocess.run(["indextool", "--config", config, "--dumpdict", "passages", "--stats"],
                                    stdout=out, stderr=subprocess.PIPE, text=True, timeout=3600)
        if result.returncode != 0:
            raise BuildFailed(f"读取 {shard.name} 的词典失败：{result.stderr.strip()[-200:]}")
        dictionaries.append(str(dictionary))
    idf = cluster.directory / "global.idf.new"
    _run(["indextool", "--buildidf", *dictionaries, "--out", str(idf)], "建立全局 IDF")
    _run(["indexer", "--config", str(cluster.config_path("front", building=True)), "cluster", "--quiet"], "建立集群说明")
    # The point of no return: the new files replace the old, then every daemon loads them.
    for path in new_files:
        os.replace(path, path.with_suffix(""))
    os.replace(idf, cluster.directory / "global.idf")
    for daemon in cluster.daemons():
        _rotate(cluster, daemon)


def _new_index_files(cluster: Cluster, daemon: str) -> list[Path]:
    folder = cluster.directory / daemon
    return sorted(folder.glob("*.new.*")) if folder.exists() else []


def _rotate(cluster: Cluster, daemon: str) -> None:
    """The daemon serving its ``.new`` indexes: signalled to rotate when it runs, else the files renamed."""
    pid = cluster.pid(daemon)
    if pid is None:
        for path in _new_index_files(cluster, daemon):
            os.replace(path, path.with_name(path.name.replace(".new.", ".")))
        return
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + ROTATE_TIMEOUT
    while _new_index_files(cluster, daemon):
        if time.monotonic() > deadline:
            raise BuildFailed(f"{daemon} 在 {ROTATE_TIMEOUT:.0f} 秒内没有换用新索引（见 {cluster.directory / daemon / 'searchd.log'}）。")
        time.sleep(0.05)


def _remove_new_indexes(cluster: Cluster) -> None:
    for daemon in cluster.daemons():
        for path in _new_index_files(cluster, daemon):
            path.unlink(missing_ok=True)
    (cluster.directory / "global.idf.new").unlink(missing_ok=True)


def ensure_indexes(cluster: Cluster) -> None:
    """Empty indexes for a cluster that holds nothing yet, so its daemons can start."""
    if all((cluster.index_path(s.name, "passages").with_suffix(".sph")).exists() for s in cluster.shards) and \
            cluster.index_path("front", "cluster").with_suffix(".sph").exists():
        return
    with _write_lock(cluster), tempfile.TemporaryDirectory(dir=cluster.directory, prefix="load-") as folder:
        new_files = _write_shard_files(cluster, Path(folder), {}, set(), keep_old=False)
        _build_and_publish(cluster, new_files)


@contextmanager
def _write_lock(cluster: Cluster):
    path = cluster.directory / "load.lock"
    with open(path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            from indexer.errors import IndexBusy

            raise IndexBusy("另一个进程正在向此集群写入，请稍后再试。") from None
        yield
