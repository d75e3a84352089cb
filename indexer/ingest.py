"""Corpus files → documents with metadata and passages, and a report of what was skipped."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.documents import Document
from indexer.metadata import MANIFEST_NAME, load_manifest, resolve
from indexer.passages import split_passages
from indexer.readers import UnreadableFile, read_document, supported


@dataclass
class Skipped:
    path: str
    reason: str


def corpus_files(corpus_dir: Path) -> Iterator[Path]:
    """Supported files under a corpus directory, in a stable order, symlink loops avoided."""
    for root, dirs, files in os.walk(corpus_dir, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if name != MANIFEST_NAME and not name.startswith(".") and supported(path):
                yield path


def load_document(path: Path, corpus_dir: Path, curated: dict | None = None) -> Document:
    """Read, clean and split one file; raises UnreadableFile with the reason."""
    try:
        text = read_document(path)
    except OSError as error:
        raise UnreadableFile(f"无法读取：{error.strerror or error}") from error
    values, provenance = resolve(curated or {}, text, fallback_title=path.stem)
    document = Document(
        doc_id=path.stem, path=str(path), corpus=str(corpus_dir),
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        provenance=provenance, **values,
    )
    document.passages = split_passages(text, document.title)
    if not document.passages:
        raise UnreadableFile("没有可检索的正文")
    return document


def load_corpus(corpus_dirs: list[Path]) -> tuple[list[Document], list[Skipped]]:
    documents: list[Document] = []
    skipped: list[Skipped] = []
    for document_or_skip in iter_corpus(corpus_dirs):
        (documents if isinstance(document_or_skip, Document) else skipped).append(document_or_skip)
    return documents, skipped


def iter_corpus(corpus_dirs: list[Path]) -> Iterator[Document | Skipped]:
    """Documents one by one (so a build can show progress), duplicates and bad files as Skipped."""
    seen_hashes: dict[str, str] = {}
    seen_ids: set[str] = set()
    for corpus_dir in corpus_dirs:
        if not corpus_dir.is_dir():
            yield Skipped(str(corpus_dir), "语料目录不存在")
            continue
        manifest = load_manifest(corpus_dir)
        for path in corpus_files(corpus_dir):
            try:
                document = load_document(path, corpus_dir, manifest.get(path.name))
            except UnreadableFile as error:
                yield Skipped(str(path), str(error))
                continue
            if document.content_hash in seen_hashes:
                yield Skipped(str(path), f"内容与 {seen_hashes[document.content_hash]} 重复")
                continue
            if document.doc_id in seen_ids:
                document.doc_id = f"{document.doc_id}-{document.content_hash[:8]}"
            seen_ids.add(document.doc_id)
            seen_hashes[document.content_hash] = document.doc_id
            yield document
