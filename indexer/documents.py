"""The engine's records: a document with its metadata, and its passages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Passage:
    """A paragraph (or a sentence-bounded piece of a long one), as the source wrote it."""

    text: str
    order: int
    section: list[str]


@dataclass
class Document:
    doc_id: str
    path: str
    title: str
    city: str = ""
    province: str = ""  # canonical full name (山东省); empty for a national document
    county: str = ""
    # 全国, 省级, 市级 or 县级 (indexer.ingest.metadata.LEVELS); "" when nothing says.
    level: str = ""
    date: str = ""
    year: int | None = None
    source: str = ""
    authors: list[str] = field(default_factory=list)
    doc_type: str = ""
    script: str = ""
    # The address the document is read at (manifest, front matter, an HTML page's canonical link).
    url: str = ""
    # The day it was read there (引用日期) as the manifest or front matter gives it; else ``indexed`` stands for it.
    accessed: str = ""
    # The day this file was read into the index (ISO date).
    indexed: str = ""
    # The manifest marks the date as a guess (``date_basis = "estimated: …"``): never shown as fact.
    date_estimated: bool = False
    # The corpus directory the file belongs to (or the folder it was added from).
    corpus: str = ""
    # SHA-256 of the text as read (any encoding, any format): equal hashes are duplicates.
    content_hash: str = ""
    # SHA-256 of the file's bytes and of its manifest entry: an update re-reads a file when either changes.
    file_hash: str = ""
    curated_hash: str = ""
    format: str = ""
    encoding: str = ""
    # Where each metadata value came from: "manifest", "front-matter", "inferred" or "missing".
    provenance: dict[str, str] = field(default_factory=dict)
    # What the reader noted (replaced bytes, a fallback extractor…).
    notes: list[str] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    # Set when passages were streamed into the index instead of kept in ``passages``.
    passage_count: int = 0
    characters: int = 0

    def metadata(self) -> dict:
        """Everything but the passages, as stored beside the index."""
        return {
            "doc_id": self.doc_id, "path": self.path, "title": self.title,
            "city": self.city, "province": self.province,
            "county": self.county, "level": self.level, "date": self.date,
            "year": self.year, "source": self.source, "authors": list(self.authors), "doc_type": self.doc_type,
            "script": self.script, "url": self.url, "accessed": self.accessed, "indexed": self.indexed,
            "date_estimated": self.date_estimated, "corpus": self.corpus,
            "content_hash": self.content_hash, "file_hash": self.file_hash, "curated_hash": self.curated_hash,
            "format": self.format, "encoding": self.encoding,
            "provenance": dict(self.provenance), "notes": list(self.notes),
            "passages": self.passage_count or len(self.passages),
            "characters": self.characters or sum(len(p.text) for p in self.passages),
        }
