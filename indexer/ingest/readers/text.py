"""Text files: the encoding detected on a sample (a BOM decides when there is one), then decoded as a stream."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from charset_normalizer import from_bytes

from indexer.errors import UnreadableFile
from indexer.ingest.cleaning import split_lines
import indexer.ingest.readers.base as base
from indexer.ingest.readers.base import Source


class TextSource(Source):
    """A text file decoded as a stream; kept in memory after the first read when it is small."""

    def __init__(self, path: Path, encoding: str, skip_bytes: int = 0):
        super().__init__(path, "text", encoding)
        self._skip = skip_bytes

    def _stream(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="replace")
        replaced = 0
        kept: list[str] | None = []
        kept_chars = 0
        carry = ""
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 - closed in finally; a generator
        except OSError as error:
            raise UnreadableFile(base.os_reason(self.path, error)) from error
        try:
            handle.seek(self._skip)
            while True:
                try:
                    data = handle.read(base.CHUNK_BYTES)
                except OSError as error:
                    raise UnreadableFile(base.os_reason(self.path, error)) from error
                chunk = decoder.decode(data, final=not data)
                replaced += chunk.count("\ufffd")
                if kept is not None:
                    kept.append(chunk)
                    kept_chars += len(chunk)
                    if kept_chars > base.KEEP_CHARS:
                        kept = None
                text = carry + chunk
                if not data:  # end of file: everything left is lines
                    yield from base.bounded_lines(split_lines(text))
                    break
                # Hold back the unfinished last line, and a final \r (it may be half of \r\n).
                cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1))
                if cut < 0:
                    carry = text
                    while len(carry) > base.MAX_LINE_CHARS:
                        head, carry = base.cut_long(carry)
                        yield head
                    continue
                text, carry = text[:cut + 1], text[cut + 1:]
                yield from base.bounded_lines(split_lines(text)[:-1])
        finally:
            handle.close()
        self.replaced = replaced
        if kept is not None:
            self._text = "".join(kept)


BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
]


def open_text(path: Path, size: int) -> TextSource:
    try:
        with open(path, "rb") as handle:
            sample = handle.read(base.SAMPLE_BYTES)
    except OSError as error:
        raise UnreadableFile(base.os_reason(path, error)) from error
    for bom, encoding in BOMS:
        if sample.startswith(bom):
            return TextSource(path, encoding, skip_bytes=len(bom))
    complete = len(sample) >= size
    if complete and not sample.strip():
        raise UnreadableFile("空文件（只有空白）")
    encoding, notes = detect_encoding(sample, complete)
    source = TextSource(path, encoding)
    source.notes.extend(notes)
    return source


# Encodings Chinese text comes in: preferred among charset-normalizer's equally good candidates
# (a few GB18030 characters also decode cleanly as Korean cp949).
LAX_CHAOS = 0.5
CHINESE_ENCODINGS = ("utf_8", "ascii", "gb18030", "gb2312", "gbk", "big5", "big5hkscs", "hz",
                     "utf_16_le", "utf_16_be", "utf_32_le", "utf_32_be", "utf_16", "utf_32")


def detect_encoding(sample: bytes, complete: bool = True) -> tuple[str, list[str]]:
    """The encoding charset-normalizer finds for a sample, with notes; UnreadableFile if none fits.

    A partial sample is cut after a line break (so no character is cut in
    half). ASCII is read as UTF-8 (a later part of the file may hold Chinese).
    When charset-normalizer rejects every encoding because of a few corrupted
    bytes, UTF-8 and GB18030 are tried with replacement; a file with more than
    one bad byte in ``base.TOLERATED_ERROR_RATE`` is undecodable.
    """
    best = None
    for candidate in ([sample] if complete else _sample_cuts(sample)):
        best = _best_match(candidate)
        if best is not None:
            break
    if best is not None:
        if best in ("ascii", "utf_8"):
            return "utf-8", []
        if b"\x00" in sample and not best.startswith(("utf_16", "utf_32")):
            raise UnreadableFile("二进制文件（含空字节，不是文本）")
        return best, []
    if b"\x00" in sample:
        raise UnreadableFile("二进制文件（含空字节，不是文本）")
    tries = []
    for encoding in ("utf-8", "gb18030"):
        decoded = sample.decode(encoding, errors="replace")
        tries.append((decoded.count("\ufffd"), encoding, len(decoded)))
    bad, encoding, length = min(tries)
    if bad <= tolerable_errors(length):
        return encoding, [f"有 {bad} 处字节无法按 {encoding} 解码，已替换为 �"]
    raise UnreadableFile(f"无法解码：不是可识别的文本编码（按 UTF-8 / GB18030 解码各有至少 {bad} 处非法字节）")


def _best_match(sample: bytes) -> str | None:
    # Traditional-script text scores as more "chaotic"; a laxer second look still needs a clean decode.
    matches = list(from_bytes(sample)) or list(from_bytes(sample, threshold=LAX_CHAOS))
    if not matches:
        return None
    best = matches[0]
    for match in matches:
        if match.chaos > best.chaos + 0.01:
            break
        if match.encoding in CHINESE_ENCODINGS:
            return match.encoding
    return best.encoding


def _sample_cuts(sample: bytes) -> list[bytes]:
    """A partial sample cut after its last line break: after the byte, or one later (UTF-16 LE)."""
    cut = sample.rfind(b"\n")
    if cut < len(sample) // 2:
        return [sample, sample[:-1]]
    return [sample[:cut + 1], sample[:cut + 2]]


def tolerable_errors(characters: int) -> int:
    return max(base.MIN_TOLERATED_ERRORS, characters // base.TOLERATED_ERROR_RATE)
