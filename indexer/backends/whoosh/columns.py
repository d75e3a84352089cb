"""Whole columns read in one go: ``list(reader.column_reader(name))`` without a file read per document.

Whoosh reads a column value by value (a seek and a read each, then the
field's translation), which for the facet columns of 100k passages is ~0.3 s
of every process's start. The two column types the engine uses are simple on
disk — variable-length bytes (ids, cities, types: the values back to back,
then their lengths) and fixed-size numbers — so each segment's column is read
with one call and split in C; values are translated once per distinct value.
Any other column type, or anything unexpected, takes Whoosh's own path.
"""

from __future__ import annotations

import struct
import sys
from array import array

from whoosh import columns
from whoosh.reading import EmptyReader

_LITTLE = sys.byteorder == "little"


def column_values(reader, fieldname: str) -> list:
    """``list(reader.column_reader(fieldname))``, for an atomic or a multi-segment reader."""
    values: list = []
    for leaf, _ in segment_readers(reader):
        found = _segment_values(leaf, fieldname)
        if found is None:
            return list(reader.column_reader(fieldname))
        values.extend(found)
    return values


def segment_readers(reader) -> list:
    """``(segment reader, docnum offset)`` pairs; none for an index without segments (Whoosh's EmptyReader)."""
    if isinstance(reader, EmptyReader):
        return []
    return reader.leaf_readers() if not reader.is_atomic() else [(reader, 0)]


def _segment_values(reader, fieldname: str) -> list | None:
    column = reader.column_reader(fieldname)
    translate = None
    if isinstance(column, columns.TranslatingColumnReader):
        translate, column = column._translate, column.raw_column()
    raw = raw_values(column)
    if raw is None:
        return None
    if translate is None:
        return raw
    table = {value: translate(value) for value in set(raw)}
    return list(map(table.__getitem__, raw))


def raw_values(column) -> list | None:
    """Every value of an untranslated column reader, or None for a type not handled here."""
    kind = type(column)
    try:
        if kind is columns.VarBytesColumn.Reader:
            if getattr(column, "_lengths", None) is None:
                column._read_offsets_and_lengths()
            lengths, offsets = column._lengths, column._offsets
            if not lengths:
                return []
            end = max(o + n for o, n in zip(offsets, lengths))
            data = column._dbfile.get(column._basepos, end)
            return [data[o:o + n] if n else b"" for o, n in zip(offsets, lengths)]
        if kind is columns.NumericColumn.Reader:
            count, doccount = column._count, column._doccount
            values = array(column._typecode)
            values.frombytes(column._dbfile.get(column._basepos, count * column._fixedlen))
            if _LITTLE and values.itemsize > 1:
                values.byteswap()  # stored big-endian ("!")
            found = values.tolist()[:doccount]
            found.extend([column._default] * (doccount - len(found)))
            return found
    except (AttributeError, struct.error, ValueError):
        return None
    return None


def length_bytes(reader, fieldname: str) -> bytes | None:
    """A segment's length byte per docnum for a field (None when the field has no length column)."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    perdoc = reader._perdoc
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    doccount = perdoc.doc_count_all()
    if type(column) is columns.NumericColumn.Reader and column._typecode == "B":
        data = column._dbfile.get(column._basepos, column._count)[:doccount]
        return data + bytes(doccount - len(data))
    return bytes(column[d] for d in range(doccount))
