"""What every reader shares: the limits a file is read within, the :class:`Source` it yields, and the
helpers that keep lines bounded and reasons readable.

The limits are read at call time (``base.MAX_…``), so one place sets them for every format.
"""

from __future__ import annotations

import errno
import re
import time
from collections.abc import Iterator
from pathlib import Path

from indexer.errors import UnreadableFile
from indexer.ingest.cleaning import split_lines

MAX_FILE_BYTES = 200 * 1024 * 1024
# Web pages, Word files and PDFs are parsed whole by their libraries.
MAX_PARSED_BYTES = 64 * 1024 * 1024
# A .docx is a zip: its parts together may unpack to this much (a 290 KB file can hold 64 MiB of paragraphs).
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
# Parsing a Word file or a PDF stops after this long (checked between paragraphs and pages), so one
# crafted file cannot hold the build's write lock for minutes.
MAX_PARSE_SECONDS = 60.0
CHUNK_BYTES = 1024 * 1024
SAMPLE_BYTES = 256 * 1024
# A line longer than this is cut (after a sentence end where possible) so no line grows without bound.
MAX_LINE_CHARS = 10_000
# Decoded text below this size is kept for the second pass instead of reading the file again.
KEEP_CHARS = 2_000_000
# Decoding errors tolerated (replaced) before a file counts as undecodable: one per this many characters.
TOLERATED_ERROR_RATE = 10_000
MIN_TOLERATED_ERRORS = 8


def os_reason(path: Path, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "符号链接循环"
    if error.errno == errno.ENOENT:
        return "符号链接指向不存在的文件" if path.is_symlink() else "文件不存在"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "没有读取权限"
    return f"无法读取：{error.strerror or error}"


class Source:
    """One file's text, readable as lines more than once (the metadata pass, then the passage pass)."""

    def __init__(self, path: Path, kind: str, encoding: str = "", text: str | None = None):
        self.path = path
        self.kind = kind
        self.encoding = encoding
        self._text = text
        self.notes: list[str] = []
        # The address the file names for itself (an HTML page's canonical link), if any.
        self.url = ""
        # Characters the decoder could not map (U+FFFD) in the last complete read.
        self.replaced = 0

    def lines(self) -> Iterator[str]:
        if self._text is not None:
            yield from bounded_lines(split_lines(self._text))
        else:
            yield from self._stream()

    def _stream(self) -> Iterator[str]:
        raise NotImplementedError


def bounded_lines(lines) -> Iterator[str]:
    for line in lines:
        while len(line) > MAX_LINE_CHARS:
            head, line = cut_long(line)
            yield head
        yield line


def cut_long(text: str) -> tuple[str, str]:
    """Cut an over-long line after its last sentence end in the allowed length (or hard)."""
    window = text[:MAX_LINE_CHARS]
    cut = max(window.rfind(mark) for mark in "。！？；!?;")
    cut = cut + 1 if cut > MAX_LINE_CHARS // 2 else MAX_LINE_CHARS
    return text[:cut], text[cut:]


def parse_deadline():
    """A check to call between paragraphs or pages: raises once ``MAX_PARSE_SECONDS`` have passed."""
    end = time.monotonic() + MAX_PARSE_SECONDS

    def out_of_time() -> None:
        if time.monotonic() > end:
            raise UnreadableFile(f"解析超时（超过 {MAX_PARSE_SECONDS:.0f} 秒），未读取")

    return out_of_time


def read_parsed(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_PARSED_BYTES:
        raise UnreadableFile(f"文件过大（{size // 1024 // 1024} MB；网页、Word、PDF 上限 {MAX_PARSED_BYTES // 1024 // 1024} MB）")
    try:
        return path.read_bytes()
    except OSError as error:
        raise UnreadableFile(os_reason(path, error)) from error


def cjk_count(text: str) -> int:
    return len(re.findall(r"[\u3400-\u9fff]", text))
