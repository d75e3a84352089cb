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

import codecs
import errno
import logging
import os
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from charset_normalizer import from_bytes

from indexer.ingest.cleaning import split_lines
from indexer.ingest.metadata import is_url
from indexer.errors import UnreadableFile  # noqa: F401 (re-exported)

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
        raise UnreadableFile(_os_reason(path, error)) from error
    if not stat.S_ISREG(status.st_mode):
        kind = "目录" if stat.S_ISDIR(status.st_mode) else "管道、设备或套接字"
        raise UnreadableFile(f"不是普通文件（{kind}）")
    if status.st_size == 0:
        raise UnreadableFile("空文件")
    if status.st_size > MAX_FILE_BYTES:
        raise UnreadableFile(f"文件过大（{status.st_size // 1024 // 1024} MB，上限 {MAX_FILE_BYTES // 1024 // 1024} MB）")
    return status


def _os_reason(path: Path, error: OSError) -> str:
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
            yield from _bounded(split_lines(self._text))
        else:
            yield from self._stream()

    def _stream(self) -> Iterator[str]:
        raise NotImplementedError


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
            raise UnreadableFile(_os_reason(self.path, error)) from error
        try:
            handle.seek(self._skip)
            while True:
                try:
                    data = handle.read(CHUNK_BYTES)
                except OSError as error:
                    raise UnreadableFile(_os_reason(self.path, error)) from error
                chunk = decoder.decode(data, final=not data)
                replaced += chunk.count("\ufffd")
                if kept is not None:
                    kept.append(chunk)
                    kept_chars += len(chunk)
                    if kept_chars > KEEP_CHARS:
                        kept = None
                text = carry + chunk
                if not data:  # end of file: everything left is lines
                    yield from _bounded(split_lines(text))
                    break
                # Hold back the unfinished last line, and a final \r (it may be half of \r\n).
                cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1))
                if cut < 0:
                    carry = text
                    while len(carry) > MAX_LINE_CHARS:
                        head, carry = _cut_long(carry)
                        yield head
                    continue
                text, carry = text[:cut + 1], text[cut + 1:]
                yield from _bounded(split_lines(text)[:-1])
        finally:
            handle.close()
        self.replaced = replaced
        if kept is not None:
            self._text = "".join(kept)


def _bounded(lines) -> Iterator[str]:
    for line in lines:
        while len(line) > MAX_LINE_CHARS:
            head, line = _cut_long(line)
            yield head
        yield line


def _cut_long(text: str) -> tuple[str, str]:
    """Cut an over-long line after its last sentence end in the allowed length (or hard)."""
    window = text[:MAX_LINE_CHARS]
    cut = max(window.rfind(mark) for mark in "。！？；!?;")
    cut = cut + 1 if cut > MAX_LINE_CHARS // 2 else MAX_LINE_CHARS
    return text[:cut], text[cut:]


# -- text files ----------------------------------------------------------------

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
]


def open_text(path: Path, size: int) -> TextSource:
    try:
        with open(path, "rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
    except OSError as error:
        raise UnreadableFile(_os_reason(path, error)) from error
    for bom, encoding in _BOMS:
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
    one bad byte in ``TOLERATED_ERROR_RATE`` is undecodable.
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
    return max(MIN_TOLERATED_ERRORS, characters // TOLERATED_ERROR_RATE)


# -- web pages -----------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936"}
_HTML_BLOCKS = {"p", "div", "li", "td", "th", "pre", "blockquote", "section", "article", "dd", "dt", "caption"}
_HTML_DROP = "//script|//style|//noscript|//nav|//header|//footer|//aside|//form|//iframe|//select|//button"
MIN_MAIN_TEXT_CJK = 50


def read_html(path: Path) -> Source:
    import trafilatura

    data = _read_parsed(path)
    html = decode_html(data)
    main = None
    try:
        main = trafilatura.extract(html, output_format="markdown", include_tables=True, include_links=False,
                                   include_images=False, include_comments=False, favor_recall=True)
    except Exception:  # noqa: BLE001 - trafilatura fails on odd markup; the fallback still reads it
        main = None
    notes = []
    if _cjk_count(main or "") < MIN_MAIN_TEXT_CJK:
        fallback = html_blocks_text(html)
        if _cjk_count(fallback) > _cjk_count(main or ""):
            main = fallback
            notes.append("正文提取器几乎没有取到内容，改用整页的段落")
    main = main or ""
    if not _starts_with_heading(main):
        title = _html_title(html)
        if title:
            main = f"# {title}\n\n{main}"
    source = Source(path, "html", text=main)
    source.notes.extend(notes)
    source.url = canonical_url(html)
    return source


def canonical_url(html: str) -> str:
    """The page's own address: ``<link rel="canonical">``, else ``<meta property="og:url">`` (absolute only)."""
    import lxml.html

    try:
        root = lxml.html.fromstring(html)
    except Exception:  # noqa: BLE001 - lxml raises several types on broken input
        return ""
    for xpath in ('//link[contains(concat(" ", normalize-space(translate(@rel, "CANONICAL", "canonical")), " "),'
                  ' " canonical ")]/@href', '//meta[@property="og:url" or @name="og:url"]/@content'):
        for value in root.xpath(xpath):
            value = value.strip()
            if is_url(value):
                return value
    return ""


def decode_html(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        name = declared.group(1).decode("ascii").lower()
        name = "gb18030" if name in _GB_FAMILY else name
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        encoding, _ = detect_encoding(data[:SAMPLE_BYTES], complete=len(data) <= SAMPLE_BYTES)
        return data.decode(encoding, errors="replace")


def html_blocks_text(html: str) -> str:
    """Every block element's text in document order, headings as ``#`` lines (the fallback)."""
    import lxml.html

    try:
        root = lxml.html.fromstring(html)
    except Exception:  # noqa: BLE001 - lxml raises several types on broken input
        return ""
    for element in root.xpath(_HTML_DROP):
        element.drop_tree()
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    lines: list[str] = []
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if re.fullmatch(r"h[1-6]", tag):
            text = " ".join(element.text_content().split())
            if text:
                lines.append("#" * int(tag[1]) + " " + text)
        elif tag in _HTML_BLOCKS and not any(
                isinstance(child.tag, str) and (child.tag in _HTML_BLOCKS or re.fullmatch(r"h[1-6]", child.tag))
                for child in element.iterdescendants()):
            text = element.text_content().strip()
            if text:
                lines.append(text)
    if not lines:
        lines.append(root.text_content())
    return "\n".join(lines)


def _html_title(html: str) -> str:
    import trafilatura

    try:
        metadata = trafilatura.extract_metadata(html)
    except Exception:  # noqa: BLE001
        return ""
    return (metadata.title or "").strip() if metadata else ""


def _starts_with_heading(text: str) -> bool:
    for line in text.splitlines():
        if line.strip():
            return line.lstrip().startswith("#")
    return False


# -- Word ----------------------------------------------------------------------

_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
_TITLE_STYLE = re.compile(r"^(?:title|标题)$", re.IGNORECASE)


def read_docx(path: Path) -> Source:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    _read_parsed(path)  # size check
    _check_unpacked_size(path)
    try:
        document = docx.Document(str(path))
    except Exception as error:  # noqa: BLE001 - python-docx raises zip, XML and key errors
        raise UnreadableFile(f"Word 文件已损坏或不是 .docx（{type(error).__name__}）") from error
    lines: list[str] = []
    out_of_time = _parse_deadline()
    for block in document.iter_inner_content():
        out_of_time()
        if isinstance(block, Paragraph):
            text = block.text.strip()
            if not text:
                continue
            level = docx_heading_level(block)
            lines.append(f"{'#' * level} {text}" if level else text)
        elif isinstance(block, Table):
            lines.extend(_table_lines(block))
    return Source(path, "docx", text="\n".join(lines))


def _parse_deadline():
    """A check to call between paragraphs or pages: raises once ``MAX_PARSE_SECONDS`` have passed."""
    end = time.monotonic() + MAX_PARSE_SECONDS

    def out_of_time() -> None:
        if time.monotonic() > end:
            raise UnreadableFile(f"解析超时（超过 {MAX_PARSE_SECONDS:.0f} 秒），未读取")

    return out_of_time


def _check_unpacked_size(path: Path) -> None:
    """Refuse a zip whose parts unpack to more than ``MAX_UNPACKED_BYTES`` (a zip bomb), before any is read.

    The sizes are the archive's own; Python's zip reader stops at the size an
    entry declares (and checks its CRC), so a part cannot unpack to more.
    """
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UnreadableFile(f"Word 文件已损坏或不是 .docx（{type(error).__name__}）") from error
    if total > MAX_UNPACKED_BYTES:
        raise UnreadableFile(f"解压后过大（{total / 2**20:.0f} MiB，上限 {MAX_UNPACKED_BYTES / 2**20:.0f} MiB），"
                             "疑似压缩炸弹，未读取")


def docx_heading_level(paragraph) -> int:
    """1 for Title, n+1 for Heading n (capped at 6), from the style, its bases or the outline level; 0 for body."""
    style = paragraph.style
    while style is not None:
        name = (style.name or "").strip()
        if _TITLE_STYLE.match(name):
            return 1
        heading = _HEADING_STYLE.match(name)
        if heading:
            return min(int(heading.group(1)) + 1, 6)
        style = style.base_style
    p_pr = paragraph._p.pPr
    if p_pr is not None:
        for element in p_pr.iterchildren():
            if element.tag.endswith("}outlineLvl"):
                value = element.get(element.tag.replace("outlineLvl", "val"))
                if value is not None and value.isdigit() and int(value) < 6:
                    return int(value) + 2
    return 0


def _table_lines(table) -> Iterator[str]:
    """One line per row, cells apart by an ideographic space; a row ends with "；" so the section
    detector reads it as body text, not as a short heading."""
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                cells.append(text)
        if cells:
            line = "　".join(cells)
            yield line if re.search(r"[。；;！？!?]$", line) else line + "；"


# -- PDF -----------------------------------------------------------------------

_PAGE_NUMBER = re.compile(r"^\s*(?:[-—–－]\s*\d{1,4}\s*[-—–－]|\d{1,4}|\d{1,4}\s*/\s*\d{1,4}"
                          r"|第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d{1,4}\s*页)?)\s*$")
_SENTENCE_END = re.compile(r"[。！？；：:!?;”’」』]$")
_BLOCK_START = re.compile(r"^(?:#|第[一二三四五六七八九十百零〇\d]+[章节条]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}[、.．](?!\d))")


def read_pdf(path: Path) -> Source:
    from pypdf import PdfReader

    _read_parsed(path)
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile("PDF 已加密，需要密码")
        out_of_time = _parse_deadline()
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


# -- entry point ---------------------------------------------------------------

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


def _read_parsed(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_PARSED_BYTES:
        raise UnreadableFile(f"文件过大（{size // 1024 // 1024} MB；网页、Word、PDF 上限 {MAX_PARSED_BYTES // 1024 // 1024} MB）")
    try:
        return path.read_bytes()
    except OSError as error:
        raise UnreadableFile(_os_reason(path, error)) from error


def _cjk_count(text: str) -> int:
    return len(re.findall(r"[\u3400-\u9fff]", text))
