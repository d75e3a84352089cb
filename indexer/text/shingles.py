"""Near-duplicate text: character shingles, Jaccard similarity and a bounded detector.

Captures repeat paragraphs with small edits (a dropped character, 、 for ，),
and reprints repeat them across documents; both should count once.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter, OrderedDict, deque
from itertools import chain

import numpy as np

SHINGLE = 3
NEAR_DUPLICATE = 0.8
SKETCH_SIZE = 16
SKETCH_BUCKETS = 3  # a candidate shares one of the sketch's smallest hashes
BUCKET_LIMIT = 4  # most recent paragraphs kept per bucket, so each check costs a bounded amount
MIN_CHARS = 20  # shorter paragraphs are compared exactly, not by shingles
COMPARE_UP_TO = 24  # kept sets a lookup compares one by one; beyond, an inverted index
_NO_CHARACTER = 0x1FFFFF  # above every code point: fills a shingle of text shorter than three letters
_NOT_ALNUM = re.compile(r"[\W_]+")  # \w is str.isalnum() plus the underscore


def shingles(folded: str) -> set[int]:
    """Overlapping character triples of already folded text (Simplified), punctuation and spaces ignored,
    each as one integer (its three code points, 21 bits each: a set of them has the sizes and the
    intersections of the set of triples, and builds in half the time). Text of fewer than three letters
    is one shingle, the missing code points filled with a value no character has."""
    letters = _NOT_ALNUM.sub("", folded)
    if len(letters) < SHINGLE:
        points = [ord(letter) for letter in letters] + [_NO_CHARACTER] * (SHINGLE - len(letters))
        return {(points[0] << 42) | (points[1] << 21) | points[2]}
    points = np.frombuffer(letters.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
    return set(((points[:-2] << 42) | (points[1:-1] << 21) | points[2:]).tolist())


class ShingleSets:
    """Shingle sets added one by one, each findable by the sets nearly equal to it (Jaccard >= 0.8).

    While they are few (a page of results), a lookup intersects the set with each added one in turn;
    beyond ``COMPARE_UP_TO`` sets, through an inverted index from shingle to the sets holding it, so a
    lookup costs the size of the set looked up, however many sets were added. Both find the same set.
    """

    def __init__(self):
        self._sets: list[set] = []
        self._sizes: list[int] = []
        self._holders: dict[object, list[int]] | None = None  # built when the sets outgrow COMPARE_UP_TO

    def add(self, shingle_set: set) -> int:
        """Remember a set; returns its number (0, 1, …)."""
        number = len(self._sizes)
        self._sets.append(shingle_set)
        self._sizes.append(len(shingle_set))
        if self._holders is not None:
            self._hold(number, shingle_set)
        return number

    def _hold(self, number: int, shingle_set: set) -> None:
        for shingle in shingle_set:
            self._holders.setdefault(shingle, []).append(number)

    def first_near(self, shingle_set: set) -> int | None:
        """The lowest number of an added set whose Jaccard similarity with ``shingle_set`` reaches 0.8."""
        size = len(shingle_set)
        if len(self._sets) <= COMPARE_UP_TO:
            for number, (kept, kept_size) in enumerate(zip(self._sets, self._sizes)):
                if size < NEAR_DUPLICATE * kept_size or kept_size < NEAR_DUPLICATE * size:
                    continue  # sizes this far apart cannot reach 0.8
                common = len(shingle_set & kept)
                if common >= NEAR_DUPLICATE * (size + kept_size - common):
                    return number
            return None
        if self._holders is None:
            self._holders = {}
            for number, kept in enumerate(self._sets):
                self._hold(number, kept)
        shared = Counter(chain.from_iterable(self._holders.get(shingle, ()) for shingle in shingle_set))
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
