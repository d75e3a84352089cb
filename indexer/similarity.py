"""Near-duplicate text: character shingles, Jaccard similarity and a bounded detector.

Captures repeat paragraphs with small edits (a dropped character, 、 for ，),
and reprints repeat them across documents; both should count once.
"""

from __future__ import annotations

import re
from collections import OrderedDict, deque

from indexer.script import to_simplified

SHINGLE = 3
NEAR_DUPLICATE = 0.8
SKETCH_SIZE = 16
SKETCH_BUCKETS = 3  # a candidate shares one of the sketch's smallest hashes
BUCKET_LIMIT = 4  # most recent paragraphs kept per bucket, so each check costs a bounded amount
MIN_CHARS = 20  # shorter paragraphs are compared exactly, not by shingles
_NOT_ALNUM = re.compile(r"[\W_]+")  # \w is str.isalnum() plus the underscore


def shingles(text: str) -> set[str]:
    """Overlapping character triples of the folded text, punctuation and spaces ignored."""
    folded = _NOT_ALNUM.sub("", to_simplified(text))
    return {folded[i:i + SHINGLE] for i in range(max(1, len(folded) - SHINGLE + 1))}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def near_duplicate(a: set, b: set) -> bool:
    """``jaccard(a, b) >= NEAR_DUPLICATE``; sets too different in size are told apart without intersecting."""
    smaller, larger = sorted((len(a), len(b)))
    return smaller >= NEAR_DUPLICATE * larger and jaccard(a, b) >= NEAR_DUPLICATE


class RecentNearDuplicates:
    """Recognises a paragraph nearly equal to one of the last ``window`` paragraphs seen.

    Keeps a bottom-k sketch per paragraph (a few integers), so memory stays
    bounded however long the document is.
    """

    def __init__(self, window: int = 5000):
        self._window = window
        self._sketches: OrderedDict[int, tuple[int, ...]] = OrderedDict()
        self._buckets: dict[int, deque[int]] = {}
        self._next_id = 0

    def seen(self, folded: str) -> bool:
        """True if ``folded`` (already script-folded word characters) nearly repeats a recent paragraph.

        Otherwise the paragraph is remembered.
        """
        sketch = tuple(sorted({hash(folded[i:i + SHINGLE]) for i in range(max(1, len(folded) - SHINGLE + 1))})[:SKETCH_SIZE])
        candidates = {c for h in sketch[:SKETCH_BUCKETS] for c in self._buckets.get(h, ()) if c in self._sketches}
        if any(_estimate(sketch, self._sketches[c]) >= NEAR_DUPLICATE for c in candidates):
            return True
        self._remember(sketch)
        return False

    def _remember(self, sketch: tuple[int, ...]) -> None:
        paragraph = self._next_id
        self._next_id += 1
        self._sketches[paragraph] = sketch
        for h in sketch[:SKETCH_BUCKETS]:
            self._buckets.setdefault(h, deque(maxlen=BUCKET_LIMIT)).append(paragraph)
        if len(self._sketches) > self._window:
            _, old_sketch = self._sketches.popitem(last=False)
            for h in old_sketch[:SKETCH_BUCKETS]:
                bucket = self._buckets.get(h)
                if bucket is not None and bucket[-1] not in self._sketches:
                    del self._buckets[h]


def _estimate(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Jaccard estimated from two sorted bottom-k sketches."""
    union = sorted(set(a).union(b))[:SKETCH_SIZE]
    if not union:
        return 0.0
    cutoff = union[-1]
    shared = sum(1 for h in a if h <= cutoff and h in b)
    return shared / len(union)
