"""More like this: the terms that tell a passage apart, weighted against the collection, as a query.

Lucene's MoreLikeThis in the engine's terms: the passage is analysed as it was
indexed (jieba words with their sub-words, so the counts are the passage's own
postings), each word is weighed by the BM25 score it gives this passage (idf
from the index, the passage's length norm), and the best few become an OR
query, each boosted by its weight relative to the best. Words that cannot say
what the passage is about are left out: one character, no letter (1045,
2025), words only this passage holds (they find nothing else), and — with the
words inside them — place names and agency names (青岛市, 崂山区 → 山区;
市财政局 → 财政, 政局): they say where and who, and the point is the same
measure elsewhere, whoever co-signed it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from indexer.backends.whoosh.analyzers import chinese_analyzer
from indexer.backends.whoosh.evaluate import IndexArrays
from indexer.ingest.places import places
from indexer.query import plan

FIELD = "content"
MAX_TERMS = 25  # Lucene's maxQueryTerms
MIN_WORD_CHARS = 2
MIN_DOC_FREQ = 2  # the passage itself and at least one other
_LETTER = re.compile(r"[^\W\d_]")
_PLACE_SUFFIXES = "省市区县"
# 民政局, 财政厅, 卫健委, 民政部: three characters or more (布局, 格局 are words), ending in an office.
_AGENCY = re.compile(r"^\w{2,}[局厅委部]$")


@dataclass(frozen=True)
class TellingTerm:
    text: str
    weight: float


def telling_terms(passage: str, docnum: int, index: IndexArrays, limit: int = MAX_TERMS) -> list[TellingTerm]:
    """The passage's ``limit`` most telling words, best first, each with its BM25 weight in the passage."""
    counts = Counter(word for word, whole in _words(passage) if not (is_place_name(whole) or _AGENCY.match(whole)))
    searcher = index.searcher
    norm = index.norm(FIELD)[docnum]
    weighed = []
    for term, tf in counts.items():
        if len(term) < MIN_WORD_CHARS or not _LETTER.search(term):
            continue
        if searcher.doc_frequency(FIELD, term) < MIN_DOC_FREQ:
            continue
        weight = searcher.idf(FIELD, term) * tf * (index.K1 + 1) / (tf + norm)
        weighed.append(TellingTerm(term, weight))
    weighed.sort(key=lambda t: (-t.weight, t.text))
    return weighed[:limit]


def _words(passage: str):
    """(word, the whole word it is part of) for every index-time token: sub-words share their word's position."""
    whole, position = "", None
    for token in chinese_analyzer()(passage, mode="index", positions=True):
        if token.pos != position:
            whole, position = token.text, token.pos
        yield token.text, whole


def query(terms: list[TellingTerm]) -> plan.Node:
    """Any of the terms, each boosted by its weight relative to the best (Lucene's ``boost=true``)."""
    if not terms:
        return plan.NOTHING
    best = terms[0].weight
    return plan.Or(tuple(plan.FieldTerm(FIELD, t.text, boost=t.weight / best) for t in terms))


def is_place_name(word: str) -> bool:
    """青岛, 青岛市, 崂山区, 山东省: a city, province or district, with or without its 省/市/区/县."""
    return word.rstrip(_PLACE_SUFFIXES) in _place_names()


@lru_cache(maxsize=1)
def _place_names() -> frozenset[str]:
    names = (name for place in places() for name in (place.city, place.province, *place.names))
    return frozenset(filter(None, (name.rstrip(_PLACE_SUFFIXES) for name in names)))
