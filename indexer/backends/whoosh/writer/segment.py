"""Fast index writing: postings grouped by term in memory, written a term at a time, on every core.

Whoosh's ``SegmentWriter`` spends most of a build outside jieba: every
posting is a tuple pickled into a sorting pool, pickled again into a run file,
read back, merged, and written with a lookup of the document's field length
per posting, and the analyzers pass Token objects through generator chains.
:class:`FastSegmentWriter` writes a segment with the same content
(``W3Codec``: the same files, postings, term infos, lengths, stored fields
and columns; any Whoosh reader opens it) from postings kept grouped by term
in compact arrays, with Python work per term rather than per posting (one
block per term, see :func:`_write_term`), and it analyses the two text
layers with direct paths that produce exactly the configured analyzers'
terms (compared with them on the first values of every writer; on a
difference the analyzer is used): the word layer through jieba, the bigram
layer in NumPy over whole batches of passages (:class:`_BigramStreams`).
It also writes the segment's text table (indexer/backends/whoosh/text_tables.py). :class:`FastCut` is jieba's HMM-free
segmentation, same words, about twice as fast.

:class:`ParallelWriter` is what builds and updates use (:func:`open_writer`):
a ``FastSegmentWriter`` that, once a build reaches ``PARALLEL_MIN_DOCS``
passages, hands batches round-robin to one worker process per core (forked:
jieba's dictionary is shared, not reloaded), each writing its own segment.
The index then has one segment per worker; the order of documents is
deterministic. Deletions and merges of existing segments (incremental
updates) stay in the calling process, through Whoosh's own pool.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import sys
import traceback
from array import array
from collections import Counter
from functools import lru_cache
from itertools import chain
from math import log
from operator import sub
from pickle import dumps

import jieba
import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3TermInfo
from whoosh.filedb.filetables import _lengths as _KEY_VALUE_LENGTHS
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from indexer.text import terms as analysis
from indexer.backends.whoosh.schema import TEXT_TABLE_FIELDS, TermCounts
from indexer.text.script import to_simplified
from indexer.backends.whoosh.generations import BuildFailed
from indexer.backends.whoosh.text_tables import SegmentTexts, TextTableWriter, segment_path

# Passages a build must reach before worker processes start (below, one process is faster).
PARALLEL_MIN_DOCS = 2_000
# Passages per message to a worker.
BATCH_DOCS = 200
# Messages waiting per worker (bounds the memory of the hand-over).
QUEUE_BATCHES = 8
# A worker starts a new segment after this many passages: bounds a worker's memory (~300 MB at 50k
# passages); 100k passages on 2 cores stay 2 segments, 1M become ~17.
SEGMENT_DOCS = 60_000
# The fast analysis paths are compared with the analyzers on this many values per field per writer.
VERIFY_VALUES = 32

# The bigram layer turns buffered passages into keys this many at a time, and sorts them in this many key ranges.
BIGRAM_BATCH = 512
BIGRAM_PARTS = 16
# Terms in at least this many passages are written with NumPy (below, its fixed cost per call is larger).
NUMPY_MIN_POSTINGS = 128
# Arrays pickle as raw bytes from protocol 3 on (protocol 2 writes them as lists of numbers).
_PICKLE = 4


def open_writer(index, procs: int | None = None, **kwargs) -> "ParallelWriter":
    """The writer for a build: parallel once the build is large enough, one process below that."""
    return ParallelWriter(index, procs=procs, **kwargs)


def default_procs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


# -- the direct analysis paths ------------------------------------------------

_UNSEEN = object()
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


class FastCut:
    """``jieba.Tokenizer.cut(sentence, HMM=False)``, the same words, about twice as fast.

    jieba builds a DAG of dictionary words per block, then a route of maximum
    log-probability with a generator of tuples per character. Here both are
    one backward pass over the block with each word's log-probability
    computed once (the same floating-point operations, so the same route and
    the same ties: the longer word wins). Output is checked against jieba in
    the tests and, through the word layer, at the start of every build.
    """

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self._total = None
        self._logp: dict[str, float] = {}

    def __call__(self, sentence: str):
        tokenizer = self.tokenizer
        tokenizer.check_initialized()
        if tokenizer.total != self._total:  # words were added: probabilities changed
            self._total = tokenizer.total
            self._logtotal = log(tokenizer.total)
            self._logp = {}
        han, skip = jieba.re_han_default, jieba.re_skip_default
        for block in han.split(sentence):
            if not block:
                continue
            if han.match(block):
                yield from self._block(block)
            else:
                for piece in skip.split(block):
                    if skip.match(piece):
                        yield piece
                    else:
                        yield from piece

    def _block(self, block: str):
        freq = self.tokenizer.FREQ
        logp = self._logp  # dictionary entry → its log-probability, or None for a prefix of words only
        known = logp.get
        logtotal = self._logtotal
        alone = 0.0 - logtotal  # log(1) - logtotal: a character that is no dictionary word
        n = len(block)
        score = [0.0] * (n + 1)
        end = list(range(n + 1))
        for start in range(n - 1, -1, -1):
            best = None
            i = start
            word = block[start]
            while True:
                p = known(word, _UNSEEN)
                if p is _UNSEEN:
                    f = freq.get(word)
                    if f is None:
                        break
                    p = logp[word] = log(f) - logtotal if f else None
                if p is not None:
                    s = p + score[i + 1]
                    if best is None or s >= best:
                        best = s
                        end[start] = i
                i += 1
                if i == n:
                    break
                word = block[start:i + 1]
            score[start] = alone + score[start + 1] if best is None else best
        x = 0
        buffer = ""
        while x < n:
            y = end[x] + 1
            word = block[x:y]
            if y - x == 1 and word in _ASCII_ALNUM:
                buffer += word
            else:
                if buffer:
                    yield buffer
                    buffer = ""
                yield word
            x = y
        if buffer:
            yield buffer


@lru_cache(maxsize=4)
def fast_cut(tokenizer) -> FastCut:
    return FastCut(tokenizer)


class _WordLayer:
    """``JiebaTokenizer | LowercaseFilter | SubwordFilter`` at index time: the terms in token order (a word,
    then its sub-words), what the analyzer's tokens make."""

    def __init__(self, hmm: bool, min_length: int):
        self.hmm = hmm
        self.min_length = min_length
        self._words: dict[str, tuple] = {}
        self._has_word_char = analysis._HAS_WORD_CHAR.search

    def _word(self, word: str) -> tuple:
        """A segmenter word as its terms (the word, then its sub-words); none for punctuation."""
        if not self._has_word_char(word):
            entry = ()
        else:
            term = word.lower()
            entry = (term, *_subwords(term, self.min_length)) if len(term) > self.min_length else (term,)
        if len(self._words) < 500_000:
            self._words[word] = entry
        return entry

    def terms(self, value: str) -> list[str]:
        terms: list[str] = []
        words = self._words
        segmenter = analysis.segmenter()
        folded = to_simplified(value)
        cut = segmenter.cut(folded, HMM=True) if self.hmm else fast_cut(segmenter)(folded)
        for word in cut:
            entry = words.get(word)
            if entry is None:
                entry = self._word(word)
            if len(entry) == 1:
                terms.append(entry[0])
            elif entry:
                terms.extend(entry)
        return terms


@lru_cache(maxsize=200_000)
def _subwords(word: str, min_length: int) -> tuple[str, ...]:
    """SubwordFilter's additions for one word, in its order (a repeated part repeats)."""
    parts = []
    for size in range(min_length, len(word)):
        for offset in range(len(word) - size + 1):
            part = word[offset:offset + size]
            if analysis.is_in_dictionary(part):
                parts.append(part)
    return tuple(parts)


def gram_keys(units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The bigram layer over UTF-16 code units of folded text, as one key per word character, in order
    (and which units are word characters).

    A word character's term is itself and the next character when that is a
    word character too (a bigram), else itself alone (a run's last character):
    key = first << 16 | (next or 0). Keys sort as their terms do (code point
    order is UTF-8 byte order here: every word character is in the BMP).
    """
    codes = units.astype(np.uint32)
    word = np.zeros(len(codes), dtype=bool)
    for low, high in analysis.WORD_CHAR_RANGES:
        word |= (codes >= low) & (codes <= high)
    codes[(codes >= 0x41) & (codes <= 0x5A)] += 0x20  # lower case (the only letters in a word run are ASCII)
    following = np.zeros(len(codes), dtype=np.uint32)
    following[:-1] = np.where(word[1:], codes[1:], 0)
    return ((codes << 16) | following)[word], word


def key_term(key: int) -> str:
    return chr(key >> 16) + (chr(key & 0xFFFF) if key & 0xFFFF else "")


class _GramLayer:
    """``BigramTokenizer | LowercaseFilter``: each run's bigrams, then its last character."""

    @staticmethod
    def terms(value: str) -> list[str]:
        keys, _ = gram_keys(np.frombuffer(to_simplified(value).encode("utf-16-le"), dtype="<u2"))
        return [key_term(key) for key in keys.tolist()]


_gram_layer = _GramLayer()


def direct_path(fieldobj):
    """The direct analysis for a field, or None when its analyzer is not one of the engine's two layers."""
    if type(fieldobj.format) is not TermCounts or fieldobj.format.field_boost != 1.0:
        return None
    if fieldobj.vector or fieldobj.separate_spelling():
        return None
    analyzer = fieldobj.analyzer
    try:
        if analyzer == analysis.bigram_analyzer():
            return _gram_layer
        for hmm in (analysis.USE_HMM, not analysis.USE_HMM):
            if analyzer == analysis.chinese_analyzer(hmm):
                subword = [item for item in analyzer.items if isinstance(item, analysis.SubwordFilter)]
                return _WordLayer(hmm, subword[0].min_length if subword else 2)
    except Exception:  # noqa: BLE001 - an analyzer we do not know: the general path
        return None
    return None


def direct_items(path, value) -> list[tuple[bytes, int, float, bytes]]:
    """What ``field.index(value)`` yields, computed by the direct path (for verification)."""
    return sorted((term.encode("utf-8"), count, float(count), b"")
                  for term, count in Counter(path.terms(value)).items())


class _TermStreams(dict):
    """A word layer's postings: term → ``array('I')`` of (docnum, count) pairs."""

    def sorted_streams(self):
        for term in sorted(self):
            yield term, self[term]


class _BigramStreams:
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
        return sum(map(len, analysis.WORD_RUN.findall(folded)))

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


# -- the segment writer -----------------------------------------------------------

class FastSegmentWriter(SegmentWriter):
    """A ``SegmentWriter`` that keeps postings grouped by term and writes them block by block.

    The segment has the same content as ``SegmentWriter`` would write for the
    same documents (postings, term statistics, lengths, stored fields and
    columns; the per-document parts through Whoosh's own codec objects).
    Falls back to Whoosh's pool when segments are merged into it
    (``add_reader``) or a document carries boosts, which builds never do.
    Either way it also writes the segment's text table (indexer/backends/whoosh/text_tables.py).

    A term's postings in a text layer are an ``array('I')`` of (docnum,
    count) pairs; posting values are made when the segment is written.
    """

    def __init__(self, ix, **kwargs):
        # One file per part, not one compound file: whoosh-reloaded opens a part of a compound file by
        # copying it into memory (BufferFile wraps the mmap in BytesIO), so a searcher of a compound 100k
        # index spends ~1 s and ~600 MB on copies before its first query. Separate files are read in place.
        kwargs.setdefault("compound", False)
        super().__init__(ix, **kwargs)
        if type(self.codec) is not W3Codec:
            raise TypeError("FastSegmentWriter writes the W3 codec only")
        schema = self.schema
        self._direct = {}
        self._verify_left = {}
        for name in schema.names():
            fieldobj = schema[name]
            path = direct_path(fieldobj) if fieldobj.indexed else None
            if path is not None:
                self._direct[name] = path
                self._verify_left[name] = VERIFY_VALUES
        self._streams = {name: _BigramStreams() if path is _gram_layer else _TermStreams()
                         for name, path in self._direct.items()}
        self._texts = TextTableWriter(self.storage, self.newsegment, TEXT_TABLE_FIELDS)
        # fieldname → btext → [docnums, weights, values] for the general path
        self._general: dict[str, dict[bytes, list]] = {}
        # fieldname → length byte per docnum (scorable fields)
        self._scorable = [name for name in schema.names() if schema[name].scorable]
        self._lengths: dict[str, array] = {name: array("B") for name in self._scorable}
        # fieldname → (value, analysed) of the previous document: titles and sections repeat passage after passage
        self._repeat: dict[str, tuple] = {}
        self._pooled = False

    # -- adding -------------------------------------------------------------

    def add_document(self, **fields):
        self._check_state()
        if self._pooled or any(name.startswith("_") for name in fields):
            # Boosts and custom stored values: Whoosh's own path, postings into the pool.
            self._spill_to_pool()
            super().add_document(**fields)
            self._texts.add(fields)  # once the document is in: the table's rows are the segment's docnums
            return
        schema = self.schema
        perdocwriter = self.perdocwriter
        docnum = self.docnum
        fieldnames = sorted(fields)
        self._check_fields(schema, fieldnames)
        lengths = {}
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    path = self._direct.get(fieldname)
                    if path is not None and isinstance(value, str):
                        length = self._add_direct(fieldname, field, path, value, docnum)
                    else:
                        length = self._add_general(fieldname, field, value, docnum)
                lengths[fieldname] = length
                perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._texts.add(fields)
        for name in self._scorable:
            length = lengths.get(name)
            self._lengths[name].append(length_to_byte(length) if length else 0)
        self._added = True
        self.docnum += 1

    def _add_direct(self, fieldname, field, path, value, docnum) -> int:
        if self._verify_left[fieldname]:
            self._verify(fieldname, field, path, value)
            if fieldname not in self._direct:
                return self._add_general(fieldname, field, value, docnum)
        streams = self._streams[fieldname]
        if type(streams) is _BigramStreams:
            return streams.add(docnum, value)
        previous = self._repeat.get(fieldname)
        if previous is not None and previous[0] == value:
            counts, length = previous[1]
        else:
            terms = path.terms(value)
            counts, length = Counter(terms).items(), len(terms)
            self._repeat[fieldname] = (value, (counts, length))
        get = streams.get
        for term, count in counts:
            stream = get(term)
            if stream is None:
                stream = streams[term] = array("I")
            stream.append(docnum)
            stream.append(count)
        return length

    def _verify(self, fieldname, field, path, value) -> None:
        self._verify_left[fieldname] -= 1
        expected = sorted(field.index(value))
        if direct_items(path, value) != expected:
            print(f"提示：字段 {fieldname} 的快速分析与分析器结果不一致，已改用分析器。", file=sys.stderr)
            self._disable_direct(fieldname)

    def _disable_direct(self, fieldname) -> None:
        """Move a field's postings so far to the general path, and keep it there."""
        del self._direct[fieldname]
        self._repeat.pop(fieldname, None)
        general = self._general.setdefault(fieldname, {})
        for term, stream in self._streams.pop(fieldname).sorted_streams():
            docnums, weights, values = self._decode(stream)
            general[term.encode("utf-8")] = [array("I", docnums), list(weights or [1.0] * len(docnums)), values]

    def _add_general(self, fieldname, field, value, docnum) -> int:
        previous = self._repeat.get(fieldname)
        if previous is not None and previous[0] == value and type(previous[0]) is type(value):
            items = previous[1]  # doc_id, city, year… are the same for every passage of a document
        else:
            items = list(field.index(value))
            self._repeat[fieldname] = (value, items)
        terms = self._general.setdefault(fieldname, {})
        length = 0
        scorable = field.scorable
        for tbytes, freq, weight, vbytes in items:
            if scorable:
                length += freq
            entry = terms.get(tbytes)
            if entry is None:
                entry = terms[tbytes] = [array("I"), [], []]
            entry[0].append(docnum)
            entry[1].append(weight)
            entry[2].append(vbytes)
        return length

    # -- writing ------------------------------------------------------------

    @staticmethod
    def _decode(stream: array):
        """A term's pairs as docnums, weights (None: all 1.0) and posting values (empty: see TermCounts)."""
        counts = stream[1::2]
        weights = None if max(counts) == 1 else list(map(float, counts))
        return stream[0::2], weights, [b""] * len(counts)

    def _flush_segment(self):
        self._texts.close()
        if self._pooled:
            return super()._flush_segment()
        self.perdocwriter.close()
        fieldwriter = self.fieldwriter
        # The codec asks the postings and terms files for their position at every term: count instead.
        fieldwriter._postfile.file = _Counting(fieldwriter._postfile.file)
        fieldwriter._tindex.dbfile.file = _Counting(fieldwriter._tindex.dbfile.file)
        schema = self.schema
        names = sorted(set(self._general) | {n for n, s in self._streams.items() if s})
        for fieldname in names:
            fieldobj = schema[fieldname]
            lengths = self._lengths.get(fieldname)
            fieldwriter.start_field(fieldname, fieldobj)
            if fieldname in self._streams:
                streams = self._streams[fieldname]
                lengths_array = np.frombuffer(lengths, dtype=np.uint8)
                for term, stream in streams.sorted_streams():
                    _write_counts(fieldwriter, term.encode("utf-8"), stream, lengths, lengths_array)
                streams.clear()
            else:
                general = self._general[fieldname]
                for tbytes in sorted(general):
                    docnums, weights, values = general[tbytes]
                    _write_term(fieldwriter, tbytes, docnums, weights,
                                [v if v is not None else b"" for v in values], lengths)
                general.clear()
            fieldwriter.finish_field()
        fieldwriter.close()

    def _spill_to_pool(self) -> None:
        """From now on Whoosh's own pool: what is grouped here goes into it first."""
        if self._pooled:
            return
        self._pooled = True
        add = self.pool.add
        for fieldname, streams in self._streams.items():
            for term, stream in streams.sorted_streams():
                tbytes = term.encode("utf-8")
                docnums, weights, values = self._decode(stream)
                for docnum, weight, value in zip(docnums, weights or [1.0] * len(docnums), values):
                    add((fieldname, tbytes, docnum, weight, value))
            streams.clear()
        for fieldname, general in self._general.items():
            for tbytes, (docnums, weights, values) in general.items():
                for docnum, weight, value in zip(docnums, weights, values):
                    add((fieldname, tbytes, docnum, weight, value))
            general.clear()
        self._direct.clear()

    def add_reader(self, reader):
        self._spill_to_pool()
        self._copy_texts(reader)
        return super().add_reader(reader)

    def _copy_texts(self, reader) -> None:
        """The merged segment's texts, in the order ``add_reader`` numbers its live documents."""
        texts = SegmentTexts(segment_path(reader._storage.folder, reader._segment))
        try:
            for docnum in reader.all_doc_ids():
                self._texts.add_folded({name: texts.text(name, docnum) for name in TEXT_TABLE_FIELDS})
        finally:
            texts.close()

    def _close_segment(self):
        self._texts.close()
        return super()._close_segment()

    def finish_segment(self):
        """Write this writer's segment and return it, without a TOC (for a parent writer)."""
        return self._finalize_segment()


class _Counting:
    """A write-only file that knows its position without asking the operating system each time."""

    def __init__(self, file):
        self._file = file
        self._position = file.tell()

    def write(self, data) -> int:
        self._position += len(data)
        return self._file.write(data)

    def tell(self) -> int:
        return self._position

    def seek(self, *args):
        result = self._file.seek(*args)
        self._position = self._file.tell()
        return result

    def __getattr__(self, name):
        return getattr(self._file, name)


def _write_term(fieldwriter, tbytes: bytes, docnums, weights, values, lengths) -> None:
    """One term's postings as a single uncompressed block of the W3 codec, ids and weights as arrays.

    Whoosh's own writer cuts postings into zlib-compressed blocks of 128 and
    pickles ids and weights as tuples; its reader takes any block length and
    any sequence there. One block per term with ``array`` ids (deltas) and
    weights is unpickled with one copy and read by indexer/backends/whoosh/evaluate.py with
    ``np.frombuffer``: per term, not per posting. The term info is the codec's.
    ``weights`` None means every weight is 1.0.
    """
    fixed_size = fieldwriter._format.fixed_value_size()
    total = len(docnums)
    ids = array("I", docnums)
    if weights is None:
        term_weight, max_weight, mini_weights = float(total), 1.0, None
    else:
        block_weights = array("f", weights)
        term_weight, max_weight = sum(block_weights), max(0, max(block_weights))
        first = block_weights[0]
        if block_weights.count(first) == total:
            mini_weights = None if first == 1.0 else first
        else:
            mini_weights = block_weights
    if lengths is not None:
        found = bytes(map(lengths.__getitem__, ids)).replace(b"\0", b"")  # 0: no length (field absent)
        low, high = (min(found), max(found)) if found else (0, 0)
    else:
        low, high = 0, 0
    if fixed_size is None or fixed_size < 0:
        mini_values = tuple(v for v in values if v)
    elif fixed_size == 0:
        mini_values = None
    else:
        mini_values = b"".join(values)
    _write_block(fieldwriter, tbytes, array("I", map(sub, ids, chain((0,), ids))), mini_weights, mini_values,
                 (total, ids[0], ids[-1]), (term_weight, max_weight), (low, high))


def _write_counts(fieldwriter, tbytes: bytes, stream: array, lengths: array, lengths_array: np.ndarray) -> None:
    """:func:`_write_term` for a text layer's (docnum, count) pairs (``TermCounts``: no posting values): the
    one-passage term — most terms — without building arrays, the frequent ones — most postings — in NumPy."""
    if len(stream) >= 2 * NUMPY_MIN_POSTINGS:
        pairs = np.frombuffer(stream, dtype=np.uint32).reshape(-1, 2)
        docnums, counts = pairs[:, 0], pairs[:, 1]
        ids = array("I", np.diff(docnums, prepend=np.uint32(0)).tobytes())
        docnum = int(docnums[-1])
        found = lengths_array[docnums]
        low, high = int(found.min()), int(found.max())
        most, least = int(counts.max()), int(counts.min())
        max_weight = float(most)
        term_weight = float(counts.sum())
        if most == least:
            mini_weights = None if most == 1 else max_weight
        else:
            mini_weights = array("f", counts.astype(np.float32).tobytes())
    elif len(stream) == 2:
        docnum, count = stream
        ids = (docnum,)  # a one-element tuple pickles ~10x faster than an array
        weight = float(count)
        low = high = lengths[docnum]
        mini_weights = None if count == 1 else weight
        term_weight = max_weight = weight
    else:  # tuples: for a few dozen numbers they pickle several times faster than arrays
        docnums, counts = stream[0::2], stream[1::2]
        ids = tuple(map(sub, docnums, chain((0,), docnums)))
        docnum = docnums[-1]
        found = bytes(map(lengths.__getitem__, docnums))
        low, high = min(found), max(found)
        most, least = max(counts), min(counts)
        max_weight = float(most)
        term_weight = float(sum(counts))
        if most == least:
            mini_weights = None if most == 1 else max_weight
        else:
            mini_weights = tuple(map(float, counts))
    _write_block(fieldwriter, tbytes, ids, mini_weights, None, (len(stream) // 2, stream[0], docnum),
                 (term_weight, max_weight), (low, high))


def _write_block(fieldwriter, tbytes: bytes, deltas, mini_weights, mini_values, postings: tuple[int, int, int],
                 weights: tuple[float, float], lengths: tuple[int, int]) -> None:
    """A term's one posting block and its row in the terms table, as ``W3PostingsWriter`` and ``W3TermInfo``
    write them. ``postings``: count, first and last docnum; ``weights``: total and maximum; ``lengths``: the
    smallest and largest length byte of the term's passages."""
    (total, first, last), (term_weight, max_weight), (low, high) = postings, weights, lengths
    databytes = dumps((deltas, mini_weights, mini_values), _PICKLE)
    infobytes = dumps((total, last, max_weight, 0, low, high), 2)
    data = b"".join((WHOOSH3_HEADER_MAGIC, pack_int(-(len(infobytes) + len(databytes))), infobytes, databytes))
    postfile = fieldwriter._postfile.file  # the _Counting file under Whoosh's StructFile
    start_offset = postfile.tell()
    postfile.write(data)
    # W3TermInfo.to_bytes (never inlined: the codec's inline limit is 1)
    info = W3TermInfo._struct.pack(False, term_weight, total, low, high, max_weight, first, last)
    _add_term(fieldwriter, tbytes, info + pack_long(start_offset) + pack_int(len(data)))


def _add_term(fieldwriter, tbytes: bytes, info: bytes) -> None:
    """``W3FieldWriter``'s row in the terms table (``OrderedHashWriter.add``, in one write)."""
    tindex = fieldwriter._tindex
    key = pack_ushort(fieldwriter._fieldid) + tbytes
    if key <= tindex.lastkey:
        raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{key!r}")
    dbfile = tindex.dbfile.file  # the _Counting file under Whoosh's StructFile
    position = dbfile.tell()
    tindex.index.append(position)
    dbfile.write(_KEY_VALUE_LENGTHS.pack(len(key), len(info)) + key + info)
    h = tindex.hashfn(key)
    tindex.buckets[h & 255].append((h, position))
    tindex.lastkey = key


# -- the parallel writer -------------------------------------------------------------

class WorkerError(BuildFailed):
    """An indexing worker process failed; the message is one line, the worker's traceback is its cause."""


class RemoteTraceback(Exception):
    """A traceback formatted in another process (shown by ``POLICY_SEARCH_DEBUG=1``)."""

    def __str__(self) -> str:
        return self.args[0]


class ParallelWriter(FastSegmentWriter):
    """A build's writer: in-process for small builds, worker processes (one segment each) for large ones."""

    def __init__(self, ix, procs: int | None = None, batch: int = BATCH_DOCS,
                 parallel_min: int = PARALLEL_MIN_DOCS, **kwargs):
        super().__init__(ix, **kwargs)
        self._ix = ix
        self.procs = default_procs() if procs is None else max(1, procs)
        self.batch = max(1, batch)
        self.parallel_min = parallel_min
        self._buffer: list[dict] = []
        self._workers: list = []
        self._queues: list = []
        self._results = None
        self._next = 0

    def add_document(self, **fields):
        if self._pooled or self.procs < 2 or any(name.startswith("_") for name in fields):
            self._drain_in_process()
            return super().add_document(**fields)
        self._buffer.append(fields)
        if self._workers:
            if len(self._buffer) >= self.batch:
                self._send()
        elif len(self._buffer) >= self.parallel_min:
            self._start_workers()
            while len(self._buffer) >= self.batch:
                self._send()

    def _drain_in_process(self) -> None:
        if self._buffer and not self._workers:
            buffered, self._buffer = self._buffer, []
            for fields in buffered:
                FastSegmentWriter.add_document(self, **fields)

    def _start_workers(self) -> None:
        analysis.segmenter()  # loaded once here, shared by the forked workers
        context = multiprocessing.get_context("fork")
        self._results = context.Queue()
        for number in range(self.procs):
            jobs = context.Queue(QUEUE_BATCHES)
            worker = context.Process(target=_worker, args=(self._ix, jobs, self._results, number, os.getpid()),
                                     daemon=True)
            worker.start()
            self._workers.append(worker)
            self._queues.append(jobs)

    def _send(self) -> None:
        batch, self._buffer = self._buffer[:self.batch], self._buffer[self.batch:]
        self._put(self._next, batch)
        self._next = (self._next + 1) % len(self._workers)

    def _put(self, number: int, batch) -> None:
        jobs, worker = self._queues[number], self._workers[number]
        while True:
            try:
                jobs.put(batch, timeout=1.0)
                return
            except queue.Full:
                if not worker.is_alive():
                    self._raise_worker_error()

    def _raise_worker_error(self):
        try:
            while True:
                kind, number, payload = self._results.get_nowait()
                if kind == "error":
                    self._raise_reported(number, payload)
        except queue.Empty:
            pass
        code = next((w.exitcode for w in self._workers if w.exitcode not in (0, None)), None)
        self._stop_workers()
        if code is None:
            raise WorkerError("工作进程意外退出")
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:  # a real-time signal has no name
                name = str(-code)
            how = f"被信号 {name} 终止" + ("，常见原因是内存不足" if code == -signal.SIGKILL else "")
        else:
            how = f"退出码 {code}"
        raise WorkerError(f"工作进程意外退出（{how}）")

    def _raise_reported(self, number: int, payload: tuple[str, str]):
        """A worker's own report of its exception: one line, with its traceback as the cause."""
        summary, details = payload
        self._stop_workers()
        raise WorkerError(f"工作进程 {number} 出错：{summary}") from RemoteTraceback(details)

    def _collect(self) -> list:
        """Finish the workers; their segments in worker order."""
        while self._buffer:
            self._send()
        for number in range(len(self._workers)):
            self._put(number, None)
        segments: dict[int, list] = {}
        while len(segments) < len(self._workers):
            try:
                kind, number, payload = self._results.get(timeout=1.0)
            except queue.Empty:
                if any(not w.is_alive() and w.exitcode not in (0, None) for w in self._workers):
                    self._raise_worker_error()
                continue
            if kind == "error":
                self._raise_reported(number, payload)
            segments[number] = payload
        for worker in self._workers:
            worker.join()
        return [segment for number in sorted(segments) for segment in segments[number]]

    def _stop_workers(self) -> None:
        for worker in self._workers:
            if worker.is_alive():
                worker.terminate()
        for worker in self._workers:
            worker.join()
        self._workers = []

    def commit(self, mergetype=None, optimize=None, merge=None):
        if not self._workers:
            self._drain_in_process()
            return super().commit(mergetype=mergetype, optimize=optimize, merge=merge)
        self._check_state()
        try:
            worker_segments = self._collect()
        except BaseException:
            self.cancel()
            raise
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments + worker_segments)
        self._finish()

    def cancel(self):
        self._buffer = []
        self._stop_workers()
        if not self.is_closed:
            super().cancel()


def _worker(ix, jobs, results, number: int, parent: int) -> None:
    """A worker process: batches of passages into its own segment(s) until told to finish."""
    _die_with_parent()
    try:
        segments = []
        writer = FastSegmentWriter(ix, _lk=False)
        while True:
            try:
                batch = jobs.get(timeout=1.0)
            except queue.Empty:
                if os.getppid() != parent:  # the build was killed: nothing will come
                    os._exit(1)
                continue
            if batch is None:
                break
            for fields in batch:
                writer.add_document(**fields)
            if writer.doc_count() >= SEGMENT_DOCS:
                segments.append(writer.finish_segment())
                writer = FastSegmentWriter(ix, _lk=False)
        if writer._added:
            segments.append(writer.finish_segment())
        else:
            writer._close_segment()
        results.put(("done", number, segments))
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which raises it
        results.put(("error", number, (f"{type(error).__name__}: {error}", traceback.format_exc())))
        results.close()
        results.join_thread()
        os._exit(1)


def _die_with_parent() -> None:
    """Linux: this worker gets SIGKILL when the build process dies, however it dies."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux: the getppid() check remains
        pass
