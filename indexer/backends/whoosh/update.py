"""Changing a built index without rebuilding it: add files, re-read changed ones, remove documents.

Every change follows the build's rule, so the live index is never touched:
copy the live generation (:func:`store.clone_generation`), delete and add
passages in the copy with Whoosh, commit, write the documents table, then
publish the copy with one atomic rename. ``kill -9`` at any point leaves the
previous generation live and complete; the next writer prunes the leftover.

What an index tracks, in its ``meta.json``:

* ``corpora``: directories whose files ``index --update`` compares with the
  index (new, changed and deleted files, by SHA-256 of the bytes and of the
  file's manifest entry);
* ``files``: files added one by one from outside any corpus (re-checked too);
* ``excluded``: files removed by ``remove`` that still sit in a corpus, so an
  update does not bring them back (``add`` takes them in again).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from indexer.backends.whoosh import generations
from indexer.text.segmentation import USE_HMM, dictionary_fingerprint
from indexer.backends.whoosh.build import index_meta, open_writer, remove_orphans
from indexer.ingest.feed import BuildSummary, UpdateSummary, absolute, index_files
from indexer.backends.whoosh.schema import SCHEMA_VERSION, make_schema
from indexer.ingest.corpus import Manifests, Skipped, curated_hash, file_hash, walk
from indexer.ingest.readers import UnreadableFile, check_file, file_format
from indexer.errors import IndexOutdated, UnknownDocuments  # noqa: F401 (re-exported)


@dataclass
class _Plan:
    """What one change does: files to (re)index, documents to drop, and the tracking lists after it."""

    to_index: list[tuple[Path, Path]] = field(default_factory=list)
    replace: dict[str, str] = field(default_factory=dict)  # path → doc_id it had
    delete: list[str] = field(default_factory=list)
    corpora: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    tracking_changed: bool = False


# -- the three operations ------------------------------------------------------

def update_index(index_dir: Path, corpus_dirs: list[Path] | None = None, show_progress: bool = False) -> UpdateSummary:
    """Bring the index in line with its corpora (and ``corpus_dirs``, which it then tracks too).

    Only new, changed and deleted files are read. A corpus directory that has
    gone missing is reported and its documents are kept. Raises
    ``IndexMissing`` when there is no index (the CLI then builds one).
    """
    started = time.perf_counter()
    with generations.write_lock(index_dir):
        live, meta, records = _open_live(index_dir)
        summary = UpdateSummary()
        plan = _plan_of(meta)
        for corpus in (absolute(c) for c in corpus_dirs or []):
            _track(plan.corpora, str(corpus), plan)
        by_path = {record["path"]: record for record in records.values()}
        manifests = Manifests()
        candidates, missing_corpora = _tracked_files(plan, by_path, summary)
        seen: set[str] = set()
        for path, corpus in candidates:
            if str(path) not in seen:
                seen.add(str(path))
                _compare(path, corpus, by_path.get(str(path)), manifests, plan, summary)
        plan.delete += [record["doc_id"] for record in records.values() if record["path"] not in seen
                        and not any(_within(record["path"], corpus) for corpus in missing_corpora)]
        plan.files = [name for name in plan.files if Path(name).exists()]
        plan.excluded = [name for name in plan.excluded if Path(name).exists()]  # deleted since: forget
        summary.skipped.extend(manifests.errors)
        summary.notes.extend(manifests.notes)
        _apply(index_dir, live, meta, records, plan, summary, show_progress)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _plan_of(meta: dict) -> _Plan:
    """An empty plan carrying the index's tracking lists."""
    return _Plan(corpora=list(meta.get("corpora", [])), files=list(meta.get("files", [])),
                 excluded=list(meta.get("excluded", [])))


def _track(names: list[str], name: str, plan: _Plan) -> None:
    """Add ``name`` to a tracking list of the plan, once."""
    if name not in names:
        names.append(name)
        plan.tracking_changed = True


def _tracked_files(plan: _Plan, by_path: dict[str, dict],
                   summary: UpdateSummary) -> tuple[list[tuple[Path, Path]], list[str]]:
    """Every file the index tracks that still exists, as (path, corpus), and the tracked corpora gone missing."""
    gone = "语料目录不存在（已索引的文档保持不变）"
    excluded = set(plan.excluded)
    candidates: list[tuple[Path, Path]] = []
    missing: list[str] = []
    for item in walk([Path(name) for name in plan.corpora], missing=gone):
        if isinstance(item, Skipped):
            summary.skipped.append(item)
            if item.reason == gone:
                missing.append(item.path)
        elif str(item[0]) not in excluded:
            candidates.append(item)
    for name in plan.files:
        path = Path(name)
        if path.exists() or path.is_symlink():
            record = by_path.get(name)
            candidates.append((path, Path(record["corpus"]) if record else path.parent))
    return candidates, missing


def add_paths(index_dir: Path, paths: list[Path], corpus: Path | None = None,
              show_progress: bool = False) -> UpdateSummary:
    """Index files (or every file under folders), each remembering the corpus it belongs to.

    The corpus is ``corpus`` when given, else a tracked corpus that holds the
    path, else the folder given (then tracked) or a file's own folder (the
    file is then tracked on its own). A file already indexed is re-read only
    if it changed. Creates the index when there is none.
    """
    started = time.perf_counter()
    corpus = absolute(corpus) if corpus else None
    with generations.write_lock(index_dir):
        live, meta, records = _open_live(index_dir, allow_missing=True)
        summary = UpdateSummary()
        plan = _plan_of(meta)
        by_path = {record["path"]: record for record in records.values()}
        manifests = Manifests()
        seen: set[str] = set()
        for given in paths:
            home, files = _given_files(absolute(given), corpus, plan, summary)
            for path in files:
                if str(path) in seen:
                    continue
                seen.add(str(path))
                if str(path) in plan.excluded:
                    plan.excluded.remove(str(path))
                    plan.tracking_changed = True
                _compare(path, home, by_path.get(str(path)), manifests, plan, summary)
        summary.skipped.extend(manifests.errors)
        summary.notes.extend(manifests.notes)
        _apply(index_dir, live, meta, records, plan, summary, show_progress)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _given_files(given: Path, corpus: Path | None, plan: _Plan, summary: UpdateSummary) -> tuple[Path, list[Path]]:
    """The files of one path given to ``add`` and the corpus they belong to; a folder outside the tracked
    corpora becomes one, a single file is tracked on its own; a file that cannot be indexed is skipped."""
    home = corpus or _tracked_corpus(given, plan.corpora)
    if given.is_dir():
        if _tracked_corpus(given, plan.corpora) is None:  # scanned by later updates from now on
            _track(plan.corpora, str(given), plan)
        files = []
        for item in walk([given]):
            if isinstance(item, Skipped):
                summary.skipped.append(item)
            else:
                files.append(item[0])
        return home or given, files
    try:
        check_file(given)
        file_format(given)  # an unsupported type raises with the reason
    except UnreadableFile as error:
        summary.skipped.append(Skipped(str(given), str(error)))
        return given.parent, []
    if not _tracked_corpus(given, plan.corpora):
        _track(plan.files, str(given), plan)
    return home or given.parent, [given]


def remove_documents(index_dir: Path, doc_ids: list[str]) -> UpdateSummary:
    """Remove documents by id. A removed file still in a corpus is excluded from later updates."""
    started = time.perf_counter()
    with generations.write_lock(index_dir):
        live, meta, records = _open_live(index_dir)
        unknown = [doc_id for doc_id in doc_ids if doc_id not in records]
        if unknown:
            raise UnknownDocuments(f"索引中没有这些文档：{'，'.join(unknown)}（用 policy-search docs 查看文档编号）")
        summary = UpdateSummary()
        plan = _plan_of(meta)
        for doc_id in dict.fromkeys(doc_ids):
            path = records[doc_id]["path"]
            plan.delete.append(doc_id)
            if path in plan.files:
                plan.files.remove(path)
            elif Path(path).exists() and path not in plan.excluded:
                plan.excluded.append(path)
            plan.tracking_changed = True
        _apply(index_dir, live, meta, records, plan, summary, show_progress=False)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


# -- shared steps --------------------------------------------------------------

def _open_live(index_dir: Path, allow_missing: bool = False) -> tuple[Path | None, dict, dict[str, dict]]:
    generations.prune(index_dir)  # leftovers of interrupted writers (we hold the lock)
    live = generations.live_generation(index_dir)
    if live is None:
        if allow_missing:
            return None, {}, {}
        raise generations.IndexMissing(f"索引不存在：{index_dir}。请先运行 policy-search index --corpus DIR 建立索引。")
    meta = generations.read_meta(live)
    if (meta.get("schema_version") != SCHEMA_VERSION or meta.get("hmm") != USE_HMM
            or meta.get("dictionary") != dictionary_fingerprint()):
        raise IndexOutdated("索引由旧版本或旧词典建立，不能增量更新；请运行 policy-search index 重建。")
    return live, meta, generations.read_documents(live)


def _compare(path: Path, corpus: Path, record: dict | None, manifests: Manifests, plan: _Plan,
             summary: UpdateSummary) -> None:
    """Plan one file: unchanged (same bytes, same manifest entry), changed, or new."""
    if record is not None:
        try:
            same = (record.get("file_hash") == file_hash(path)
                    and record.get("curated_hash", "") == curated_hash(manifests.entry(path, corpus)))
        except UnreadableFile as error:
            summary.skipped.append(Skipped(str(path), f"{error}（保留此前索引的版本）"))
            summary.unchanged += 1
            return
        if same:
            summary.unchanged += 1
            return
        plan.replace[str(path)] = record["doc_id"]
        corpus = Path(record.get("corpus") or corpus)
    plan.to_index.append((path, corpus))


def _apply(index_dir: Path, live: Path | None, meta: dict, records: dict[str, dict], plan: _Plan,
           summary: UpdateSummary, show_progress: bool) -> None:
    """Carry out a plan in a copy of the live generation and publish it (or do nothing if it is empty)."""
    if not (plan.to_index or plan.delete or plan.tracking_changed):
        _totals(summary, list(records.values()))
        return
    generation = generations.clone_generation(index_dir, live) if live else generations.new_generation(index_dir)
    index = whoosh_index.open_dir(str(generation)) if live else whoosh_index.create_in(str(generation), make_schema())
    run, new_records, orphans = _write(index, records, plan, show_progress)
    documents = _merged(records, new_records, orphans, plan, run, summary)
    _explain_skips(run, plan, orphans)
    summary.skipped.extend(run.skipped)
    summary.notes.extend(run.notes)
    _totals(summary, documents)
    generations.write_documents(generation, documents)
    extra = {"files": plan.files, "excluded": plan.excluded, "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if meta.get("built_at"):
        extra["built_at"] = meta["built_at"]
    totals = BuildSummary(documents=summary.documents, passages=summary.passages, characters=summary.characters)
    generations.publish(index_dir, generation, index_meta(totals, [Path(c) for c in plan.corpora], extra))
    summary.generation = generation.name
    generations.prune(index_dir)


def _write(index, records: dict[str, dict], plan: _Plan, show_progress: bool) -> tuple[BuildSummary, list[dict], list[str]]:
    """Delete and (re)index what the plan says, in one writer; the run's summary, new records and orphans."""
    writer = open_writer(index)
    deleted = set(plan.delete)
    replaced_ids = set(plan.replace.values())
    try:
        for doc_id in deleted:
            writer.delete_by_term("doc_id", doc_id)
        remaining = {doc_id: r for doc_id, r in records.items() if doc_id not in deleted and doc_id not in replaced_ids}
        run = BuildSummary()
        new_records, orphans = index_files(writer, plan.to_index, run, remaining, show_progress,
                                           keep_ids=plan.replace, retire_old=_deleter(writer, plan.replace))
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    remove_orphans(index, orphans)
    return run, new_records, orphans


def _merged(records: dict[str, dict], new_records: list[dict], orphans: list[str], plan: _Plan, run: BuildSummary,
            summary: UpdateSummary) -> list[dict]:
    """The index's document records after the change, in order; ``summary`` learns what was added, updated, removed."""
    deleted = set(plan.delete)
    replaced_ids = set(plan.replace.values())
    written = {record["path"]: record for record in new_records}
    documents: list[dict] = []
    for doc_id, record in records.items():
        if doc_id in deleted:
            summary.removed.append(doc_id)
        elif doc_id not in replaced_ids:
            documents.append(record)
        elif (new := written.pop(record["path"], None)) is not None:
            documents.append(new)
            summary.updated.append(new["doc_id"])
        elif _was_deleted_as_duplicate(record["path"], run) or doc_id in orphans:
            summary.removed.append(doc_id)  # an orphan's cleanup took the old passages (same id) too
        else:
            documents.append(record)  # the new version could not be read: the old one stays
    for record in written.values():
        documents.append(record)
        summary.added.append(record["doc_id"])
    return documents


def _explain_skips(run: BuildSummary, plan: _Plan, orphans: list[str]) -> None:
    """A changed file that failed to read says what became of its indexed version."""
    for skipped in run.skipped:
        if skipped.path in plan.replace and skipped.kind != "duplicate":
            if plan.replace[skipped.path] in orphans:
                skipped.reason += "（读取中途失败，此文档已移出索引；修复文件后再次更新即可加回）"
            else:
                skipped.reason += "（保留此前索引的版本）"


def _deleter(writer, replace: dict[str, str]):
    """Deletes a changed file's old passages once its new version is written (so a failed read keeps them)."""
    def retire_old(path: Path) -> None:
        old = replace.get(str(path))
        if old is not None:
            writer.delete_by_term("doc_id", old)
    return retire_old


def _was_deleted_as_duplicate(path: str, run: BuildSummary) -> bool:
    return any(s.path == path and s.kind == "duplicate" for s in run.skipped)


def _totals(summary: UpdateSummary, documents: list[dict]) -> None:
    summary.documents = len(documents)
    summary.passages = sum(d.get("passages", 0) for d in documents)
    summary.characters = sum(d.get("characters", 0) for d in documents)


def _tracked_corpus(path: Path, corpora: list[str]) -> Path | None:
    """The tracked corpus holding ``path`` (the deepest, if nested)."""
    holders = [Path(c) for c in corpora if _within(str(path), c)]
    return max(holders, key=lambda p: len(p.parts)) if holders else None


def _within(path: str, directory: str) -> bool:
    try:
        Path(path).relative_to(directory)
        return True
    except ValueError:
        return False
