"""Compiling a parsed query into Whoosh queries over the passage schema.

A typed word matches a passage when its characters stand together in the
passage text (the bigram layer, whatever jieba made of the sentence), or when
its words occur in the passage's section headings or its document's title.
At least one word must be in the passage or its headings: a title alone does
not make every passage of a document a hit, but 低保 青岛 still finds 低保
passages of a document titled 青岛… (after the passages that hold both
words themselves). Scores add up over layers and fields,
BM25F style: a hit in a heading or title weighs more than one in the text.
A quoted phrase must occur in the passage text itself and is never expanded.

Three queries come out, searched as ranking tiers: ``strict`` (every clause
as typed, in the passage or its headings), ``broad`` (thesaurus alternatives
allowed, clauses may be met by the title) and ``relaxed`` (any clause, used
only when the others find too little).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from whoosh import query as wq

from indexer.analysis import query_words
from indexer.query import Clause, ParsedQuery, Term
from indexer.thesaurus import EQUIVALENT, Thesaurus, default_thesaurus

FIELD_BOOSTS = {"content": 1.0, "section": 1.5, "title": 1.0}
GRAMS_BOOST = 0.5
EXPANSION_BOOSTS = {EQUIVALENT: 0.6, "related": 0.3}


@dataclass
class CompiledQuery:
    strict: wq.Query
    broad: wq.Query | None = None
    relaxed: wq.Query | None = None
    expansions: list[str] = field(default_factory=list)
    # Per required clause, the folded strings whose presence satisfies it (for highlights and proximity).
    needles: list[list[str]] = field(default_factory=list)

    @property
    def all_needles(self) -> list[str]:
        return [needle for clause in self.needles for needle in clause]


def compile_query(parsed: ParsedQuery, expand: bool = True, thesaurus: Thesaurus | None = None) -> CompiledQuery:
    thesaurus = thesaurus or default_thesaurus()
    exclusion = wq.Or([text_query(term) for term in parsed.excluded]) if parsed.excluded else None

    def finish(clauses: list[Clause], alternatives: list[list] | None = None,
               all_in_body: bool = False, any_clause: bool = False) -> wq.Query:
        alternatives = alternatives or [[] for _ in clauses]
        with_title = [clause_query(c, extra, in_title=True) for c, extra in zip(clauses, alternatives)]
        in_body = [clause_query(c, extra, in_title=False) for c, extra in zip(clauses, alternatives)]
        scored = _combine(with_title, wq.Or if any_clause else wq.And)
        combined = wq.Require(scored, _combine(in_body, wq.And if all_in_body else wq.Or))
        return wq.AndNot(combined, exclusion) if exclusion is not None else combined

    compiled = CompiledQuery(strict=finish(parsed.required, all_in_body=True))
    alternatives_per_clause = []
    for clause in parsed.required:
        alternatives = [] if not expand else [
            (Term(e.text), e.kind) for term in clause.alternatives if not term.phrase
            for e in thesaurus.expand(term.text)]
        compiled.expansions.extend(term.text for term, _ in alternatives if term.text not in compiled.expansions)
        compiled.needles.append([run for term in clause.alternatives for run in term.runs]
                                + [run for term, _ in alternatives for run in term.runs])
        alternatives_per_clause.append(alternatives)
    if compiled.expansions or len(parsed.required) > 1:
        compiled.broad = finish(parsed.required, alternatives_per_clause)
    if len(parsed.required) > 1:
        compiled.relaxed = finish(parsed.required, alternatives_per_clause, any_clause=True)
    return compiled


def clause_query(clause: Clause, alternatives: list[tuple[Term, str]], in_title: bool) -> wq.Query:
    """Any of the clause's terms, typed or from the thesaurus (weighted lower)."""
    queries = [term_query(term, 1.0, in_title) for term in clause.alternatives]
    queries += [term_query(term, EXPANSION_BOOSTS[kind], in_title) for term, kind in alternatives]
    return _combine(queries, wq.Or)


def term_query(term: Term, boost: float = 1.0, in_title: bool = True) -> wq.Query:
    if term.phrase:
        return wq.AndMaybe(grams_query(term.runs, boost), word_query("content", term.text, boost))
    fields = [text_query(term, boost), word_query("section", term.text, FIELD_BOOSTS["section"] * boost)]
    if in_title:
        fields.append(word_query("title", term.text, FIELD_BOOSTS["title"] * boost))
    return wq.Or(fields)


def text_query(term: Term, boost: float = 1.0) -> wq.Query:
    """The term in the passage text: as a substring, scored also by its words."""
    return wq.AndMaybe(grams_query(term.runs, boost), word_query("content", term.text, FIELD_BOOSTS["content"] * boost))


def grams_query(runs: list[str], boost: float = 1.0) -> wq.Query:
    parts = [wq.Prefix("grams", run, boost=GRAMS_BOOST * boost) if len(run) == 1
             else _sequence("grams", _bigrams(run), GRAMS_BOOST * boost) for run in runs]
    return parts[0] if len(parts) == 1 else wq.And(parts)


def word_query(field: str, text: str, boost: float = 1.0) -> wq.Query:
    words = query_words(text)
    if not words:
        return wq.NullQuery
    return _sequence(field, words, boost)


def _combine(queries: list[wq.Query], operator) -> wq.Query:
    return queries[0] if len(queries) == 1 else operator(queries)


def _sequence(field: str, tokens: list[str], boost: float) -> wq.Query:
    if len(tokens) == 1:
        return wq.Term(field, tokens[0], boost=boost)
    return wq.Phrase(field, tokens, boost=boost)


def _bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]
