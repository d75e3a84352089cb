"""The records a search answers with: plain dataclasses, the same for every backend (see :mod:`indexer.api`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

MAX_LIMIT = 100
# offset + limit: results deeper than this are not served. Each page costs the ranking and folding of every
# result above it, so a page at offset 10**9 would cost the whole collection under the engine lock.
MAX_RESULT_DEPTH = 1000


@dataclass
class Hit:
    rank: int
    score: float
    doc_id: str
    order: int
    title: str
    city: str
    year: int | None
    date: str
    source: str
    doc_type: str
    section: list[str]
    passage: str
    highlight: str
    # The one or two sentences with most matches, highlighted: for compact lists.
    snippet: str
    citation: str
    reference: str
    # Near-identical passages elsewhere, folded into this hit: [{"doc_id", "order"}].
    duplicates: list[dict] = field(default_factory=list)
    # The document's address ("" when it has none) and whether its date is a guess (shown as such).
    url: str = ""
    date_estimated: bool = False
    # Where the document speaks for: 全国, 省级, 市级 or 县级 ("" when unknown), its province (canonical
    # full name, "" for a national document), and its county where known (``city`` is above).
    level: str = ""
    province: str = ""
    county: str = ""
    # How many of the matching passages (within the filters) are in this hit's document, this one
    # included: grouped by document, the others are 「本文件另有 document_matches - 1 段」.
    document_matches: int = 1

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SearchResponse:
    query: str
    total: int
    facets: dict[str, list[dict]]
    hits: list[Hit]
    notices: list[str] = field(default_factory=list)
    # Thesaurus terms searched besides what was typed (shown as 已同时搜索：…).
    expansions: list[str] = field(default_factory=list)
    # True when too few passages had every word and the best partial matches were added.
    relaxed: bool = False
    took_ms: float = 0.0
    # Distinct documents among the ``total`` matching passages.
    documents_total: int = 0
    # The order of ``hits``: "relevance" or "date" (newest first, undated last).
    sort: str = "relevance"
    # "passage", or "document": one hit per document (its best passage), paged over ``documents_total``.
    group: str = "passage"
    # The shards of a distributed backend that did not answer (the answer holds none of their documents).
    partial: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["facets"] = {name: [{"value": b["value"], "count": b["count"]} for b in buckets]
                          for name, buckets in self.facets.items()}
        return data


@dataclass
class FigureRow:
    """A figure a matching passage states, with the passage and the document it comes from."""

    figure: str  # as written: 每人每月1069元
    value: float  # normalised: 1.2万 → 12000
    high: float | None  # a range's upper end
    unit: str
    rate: str  # 每人每月 …
    approx: str  # 余, 约, 以上 …
    change: bool  # 提高40% (a change), not 提高到1045元 (a level)
    measure: str  # what it quantifies (the rows' grouping)
    phrase: str  # the clause around it
    place: str  # the city, else the province, else 全国
    level: str  # 市级, 省级, 全国
    year: int | None
    date: str
    doc_id: str
    order: int
    title: str
    section: list[str]
    passage: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class FiguresResponse:
    query: str
    figures: list[FigureRow]
    # Matching passages (after the filters) and how many were read before the limit was reached.
    passages: int
    passages_read: int
    truncated: bool = False
    took_ms: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SimilarResponse:
    """Passages like one passage, from other documents; ``terms`` are the words they were found by."""

    source: Hit  # the passage itself, its telling words marked
    terms: list[str]
    hits: list[Hit]
    # Other documents holding a near copy of the passage: left out like its own document.
    copies: list[str] = field(default_factory=list)
    took_ms: float = 0.0

    def places(self) -> list[tuple[str, list[Hit]]]:
        """The hits grouped by place, the place of the best hit first."""
        groups: dict[str, list[Hit]] = {}
        for hit in self.hits:
            groups.setdefault(place_of(hit), []).append(hit)
        return list(groups.items())

    def to_dict(self) -> dict:
        data = asdict(self)
        data["places"] = [{"place": place, "ranks": [hit.rank for hit in hits]} for place, hits in self.places()]
        return data


def place_of(hit: Hit) -> str:
    """Where a passage is from, as a reader groups it: the city (empty when the document names none)."""
    return hit.city


@dataclass
class ContextPassage:
    order: int
    section: list[str]
    passage: str
    highlight: str
    is_hit: bool
