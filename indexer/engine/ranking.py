"""Ranking beyond BM25F: proximity of the query's words, and near-duplicate folding.

Both work on a pool of top candidates from the index, on each passage's folded
text (:func:`indexer.text.terms.match_form`, read from the segment's text table),
so they cost little and need no stored fields: those are read for the page only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from indexer.text.shingles import ShingleSets, shingles

# A passage whose query words stand within a few characters of each other gains up to this share.
PROXIMITY_WEIGHT = 0.5
PROXIMITY_SCALE = 20  # characters of gap at which the bonus halves


@dataclass
class Candidate:
    docnum: int
    score: float
    folded: str  # the passage's match_form
    # Ranked before the score: how much of the query the passage covers (the words tier), else 0.
    level: float = 0.0
    duplicates: list[int] = field(default_factory=list)  # docnums folded into this one
    _shingles: set[int] | None = field(default=None, repr=False, compare=False)

    @property
    def shingles(self) -> set[int]:
        """The passage's shingles, computed once however many pools compare it."""
        if self._shingles is None:
            self._shingles = shingles(self.folded)
        return self._shingles


def proximity_bonus(folded: str, clause_needles: list[list[str]]) -> float:
    """Share of extra score for the tightest window of ``folded`` holding one needle of every clause."""
    if len(clause_needles) < 2:
        return 0.0
    occurrences: list[tuple[int, int, int]] = []  # (start, end, clause)
    for clause, needles in enumerate(clause_needles):
        for needle in needles:
            start = folded.find(needle)
            while start != -1:
                occurrences.append((start, start + len(needle), clause))
                start = folded.find(needle, start + 1)
    window = _tightest_window(sorted(occurrences), len(clause_needles))
    if window is None:
        return 0.0
    gap = max(0, window - sum(min(len(n) for n in needles) for needles in clause_needles if needles))
    return PROXIMITY_WEIGHT * PROXIMITY_SCALE / (PROXIMITY_SCALE + gap)


def rerank(candidates: list[Candidate], clause_needles: list[list[str]]) -> list[Candidate]:
    for candidate in candidates:
        candidate.score *= 1 + proximity_bonus(candidate.folded, clause_needles)
    return sorted(candidates, key=lambda c: (-c.level, -c.score, c.docnum))


class DuplicateFolder:
    """Keeps the best-ranked of passages that say nearly the same thing; the others are its ``duplicates``.

    Candidates arrive best first, a pool at a time. A verbatim copy (the same
    folded text: reprints are common) is folded by hash before it costs
    anything; a near copy (shingle Jaccard >= 0.8) when its pool is added.
    """

    def __init__(self):
        self.kept: list[Candidate] = []
        self._by_text: dict[str, Candidate] = {}
        self._kept_shingles = ShingleSets()

    def fresh(self, candidates: Iterable[Candidate]) -> list[Candidate]:
        """The candidates whose text was not seen before; the verbatim copies are folded."""
        found = []
        for candidate in candidates:
            first = self._by_text.get(candidate.folded)
            if first is None:
                self._by_text[candidate.folded] = candidate
                found.append(candidate)
            else:
                first.duplicates.append(candidate.docnum)
        return found

    def add(self, candidates: list[Candidate], until: int, then: int = 0) -> None:
        """The next candidates in rank order (a pool is re-ranked within itself): each is kept, or folded
        into the kept one it nearly copies. Once ``until`` are kept, ``then`` more are only folded, so
        the last kept ones are credited with their near copies too."""
        for candidate in candidates:
            if len(self.kept) >= until:
                if then <= 0:
                    return
                then -= 1
            number = self._kept_shingles.first_near(candidate.shingles)
            if number is not None:
                original = self.kept[number]
                original.duplicates += [candidate.docnum, *candidate.duplicates]
                self._by_text[candidate.folded] = original  # later verbatim copies go to the one kept
            elif len(self.kept) < until:
                self._kept_shingles.add(candidate.shingles)
                self.kept.append(candidate)


def _tightest_window(occurrences: list[tuple[int, int, int]], clauses: int) -> int | None:
    best = None
    counts: dict[int, int] = {}
    left = 0
    for right, (_, end, clause) in enumerate(occurrences):
        counts[clause] = counts.get(clause, 0) + 1
        while len(counts) == clauses:
            start = occurrences[left][0]
            span = max(e for _, e, _ in occurrences[left:right + 1]) - start
            best = span if best is None else min(best, span)
            left_clause = occurrences[left][2]
            counts[left_clause] -= 1
            if not counts[left_clause]:
                del counts[left_clause]
            left += 1
    return best


# Candidates looked at beyond the page: in a tier's first pool (so folding usually still fills the page),
# and, once the page is full, only to fold their near copies into its hits.
DUPLICATE_POOL = 20
# When reprints fold a tier's pool below a page, the next pool is this many times larger, at most this often.
POOL_GROWTH = 4
POOL_ROUNDS = 3


def fold_best(folder: DuplicateFolder, ranked: Callable[[int, int], list[Candidate]], wanted: int,
              clause_needles: list[list[str]]) -> None:
    """A tier's best passages into ``folder`` until it keeps ``wanted``: pools growing while reprints fold
    away, each pool re-ranked by proximity. ``ranked(start, stop)``: the tier's candidates ranked
    ``start`` to ``stop - 1`` (fewer when the tier has no more)."""
    first_pool = wanted + DUPLICATE_POOL
    largest_pool = first_pool * POOL_GROWTH ** POOL_ROUNDS
    fetched, size = 0, first_pool
    while len(folder.kept) < wanted and size <= largest_pool:
        found = ranked(fetched, size)
        folder.add(rerank(folder.fresh(found), clause_needles), until=wanted, then=DUPLICATE_POOL)
        if len(found) < size - fetched:
            return  # no more passages
        fetched, size = size, size * POOL_GROWTH
