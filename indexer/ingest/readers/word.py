"""Word (.docx): paragraphs and tables in order, Title and Heading styles as ``#`` lines; zip bombs refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from indexer.errors import UnreadableFile
import indexer.ingest.readers.base as base
from indexer.ingest.readers.base import Source


_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
_TITLE_STYLE = re.compile(r"^(?:title|标题)$", re.IGNORECASE)


def read_docx(path: Path) -> Source:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    base.read_parsed(path)  # size check
    _check_unpacked_size(path)
    try:
        document = docx.Document(str(path))
    except Exception as error:  # noqa: BLE001 - python-docx raises zip, XML and key errors
        raise UnreadableFile(f"Word 文件已损坏或不是 .docx（{type(error).__name__}）") from error
    lines: list[str] = []
    out_of_time = base.parse_deadline()
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


def _check_unpacked_size(path: Path) -> None:
    """Refuse a zip whose parts unpack to more than ``base.MAX_UNPACKED_BYTES`` (a zip bomb), before any is read.

    The sizes are the archive's own; Python's zip reader stops at the size an
    entry declares (and checks its CRC), so a part cannot unpack to more.
    """
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UnreadableFile(f"Word 文件已损坏或不是 .docx（{type(error).__name__}）") from error
    if total > base.MAX_UNPACKED_BYTES:
        raise UnreadableFile(f"解压后过大（{total / 2**20:.0f} MiB，上限 {base.MAX_UNPACKED_BYTES / 2**20:.0f} MiB），"
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
