"""Reading files of the formats people receive into text.

Every reader returns plain text with markdown-style headings (``#``), so one
section detector serves every format. A file that cannot be read raises
:class:`UnreadableFile` with a reason a person can act on.
"""

from __future__ import annotations

from pathlib import Path

from charset_normalizer import from_bytes

TEXT_SUFFIXES = {".txt", ".md"}
MAX_FILE_BYTES = 200 * 1024 * 1024


class UnreadableFile(Exception):
    """A file skipped on purpose; the message says why."""


def supported(path: Path) -> bool:
    return path.suffix.lower() in READERS


def read_text_file(path: Path) -> str:
    return decode(path.read_bytes())


def decode(data: bytes) -> str:
    """Bytes to text, the encoding detected (UTF-8 with or without BOM, GB18030, UTF-16…)."""
    if not data.strip():
        raise UnreadableFile("空文件")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise UnreadableFile("无法识别的编码或二进制文件")
    return str(best)


READERS = {suffix: read_text_file for suffix in TEXT_SUFFIXES}


def read_document(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnreadableFile(f"文件过大（{size // 1024 // 1024} MB）")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UnreadableFile(f"不支持的文件类型 {path.suffix or '（无扩展名）'}")
    text = reader(path)
    if "\x00" in text:
        raise UnreadableFile("二进制文件")
    return text
