"""PDF: the text layer by pypdf, page numbers dropped and wrapped lines re-flowed."""

from __future__ import annotations

import re
from pathlib import Path

from indexer.errors import UnreadableFile
import indexer.ingest.readers.base as base
from indexer.ingest.readers.base import Source


_PAGE_NUMBER = re.compile(r"^\s*(?:[-—–－]\s*\d{1,4}\s*[-—–－]|\d{1,4}|\d{1,4}\s*/\s*\d{1,4}"
                          r"|第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d{1,4}\s*页)?)\s*$")
_SENTENCE_END = re.compile(r"[。！？；：:!?;”’」』]$")
_BLOCK_START = re.compile(r"^(?:#|第[一二三四五六七八九十百零〇\d]+[章节条]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}[、.．](?!\d))")


def read_pdf(path: Path) -> Source:
    from pypdf import PdfReader

    base.read_parsed(path)
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile("PDF 已加密，需要密码")
        out_of_time = base.parse_deadline()
        pages = []
        for page in reader.pages:
            out_of_time()
            pages.append(page.extract_text() or "")
    except UnreadableFile:
        raise
    except Exception as error:  # noqa: BLE001 - pypdf raises many types on damaged files
        raise UnreadableFile(f"PDF 已损坏或无法解析（{type(error).__name__}）") from error
    if not any(re.search(r"[0-9A-Za-z\u3400-\u9fff]", page) for page in pages):
        raise UnreadableFile("PDF 没有文字层（可能是扫描件），需先做文字识别（OCR）")
    lines = [line for page in pages for line in page.splitlines() if not _PAGE_NUMBER.match(line)]
    return Source(path, "pdf", text="\n".join(reflow(lines)))


def reflow(lines: list[str]) -> list[str]:
    """Re-join visual lines into paragraphs, across page breaks too (page numbers already out).

    A line as wide as the document's full lines that does not end a sentence
    continues on the next line (unless that starts a numbered heading).
    """
    lines = [line.strip() for line in lines if line.strip()]
    if len(lines) < 3:
        return lines
    widths = sorted(len(line) for line in lines)
    full = widths[int(len(widths) * 0.9) - 1] if len(widths) >= 10 else widths[-1]
    joined: list[str] = []
    continues = False
    for line in lines:
        if continues and joined and not _BLOCK_START.match(line):
            joined[-1] += line
        else:
            joined.append(line)
        continues = len(line) >= full * 0.9 and not _SENTENCE_END.search(line)
    return joined
