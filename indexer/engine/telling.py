"""More like this, backend-free: the words that tell a passage apart, weighed against the collection.

Lucene's MoreLikeThis in the engine's terms: the passage is analysed as it is
indexed (jieba words with their sub-words, so the counts are the passage's own
postings), each word is weighed by the BM25 score it gives this passage (a
backend supplies the idf and the passage's length norm), and the best few
become an OR query, each boosted by its weight relative to the best. Words that
cannot say what the passage is about are left out: one character, no letter
(1045, 2025), words only this passage holds (they find nothing else), and —
with the words inside them — place names and agency names (青岛市, 崂山区 →
山区; 市财政局 → 财政, 政局): they say where and who, and the point is the same
measure elsewhere, whoever co-signed it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from indexer.ingest.places import places
from indexer.query import plan
from indexer.text.script import to_simplified
from indexer.text.terms import SUBWORD_MIN_LENGTH, subwords, word_pieces

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


def telling_terms(passage: str, frequencies: Callable[[list[str]], dict[str, int]],
                  weight: Callable[[str, int], float], limit: int = MAX_TERMS) -> list[TellingTerm]:
    """The passage's ``limit`` most telling words, best first. ``frequencies(words)``: each word's passages
    in the collection; ``weight(word, tf)``: the BM25 score the word gives this passage."""
    counts = Counter(word for word, whole in index_words(passage)
                     if not (is_place_name(whole) or _AGENCY.match(whole)))
    words = [w for w in counts if len(w) >= MIN_WORD_CHARS and _LETTER.search(w)]
    known = frequencies(words)
    weighed = [TellingTerm(w, weight(w, counts[w])) for w in words if known.get(w, 0) >= MIN_DOC_FREQ]
    weighed.sort(key=lambda t: (-t.weight, t.text))
    return weighed[:limit]


def index_words(passage: str):
    """(word, the whole word it is part of) for every index-time word of the passage: each jieba word, then
    the dictionary words inside it."""
    for piece in word_pieces(to_simplified(passage)):
        if piece is None:
            continue
        whole = piece[0].lower()
        yield whole, whole
        if len(whole) > SUBWORD_MIN_LENGTH:
            for part in subwords(whole):
                yield part, whole


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
