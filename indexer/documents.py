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
    province: str = ""
    date: str = ""
    year: int | None = None
    source: str = ""
    authors: list[str] = field(default_factory=list)
    doc_type: str = ""
    script: str = ""
    corpus: str = ""
    content_hash: str = ""
    # Where each metadata value came from: "manifest", "front-matter", "inferred" or "missing".
    provenance: dict[str, str] = field(default_factory=dict)
    passages: list[Passage] = field(default_factory=list)

    def metadata(self) -> dict:
        """Everything but the passages, as stored beside the index."""
        return {
            "doc_id": self.doc_id, "path": self.path, "title": self.title,
            "city": self.city, "province": self.province, "date": self.date,
            "year": self.year, "source": self.source, "authors": list(self.authors), "doc_type": self.doc_type,
            "script": self.script, "corpus": self.corpus,
            "content_hash": self.content_hash, "provenance": dict(self.provenance),
            "passages": len(self.passages),
        }
