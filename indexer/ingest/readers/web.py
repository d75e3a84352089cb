"""Web pages: the main text by trafilatura, else every block element; the page's canonical address."""

from __future__ import annotations

import re
from pathlib import Path

from indexer.ingest.front_matter import is_url
import indexer.ingest.readers.base as base
from indexer.ingest.readers.base import Source
from indexer.ingest.readers.text import BOMS, detect_encoding


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936"}
_HTML_BLOCKS = {"p", "div", "li", "td", "th", "pre", "blockquote", "section", "article", "dd", "dt", "caption"}
_HTML_DROP = "//script|//style|//noscript|//nav|//header|//footer|//aside|//form|//iframe|//select|//button"
MIN_MAIN_TEXT_CJK = 50
_HEADING_TAG = re.compile(r"h[1-6]")


def read_html(path: Path) -> Source:
    import trafilatura

    data = base.read_parsed(path)
    html = decode_html(data)
    main = None
    try:
        main = trafilatura.extract(html, output_format="markdown", include_tables=True, include_links=False,
                                   include_images=False, include_comments=False, favor_recall=True)
    except Exception:  # noqa: BLE001 - trafilatura fails on odd markup; the fallback still reads it
        main = None
    notes = []
    if base.cjk_count(main or "") < MIN_MAIN_TEXT_CJK:
        fallback = html_blocks_text(html)
        if base.cjk_count(fallback) > base.cjk_count(main or ""):
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
    for bom, encoding in BOMS:
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
        encoding, _ = detect_encoding(data[:base.SAMPLE_BYTES], complete=len(data) <= base.SAMPLE_BYTES)
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
    lines = [line for line in map(_block_line, root.iter()) if line]
    return "\n".join(lines or [root.text_content()])


def _block_line(element) -> str:
    """A heading as a ``#`` line, an innermost block element as its text; anything else nothing."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if _HEADING_TAG.fullmatch(tag):
        text = " ".join(element.text_content().split())
        return "#" * int(tag[1]) + " " + text if text else ""
    if tag in _HTML_BLOCKS and not any(_is_block(child) for child in element.iterdescendants()):
        return element.text_content().strip()
    return ""


def _is_block(element) -> bool:
    return isinstance(element.tag, str) and (element.tag in _HTML_BLOCKS or bool(_HEADING_TAG.fullmatch(element.tag)))


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
