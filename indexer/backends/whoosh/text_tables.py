"""Each segment's passage texts in their folded form, for checking phrases.

The index keeps no word positions (they were most of what a query had to
decode). A phrase — a quoted phrase, a typed word longer than one bigram, a
run of words in a heading — matches where the passages holding all its terms
contain its text; that check runs here, on the text the analyzers saw
(:func:`indexer.text.terms.match_form`: Simplified, lower case), kept per
segment in a ``.ptx`` file next to Whoosh's own and read through ``mmap``.

File layout, written as documents arrive (a build never holds the texts):
``PTX2``, then each document's folded field values back to back, then a JSON
header ``{"fields": [...], "documents": n}``, the ``n * len(fields) + 1``
little-endian uint64 file offsets where the values start (document-major),
and a footer: the header's offset and length (uint64 each) and ``PTX2``.
"""

from __future__ import annotations

import json
import mmap
import struct
import sys
from array import array
from pathlib import Path

import numpy as np

from indexer.text.terms import match_form
from indexer.backends.whoosh.generations import IndexMissing

EXTENSION = ".ptx"
MAGIC = b"PTX2"


class TextsMissing(IndexMissing):
    """A segment's text table is missing or damaged: the index must be rebuilt."""

    def __init__(self, path: Path):
        super().__init__(f"索引不完整（缺少或损坏的文本表 {Path(path).name}），请运行 policy-search index 重建。")


class TextTableWriter:
    """Writes one segment's ``.ptx`` file, document by document."""

    def __init__(self, storage, segment, fieldnames):
        self.fieldnames = tuple(fieldnames)
        self._file = segment.create_file(storage, EXTENSION)
        self._file.write(MAGIC)
        self._offsets = array("Q", [len(MAGIC)])

    def add(self, fields: dict) -> None:
        folded = {}
        for name in self.fieldnames:
            value = fields.get(name)
            if isinstance(value, str):
                folded[name] = match_form(value).encode("utf-8")
        self.add_folded(folded)

    def add_folded(self, fields: dict[str, bytes]) -> None:
        """A document whose texts are already folded (copied from another segment's table)."""
        offsets, write = self._offsets, self._file.write
        for name in self.fieldnames:
            data = fields.get(name, b"")
            write(data)
            offsets.append(offsets[-1] + len(data))

    def close(self) -> None:
        if self._file is None:
            return
        count = (len(self._offsets) - 1) // len(self.fieldnames)
        header = json.dumps({"fields": list(self.fieldnames), "documents": count}).encode()
        position = self._offsets[-1]
        if sys.byteorder != "little":
            self._offsets.byteswap()
        self._file.write(header + self._offsets.tobytes() + struct.pack("<QQ", position, len(header)) + MAGIC)
        self._file.close()
        self._file = None


class SegmentTexts:
    """A segment's text table, mapped read-only."""

    def __init__(self, path: Path):
        try:
            with open(path, "rb") as file:
                self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except (FileNotFoundError, ValueError) as error:  # ValueError: an empty file
            raise TextsMissing(path) from error
        data = self._map
        if len(data) < 20 + len(MAGIC) or data[:4] != MAGIC or data[-4:] != MAGIC:
            raise TextsMissing(path)
        position, size = struct.unpack_from("<QQ", data, len(data) - 20)
        try:
            header = json.loads(bytes(data[position:position + size]))
            fields = list(header["fields"])
            count = int(header["documents"]) * len(fields) + 1
            offsets = np.frombuffer(data, dtype="<u8", count=count, offset=position + size)
        except (ValueError, KeyError, TypeError) as error:  # a damaged header or a table cut short
            raise TextsMissing(path) from error
        if offsets[0] != len(MAGIC) or offsets[-1] != position or np.any(offsets[1:] < offsets[:-1]):
            raise TextsMissing(path)
        self._offsets = offsets
        self._columns = {name: number for number, name in enumerate(fields)}
        self._width = len(fields)

    def text(self, fieldname: str, docnum: int) -> bytes:
        slot = docnum * self._width + self._columns[fieldname]
        return self._map[int(self._offsets[slot]):int(self._offsets[slot + 1])]

    def texts(self, fieldname: str, docnums: np.ndarray) -> list[bytes]:
        """:meth:`text` of each of ``docnums`` (this segment's)."""
        slots = docnums * self._width + self._columns[fieldname]
        data = self._map
        return [data[start:end] for start, end in zip(self._offsets[slots].tolist(), self._offsets[slots + 1].tolist())]

    def containing(self, fieldname: str, docnums: np.ndarray, needle: str) -> np.ndarray:
        """The ``docnums`` (this segment's) whose folded text contains ``needle`` (already folded)."""
        slots = docnums * self._width + self._columns[fieldname]
        pattern = needle.encode("utf-8")
        find = self._map.find
        keep = [find(pattern, start, end) != -1
                for start, end in zip(self._offsets[slots].tolist(), self._offsets[slots + 1].tolist())]
        return docnums[np.array(keep, dtype=bool)] if keep else docnums

    def close(self) -> None:
        self._offsets = None  # a view of the map: dropped first
        try:
            self._map.close()
        except BufferError:  # a view is still referenced somewhere: the map closes when it goes
            pass


def segment_path(folder: Path, segment) -> Path:
    return Path(folder) / segment.make_filename(EXTENSION)
