"""Ranking beyond BM25F: proximity of the query's words, and near-duplicate collapsing.

Both work on a small pool of top candidates from the index, on the passage
text itself, so they cost little and need nothing stored beyond the passage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.analysis import match_form
from indexer.similarity import near_duplicate, shingles

# A passage whose query words stand within a few characters of each other gains up to this share.
PROXIMITY_WEIGHT = 0.5
PROXIMITY_SCALE = 20  # characters of gap at which the bonus halves


@dataclass
class Candidate:
    docnum: int
    score: float
    fields: dict
    duplicates: list[dict] = field(default_factory=list)
    _shingles: set[str] | None = field(default=None, repr=False, compare=False)

    @property
    def shingles(self) -> set[str]:
        """The passage's shingles, computed once however many tiers compare it."""
        if self._shingles is None:
            self._shingles = shingles(self.fields["passage"])
        return self._shingles


def proximity_bonus(text: str, clause_needles: list[list[str]]) -> float:
    """Share of extra score for the tightest window holding one needle of every clause."""
    if len(clause_needles) < 2:
        return 0.0
    folded = match_form(text)
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
        candidate.score *= 1 + proximity_bonus(candidate.fields["passage"], clause_needles)
    return sorted(candidates, key=lambda c: (-c.score, c.docnum))


def collapse_near_duplicates(candidates: list[Candidate], kept: list[Candidate] = ()) -> list[Candidate]:
    """Keep the best-ranked of passages that say nearly the same thing; remember the others.

    ``kept``: candidates ranked above these, already collapsed (an earlier tier's); they come first.
    """
    kept = list(kept)
    verbatim = {frozenset(k.shingles): k for k in kept}  # reprints are common: found by hash, not by scan
    for candidate in candidates:
        own = candidate.shingles
        key = frozenset(own)
        original = verbatim.get(key) or next((k for k in kept if near_duplicate(own, k.shingles)), None)
        if original is None:
            kept.append(candidate)
            verbatim[key] = candidate
        else:
            original.duplicates.append({"doc_id": candidate.fields["doc_id"], "order": candidate.fields["order"]})
    return kept


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
