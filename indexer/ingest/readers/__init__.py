"""Reading files of the formats people receive into lines of text.

Every reader yields plain text lines with markdown-style headings (``#``), so
one section detector serves every format:

* ``.txt`` / ``.md``: the encoding is detected by charset-normalizer on the
  first part of the file (a BOM decides when there is one), then the file is
  decoded as a stream, so a file of any size is read in bounded memory.
* ``.html``: the main text by trafilatura (markdown, headings kept); when it
  finds next to nothing, the page's block elements with ``h1``–``h6`` as headings.
* ``.docx``: paragraphs and tables in order; Title and Heading 1–6 styles
  (also localised ``标题 n`` and outline levels) become ``#`` lines.
* ``.pdf``: the text layer by pypdf, page numbers dropped and wrapped lines
  re-flowed; a PDF without a text layer is skipped with that reason.

A file that cannot be used raises :class:`UnreadableFile` with a reason a
person can act on.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from indexer.errors import UnreadableFile
import indexer.ingest.readers.base as base
from indexer.ingest.readers.base import Source
from indexer.ingest.readers.pdf import read_pdf, reflow
from indexer.ingest.readers.text import TextSource, detect_encoding, open_text, tolerable_errors
from indexer.ingest.readers.web import canonical_url, decode_html, html_blocks_text, read_html
from indexer.ingest.readers.word import docx_heading_level, read_docx

__all__ = ["UnreadableFile", "Source", "TextSource", "SUPPORTED_SUFFIXES", "supported", "file_format",
           "check_file", "open_source", "read_document", "detect_encoding", "open_text", "tolerable_errors",
           "read_html", "canonical_url", "decode_html", "html_blocks_text", "read_docx", "docx_heading_level",
           "read_pdf", "reflow"]

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
DOCX_SUFFIXES = {".docx"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | DOCX_SUFFIXES | PDF_SUFFIXES
UNSUPPORTED_HINTS = {
    ".doc": "旧版 Word（.doc）不支持，请另存为 .docx",
    ".wps": "WPS 文档不支持，请另存为 .docx",
    ".rtf": "RTF 不支持，请另存为 .docx 或 .txt",
}


logging.getLogger("pypdf").setLevel(logging.ERROR)
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)


def supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    for name, suffixes in (("text", TEXT_SUFFIXES), ("html", HTML_SUFFIXES), ("docx", DOCX_SUFFIXES),
                           ("pdf", PDF_SUFFIXES)):
        if suffix in suffixes:
            return name
    hint = UNSUPPORTED_HINTS.get(suffix)
    raise UnreadableFile(hint or f"不支持的文件类型 {suffix or '（无扩展名）'}")


def check_file(path: Path) -> os.stat_result:
    """The file's status, or UnreadableFile: missing, a symlink loop, not a regular file, empty, too big."""
    try:
        status = path.stat()
    except OSError as error:
        raise UnreadableFile(base.os_reason(path, error)) from error
    if not stat.S_ISREG(status.st_mode):
        kind = "目录" if stat.S_ISDIR(status.st_mode) else "管道、设备或套接字"
        raise UnreadableFile(f"不是普通文件（{kind}）")
    if status.st_size == 0:
        raise UnreadableFile("空文件")
    if status.st_size > base.MAX_FILE_BYTES:
        raise UnreadableFile(f"文件过大（{status.st_size // 1024 // 1024} MB，上限 {base.MAX_FILE_BYTES // 1024 // 1024} MB）")
    return status


def open_source(path: Path) -> Source:
    """The file's text as a :class:`Source`; raises UnreadableFile with the reason."""
    kind = file_format(path)
    status = check_file(path)
    if kind == "text":
        return open_text(path, status.st_size)
    if kind == "html":
        return read_html(path)
    if kind == "docx":
        return read_docx(path)
    return read_pdf(path)


def read_document(path: Path) -> str:
    """The whole text of a file (for small files and tools; the index streams via :func:`open_source`)."""
    source = open_source(path)
    text = "\n".join(source.lines())
    if source.kind == "text" and source.replaced > tolerable_errors(len(text)):
        raise UnreadableFile(f"无法解码：{source.replaced} 处非法字节（按 {source.encoding}）")
    return text
