"""Passages gathered for a report, as files: Markdown, Word, CSV, and RIS for Zotero or EndNote.

Pure functions from hits to bytes, so ``policy-search export`` and the app's
download buttons give the same files. Each passage comes with its place, date
and section and the engine's citation (``Hit.citation``); a numbered list of
the engine's GB/T 7714-2015 references (``Hit.reference``) follows, one per
document, numbered in the order the documents are first cited. RIS has one
record per document, the exported passages as its notes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import docx
import rispy
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from indexer.engine.citation import access_date, plain_date
from indexer.backends.whoosh.engine import Hit, place_of


@dataclass(frozen=True)
class Format:
    label: str
    suffix: str
    mime: str
    write: Callable[[list[Hit], dict[str, dict], str], bytes]


# -- what every format shows -------------------------------------------------------


def reference_numbers(hits: list[Hit]) -> dict[str, int]:
    """Each document's number in the reference list: 1, 2, … in the order of first citation."""
    numbers: dict[str, int] = {}
    for hit in hits:
        numbers.setdefault(hit.doc_id, len(numbers) + 1)
    return numbers


def references(hits: list[Hit]) -> list[str]:
    """The reference list: the engine's GB/T 7714 reference of each document, in citation order."""
    first = {}
    for hit in hits:
        first.setdefault(hit.doc_id, hit.reference)
    return list(first.values())


def attribution(hit: Hit) -> str:
    """The citation's source line (——《题名》，来源，日期，章节), without the passage it follows."""
    return hit.citation.removeprefix(hit.passage).strip()


def heading(number: int, hit: Hit) -> str:
    """``3. 青岛 · 2024-01 · 《题名》``: where and when, for each exported passage."""
    parts = [part for part in (place_of(hit), shown_date(hit)) if part]
    return f"{number}. {' · '.join(parts + [f'《{hit.title}》'])}"


def shown_date(hit: Hit) -> str:
    """The passage's date as the citation shows it: 推定 when the manifest marks it as a guess, else the year."""
    return plain_date({"date": hit.date, "year": hit.year, "date_estimated": hit.date_estimated})


def section_line(hit: Hit) -> str:
    return f"章节：{' › '.join(hit.section)}" if hit.section else "章节：（正文）"


def summary_line(hits: list[Hit]) -> str:
    return f"共 {len(hits)} 个段落，出自 {len(reference_numbers(hits))} 篇文档。"


# -- Markdown ------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_<>])")  # brackets stay: [1] and [Z] are no links without definitions
_LINE_START = re.compile(r"^(\s*)([#>+\-]|\d+[.)])", re.MULTILINE)


def _markdown_inline(text: str) -> str:
    """Text that Markdown shows as written within a line (a heading, a list item)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _markdown_text(text: str) -> str:
    """Text that Markdown shows as written at the start of a line too (a 1. or # of the source stays text)."""
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), _markdown_inline(text))


def to_markdown(hits: list[Hit], documents: dict[str, dict], title: str) -> bytes:
    numbers = reference_numbers(hits)
    lines = [f"# {_markdown_inline(title)}", "", summary_line(hits), ""]
    for number, hit in enumerate(hits, start=1):
        lines += [f"## {_markdown_inline(heading(number, hit))}", "", _markdown_text(section_line(hit)), ""]
        lines += [f"> {_markdown_text(line)}" if line.strip() else ">" for line in hit.passage.splitlines()]
        lines += ["", f"{_markdown_text(attribution(hit))} [{numbers[hit.doc_id]}]", ""]
    lines += ["## 参考文献", ""]
    lines += [f"[{number}] {_markdown_inline(reference)}  " for number, reference in enumerate(references(hits), start=1)]
    return ("\n".join(lines).rstrip() + "\n").encode("utf-8")


# -- Word ------------------------------------------------------------------------------

BODY_FONT, HEADING_FONT = "宋体", "黑体"
_GREY = RGBColor(0x5B, 0x65, 0x76)


def to_docx(hits: list[Hit], documents: dict[str, dict], title: str) -> bytes:
    document = docx.Document()
    _east_asian_font(document.styles["Normal"], BODY_FONT)
    for style in ("Title", "Heading 1", "Heading 2"):
        _east_asian_font(document.styles[style], HEADING_FONT)
    numbers = reference_numbers(hits)
    document.add_heading(title, level=0)
    document.add_paragraph(summary_line(hits))
    for number, hit in enumerate(hits, start=1):
        document.add_heading(heading(number, hit), level=2)
        _grey(document.add_paragraph(), section_line(hit))
        for line in hit.passage.splitlines() or [""]:
            document.add_paragraph(line)
        source = _grey(document.add_paragraph(), f"{attribution(hit)} [{numbers[hit.doc_id]}]")
        source.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_heading("参考文献", level=1)
    for number, reference in enumerate(references(hits), start=1):
        paragraph = document.add_paragraph(f"[{number}] {reference}")
        paragraph.paragraph_format.left_indent = Pt(24)
        paragraph.paragraph_format.first_line_indent = Pt(-24)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _east_asian_font(style, name: str) -> None:
    """Word takes Chinese glyphs from the East Asian font, which python-docx's ``font.name`` does not set."""
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _grey(paragraph, text: str):
    run = paragraph.add_run(text)
    run.font.color.rgb = _GREY
    run.font.size = Pt(9.5)
    return paragraph


# -- CSV ---------------------------------------------------------------------------------

CSV_COLUMNS = ("序号", "地区", "日期", "章节", "段落", "出处", "参考文献序号", "参考文献", "题名", "来源", "类型", "网址",
               "文档编号", "段落序号")


def to_csv(hits: list[Hit], documents: dict[str, dict], title: str) -> bytes:
    """One row per passage, its reference beside it (a table has no end to put a list at); UTF-8 with BOM for Excel."""
    numbers = reference_numbers(hits)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for number, hit in enumerate(hits, start=1):
        writer.writerow([number, place_of(hit), shown_date(hit), " › ".join(hit.section), hit.passage, attribution(hit),
                         numbers[hit.doc_id], hit.reference, hit.title, hit.source, hit.doc_type, hit.url, hit.doc_id,
                         hit.order])
    return buffer.getvalue().encode("utf-8-sig")


# -- RIS -----------------------------------------------------------------------------------

# RIS reference types (the 2011 RIS specification), by the document's type; Zotero imports GOVDOC as a report.
RIS_TYPES = {"新闻报道": "NEWS", "政策文件": "GOVDOC", "工作报告": "GOVDOC", "政府工作报告": "GOVDOC"}


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its ``1.`` line before each record, which is not RIS."""

    def set_header(self, count: int) -> str:
        return ""


def ris_type(meta: dict) -> str:
    """The RIS type of a document: by its type, else a web page when it has an address, else generic."""
    return RIS_TYPES.get(meta.get("doc_type", ""), "ELEC" if meta.get("url") else "GEN")


def to_ris(hits: list[Hit], documents: dict[str, dict], title: str) -> bytes:
    records: dict[str, dict] = {}
    for hit in hits:
        record = records.get(hit.doc_id)
        if record is None:
            record = records[hit.doc_id] = _ris_record(hit, documents.get(hit.doc_id, {}))
        section = f"{' › '.join(hit.section)}：" if hit.section else ""
        record["notes"].append(_one_line(section + hit.passage))
    return rispy.dumps(list(records.values()), implementation=_RisWriter).encode("utf-8")


def _ris_record(hit: Hit, meta: dict) -> dict:
    kind = ris_type({"doc_type": hit.doc_type, **meta})
    record = {"type_of_reference": kind, "title": hit.title, "authors": list(meta.get("authors") or [])}
    if hit.year:
        record["year"] = str(hit.year)
    if hit.date and not hit.date_estimated:  # a guessed date is not given as the date: the year stands
        record["date"] = _ris_date(hit.date)
    if hit.source:  # a newspaper is where an article appeared; an office is who issued a document
        record["secondary_title" if kind == "NEWS" else "publisher"] = hit.source
    if place_of(hit):
        record["place_published"] = place_of(hit)
    url = hit.url or meta.get("url")
    if url:
        record["urls"] = [url]
        record["access_date"] = _ris_date(access_date(meta))
    record["type_of_work"] = hit.doc_type
    record["language"] = "zh"
    return {key: value for key, value in record.items() if value} | {"notes": []}


def _ris_date(date: str) -> str:
    """RIS dates are YYYY/MM/DD/other, every part kept with its slash: 2024-01 → 2024/01//."""
    parts = (date.split("-") + ["", ""])[:3]
    return "/".join(parts) + "/"


def _one_line(text: str) -> str:
    """A tag's value on one line: RIS has no line continuation that every reader honours."""
    return " ".join(text.split())


FORMATS: dict[str, Format] = {
    "md": Format("Markdown", ".md", "text/markdown", to_markdown),
    "docx": Format("Word", ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", to_docx),
    "csv": Format("CSV", ".csv", "text/csv", to_csv),
    "ris": Format("RIS（Zotero）", ".ris", "application/x-research-info-systems", to_ris),
}


def export(hits: list[Hit], documents: dict[str, dict], fmt: str, title: str = "检索摘录") -> bytes:
    """``hits`` as a file of format ``fmt`` (a key of :data:`FORMATS`); ``documents`` by doc_id, for authors and addresses."""
    return FORMATS[fmt].write(hits, documents, title)
