"""Compiling a parsed query into a Whoosh query over the passage schema.

A typed word matches a passage when its characters stand together in the
passage text (the bigram layer, whatever jieba made of the sentence), or when
its words occur in the title or section headings. Scores add up over layers
and fields, BM25F style: a hit in a heading weighs more than one in the text.
A quoted phrase must occur in the passage text itself.
"""

from __future__ import annotations

from whoosh import query as wq

from indexer.analysis import query_words
from indexer.query import ParsedQuery, Term

FIELD_BOOSTS = {"content": 1.0, "section": 2.0, "title": 3.0}
GRAMS_BOOST = 0.5


def compile_query(parsed: ParsedQuery) -> wq.Query:
    required = [wq.Or([term_query(term) for term in clause.alternatives]) for clause in parsed.required]
    positive = required[0] if len(required) == 1 else wq.And(required)
    if not parsed.excluded:
        return positive
    return wq.AndNot(positive, wq.Or([text_query(term) for term in parsed.excluded]))


def term_query(term: Term) -> wq.Query:
    if term.phrase:
        return wq.AndMaybe(grams_query(term.runs), word_query("content", term.text))
    heading_fields = [word_query(name, term.text, FIELD_BOOSTS[name]) for name in ("section", "title")]
    return wq.Or([text_query(term)] + heading_fields)


def text_query(term: Term) -> wq.Query:
    """The term in the passage text: as a substring, scored also by its words."""
    return wq.AndMaybe(grams_query(term.runs), word_query("content", term.text, FIELD_BOOSTS["content"]))


def grams_query(runs: list[str]) -> wq.Query:
    parts = [wq.Prefix("grams", run, boost=GRAMS_BOOST) if len(run) == 1
             else _sequence("grams", _bigrams(run), GRAMS_BOOST) for run in runs]
    return parts[0] if len(parts) == 1 else wq.And(parts)


def word_query(field: str, text: str, boost: float = 1.0) -> wq.Query:
    words = query_words(text)
    if not words:
        return wq.NullQuery
    return _sequence(field, words, boost)


def _sequence(field: str, tokens: list[str], boost: float) -> wq.Query:
    if len(tokens) == 1:
        return wq.Term(field, tokens[0], boost=boost)
    return wq.Phrase(field, tokens, boost=boost)


def _bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]
