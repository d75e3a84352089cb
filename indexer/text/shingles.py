"""Near-duplicate text: character shingles, Jaccard similarity and a bounded detector.

Captures repeat paragraphs with small edits (a dropped character, 、 for ，),
and reprints repeat them across documents; both should count once.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter, OrderedDict, deque
from itertools import chain

SHINGLE = 3
NEAR_DUPLICATE = 0.8
SKETCH_SIZE = 16
SKETCH_BUCKETS = 3  # a candidate shares one of the sketch's smallest hashes
BUCKET_LIMIT = 4  # most recent paragraphs kept per bucket, so each check costs a bounded amount
MIN_CHARS = 20  # shorter paragraphs are compared exactly, not by shingles
_NOT_ALNUM = re.compile(r"[\W_]+")  # \w is str.isalnum() plus the underscore


def shingles(folded: str) -> set[str]:
    """Overlapping character triples of already folded text (Simplified), punctuation and spaces ignored."""
    letters = _NOT_ALNUM.sub("", folded)
    return {letters[i:i + SHINGLE] for i in range(max(1, len(letters) - SHINGLE + 1))}


class ShingleSets:
    """Shingle sets added one by one, each findable by the sets nearly equal to it (Jaccard >= 0.8).

    An inverted index from shingle to the sets holding it: a lookup costs the
    size of the set looked up, however many sets were added.
    """

    def __init__(self):
        self._sizes: list[int] = []
        self._holders: dict[str, list[int]] = {}

    def add(self, shingle_set: set[str]) -> int:
        """Remember a set; returns its number (0, 1, …)."""
        number = len(self._sizes)
        self._sizes.append(len(shingle_set))
        for shingle in shingle_set:
            self._holders.setdefault(shingle, []).append(number)
        return number

    def first_near(self, shingle_set: set[str]) -> int | None:
        """The lowest number of an added set whose Jaccard similarity with ``shingle_set`` reaches 0.8."""
        shared = Counter(chain.from_iterable(self._holders.get(shingle, ()) for shingle in shingle_set))
        size = len(shingle_set)
        return next((number for number, common in sorted(shared.items())
                     if common >= NEAR_DUPLICATE * (size + self._sizes[number] - common)), None)


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
        sketch = tuple(sorted({_stable_hash(folded[i:i + SHINGLE]) for i in range(max(1, len(folded) - SHINGLE + 1))})[:SKETCH_SIZE])
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


def _stable_hash(text: str) -> int:
    """The same number for the same text in every process (``hash()`` of a str is salted per process,
    so two builds of one collection would keep different near-duplicates)."""
    return zlib.crc32(text.encode("utf-8"))


def _estimate(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Jaccard estimated from two sorted bottom-k sketches."""
    union = sorted(set(a).union(b))[:SKETCH_SIZE]
    if not union:
        return 0.0
    cutoff = union[-1]
    shared = sum(1 for h in a if h <= cutoff and h in b)
    return shared / len(union)
