"""Every format and encoding people receive, read into passages with sections, and found by search."""

from __future__ import annotations

import pytest

from indexer.ingest import readers
from indexer.backends.whoosh.build import build_index
from indexer.ingest.cleaning import split_lines
from indexer.ingest.corpus import Manifests, load
from indexer.ingest.readers import UnreadableFile, open_source
from indexer.backends.whoosh.engine import open_engine
from ingest_support import EXTRA_CORPUS, make_pdf, notice, write_docx

TEXT = notice("青岛", "城乡低保", "编码测试标记甲")
TRADITIONAL = "青島市民政局關於做好養老服務工作的通知\n各區民政局：\n為貫徹落實養老服務政策，現將有關事項通知如下。\n一、提高保障標準\n城鄉低保標準每人每月提高到1000元。\n"

ENCODINGS = [
    # (how the bytes are written, what the reader must report)
    ("utf-8", "utf-8"),
    ("utf-8-sig", "utf-8"),
    ("gb18030", "gb18030"),
    ("gbk", "gb18030"),
    ("utf-16", "utf-16-le"),  # Python writes a BOM, little-endian
    ("utf-16-be-bom", "utf-16-be"),
    ("utf-16-le", "utf_16_le"),  # no BOM: charset-normalizer must find it
    ("utf-16-be", "utf_16_be"),
]


def encode(text: str, how: str) -> bytes:
    if how == "utf-16-be-bom":
        return b"\xfe\xff" + text.encode("utf-16-be")
    return text.encode(how)


@pytest.mark.parametrize("how, reported", ENCODINGS)
def test_text_encodings_are_detected_and_read_exactly(tmp_path, how, reported):
    path = tmp_path / "notice.txt"
    path.write_bytes(encode(TEXT.replace("\n", "\r\n"), how))
    source = open_source(path)
    assert source.encoding == reported
    assert list(source.lines()) == split_lines(TEXT)
    loaded = load(path, tmp_path)
    assert loaded.document.encoding == reported
    assert loaded.document.title == "青岛市民政局关于做好城乡低保工作的通知"
    assert any("编码测试标记甲" in p.text for p in loaded.passages())


def test_big5_traditional_text(tmp_path):
    path = tmp_path / "big5.txt"
    path.write_bytes(TRADITIONAL.encode("big5"))
    loaded = load(path, tmp_path)
    assert loaded.document.encoding.startswith("big5")
    assert loaded.document.script == "traditional"
    assert any("城鄉低保標準" in p.text for p in loaded.passages())


def test_same_text_in_any_encoding_has_one_content_hash(tmp_path):
    hashes = set()
    for how, _ in ENCODINGS:
        path = tmp_path / f"{how}.txt"
        path.write_bytes(encode(TEXT, how))
        hashes.add(load(path, tmp_path).document.content_hash)
    assert len(hashes) == 1


@pytest.mark.parametrize("how", ["gb18030", "utf-16-le", "utf-8"])
def test_decoding_streams_in_tiny_chunks_without_changing_a_line(tmp_path, monkeypatch, how):
    """Chunk edges fall inside multi-byte characters and between \\r and \\n; lines must not change."""
    text = (TEXT * 3).replace("\n", "\r\n") + "末行没有换行"
    path = tmp_path / "chunks.txt"
    path.write_bytes(text.encode(how))
    monkeypatch.setattr(readers.base, "CHUNK_BYTES", 7)
    monkeypatch.setattr(readers.base, "KEEP_CHARS", 0)  # never cached: every read streams
    source = open_source(path)
    assert list(source.lines()) == split_lines(text)
    assert list(source.lines()) == split_lines(text)  # a second pass reads the same


def test_an_over_long_line_is_cut_at_a_sentence_end(tmp_path, monkeypatch):
    monkeypatch.setattr(readers.base, "MAX_LINE_CHARS", 50)
    monkeypatch.setattr(readers.base, "CHUNK_BYTES", 16)
    sentence = "社区养老服务中心覆盖全部街道。"  # 15 characters
    path = tmp_path / "long.txt"
    path.write_text("标题\n" + sentence * 20 + "\n", encoding="utf-8")
    lines = list(open_source(path).lines())
    body = [line for line in lines[1:] if line]
    assert "".join(body) == sentence * 20
    assert all(len(line) <= 50 and line.endswith("。") for line in body)


# -- web pages -----------------------------------------------------------------

PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>烟台市民政局关于加强殡葬服务管理的通知_烟台市人民政府</title></head><body>
<div class="nav"><a href="/">网站首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; 通知公告</div>
<div class="article"><h1>烟台市民政局关于加强殡葬服务管理的通知</h1>
<p>发布日期：2025-04-02</p>
<h2>一、总体要求</h2>
<p>各区市民政局：为深化殡葬改革，推进节地生态安葬，规范殡葬服务收费，切实减轻群众丧葬负担，现就有关事项通知如下。</p>
<h2>二、主要措施</h2>
<h3>（一）推行海葬</h3>
<p>对选择海葬的家庭给予每例2000元奖补，海葬服务由市殡仪馆统一组织，网页测试标记乙。</p>
</div><div class="footer">版权所有：烟台市民政局 鲁ICP备12345678号 网站标识码3706000001</div></body></html>"""


def test_html_main_text_with_headings_as_sections(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(PAGE.encode("gbk"))  # declared gb2312, holds GBK: read as GB18030
    loaded = load(path, tmp_path)
    document = loaded.document
    assert (document.format, document.title) == ("html", "烟台市民政局关于加强殡葬服务管理的通知")
    assert document.date == "2025-04-02" and document.provenance["date"] == "inferred"
    assert document.city == "烟台" and document.doc_type == "政策文件"
    passages = list(loaded.passages())
    marked = next(p for p in passages if "网页测试标记乙" in p.text)
    assert marked.section == ["二、主要措施", "（一）推行海葬"]
    text = "".join(p.text for p in passages)
    assert "版权所有" not in text and "网站首页" not in text


def test_html_falls_back_to_the_page_blocks_when_extraction_finds_nothing(tmp_path, monkeypatch):
    import trafilatura

    monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: None)
    path = tmp_path / "page.htm"
    path.write_text(PAGE.replace("gb2312", "utf-8"), encoding="utf-8")
    source = open_source(path)
    lines = list(source.lines())
    assert "# 烟台市民政局关于加强殡葬服务管理的通知" in lines
    assert "### （一）推行海葬" in lines
    assert any("网页测试标记乙" in line for line in lines)
    assert source.notes  # says the fallback was used


# -- Word ----------------------------------------------------------------------

def test_docx_heading_styles_become_sections(tmp_path):
    path = write_docx(tmp_path / "plan.docx", [
        ("Title", "聊城市养老服务体系建设实施方案"),
        ("", "为推进养老服务体系建设，制定本方案。"),
        ("Heading 1", "一、主要任务"),
        ("Heading 2", "（一）发展社区养老"),
        ("", "每个街道建设一处综合养老服务中心，Word测试标记丙。"),
        ("Heading 1", "二、保障措施"),
        ("", "市财政每年安排专项资金支持养老服务设施建设。"),
    ], table=[["项目", "目标"], ["街道综合养老服务中心", "全覆盖"]])
    loaded = load(path, tmp_path)
    assert loaded.document.format == "docx"
    assert loaded.document.title == "聊城市养老服务体系建设实施方案"
    assert loaded.document.doc_type == "政策文件"
    passages = list(loaded.passages())
    marked = next(p for p in passages if "Word测试标记丙" in p.text)
    assert marked.section == ["一、主要任务", "（一）发展社区养老"]
    assert next(p for p in passages if "专项资金" in p.text).section == ["二、保障措施"]
    assert any("街道综合养老服务中心" in p.text and "全覆盖" in p.text for p in passages)  # the table row


def test_damaged_docx_is_skipped_with_a_reason(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip file")
    with pytest.raises(UnreadableFile, match="Word"):
        load(path, tmp_path)


@pytest.mark.skipif(not (EXTRA_CORPUS / "provincial-2025-docx").is_dir(), reason="extra-corpus not present")
def test_real_word_report_from_the_extra_corpus():
    corpus = EXTRA_CORPUS / "provincial-2025-docx"
    path = corpus / "2025-上海市政府工作报告.docx"
    loaded = load(path, corpus, Manifests().entry(path, corpus))
    document = loaded.document
    assert document.title == "上海市2025年政府工作报告" and document.provenance["title"] == "manifest"
    assert document.city == "" and document.provenance["city"] == "manifest"  # provincial: no city, as curated
    passages = list(loaded.passages())
    assert len(passages) > 50
    assert any("养老" in p.text for p in passages)
    assert any(p.section and p.section[0].startswith("一、") for p in passages)


# -- PDF -----------------------------------------------------------------------

PDF_WIDTH = 28  # characters per full line of the page


def wrap(paragraph: str) -> list[str]:
    """A paragraph laid out on the page: full lines of PDF_WIDTH characters, then the rest."""
    return [paragraph[i:i + PDF_WIDTH] for i in range(0, len(paragraph), PDF_WIDTH)]


WRAPPED = "为进一步做好临时救助工作，切实发挥救助托底作用，保障困难群众基本生活，现就有关事项通知如下。"
# A paragraph whose page-1 part is two full lines (the second ending on a comma), finished on page 2.
ACROSS_PAGES = ["对遭遇急难的家庭先行救助，事后补齐材料，PDF测试标记丁。其",
                "余情形按一般程序办理，救助金额根据困难程度和家庭人口确定，", "一般不超过当地月低保标准的六倍。"]
PDF_PAGES = [
    ["潍坊市民政局关于做好临时救助工作的通知", "各县市区民政局：", *wrap(WRAPPED), "一、明确救助对象",
     *wrap("因火灾、交通事故等意外事件导致基本生活暂时出现严重困难的家庭，可申请临时救助。"), *ACROSS_PAGES[:2]],
    [ACROSS_PAGES[2], "- 2 -"],
    ["二、规范救助程序", "临时救助实行乡镇（街道）审核审批，急难情形先行救助。", "第 3 页 共 3 页"],
]


def test_pdf_text_layer_is_read_reflowed_and_sectioned(tmp_path):
    path = tmp_path / "notice.pdf"
    path.write_bytes(make_pdf(PDF_PAGES))
    loaded = load(path, tmp_path)
    assert loaded.document.format == "pdf"
    assert loaded.document.title == "潍坊市民政局关于做好临时救助工作的通知"
    texts = [p.text for p in loaded.passages()]
    # lines wrapped at the page edge are one paragraph again, across a page break too
    assert WRAPPED in texts
    assert all(len(line) >= PDF_WIDTH for line in ACROSS_PAGES[:2])  # full lines: the paragraph goes on
    assert "".join(ACROSS_PAGES) in texts
    assert not any("- 2 -" in t or "第 3 页" in t for t in texts)
    marked = next(p for p in loaded.passages() if "PDF测试标记丁" in p.text)
    assert marked.section == ["一、明确救助对象"]
    assert next(p for p in loaded.passages() if "急难情形" in p.text).section == ["二、规范救助程序"]


def test_pdf_without_a_text_layer_is_skipped_with_that_reason(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([[], []]))
    with pytest.raises(UnreadableFile, match="没有文字层"):
        load(path, tmp_path)


def test_damaged_pdf_is_skipped_with_a_reason(tmp_path):
    path = tmp_path / "cut.pdf"
    path.write_bytes(make_pdf(PDF_PAGES)[:200])
    with pytest.raises(UnreadableFile):
        load(path, tmp_path)


# -- all formats in one index --------------------------------------------------

@pytest.fixture(scope="module")
def mixed_index(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("mixed")
    (corpus / "gb.txt").write_bytes(notice("济南", "临时救助", "混合标记一").encode("gb18030"))
    (corpus / "u16.txt").write_bytes(notice("淄博", "特困供养", "混合标记二").encode("utf-16"))
    (corpus / "note.md").write_text("# 威海市婚姻登记服务指南\n\n## 一、办理地点\n\n各区婚姻登记处均可办理，混合标记三。\n"
                                    "婚姻登记实行全省通办，群众可就近选择登记机关办理结婚登记和离婚登记手续。\n",
                                    encoding="utf-8")
    (corpus / "page.html").write_bytes(PAGE.encode("gbk"))
    write_docx(corpus / "plan.docx", [("Title", "日照市儿童福利工作方案"), ("Heading 1", "一、工作目标"),
                                      ("", "孤儿和事实无人抚养儿童基本生活保障标准每人每月提高到1800元，混合标记四。"),
                                      ("", "加强儿童福利机构建设，推进儿童福利机构优化提质和创新转型。")])
    (corpus / "notice.pdf").write_bytes(make_pdf(PDF_PAGES))
    index_dir = tmp_path_factory.mktemp("mixed-index")
    summary = build_index([corpus], index_dir)
    engine = open_engine(index_dir)
    yield summary, engine
    engine.close()


def test_every_format_is_indexed_and_searchable(mixed_index):
    summary, engine = mixed_index
    assert summary.skipped == [] and summary.documents == 6
    formats = {d["doc_id"]: d["format"] for d in engine.documents()}
    assert formats == {"gb": "text", "u16": "text", "note": "text", "page": "html", "plan": "docx", "notice": "pdf"}
    expected = {"混合标记一": "gb", "混合标记二": "u16", "混合标记三": "note", "网页测试标记乙": "page",
                "混合标记四": "plan", "PDF测试标记丁": "notice"}
    for marker, doc_id in expected.items():
        hits = engine.search(f'"{marker}"').hits
        assert [h.doc_id for h in hits] == [doc_id], marker
    hit = engine.search('"混合标记三"').hits[0]
    assert hit.title == "威海市婚姻登记服务指南" and hit.section == ["一、办理地点"]
