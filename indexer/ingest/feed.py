"""What every backend's writer is fed: each corpus file loaded once, its passages as field dicts.

A writer is anything with ``add_document(**fields)``: the Whoosh writer, or the Sphinx shard files.
Duplicates (the same text twice), unreadable files and files that fail part-way are handled here,
the same way for every backend.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from indexer.documents import Document, Passage
from indexer.ingest.corpus import Loaded, Manifests, Skipped, load, unique_id
from indexer.ingest.places import facet_province
from indexer.ingest.readers import UnreadableFile
from indexer.names import display_path, one_line


@dataclass
class BuildSummary:
    documents: int = 0
    passages: int = 0
    characters: int = 0
    seconds: float = 0.0
    # Files not indexed: bad files and duplicates (``Skipped.kind``), each with its reason.
    skipped: list[Skipped] = field(default_factory=list)
    # Reader notes on indexed files ("path: note").
    notes: list[str] = field(default_factory=list)
    generation: str = ""

    @property
    def duplicates(self) -> list[Skipped]:
        return [s for s in self.skipped if s.kind == "duplicate"]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class UpdateSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    # Totals of the index after the change.
    documents: int = 0
    passages: int = 0
    characters: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Empty when nothing changed (no new generation was published).
    generation: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    @property
    def duplicates(self) -> list[Skipped]:
        return [s for s in self.skipped if s.kind == "duplicate"]

    def to_dict(self) -> dict:
        return asdict(self)


def passage_fields(document: Document) -> Iterator[dict]:
    """The Whoosh documents for one corpus document, one per passage (lazily: passages may stream)."""
    return (
        {
            "doc_id": document.doc_id, "order": passage.order,
            "passage": passage.text, "section_path": json.dumps(passage.section, ensure_ascii=False),
            "content": passage.text, "grams": passage.text,
            "title": document.title, "section": " ".join(passage.section),
            "city": document.city, "province": facet_province(document.level, document.province),
            "year": document.year or 0, "date": document.date,
            "doc_type": document.doc_type,
        }
        for passage in document.passages
    )


class _Counted:
    """Passages passing through, counted on the way."""

    def __init__(self, passages: Iterable[Passage]):
        self._passages = passages
        self.count = 0
        self.characters = 0

    def __iter__(self) -> Iterator[Passage]:
        for passage in self._passages:
            self.count += 1
            self.characters += len(passage.text)
            yield passage


def write_document(writer, loaded: Loaded) -> dict:
    """Stream one loaded file's passages into ``writer``; its record for documents.json.

    Raises UnreadableFile when the file has no passage to index (nothing is written then).
    """
    document = loaded.document
    counted = _Counted(loaded.passages())
    document.passages = counted  # passage_fields reads them as they stream
    try:
        for fields in passage_fields(document):
            writer.add_document(**fields)
    finally:
        document.passages = []
        # On an error mid-way, tells the caller that some passages were written and must be removed.
        document.passage_count, document.characters = counted.count, counted.characters
    if not counted.count:
        raise UnreadableFile("没有可检索的正文（清理后为空）")
    return document.metadata()


def file_failure(error: Exception) -> str:
    """The skip reason for an error one file caused; an error of the machine (disk full, no memory) is re-raised.

    Readers turn what they expect into UnreadableFile; anything else a
    library raises on odd input is still that file's problem, not the run's.
    """
    if isinstance(error, UnreadableFile):
        return str(error)
    if isinstance(error, (OSError, MemoryError)):
        raise error
    return one_line(f"读取时出错（{type(error).__name__}: {error}）")


def absolute(path) -> Path:
    """An absolute path with ``..`` folded but symlinks kept: how corpora and files are recorded."""
    return Path(os.path.abspath(path))


def index_files(writer, files: list[tuple[Path, Path]], summary: BuildSummary, existing: dict[str, dict],
                show_progress: bool, keep_ids: dict[str, str] | None = None,
                retire_old=None) -> tuple[list[dict], list[str]]:
    """Load and write each file; duplicates of ``existing`` records or of each other are skipped.

    ``keep_ids`` maps a path to the doc_id it had before (a changed file keeps
    its id); ``retire_old(path)`` is called once a file's new version is in the
    writer (or found to be a duplicate of an indexed one), so a file that fails
    to read or write keeps its old passages until the failure is dealt with.
    Returns the new records and the ids of files that failed after writing some
    passages (for :func:`remove_orphans`); ``summary`` gets counts, skips and notes.
    """
    keep_ids = keep_ids or {}
    manifests = Manifests()
    hashes = {record["content_hash"]: record["doc_id"] for record in existing.values()}
    taken = set(existing) | set(keep_ids.values())
    records: list[dict] = []
    orphans: list[str] = []
    with tqdm(total=len(files), unit="文件", desc="建立索引", disable=not show_progress, file=sys.stderr) as bar:
        for path, corpus in files:
            bar.update(1)
            try:
                loaded = load(path, corpus, manifests.entry(path, corpus))
            except Exception as error:  # noqa: BLE001 - one bad file never ends the run (see file_failure)
                summary.skipped.append(Skipped(str(path), file_failure(error)))
                continue
            document = loaded.document
            if document.content_hash in hashes:
                summary.skipped.append(Skipped(str(path), f"内容与已索引的 {hashes[document.content_hash]} 相同，按重复跳过",
                                               "duplicate"))
                if retire_old:
                    retire_old(path)
                continue
            kept = keep_ids.get(str(path))
            document.doc_id = kept or unique_id(document.doc_id, document.content_hash, taken)
            try:
                record = write_document(writer, loaded)
            except Exception as error:  # noqa: BLE001 - as above
                summary.skipped.append(Skipped(str(path), file_failure(error)))
                if document.passage_count:
                    orphans.append(document.doc_id)
                    taken.add(document.doc_id)  # its orphan passages are deleted by id: keep the id unused
                continue
            if retire_old:  # the writer's deletions reach only segments committed before it: not these passages
                retire_old(path)
            taken.add(document.doc_id)
            hashes[document.content_hash] = document.doc_id
            records.append(record)
            summary.documents += 1
            summary.passages += record["passages"]
            summary.characters += record["characters"]
            summary.notes.extend(f"{display_path(path)}：{note}" for note in loaded.notes)
    summary.skipped.extend(manifests.errors)
    summary.notes.extend(manifests.notes)
    return records, orphans
