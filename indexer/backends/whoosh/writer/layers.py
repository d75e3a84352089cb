"""The two text layers as the writer analyses them, and the postings it accumulates per term.

The word layer is :func:`indexer.text.terms.word_terms` — the same function the
Whoosh analyzers are built on (:mod:`indexer.backends.whoosh.analyzers`) — and the
bigram layer is :func:`indexer.text.terms.gram_keys` over whole batches of passages
in NumPy (``tests/backends/whoosh/test_writer_format.py`` holds both to the analyzers).
"""

from __future__ import annotations

from array import array

import numpy as np

from indexer.backends.whoosh.analyzers import SubwordFilter, bigram_analyzer, chinese_analyzer
from indexer.backends.whoosh.schema import TermCounts
from indexer.text.script import to_simplified
from indexer.text.segmentation import USE_HMM
from indexer.text.terms import SUBWORD_MIN_LENGTH, gram_count, gram_keys, key_term, word_terms

# The bigram layer turns buffered passages into keys this many at a time, and sorts them in this many key ranges.
BIGRAM_BATCH = 512
BIGRAM_PARTS = 16


class WordLayer:
    """``JiebaTokenizer | LowercaseFilter | SubwordFilter`` at index time: :func:`word_terms`."""

    def __init__(self, hmm: bool, min_length: int):
        self.hmm = hmm
        self.min_length = min_length

    def terms(self, value: str) -> list[str]:
        return word_terms(value, "index", self.hmm, self.min_length)


class GramLayer:
    """``BigramTokenizer | LowercaseFilter``: passages go to :class:`BigramStreams` in batches."""


GRAM_LAYER = GramLayer()


def direct_path(fieldobj):
    """The direct analysis for a field, or None when its analyzer is not one of the engine's two layers."""
    if type(fieldobj.format) is not TermCounts or fieldobj.format.field_boost != 1.0:
        return None
    if fieldobj.vector or fieldobj.separate_spelling():
        return None
    analyzer = fieldobj.analyzer
    try:
        if analyzer == bigram_analyzer():
            return GRAM_LAYER
        for hmm in (USE_HMM, not USE_HMM):
            if analyzer == chinese_analyzer(hmm):
                subword = [item for item in analyzer.items if isinstance(item, SubwordFilter)]
                return WordLayer(hmm, subword[0].min_length if subword else SUBWORD_MIN_LENGTH)
    except Exception:  # noqa: BLE001 - an analyzer we do not know: the general path
        return None
    return None


class TermStreams(dict):
    """A word layer's postings: term → ``array('I')`` of (docnum, count) pairs."""

    def sorted_streams(self):
        for term in sorted(self):
            yield term, self[term]


class BigramStreams:
    """The bigram layer's postings, built in NumPy: a passage is kept as its folded text's UTF-16 code units
    until a batch is full, then as one number per word character, key << 32 | docnum (8 bytes, no object per
    term); at flush these are sorted a key range at a time into the (docnum, count) pairs of each term."""

    def __init__(self):
        self._units = array("H")
        self._batch_docnums = array("I")
        self._batch_sizes = array("I")
        self._pairs: list[np.ndarray] = []
        self.passages = 0

    def add(self, docnum: int, value: str) -> int:
        """Adds a passage's bigrams; returns their number (the field's length)."""
        folded = to_simplified(value)
        encoded = folded.encode("utf-16-le")
        self._units.frombytes(encoded)
        self._units.append(0)  # not a word character: runs never cross passages
        self._batch_docnums.append(docnum)
        self._batch_sizes.append(len(encoded) // 2 + 1)
        self.passages += 1
        if len(self._batch_docnums) >= BIGRAM_BATCH:
            self._convert()
        return gram_count(folded)

    def _convert(self) -> None:
        if not self._batch_docnums:
            return
        owners = np.repeat(np.frombuffer(self._batch_docnums, dtype=np.uint32),
                           np.frombuffer(self._batch_sizes, dtype=np.uint32))
        keys, word = gram_keys(np.frombuffer(self._units, dtype=np.uint16))
        self._pairs.append((keys.astype(np.uint64) << np.uint64(32)) | owners[word])
        self._units, self._batch_docnums, self._batch_sizes = array("H"), array("I"), array("I")

    def __bool__(self) -> bool:
        return self.passages > 0

    def sorted_streams(self):
        self._convert()
        chunks = self._pairs
        if not chunks:
            return
        step = max(1, sum(map(len, chunks)) // 4096)
        sample = np.sort(np.concatenate([chunk[::step] for chunk in chunks]) >> np.uint64(32))
        cuts = np.unique(sample[np.linspace(0, len(sample) - 1, BIGRAM_PARTS + 1).astype(np.int64)[1:-1]])
        bounds = [0] + (cuts << np.uint64(32)).tolist() + [None]  # a term's pairs stay in one range
        for low, high in zip(bounds, bounds[1:]):
            pairs = np.concatenate([chunk[(chunk >= low) & (chunk < high)] if high is not None else chunk[chunk >= low]
                                    for chunk in chunks])
            pairs.sort()
            yield from _term_streams(pairs)

    def clear(self) -> None:
        self.__init__()


def _term_streams(pairs: np.ndarray):
    """(term, array of (docnum, count) pairs) for sorted key << 32 | docnum numbers, in key order."""
    starts = np.flatnonzero(np.concatenate(([True], pairs[1:] != pairs[:-1])))
    counts = np.diff(np.append(starts, len(pairs))).astype(np.uint32)
    pairs = pairs[starts]
    interleaved = np.empty(2 * len(pairs), dtype=np.uint32)
    interleaved[0::2] = pairs.astype(np.uint32)  # the low 32 bits: the docnum
    interleaved[1::2] = counts
    data = memoryview(interleaved.tobytes())
    keys = (pairs >> np.uint64(32)).astype(np.uint32)
    first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    last = np.append(first[1:], len(keys))
    for key, start, end in zip(keys[first].tolist(), first.tolist(), last.tolist()):
        stream = array("I")
        stream.frombytes(data[8 * start:8 * end])
        yield key_term(key), stream
