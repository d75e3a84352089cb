"""Whoosh's W3 codec written directly: one posting block per term and its row in the terms table.

The bytes are what ``W3PostingsWriter``, ``W3TermInfo`` and ``OrderedHashWriter``
write (``tests/backends/whoosh/test_writer_format.py`` compares whole indexes), so
any Whoosh reader opens the segment; only the work per posting is gone.
"""

from __future__ import annotations

from array import array
from itertools import chain
from operator import sub
from pickle import dumps

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.filedb.filetables import _lengths as _KEY_VALUE_LENGTHS
from whoosh.system import pack_int, pack_long, pack_ushort

# Terms in at least this many passages are written with NumPy (below, its fixed cost per call is larger).
NUMPY_MIN_POSTINGS = 128
# Arrays pickle as raw bytes from protocol 3 on (protocol 2 writes them as lists of numbers).
_PICKLE = 4


class Counting:
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


def write_term(fieldwriter, tbytes: bytes, docnums, weights, values, lengths) -> None:
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


def write_counts(fieldwriter, tbytes: bytes, stream: array, lengths: array, lengths_array: np.ndarray) -> None:
    """:func:`write_term` for a text layer's (docnum, count) pairs (``TermCounts``: no posting values): the
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
