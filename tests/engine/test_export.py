"""Exporting passages: the files ``policy-search export`` writes, read back with independent readers.

Word with python-docx, RIS with rispy and with the tag grammar of the RIS
specification, CSV with the csv module; what they must hold is taken from the
engine's own answer to the same search (its passages, citations, references).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace

import docx
import pytest
import rispy

from indexer.engine.export import attribution, export, references, shown_date

# The RIS specification's tag line: two characters (a capital, then a capital or digit), two spaces, a dash, a space.
RIS_LINE = re.compile(r"^[A-Z][A-Z0-9]  - ")


@pytest.fixture(scope="module")
def low_income(engine):
    """The hits and document metadata ``export 低保 --limit 20`` exports."""
    hits = engine.search("低保", limit=20).hits
    return hits, {hit.doc_id: engine.document(hit.doc_id) for hit in hits}


def test_word_export_holds_every_passage_its_citation_and_the_reference_list(cli, tmp_path, low_income):
    hits, _ = low_income
    out = tmp_path / "低保.docx"
    result = cli("export", "低保", "--format", "docx", "--out", out)
    assert result.code == 0, result.err
    assert result.err_lines == [f"已导出 {len(hits)} 个段落（{len({h.doc_id for h in hits})} 篇文档，Word）到 {out}"]
    paragraphs = [p.text for p in docx.Document(str(out)).paragraphs]
    numbers = {}
    for hit in hits:
        numbers.setdefault(hit.doc_id, len(numbers) + 1)
        for line in hit.passage.splitlines():
            assert line in paragraphs
        assert f"{attribution(hit)} [{numbers[hit.doc_id]}]" in paragraphs
    tail = paragraphs[paragraphs.index("参考文献") + 1:]
    assert tail == [f"[{n}] {reference}" for n, reference in enumerate(references(hits), start=1)]
    assert len(tail) == len(numbers) > 1, "one reference per document, numbered in order of first citation"


def test_the_format_follows_the_file_name_and_bad_output_paths_get_one_line(cli, tmp_path):
    out = tmp_path / "低保.docx"
    assert cli("export", "低保", "--limit", "3", "--out", out).code == 0
    assert docx.Document(str(out)).paragraphs[0].text == "检索摘录：低保"
    result = cli("export", "低保", "--out", tmp_path / "missing" / "a.md")
    assert result.code == 2 and len(result.err_lines) == 1 and result.err_lines[0].startswith("错误：无法写入")
    result = cli("export", "无此词语组合鸮鹦", "--out", tmp_path / "none.md")
    assert result.code == 2 and result.err_lines == ["错误：没有找到与「无此词语组合鸮鹦」匹配的段落，未写入文件。"]
    assert not (tmp_path / "none.md").exists()


def test_ris_export_has_one_record_per_document_with_its_passages_as_notes(cli, tmp_path, low_income):
    hits, documents = low_income
    out = tmp_path / "低保.ris"
    assert cli("export", "低保", "--format", "ris", "--out", out).code == 0
    text = out.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line]
    assert all(RIS_LINE.match(line) for line in lines), [line for line in lines if not RIS_LINE.match(line)]
    records = rispy.loads(text)
    doc_ids = list(dict.fromkeys(hit.doc_id for hit in hits))
    assert [r["title"] for r in records] == [documents[d]["title"] for d in doc_ids]
    for record, doc_id in zip(records, doc_ids):
        meta = documents[doc_id]
        assert record["type_of_reference"] == {"新闻报道": "NEWS", "政策文件": "GOVDOC"}[meta["doc_type"]]
        assert record["authors"] == meta["authors"]
        assert record["year"] == str(meta["year"])
        assert len(record["notes"]) == sum(hit.doc_id == doc_id for hit in hits)
        assert all(any(" ".join(hit.passage.split()) in note for note in record["notes"])
                   for hit in hits if hit.doc_id == doc_id)


def test_csv_export_has_a_row_per_passage_with_place_date_section_and_reference(cli, tmp_path, low_income):
    hits, _ = low_income
    out = tmp_path / "低保.csv"
    assert cli("export", "低保", "--out", out).code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf"), "a BOM, so Excel reads the Chinese as UTF-8"
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [row["段落"] for row in rows] == [hit.passage for hit in hits]
    for row, hit in zip(rows, hits):
        assert (row["地区"], row["日期"], row["章节"]) == (hit.city, shown_date(hit), " › ".join(hit.section))
        assert row["日期"].endswith("（推定）") == hit.date_estimated, "a guessed date is shown as one"
        assert row["参考文献"] == hit.reference and row["出处"] == attribution(hit)


def test_markdown_export_keeps_the_source_script_and_shows_markup_as_text(engine):
    hits = engine.search("養老服務", limit=5).hits
    traditional = next(hit for hit in hits if "養老" in hit.passage)
    marked = replace(traditional, passage="# 一、*重点*任务\n1. 第一项")
    text = export([traditional, marked], {}, "md", "检索摘录").decode("utf-8")
    assert all(f"> {line}" in text.replace("\\", "") for line in traditional.passage.splitlines())
    assert "> \\# 一、\\*重点\\*任务" in text and "> \\1. 第一项" in text
    assert text.rstrip().endswith(f"[1] {traditional.reference}")
