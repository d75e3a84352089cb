"""Each segment's passage texts in their folded form, for checking phrases.

The index keeps no word positions (they were most of what a query had to
decode). A phrase — a quoted phrase, a typed word longer than one bigram, a
run of words in a heading — matches where the passages holding all its terms
contain its text; that check runs here, on the text the analyzers saw
(:func:`indexer.analysis.match_form`: Simplified, lower case), kept per
segment in a ``.ptx`` file next to Whoosh's own and read through ``mmap``.

File layout: ``PTX1``, a JSON header ``{"fields": [[name, count], …]}``
with its length, then per field ``count + 1`` little-endian uint64 offsets
followed by the UTF-8 texts back to back.
"""

from __future__ import annotations

import json
import mmap
import struct
from pathlib import Path

import numpy as np

from indexer.analysis import match_form

EXTENSION = ".ptx"
MAGIC = b"PTX1"


class TextsMissing(Exception):
    """A segment has no text table (an index from an older version): rebuild."""


class TextTableWriter:
    """Collects one segment's folded texts, document by document, and writes its ``.ptx`` file."""

    def __init__(self, fieldnames):
        self.fieldnames = tuple(fieldnames)
        self._texts: dict[str, list[bytes]] = {name: [] for name in self.fieldnames}

    def add(self, fields: dict) -> None:
        for name in self.fieldnames:
            value = fields.get(name)
            self._texts[name].append(match_form(value).encode("utf-8") if isinstance(value, str) else b"")

    def add_folded(self, fields: dict[str, bytes]) -> None:
        """A document whose texts are already folded (copied from another segment's table)."""
        for name in self.fieldnames:
            self._texts[name].append(fields.get(name, b""))

    def write(self, storage, segment) -> None:
        header = json.dumps({"fields": [[name, len(self._texts[name])] for name in self.fieldnames]}).encode()
        with segment.create_file(storage, EXTENSION) as out:
            out.write(MAGIC + struct.pack("<I", len(header)) + header)
            for name in self.fieldnames:
                texts = self._texts[name]
                offsets = np.zeros(len(texts) + 1, dtype="<u8")
                np.cumsum([len(t) for t in texts], out=offsets[1:])
                out.write(offsets.tobytes())
                out.write(b"".join(texts))
        for texts in self._texts.values():
            texts.clear()


class SegmentTexts:
    """A segment's text table, mapped read-only."""

    def __init__(self, path: Path):
        try:
            with open(path, "rb") as file:
                self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) if path.stat().st_size else b""
        except FileNotFoundError as error:
            raise TextsMissing(str(path)) from error
        data = self._map
        if data[:4] != MAGIC:
            raise TextsMissing(str(path))
        (size,) = struct.unpack_from("<I", data, 4)
        header = json.loads(bytes(data[8:8 + size]))
        position = 8 + size
        self._fields: dict[str, tuple[np.ndarray, int]] = {}
        for name, count in header["fields"]:
            offsets = np.frombuffer(data, dtype="<u8", count=count + 1, offset=position)
            blob = position + (count + 1) * 8
            self._fields[name] = (offsets, blob)
            position = blob + int(offsets[-1])

    def text(self, fieldname: str, docnum: int) -> bytes:
        offsets, blob = self._fields[fieldname]
        return self._map[blob + int(offsets[docnum]):blob + int(offsets[docnum + 1])]

    def containing(self, fieldname: str, docnums: np.ndarray, needle: str) -> np.ndarray:
        """The ``docnums`` (this segment's) whose folded text contains ``needle`` (already folded)."""
        offsets, blob = self._fields[fieldname]
        pattern = needle.encode("utf-8")
        data = self._map
        starts = (offsets[docnums] + blob).tolist()
        ends = (offsets[docnums + 1] + blob).tolist()
        keep = [data.find(pattern, start, end) != -1 for start, end in zip(starts, ends)]
        return docnums[np.array(keep, dtype=bool)] if keep else docnums

    def close(self) -> None:
        self._fields = {}  # the offset arrays are views of the map: drop them first
        if isinstance(self._map, mmap.mmap):
            try:
                self._map.close()
            except BufferError:  # a view is still referenced somewhere: the map closes when it goes
                pass


def segment_path(folder: Path, segment) -> Path:
    return Path(folder) / segment.make_filename(EXTENSION)
