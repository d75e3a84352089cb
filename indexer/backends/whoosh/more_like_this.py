"""More like this over a Whoosh index: :mod:`indexer.engine.telling` with the index's idf and length norms."""

from __future__ import annotations

from indexer.backends.whoosh.evaluate import IndexArrays
from indexer.engine.telling import FIELD, MAX_TERMS, TellingTerm, telling_terms as select


def telling_terms(passage: str, docnum: int, index: IndexArrays, limit: int = MAX_TERMS) -> list[TellingTerm]:
    """The passage's ``limit`` most telling words, best first, each with its BM25 weight in the passage."""
    searcher = index.searcher
    norm = index.norm(FIELD)[docnum]

    def frequencies(words: list[str]) -> dict[str, int]:
        return {word: searcher.doc_frequency(FIELD, word) for word in words}

    def weight(word: str, tf: int) -> float:
        return searcher.idf(FIELD, word) * tf * (index.K1 + 1) / (tf + norm)

    return select(passage, frequencies, weight, limit)
