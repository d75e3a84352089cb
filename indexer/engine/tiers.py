"""Ranking tiers: which passages a query finds, in which order of kinds of match (backend-free: a backend
evaluates the plan's queries into :class:`Matches`, the tiers combine them).

1. ``verbatim``: every clause as typed (养老服务补贴发放 as one string), at least one in the passage text;
2. ``broad``: the same with thesaurus alternatives, or with a clause met by the title or a heading;
3. ``words``: passages holding every word of the query (the query segmented into dictionary words,
   sub-words included), then passages holding most of its informative words, ranked by how much of
   the query they cover, each word weighed by its idf (a rare, telling word counts for more than a
   common one), and always, not only when the other tiers find little;
4. ``heading``: passages that match only through their section headings, ranked last (counted, so that
   totals, facets and pages agree).

Coverage is counted per character of the query: each character weighs the idf of the rarest word of
the query that covers it (of those any passage holds), and a passage is credited, per character,
with the idf of the rarest word it holds that covers it. 社会救济 in a passage covers all four
characters at full weight; 救济 alone covers two at its own, lower idf; 社会 alone adds little.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from indexer.engine.matches import Matches
from indexer.errors import QueryError

if TYPE_CHECKING:  # a backend's evaluation (``.matches(query)``, ``.index``) and query plan
    from indexer.backends.whoosh.evaluate import Evaluation
    from indexer.query.plan import CompiledQuery, Reading

# A passage in the words tier covers at least this share of the query, idf-weighted: most of its telling words.
MIN_COVERAGE = 0.4
# Coverage is ranked in steps of this size; within a step, BM25F with the proximity bonus decides.
COVERAGE_STEP = 0.05
# The level of passages holding every word (above any partial coverage).
ALL_WORDS = 2.0
# Word pieces a query may have where the words tier is counted as combinations of pieces (2**n of them).
MAX_PATTERN_PIECES = 20


@dataclass
class Tier:
    name: str
    matches: Matches
    # Counted in totals, facets and charts.
    counted: bool = True
    # Per passage, the share of the query it covers (the words tier): ranked before the score.
    levels: np.ndarray | None = None
    # Passages holding only some of the words.
    partial: int = 0


def build_tiers(evaluation: Evaluation, compiled: CompiledQuery) -> list[Tier]:
    strict = evaluation.matches(compiled.strict)
    tiers = [Tier("verbatim", strict)]
    found = strict.mask
    if compiled.broad is not None:
        broad = evaluation.matches(compiled.broad)
        extra = broad.mask & ~found
        tiers.append(Tier("broad", Matches(extra, broad.scores * extra)))
        found = found | extra
    if compiled.segmented:
        words = words_tier(evaluation, compiled, found)
        if words is not None:
            tiers.append(words)
            found = found | words.matches.mask
    if compiled.heading is not None:
        heading = evaluation.matches(compiled.heading)
        extra = heading.mask & ~found
        if extra.any():
            tiers.append(Tier("heading", Matches(extra, heading.scores * extra)))
    return tiers


def words_tier(evaluation: Evaluation, compiled: CompiledQuery, found: np.ndarray) -> Tier | None:
    """Passages not found yet that hold every word of the query, or most of its informative words."""
    index = evaluation.index
    live = index.live
    total = max(1, int(np.count_nonzero(live)))
    present: dict[int, Matches] = {}  # id(piece query) → matches
    for piece in (piece for clause in compiled.words for reading in clause.readings for piece in reading.pieces):
        if id(piece.query) not in present:
            present[id(piece.query)] = evaluation.matches(piece.query)
    if not present:
        return None
    candidates = np.logical_or.reduce([m.mask for m in present.values()]) & ~found
    if compiled.exclusion is not None:
        candidates &= ~evaluation.matches(compiled.exclusion).mask
    docnums = np.flatnonzero(candidates)
    if not len(docnums):
        return None
    idf = {key: _idf(int(np.count_nonzero(m.mask)), total) for key, m in present.items()}
    held = {key: m.mask[docnums] for key, m in present.items()}

    coverage, every = _coverage(compiled, idf, held, len(docnums))

    keep = every | (coverage >= MIN_COVERAGE - 1e-9)
    if not keep.any():
        return None
    docnums, coverage, every = docnums[keep], coverage[keep], every[keep]
    summed = np.zeros(len(docnums))  # the pieces' scores, added piece by piece, at the tier's passages only
    for m in present.values():
        summed += m.scores[docnums]
    scores = np.zeros(index.size)
    scores[docnums] = summed
    mask = np.zeros(index.size, dtype=bool)
    mask[docnums] = True
    levels = np.zeros(index.size)
    levels[docnums] = np.where(every, ALL_WORDS, np.floor(coverage / COVERAGE_STEP + 1e-9) * COVERAGE_STEP)
    return Tier("words", Matches(mask, scores), levels=levels, partial=int(np.count_nonzero(~every)))


def _coverage(compiled: CompiledQuery, idf: dict, held: dict, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate's share of the query's informative words (idf-weighted, clause by clause, a clause
    counting its best reading) and whether it holds every clause whole."""
    covered = np.zeros(size)
    weight = 0.0
    every = np.ones(size, dtype=bool)
    for clause in compiled.words:
        best_share = np.zeros(size)
        complete = np.zeros(size, dtype=bool)
        clause_weight = 0.0
        for reading in clause.readings:
            share, whole, reading_weight = _reading_coverage(reading, idf, held, size)
            if reading.credit == 1.0:
                clause_weight = max(clause_weight, reading_weight)
                complete |= whole
            best_share = np.maximum(best_share, share * reading.credit)
        covered += best_share * clause_weight
        weight += clause_weight
        every &= complete
    return (covered / weight if weight else np.zeros(size)), every


def _reading_coverage(reading: Reading, idf: dict, held: dict, size: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(share of the reading's weight each passage covers, whether it holds a word at every weighed
    character, the reading's weight)."""
    groups: dict[tuple[int, ...], int] = {}  # the pieces covering a character → how many characters
    for position in range(reading.length):
        covering = tuple(i for i, p in enumerate(reading.pieces) if p.start <= position < p.end)
        if covering:
            groups[covering] = groups.get(covering, 0) + 1
    covered = np.zeros(size)
    whole = np.ones(size, dtype=bool)
    weight = 0.0
    for covering, characters in groups.items():
        keys = [id(reading.pieces[i].query) for i in covering]
        top = max(idf[key] for key in keys)
        if top <= 0:  # no passage holds any word here: it weighs nothing, and no passage holds every word
            whole[:] = False
            continue
        weight += top * characters
        best = np.zeros(size)
        for key in keys:
            best = np.maximum(best, held[key] * idf[key])
        covered += best * characters
        whole &= best > 0
    if weight == 0:
        return np.zeros(size), np.zeros(size, dtype=bool), 0.0
    return covered / weight, whole, weight


def _idf(df: int, total: int) -> float:
    """BM25's idf; 0 for a word no passage holds."""
    if df == 0:
        return 0.0
    return math.log(1 + (total - df + 0.5) / (df + 0.5))


def tier_and_score(tiers, docnums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``docnums``: the number of the first tier holding it (1 = as typed) and its BM25F score there."""
    tier_of = np.zeros(len(docnums), dtype=np.int64)
    scores = np.zeros(len(docnums))
    for number, matches in enumerate(tier.matches for tier in tiers):
        inside = matches.mask[docnums] & (tier_of == 0)
        tier_of[inside] = number + 1
        scores += matches.scores[docnums] * inside
    return tier_of, scores


def counted_union(tiers: list[Tier]) -> np.ndarray:
    """The passages any counted tier matches: what :meth:`SearchEngine.search` counts."""
    return np.logical_or.reduce([tier.matches.mask for tier in tiers if tier.counted])


def best_matches(matches: Matches, allowed: np.ndarray, limit: int, levels: np.ndarray | None = None) -> list[tuple[float, int]]:
    """The ``limit`` best allowed matches as (score, docnum): by level (when given), then score, ties by
    docnum (as Whoosh orders)."""
    return RankedMatches(matches, allowed, levels).best(limit)


class RankedMatches:
    """A tier's allowed matches and their ranking keys, taken from the whole index once for every pool
    :meth:`best` cuts from them (a tier's pools grow while reprints fold away)."""

    def __init__(self, matches: Matches, allowed: np.ndarray, levels: np.ndarray | None = None):
        self.docnums = np.flatnonzero(matches.mask & allowed)
        self.scores = matches.scores[self.docnums]
        self.ranks = self.scores if levels is None else levels[self.docnums] * LEVEL_SCALE + self.scores

    def best(self, limit: int) -> list[tuple[float, int]]:
        """:func:`best_matches` of these matches."""
        docnums, scores, ranks = self.docnums, self.scores, self.ranks
        if not len(docnums) or limit <= 0:
            return []
        if len(docnums) > limit:
            keep = np.argpartition(-ranks, limit - 1)[:limit]
            threshold = ranks[keep].min()
            keep = np.flatnonzero(ranks >= threshold)  # every tie at the cut, so the docnum order decides
            docnums, scores, ranks = docnums[keep], scores[keep], ranks[keep]
        order = np.lexsort((docnums, -ranks))[:limit]
        return [(float(scores[i]), int(docnums[i])) for i in order]


# Levels (coverage steps) outrank any BM25F score when ranking by both.
LEVEL_SCALE = 1e6


# -- the words tier as combinations of pieces, for a backend that counts and ranks by boolean expressions ---

def piece_queries(compiled: CompiledQuery) -> list:
    """The distinct word pieces of a query (a piece of several readings is one), in the query's order."""
    found: dict[int, object] = {}
    for piece in (piece for clause in compiled.words for reading in clause.readings for piece in reading.pieces):
        found.setdefault(id(piece.query), piece.query)
    return list(found.values())


@dataclass
class WordLevels:
    """The words tier as combinations of :func:`piece_queries`: for each level a passage can reach, best first,
    the smallest sets of pieces (indices) whose holding puts a passage at that level or above. Coverage only
    grows with the pieces held, so "level ≥ L" is "holds every piece of one of ``at_least[L]``"."""

    levels: list[float]
    at_least: dict[float, list[tuple[int, ...]]]

    def level_of(self, held: list[bool]) -> float | None:
        """The level of a passage holding ``held`` (one flag per piece); None when it is not in the tier."""
        for level in self.levels:
            if any(all(held[i] for i in combination) for combination in self.at_least[level]):
                return level
        return None


def word_levels(compiled: CompiledQuery, frequencies: list[int], total: int) -> WordLevels:
    """The same coverage :func:`words_tier` computes passage by passage, computed once per combination of the
    query's pieces (``frequencies``: each piece's passages, out of ``total``)."""
    pieces = piece_queries(compiled)
    if len(pieces) > MAX_PATTERN_PIECES:
        raise QueryError(f"检索式过长：按词匹配时最多 {MAX_PATTERN_PIECES} 个词（此检索式有 {len(pieces)} 个），请减少检索词。")
    codes = np.arange(2 ** len(pieces))  # bit i set: the passage holds piece i
    rows = (codes[:, None] >> np.arange(len(pieces))) & 1 == 1
    idf = {id(query): _idf(df, max(1, total)) for query, df in zip(pieces, frequencies)}
    held = {id(query): rows[:, i] for i, query in enumerate(pieces)}
    coverage, every = _coverage(compiled, idf, held, len(rows))
    inside = (every | (coverage >= MIN_COVERAGE - 1e-9)) & (codes > 0)
    reached = np.where(every, ALL_WORDS, np.floor(coverage / COVERAGE_STEP + 1e-9) * COVERAGE_STEP)
    reached[~inside] = -1.0
    levels = sorted({float(level) for level in reached[inside]}, reverse=True)
    at_least = {}
    for level in levels:
        qualifies = reached >= level - 1e-9
        smallest = qualifies.copy()
        for i in range(len(pieces)):  # smallest: no piece can be dropped and still qualify
            smallest &= ~(rows[:, i] & qualifies[codes ^ (1 << i)])
        at_least[level] = [tuple(np.flatnonzero(rows[code])) for code in np.flatnonzero(smallest)]
    return WordLevels(levels, at_least)
