"""Compiling a parsed query into a plan over the passage fields: a tree every backend evaluates.

The plan's nodes (:class:`FieldTerm`, :class:`FieldPhrase`, :class:`FieldPrefix`, :class:`And`, :class:`Or`,
:class:`AndMaybe`, :class:`Require`, :class:`AndNot`, :data:`NOTHING`) name fields and terms as the
index holds them (``indexer/text/terms.py``); the Whoosh backend evaluates them as arrays, the Sphinx
backend writes them as ``MATCH()`` expressions.

A typed word matches a passage when its characters stand together in the
passage text (the bigram layer, whatever jieba made of the sentence), or when
its words occur in the passage's section headings or its document's title.
At least one word must be in the passage or its headings: a title alone does
not make every passage of a document a hit, but 低保 青岛 still finds 低保
passages of a document titled 青岛… (after the passages that hold both
words themselves). Scores add up over layers and fields,
BM25F style: a hit in a heading or title weighs more than one in the text.
A quoted phrase must occur in the passage text itself and is never expanded.

Queries come out for the ranking tiers (indexer/engine/tiers.py): ``strict`` (every
clause as typed, at least one of them in the passage text itself), ``broad``
(thesaurus alternatives allowed, clauses may be met by the title or a
heading), ``heading`` (the same, met by headings alone: ranked last), and the
``words`` of every clause — the query segmented into dictionary words, sub-words
included — from which the tier of passages holding every word, then most of the
informative words, is computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.text.segmentation import is_in_dictionary, segmenter
from indexer.text.terms import query_words
from indexer.query.parse import Clause, ParsedQuery, Term
from indexer.query.thesaurus import EQUIVALENT, Thesaurus, default_thesaurus


# -- the plan's nodes ----------------------------------------------------------
# Compared by identity (``eq=False``): a node object is a cache key while one query is evaluated.

@dataclass(frozen=True, eq=False)
class FieldTerm:
    """A term in a field, scored by BM25F times ``boost``."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True, eq=False)
class FieldPhrase:
    """Terms standing together (bigrams overlapping by a character, words following each other), scored as
    the sum of its terms."""

    field: str
    words: tuple[str, ...]
    boost: float = 1.0


@dataclass(frozen=True, eq=False)
class FieldPrefix:
    """Any term beginning with ``text`` (a one-character run among the bigrams), scored ``boost``."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True, eq=False)
class And:
    """Every part; scored as the sum of the parts."""

    parts: tuple
    boost: float = 1.0


@dataclass(frozen=True, eq=False)
class Or:
    """Any part; scored as the sum of the parts that match."""

    parts: tuple
    boost: float = 1.0


@dataclass(frozen=True, eq=False)
class AndMaybe:
    """``a``'s matches; ``b`` adds its score where it matches too."""

    a: object
    b: object


@dataclass(frozen=True, eq=False)
class Require:
    """Where both match, scored as ``a``."""

    a: object
    b: object


@dataclass(frozen=True, eq=False)
class AndNot:
    """``a``'s matches without ``b``'s."""

    a: object
    b: object


class Nothing:
    """Matches no passage (a term with no word to search for)."""

    def __repr__(self) -> str:
        return "NOTHING"


NOTHING = Nothing()
Node = FieldTerm | FieldPhrase | FieldPrefix | And | Or | AndMaybe | Require | AndNot | Nothing


FIELD_BOOSTS = {"content": 1.0, "section": 1.5, "title": 1.0}
GRAMS_BOOST = 0.5
EXPANSION_BOOSTS = {EQUIVALENT: 0.6, "related": 0.3}


# Pieces shorter than this are not words of the query (single characters: 的, 院).
MIN_PIECE = 2
# A dictionary word that straddles two of jieba's tokens (社会福利|院 → 福利院) counts from this length.
MIN_STRADDLING = 3


@dataclass(frozen=True)
class Piece:
    """A word of a typed term (a jieba token, a dictionary word inside it) and the characters it covers."""

    text: str  # folded
    start: int  # in the term's folded word characters
    end: int
    query: Node  # the piece, or an equivalent, in the passage text


@dataclass
class Reading:
    """One way to satisfy a clause word by word: a typed term, or a thesaurus alternative (``credit`` < 1)."""

    length: int  # word characters of the term
    pieces: list[Piece]
    credit: float = 1.0


@dataclass
class WordClause:
    """A required clause as words: any of its readings will do."""

    readings: list[Reading]


@dataclass
class CompiledQuery:
    strict: Node
    broad: Node | None = None
    # Every clause met, but only by section headings: ranked after everything else.
    heading: Node | None = None
    words: list[WordClause] = field(default_factory=list)
    exclusion: Node | None = None
    expansions: list[str] = field(default_factory=list)
    # Per required clause, the folded strings whose presence satisfies it (for highlights and proximity).
    needles: list[list[str]] = field(default_factory=list)
    # Per word of the query, the folded strings that stand for it (proximity in the words tier).
    word_needles: list[list[str]] = field(default_factory=list)

    @property
    def all_needles(self) -> list[str]:
        return [needle for clause in self.needles for needle in clause]

    @property
    def piece_needles(self) -> list[str]:
        """The words of the query, for highlights of passages that hold only some of them."""
        found = dict.fromkeys(self.all_needles)
        for needles in self.word_needles:
            found.update(dict.fromkeys(needles))
        return list(found)

    @property
    def segmented(self) -> bool:
        """True when the words tier can add anything: more than one word, or a word made of several."""
        return len(self.words) > 1 or any(len(reading.pieces) > 1 for clause in self.words for reading in clause.readings)


def compile_query(parsed: ParsedQuery, expand: bool = True, thesaurus: Thesaurus | None = None) -> CompiledQuery:
    thesaurus = thesaurus or default_thesaurus()
    exclusion = Or(tuple(text_query(term) for term in parsed.excluded)) if parsed.excluded else None

    def finish(clauses: list[Clause], alternatives: list[list] | None = None, **where) -> Node:
        return _finish(clauses, alternatives, exclusion, **where)

    compiled = CompiledQuery(strict=finish(parsed.required, all_in_body=True), exclusion=exclusion)
    alternatives_per_clause = [_expansions(clause, thesaurus) if expand else [] for clause in parsed.required]
    for clause, alternatives in zip(parsed.required, alternatives_per_clause):
        compiled.expansions.extend(term.text for term, _ in alternatives if term.text not in compiled.expansions)
        compiled.needles.append(_needles(clause, alternatives))
    if compiled.expansions or len(parsed.required) > 1:
        compiled.broad = finish(parsed.required, alternatives_per_clause)
    compiled.heading = finish(parsed.required, alternatives_per_clause, in_text=False)
    compiled.words = [word_clause(clause, alternatives, thesaurus if expand else None)
                      for clause, alternatives in zip(parsed.required, alternatives_per_clause)]
    compiled.word_needles = _word_needles(compiled.words)
    return compiled


def _finish(clauses: list[Clause], alternatives: list[list] | None, exclusion: Node | None,
            all_in_body: bool = False, in_text: bool = True) -> Node:
    """Every clause somewhere (text, headings, or title); with ``all_in_body`` every clause in the text or
    the headings; and at least one clause in the passage text itself (in a heading, when not ``in_text``)."""
    alternatives = alternatives or [[] for _ in clauses]
    with_title = [clause_query(c, extra, in_title=True) for c, extra in zip(clauses, alternatives)]
    combined = _combine(with_title, And)
    if all_in_body:
        in_body = [clause_query(c, extra, in_title=False) for c, extra in zip(clauses, alternatives)]
        combined = Require(combined, _combine(in_body, And))
    where = [clause_query(c, extra, in_title=False, in_section=not in_text) for c, extra in zip(clauses, alternatives)]
    combined = Require(combined, _combine(where, Or))
    return AndNot(combined, exclusion) if exclusion is not None else combined


def _needles(clause: Clause, alternatives: list[tuple[Term, str]]) -> list[str]:
    """What a clause highlights: the runs of its terms and of their expansions."""
    return [run for term in clause.alternatives for run in term.runs] + [run for term, _ in alternatives for run in term.runs]


def _expansions(clause: Clause, thesaurus: Thesaurus) -> list[tuple[Term, str]]:
    """The thesaurus's words for a clause's (unquoted) terms, each with its kind."""
    return [(Term(e.text), e.kind) for term in clause.alternatives if not term.phrase
            for e in thesaurus.expand(term.text)]


def clause_query(clause: Clause, alternatives: list[tuple[Term, str]], in_title: bool,
                 in_section: bool = True) -> Node:
    """Any of the clause's terms, typed or from the thesaurus (weighted lower)."""
    queries = [term_query(term, 1.0, in_title, in_section) for term in clause.alternatives]
    queries += [term_query(term, EXPANSION_BOOSTS[kind], in_title, in_section) for term, kind in alternatives]
    return _combine(queries, Or)


def term_query(term: Term, boost: float = 1.0, in_title: bool = True, in_section: bool = True) -> Node:
    if term.phrase:
        return AndMaybe(grams_query(term.runs, boost), word_query("content", term.text, boost))
    fields = [text_query(term, boost)]
    if in_section:
        fields.append(word_query("section", term.text, FIELD_BOOSTS["section"] * boost))
    if in_title:
        fields.append(word_query("title", term.text, FIELD_BOOSTS["title"] * boost))
    return _combine(fields, Or)


# -- the query as words ---------------------------------------------------------

def word_clause(clause: Clause, alternatives: list[tuple[Term, str]], thesaurus: Thesaurus | None) -> WordClause:
    """A clause's readings: each typed term as its words; each thesaurus alternative as one word, part credit."""
    readings = [term_reading(term, thesaurus) for term in clause.alternatives]
    for term, kind in alternatives:
        text = "".join(term.runs)
        readings.append(Reading(len(text), [Piece(text, 0, len(text), text_query(term))],
                                credit=WORD_CREDITS[kind]))
    return WordClause(readings)


WORD_CREDITS = {EQUIVALENT: 1.0, "related": 0.5}


def term_reading(term: Term, thesaurus: Thesaurus | None) -> Reading:
    """The words a typed term is made of; a quoted phrase stays one word."""
    if term.phrase:
        text = "".join(term.runs)
        return Reading(len(text), [Piece(text, 0, len(text), text_query(term))])
    pieces: list[Piece] = []
    offset = 0
    for run in term.runs:
        for text, start, end in run_pieces(run):
            pieces.append(Piece(text, offset + start, offset + end, piece_query(text, thesaurus)))
        offset += len(run)
    return Reading(offset, pieces)


def run_pieces(run: str) -> list[tuple[str, int, int]]:
    """jieba's words of a run of word characters and the dictionary words inside them (民政局 → 民政),
    with dictionary words of three or more characters that straddle two of them (社会福利|院 → 福利院).
    A run with no word of two characters is its own piece."""
    tokens = [(w, s, e) for w, s, e in segmenter().tokenize(run, HMM=False)]
    found: dict[tuple[int, int], str] = {}
    for word, start, end in tokens:
        if end - start >= MIN_PIECE:
            found[(start, end)] = word
    boundaries = {start for _, start, _ in tokens} - {0}
    for start in range(len(run)):
        for end in range(start + MIN_PIECE, len(run) + 1):
            if (start, end) in found or not is_in_dictionary(run[start:end]):
                continue
            straddles = any(start < b < end for b in boundaries)
            if not straddles or end - start >= MIN_STRADDLING:
                found[(start, end)] = run[start:end]
    if not found:
        return [(run, 0, len(run))]
    return [(text, start, end) for (start, end), text in sorted(found.items())]


def piece_query(text: str, thesaurus: Thesaurus | None) -> Node:
    """A word in the passage text, or one of its equivalents."""
    queries = [text_query(Term(text))]
    if thesaurus is not None:
        queries += [text_query(Term(e.text), EXPANSION_BOOSTS[EQUIVALENT]) for e in thesaurus.expand(text)
                    if e.kind == EQUIVALENT]
    return _combine(queries, Or)


def _word_needles(words: list[WordClause]) -> list[list[str]]:
    """Per typed word (the longest pieces: jieba's tokens), the strings that stand for it."""
    needles = []
    for clause in words:
        for reading in clause.readings[:1]:
            outer = [p for p in reading.pieces
                     if not any(q is not p and q.start <= p.start and p.end <= q.end for q in reading.pieces)]
            for word in outer:
                needles.append([p.text for p in reading.pieces if word.start <= p.start and p.end <= word.end])
    return needles


def text_query(term: Term, boost: float = 1.0) -> Node:
    """The term in the passage text: as a substring, scored also by its words."""
    return AndMaybe(grams_query(term.runs, boost), word_query("content", term.text, FIELD_BOOSTS["content"] * boost))


def grams_query(runs: list[str], boost: float = 1.0) -> Node:
    parts = [FieldPrefix("grams", run, boost=GRAMS_BOOST * boost) if len(run) == 1
             else _sequence("grams", _bigrams(run), GRAMS_BOOST * boost) for run in runs]
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def word_query(field: str, text: str, boost: float = 1.0) -> Node:
    words = query_words(text)
    if not words:
        return NOTHING
    return _sequence(field, words, boost)


def _combine(queries: list[Node], operator) -> Node:
    return queries[0] if len(queries) == 1 else operator(tuple(queries))


def _sequence(field: str, tokens: list[str], boost: float) -> Node:
    if len(tokens) == 1:
        return FieldTerm(field, tokens[0], boost=boost)
    return FieldPhrase(field, tuple(tokens), boost=boost)


def _bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]
