"""Building an index from corpus directories: a new generation, then an atomic swap."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm
from whoosh import index as whoosh_index

from indexer import store
from indexer.analysis import USE_HMM, dictionary_fingerprint
from indexer.documents import Document
from indexer.fields import SCHEMA_VERSION, make_schema
from indexer.ingest import Skipped, corpus_files, iter_corpus

WRITER_MEMORY_MB = 256


@dataclass
class BuildSummary:
    documents: int = 0
    passages: int = 0
    characters: int = 0
    seconds: float = 0.0
    skipped: list[Skipped] = field(default_factory=list)
    generation: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def passage_fields(document: Document) -> list[dict]:
    """The Whoosh documents for one corpus document, one per passage."""
    return [
        {
            "doc_id": document.doc_id, "order": passage.order,
            "passage": passage.text, "section_path": json.dumps(passage.section, ensure_ascii=False),
            "content": passage.text, "grams": passage.text,
            "title": document.title, "section": " ".join(passage.section),
            "city": document.city, "year": document.year or 0, "date": document.date,
            "doc_type": document.doc_type, "source": document.source,
        }
        for passage in document.passages
    ]


def index_meta(summary: BuildSummary, corpus_dirs: list[Path]) -> dict:
    return {
        "schema_version": SCHEMA_VERSION, "hmm": USE_HMM,
        "dictionary": dictionary_fingerprint(), "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "corpora": [str(path) for path in corpus_dirs],
        "documents": summary.documents, "passages": summary.passages, "characters": summary.characters,
    }


def build_index(corpus_dirs: list[Path], index_dir: Path, show_progress: bool = False) -> BuildSummary:
    """Index every readable file under ``corpus_dirs`` into a fresh generation and publish it."""
    started = time.perf_counter()
    summary = BuildSummary()
    with store.write_lock(index_dir):
        store.prune(index_dir)
        generation = store.new_generation(index_dir)
        index = whoosh_index.create_in(str(generation), make_schema())
        writer = index.writer(limitmb=WRITER_MEMORY_MB)
        documents: list[dict] = []
        total_files = sum(1 for corpus in corpus_dirs if corpus.is_dir() for _ in corpus_files(corpus))
        with tqdm(total=total_files, unit="文件", desc="建立索引", disable=not show_progress, file=sys.stderr) as bar:
            for item in iter_corpus(corpus_dirs):
                bar.update(1)
                if isinstance(item, Skipped):
                    summary.skipped.append(item)
                    continue
                for fields in passage_fields(item):
                    writer.add_document(**fields)
                documents.append(item.metadata())
                summary.documents += 1
                summary.passages += len(item.passages)
                summary.characters += sum(len(p.text) for p in item.passages)
        writer.commit()
        store.write_documents(generation, documents)
        summary.seconds = round(time.perf_counter() - started, 3)
        summary.generation = generation.name
        store.publish(index_dir, generation, index_meta(summary, corpus_dirs))
        store.prune(index_dir)
    return summary
