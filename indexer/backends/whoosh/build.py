"""Building an index from corpus directories: a new generation, then an atomic swap.

Each file streams through :mod:`indexer.ingest.corpus` (metadata pass, then passages
straight into the writer), so the build's memory does not grow with a file's
size. Incremental changes (add, update, remove) are in :mod:`indexer.backends.whoosh.update`
and share :mod:`indexer.ingest.feed` (each file loaded and fed to the writer) with the full build.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from whoosh import index as whoosh_index

from indexer.backends.whoosh import safe_pickle  # safepickle: every pickle read from an index is restricted
from indexer.backends.whoosh import generations
from indexer.text.segmentation import USE_HMM, dictionary_fingerprint
from indexer.documents import Document
from indexer.backends.whoosh.schema import SCHEMA_VERSION, make_schema
from indexer.ingest.corpus import Skipped, walk
from indexer.ingest.feed import BuildSummary, absolute, index_files, passage_fields

WRITER_MEMORY_MB = 256


def open_writer(index):
    """The one place a build or an update gets its Whoosh writer (parallel and faster: indexer/backends/whoosh/writer/segment.py)."""
    from indexer.backends.whoosh.writer import open_writer as parallel_writer

    return parallel_writer(index, limitmb=WRITER_MEMORY_MB)


def remove_orphans(index, doc_ids: list[str]) -> None:
    """Delete passages written for files that failed part-way (a writer cannot delete its own additions)."""
    if doc_ids:
        writer = open_writer(index)
        for doc_id in doc_ids:
            writer.delete_by_term("doc_id", doc_id)
        writer.commit()


def index_meta(summary: BuildSummary, corpus_dirs: list[Path], extra: dict | None = None) -> dict:
    meta = {
        "schema_version": SCHEMA_VERSION, "hmm": USE_HMM,
        "dictionary": dictionary_fingerprint(), "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "corpora": [str(path) for path in corpus_dirs],
        "documents": summary.documents, "passages": summary.passages, "characters": summary.characters,
    }
    meta.update(extra or {})
    return meta


def build_index(corpus_dirs: list[Path], index_dir: Path, show_progress: bool = False,
                follow_links: bool = False) -> BuildSummary:
    """Index every readable file under ``corpus_dirs`` into a fresh generation and publish it.

    The same content twice is indexed once (the later file is reported as a
    duplicate); bad files are reported with their reason and the build goes on.
    """
    started = time.perf_counter()
    summary = BuildSummary()
    corpus_dirs = [absolute(c) for c in corpus_dirs]
    with generations.write_lock(index_dir):
        generations.prune(index_dir)
        generation = generations.new_generation(index_dir)
        index = whoosh_index.create_in(str(generation), make_schema())
        writer = open_writer(index)
        try:
            files: list[tuple[Path, Path]] = []
            for item in walk(corpus_dirs, follow_links=follow_links):
                (summary.skipped if isinstance(item, Skipped) else files).append(item)
            documents, orphans = index_files(writer, files, summary, {}, show_progress)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        remove_orphans(index, orphans)
        generations.write_documents(generation, documents)
        summary.seconds = round(time.perf_counter() - started, 3)
        summary.generation = generation.name
        generations.publish(index_dir, generation, index_meta(summary, corpus_dirs))
        generations.prune(index_dir)
    return summary


def build_from_documents(documents: Iterable[Document], index_dir: Path) -> tuple[BuildSummary, Path]:
    """A fresh generation of documents already in memory (with their passages), published; the benchmark's build."""
    summary = BuildSummary()
    records = []
    with generations.write_lock(index_dir):
        generation = generations.new_generation(index_dir)
        index = whoosh_index.create_in(str(generation), make_schema())
        writer = open_writer(index)
        for document in documents:
            for fields in passage_fields(document):
                writer.add_document(**fields)
            records.append(document.metadata())
            summary.documents += 1
            summary.passages += len(document.passages)
            summary.characters += sum(len(p.text) for p in document.passages)
        writer.commit()
        generations.write_documents(generation, records)
        summary.generation = generation.name
        generations.publish(index_dir, generation, index_meta(summary, []))
    return summary, generations.current_generation(index_dir)
