"""Which passages a query plan (indexer/query/plan.py) matches, and their BM25F scores, as whole NumPy arrays.

Whoosh answers a query by stepping a tree of matchers passage by passage in
Python; at 100k passages that walk, and decoding word positions for it, was
most of a query's time. Here every leaf of the engine's query (a term, a
phrase, a prefix) becomes its postings as arrays — passage numbers and term
frequencies, decoded from Whoosh's posting blocks — and every inner node
combines whole arrays: a boolean mask over the index's passages and a score
per passage (zero where the mask is false).

Scores are Whoosh's: BM25F with the index-wide idf and average field length,
the same formula evaluated in the same order, times each query's boost; a
node adds its children's scores as Whoosh's matchers do (``And``/``Or``: the
sum of what matched; ``AndMaybe``: a, plus b where present; ``Require`` and
``AndNot``: a). A phrase matches where the passages holding all its terms
contain its text (indexer/backends/whoosh/text_tables.py) and scores as the sum of its terms.
A prefix (a one-character query) matches every term it expands to and scores
its boost, as Whoosh's constant-score prefix does.

Inside an evaluation a node's matches are sparse (:class:`Found`: the passages it
matches, ascending, and their scores): most leaves hold a small share of the
passages, and a dense pair of arrays per node cost passes over the whole index
for each of a query's ~50 nodes. Scores are added in the same order as dense
sums would (adding the zero of a passage a part does not match changes no bit),
so the figures are the same; :meth:`Evaluation.matches` hands the ranking dense
:class:`Matches`. Each leaf (term, phrase, prefix) is evaluated once per
evaluation, whatever its boost and however many tiers hold it.
"""

from __future__ import annotations

import io
import zlib
from array import array
from bisect import bisect_right
from indexer.backends.whoosh.safe_pickle import load, loads  # admit only the classes of an index

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo, W3TermsReader
from whoosh.system import _INT_SIZE, unpack_int
from whoosh.util.numeric import byte_to_length

from indexer.backends.whoosh.columns import length_bytes, segment_readers
from indexer.backends.whoosh.generations import IndexMissing
from indexer.backends.whoosh.schema import PHRASE_TEXT, phrase_text
from indexer.engine.matches import Matches
from indexer.query import plan
from indexer.backends.whoosh.text_tables import SegmentTexts, segment_path

# Length byte → field length, as Whoosh decodes it.
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


class IndexArrays:
    """What queries need of an opened index, beyond postings: segments, lengths, statistics, texts."""

    def __init__(self, searcher, folder):
        """``folder``: the generation directory holding the segments' files."""
        self.searcher = searcher
        reader = searcher.reader()
        self.segments = segment_readers(reader)
        self._starts = [offset for _, offset in self.segments]
        self.size = reader.doc_count_all()
        self.live = np.ones(self.size, dtype=bool)
        for leaf, offset in self.segments:
            if leaf.has_deletions():
                self.live[[offset + d for d in leaf.deleted_docs_set]] = False
        self.all_live = bool(self.live.all())
        # Opened now, so a missing table is an unopenable index (store.IndexMissing), not a failed search.
        self._texts = [SegmentTexts(segment_path(folder, leaf._segment)) for leaf, _ in self.segments]
        self._norms: dict[str, np.ndarray] = {}
        weighting = searcher.weighting
        self.K1 = weighting.K1
        self._field_B = dict(getattr(weighting, "_field_B", {}))
        self.B = weighting.B

    def texts(self, segment: int) -> SegmentTexts:
        return self._texts[segment]

    def folded(self, fieldname: str, docnum: int) -> str:
        """A passage's folded text (match_form) from its segment's text table."""
        number = bisect_right(self._starts, docnum) - 1
        return self._texts[number].text(fieldname, docnum - self._starts[number]).decode("utf-8")

    def folded_many(self, fieldname: str, docnums: np.ndarray) -> list[str]:
        """:meth:`folded` of each of ``docnums`` (a pool of candidates: one table read per segment)."""
        docnums = np.asarray(docnums, dtype=np.int64)
        if len(self._texts) == 1:
            return [text.decode("utf-8") for text in self._texts[0].texts(fieldname, docnums)]
        numbers = np.searchsorted(self._starts, docnums, side="right") - 1
        found: list[str] = [""] * len(docnums)
        for number in np.unique(numbers).tolist():
            where = np.flatnonzero(numbers == number)
            texts = self._texts[number].texts(fieldname, docnums[where] - self._starts[number])
            for position, text in zip(where.tolist(), texts):
                found[position] = text.decode("utf-8")
        return found

    def norm(self, fieldname: str) -> np.ndarray:
        """``K1 * ((1 - B) + B * fl / avgfl)`` per passage: the length part of BM25F's denominator."""
        found = self._norms.get(fieldname)
        if found is None:
            lengths = np.empty(self.size, dtype=np.float64)
            for leaf, offset in self.segments:
                count = leaf.doc_count_all()
                lengths[offset:offset + count] = _LENGTHS[np.frombuffer(_length_bytes(leaf, fieldname), np.uint8)]
            avgfl = self.searcher.avg_field_length(fieldname) or 1
            B = self._field_B.get(fieldname, self.B)
            found = self._norms[fieldname] = self.K1 * ((1 - B) + B * lengths / avgfl)
        return found

    def close(self) -> None:
        for texts in self._texts:
            texts.close()
        self._texts = []


def _length_bytes(reader, fieldname: str) -> bytes:
    found = length_bytes(reader, fieldname)
    return found if found is not None else bytes(reader.doc_count_all())


class Found:
    """A node's matches, sparse: passage numbers (index-wide, ascending, unique) and each one's score;
    ``size``: the index's passages. Never changed in place (a leaf's are shared by every node holding it)."""

    __slots__ = ("ids", "scores", "size")

    def __init__(self, ids: np.ndarray, scores: np.ndarray, size: int):
        self.ids = ids
        self.scores = scores
        self.size = size

    def with_scores(self, scores: np.ndarray) -> Found:
        return Found(self.ids, scores, self.size)

    def subset(self, keep: np.ndarray) -> Found:
        return Found(self.ids[keep], self.scores[keep], self.size)


_NO_IDS = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0)


# Looking passages up in a sorted array costs a binary search each (~30 ns, cache misses included); through an
# array over the whole index, a pass over the index (~0.1 ns a passage for a mask, ~0.5 ns for scores) and
# ~3 ns per passage written or read. Each lookup takes the cheaper way, so the cost follows the postings
# rather than the collection where they are few.
def _by_mask(looked_up: int, within: int, size: int) -> bool:
    return looked_up * 30 > size // 10 + 3 * (looked_up + within)


def _by_scores(looked_up: int, within: int, size: int) -> bool:
    return looked_up * 30 > size // 2 + 3 * (looked_up + within)


def _held(ids: np.ndarray, within: Found) -> np.ndarray:
    """For each of ``ids`` (ascending): whether ``within`` matches it."""
    if not len(within.ids) or not len(ids):
        return np.zeros(len(ids), dtype=bool)
    if _by_mask(len(ids), len(within.ids), within.size):
        mask = np.zeros(within.size, dtype=bool)
        mask[within.ids] = True
        return mask[ids]
    where = np.searchsorted(within.ids, ids)
    np.minimum(where, len(within.ids) - 1, out=where)
    return within.ids[where] == ids


def _scores_at(ids: np.ndarray, found: Found) -> np.ndarray:
    """For each of ``ids`` (ascending): ``found``'s score there, 0 where it does not match."""
    if not len(found.ids) or not len(ids):
        return np.zeros(len(ids))
    if _by_scores(len(ids), len(found.ids), found.size):
        dense = np.zeros(found.size)
        dense[found.ids] = found.scores
        return dense[ids]
    where = np.searchsorted(found.ids, ids)
    np.minimum(where, len(found.ids) - 1, out=where)
    return np.where(found.ids[where] == ids, found.scores[where], 0.0)


def _and_maybe(a: Found, b: Found) -> Found:
    """a's passages, scored a + b (b's score is 0 where it does not match)."""
    return a.with_scores(a.scores + _scores_at(a.ids, b))


def _require(a: Found, b: Found) -> Found:
    return a.subset(_held(a.ids, b))


def _and_not(a: Found, b: Found) -> Found:
    return a.subset(~_held(a.ids, b))


# The two-operand nodes: how the operands' matches combine.
_BINARY = {plan.AndMaybe: _and_maybe, plan.Require: _require, plan.AndNot: _and_not}


class Evaluation:
    """One query's evaluation; the postings it decodes, and its leaves' matches, are kept for its other tiers."""

    def __init__(self, index: IndexArrays):
        self.index = index
        self._postings: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._phrases: dict[tuple, np.ndarray] = {}
        self._leaves: dict[tuple, Found | np.ndarray] = {}  # a leaf's matches at boost 1

    def matches(self, query: plan.Node) -> Matches:
        found = self._node(query)
        ids, scores = found.ids, found.scores
        if not self.index.all_live:
            live = self.index.live[ids]
            ids, scores = ids[live], scores[live]
        mask = np.zeros(self.index.size, dtype=bool)
        mask[ids] = True
        dense = np.zeros(self.index.size)
        dense[ids] = scores
        return Matches(mask, dense)

    # -- inner nodes -----------------------------------------------------------

    def _node(self, q) -> Found:
        kind = type(q)
        if kind is plan.FieldTerm:
            return self._term(q.field, q.text, q.boost)
        if kind is plan.And or kind is plan.Or:
            return self._boolean(q, conjunctive=kind is plan.And)
        if kind in _BINARY:
            return _BINARY[kind](self._node(q.a), self._node(q.b))
        if kind is plan.FieldPhrase:
            return self._phrase(q)
        if kind is plan.FieldPrefix:
            return self._prefix(q)
        if q is plan.NOTHING:
            return self._empty()
        raise TypeError(f"query type {kind.__name__} is not evaluated here")

    def _boolean(self, q, conjunctive: bool) -> Found:
        """And / Or: passages intersected or joined, scores summed part by part in the query's order (an
        And's only where all match)."""
        parts = [self._node(sub) for sub in q.parts]
        if not parts:
            return self._empty()
        if conjunctive:
            ids = parts[0].ids
            for part in sorted(parts[1:], key=lambda p: len(p.ids)):
                ids = ids[_held(ids, part)]
            scores = np.zeros(len(ids))
            for part in parts:
                scores += part.scores if len(part.ids) == len(ids) else _scores_at(ids, part)
        else:
            ids, scores = self._union(parts)
        return Found(ids, scores * q.boost if q.boost != 1.0 else scores, self.index.size)

    def _union(self, parts: list[Found]) -> tuple[np.ndarray, np.ndarray]:
        """The passages any part matches, and the sum of the parts' scores there."""
        size = self.index.size
        present = [part for part in parts if len(part.ids)]
        if not present:
            return _NO_IDS, _NO_SCORES
        if len(present) == 1:
            return present[0].ids, present[0].scores
        if _by_scores(sum(len(part.ids) for part in present), 0, size):
            mask, total = np.zeros(size, dtype=bool), np.zeros(size)
            for part in present:
                mask[part.ids] = True
                total[part.ids] += part.scores
            ids = np.flatnonzero(mask)
            return ids, total[ids]
        ids = np.unique(np.concatenate([part.ids for part in present]))
        scores = np.zeros(len(ids))
        for part in present:
            scores[np.searchsorted(ids, part.ids)] += part.scores
        return ids, scores

    def _empty(self) -> Found:
        return Found(_NO_IDS, _NO_SCORES, self.index.size)

    # -- leaves ------------------------------------------------------------------

    def _term(self, fieldname: str, text: str, boost: float) -> Found:
        key = ("term", fieldname, text)
        found = self._leaves.get(key)
        if found is None:
            docnums, frequencies = self.postings(fieldname, text)
            scores = self._bm25(fieldname, text, docnums, frequencies) if len(docnums) else np.zeros(0)
            found = self._leaves[key] = Found(docnums, scores, self.index.size)
        return found.with_scores(found.scores * boost)

    def _bm25(self, fieldname: str, text: str, docnums: np.ndarray, tf: np.ndarray) -> np.ndarray:
        searcher = self.index.searcher
        if not searcher.schema[fieldname].scorable:
            return tf
        idf = searcher.idf(fieldname, text)
        K1 = self.index.K1
        return idf * ((tf * (K1 + 1)) / (tf + self.index.norm(fieldname)[docnums]))

    def _phrase(self, q: plan.FieldPhrase) -> Found:
        fieldname, words = q.field, list(q.words)
        key = ("phrase", fieldname, tuple(words))
        found = self._leaves.get(key)
        if found is None:
            terms = [self.postings(fieldname, word) for word in words]
            candidates = self._phrase_docnums(fieldname, words, terms)
            scores = np.zeros(len(candidates))
            if len(candidates):
                for word, (docnums, frequencies) in zip(words, terms):
                    where = np.searchsorted(docnums, candidates)  # every candidate holds every word
                    scores += self._bm25(fieldname, word, docnums[where], frequencies[where])
            found = self._leaves[key] = Found(candidates, scores, self.index.size)
        return found.with_scores(found.scores * q.boost) if q.boost != 1.0 else found

    def _phrase_docnums(self, fieldname: str, words: list[str], terms) -> np.ndarray:
        """Passages holding every term whose text holds the phrase's text (once per query and phrase)."""
        key = (fieldname, tuple(words))
        found = self._phrases.get(key)
        if found is None:
            found = terms[0][0]
            for docnums, _ in sorted(terms[1:], key=lambda term: len(term[0])):
                found = found[_held(found, Found(docnums, _NO_SCORES, self.index.size))]
            if len(words) > 1 and len(found):
                found = self._containing(PHRASE_TEXT[fieldname], found, phrase_text(fieldname, words))
            self._phrases[key] = found
        return found

    def _containing(self, fieldname: str, docnums: np.ndarray, needle: str) -> np.ndarray:
        parts = []
        for number, (leaf, offset) in enumerate(self.index.segments):
            local = docnums[(docnums >= offset) & (docnums < offset + leaf.doc_count_all())] - offset
            if len(local):
                parts.append(self.index.texts(number).containing(fieldname, local, needle) + offset)
        return np.concatenate(parts) if parts else docnums[:0]

    def _prefix(self, q: plan.FieldPrefix) -> Found:
        key = ("prefix", q.field, q.text)
        ids = self._leaves.get(key)
        if ids is None:
            expansions = set()
            for leaf, _ in self.index.segments:
                expansions.update(leaf.expand_prefix(q.field, q.text))
            mask = np.zeros(self.index.size, dtype=bool)
            for text in expansions:
                mask[self.postings(q.field, text)[0]] = True
            ids = self._leaves[key] = np.flatnonzero(mask)
        return Found(ids, np.full(len(ids), float(q.boost)), self.index.size)

    def postings(self, fieldname: str, text) -> tuple[np.ndarray, np.ndarray]:
        """A term's passages (index-wide numbers, ascending) and its frequency in each."""
        key = (fieldname, text)
        found = self._postings.get(key)
        if found is None:
            found = self._postings[key] = self._read_postings(fieldname, text)
        return found

    def _read_postings(self, fieldname: str, text) -> tuple[np.ndarray, np.ndarray]:
        schema = self.index.searcher.schema
        if fieldname not in schema:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        try:
            tbytes = schema[fieldname].to_bytes(text) if isinstance(text, str) else text
        except ValueError:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        ids, weights = [], []
        for leaf, offset in self.index.segments:
            found = _segment_postings(leaf, fieldname, tbytes)
            if found is not None:
                ids.append(found[0] + offset if offset else found[0])
                weights.append(found[1])
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(ids), np.concatenate(weights)


def _segment_postings(reader, fieldname: str, tbytes: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """One segment's postings of a term (None when the segment lacks it): docnums and weights. The term's
    row is looked up once and its posting blocks read in one call (one block per term when
    indexer/backends/whoosh/writer/segment.py wrote the segment: arrays, read without a loop over postings);
    a segment of another codec goes through Whoosh's matcher."""
    terms = reader._terms
    if type(terms) is not W3TermsReader:
        if (fieldname, tbytes) not in reader:
            return None
        return _stepped(terms.matcher(fieldname, tbytes, reader.schema[fieldname].format))
    try:
        row = terms._tindex[terms._keycoder(fieldname, tbytes)]
    except KeyError:
        return None
    info = W3TermInfo.from_bytes(row)
    if info.is_inlined():  # postings kept in the term's row
        return _stepped(terms._codec.postings_reader(terms._postfile, info, reader.schema[fieldname].format))
    start, length = info.extent()
    if type(length) is tuple:  # W3TermInfo.from_bytes leaves the length as unpack's tuple
        length = length[0]
    data = terms._postfile.get(start, length)
    if data[:len(WHOOSH3_HEADER_MAGIC)] != WHOOSH3_HEADER_MAGIC:
        raise IndexMissing("索引的倒排数据已损坏，请运行 policy-search index 重建。")
    stream = io.BytesIO(data)
    id_blocks, weight_blocks = [], []
    position = len(WHOOSH3_HEADER_MAGIC)
    while True:  # each block: its length (negative for the last), its pickled info, its pickled postings
        size = unpack_int(data[position:position + _INT_SIZE])[0]
        end = position + _INT_SIZE + abs(size)
        stream.seek(position + _INT_SIZE)
        compression = load(stream)[3]
        block = data[stream.tell():end]
        _decode_block(zlib.decompress(block) if compression else block, id_blocks, weight_blocks)
        if size < 0:
            break
        position = end
    if len(id_blocks) == 1:
        return id_blocks[0], weight_blocks[0]
    return np.concatenate(id_blocks), np.concatenate(weight_blocks)


def _decode_block(data: bytes, id_blocks: list, weight_blocks: list) -> None:
    deltas, weights, _ = loads(data)
    deltas = np.frombuffer(deltas, dtype=np.uint32) if type(deltas) is array else np.array(deltas)
    id_blocks.append(np.cumsum(deltas, dtype=np.int64))
    if weights is None or isinstance(weights, float):
        weight_blocks.append(np.full(len(deltas), 1.0 if weights is None else weights))
    else:
        weight_blocks.append(np.array(weights, dtype=np.float64))


def _stepped(matcher) -> tuple[np.ndarray, np.ndarray]:
    """A matcher's postings, stepped through one by one."""
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)
