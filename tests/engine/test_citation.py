"""Citations fit to paste: addresses kept, dates never guessed as fact, GB/T 7714-2015 types per document.

The collection tests build an index of the seed corpus and the 52 national reports of
``../shared/extra-corpus`` (each with a Wikisource address and, mostly, no date in its manifest)
and read them through ``docs --json`` and ``search --json``, as a user would.
"""

from __future__ import annotations

import datetime
import re
import shutil

import pytest
import rispy

from indexer.backends.whoosh.build import build_index
from indexer.engine.citation import citation, gbt7714
from indexer.engine.export import export
from indexer.ingest.corpus import load
from indexer.ingest.metadata import Inference, date_agreeing
from indexer.backends.whoosh.engine import open_engine
from ingest_support import EXTRA_CORPUS, PROJECT_ROOT, notice

NATIONAL = EXTRA_CORPUS / "national-reports"
needs_national = pytest.mark.skipif(not NATIONAL.is_dir(), reason="../shared/extra-corpus/national-reports is missing")
TODAY = datetime.date.today().isoformat()
URL = "https://www.gov.cn/zhengce/content/2025-05/28/content_1.htm"


# -- references by type ---------------------------------------------------------------

def test_an_official_document_without_an_address_is_z_with_its_office_as_author():
    meta = {"title": "上海市2025年政府工作报告", "source": "上海市人民政府", "date": "2025-01-15", "year": 2025,
            "doc_type": "政府工作报告", "authors": []}
    assert gbt7714(meta) == "上海市人民政府. 上海市2025年政府工作报告[Z]. 2025-01-15."
    assert citation("段落。", meta, ["一、回顾"]) == "段落。\n——《上海市2025年政府工作报告》，上海市人民政府，2025-01-15，一、回顾"


def test_a_newspaper_article_is_n_with_the_paper_and_an_estimated_date_is_never_fact():
    meta = {"title": "青岛城乡低保平均标准全省最高", "source": "青岛早报", "date": "2025-12-04", "year": 2025,
            "doc_type": "新闻报道", "authors": ["徐小钦", "吴涵"], "date_estimated": True}
    assert gbt7714(meta) == "徐小钦, 吴涵. 青岛城乡低保平均标准全省最高[N]. 青岛早报, [2025]."
    assert "2025-12-04（推定）" in citation("段落。", meta, [])
    meta["date_estimated"] = False
    assert gbt7714(meta) == "徐小钦, 吴涵. 青岛城乡低保平均标准全省最高[N]. 青岛早报, 2025-12-04."


def test_online_items_are_eb_ol_or_n_ol_with_the_address_and_the_access_date():
    report = {"title": "2025年政府工作报告", "source": "中华人民共和国国务院", "date": "", "year": 2025,
              "doc_type": "政府工作报告", "authors": [], "url": URL, "accessed": "2026-03-01"}
    assert gbt7714(report) == f"中华人民共和国国务院. 2025年政府工作报告[EB/OL]. (2025)[2026-03-01]. {URL}."
    pasted = citation("段落。", report, ["一、回顾"])
    assert pasted.endswith(f"，2025年，一、回顾，引用日期：2026-03-01，网址：{URL}")  # the address last: one link
    news = {"title": "烟台提高救助标准", "source": "胶东在线", "date": "2025-11-04", "year": 2025,
            "doc_type": "新闻报道", "authors": ["赖皓阳"], "url": URL, "indexed": "2026-02-01"}
    assert gbt7714(news) == f"赖皓阳. 烟台提高救助标准[N/OL]. 胶东在线, 2025-11-04[2026-02-01]. {URL}."


# -- dates ------------------------------------------------------------------------------

@pytest.mark.parametrize("date, stated, title, kept", [
    ("1997-07-01", 1993, "1993年政府工作报告", ""),  # a date the text mentions, four years on
    ("2004-07-01", 2005, "", ""),  # the year before: still not the stated year
    ("2017-03-05", 2017, "", "2017-03-05"),
    ("2025-05-28", None, "青岛市民政事业高质量发展实施方案(2025—2027年)", "2025-05-28"),
    ("2023-12-20", None, "关于做好2024年度低保工作的通知", "2023-12-20"),  # a plan is dated the year before
    ("1999-12-20", None, "１９９７年政府工作报告", ""),  # full-width digits in a title count
    ("2025-03-18", None, "关于做好养老工作的通知", "2025-03-18"),  # no year stated: nothing to disagree with
])
def test_an_inferred_date_must_agree_with_the_stated_year(date, stated, title, kept):
    assert date_agreeing(date, stated, title) == kept


def test_a_date_the_manifest_marks_estimated_is_flagged_and_a_page_canonical_link_is_the_address(tmp_path):
    (tmp_path / "a.txt").write_text(notice("青岛", "养老", "标记甲"), encoding="utf-8")
    (tmp_path / "b.html").write_text(
        "<html><head><title>济南市民政局关于养老服务的通知</title>"
        f'<link rel="canonical" href="{URL}"></head><body><h1>济南市民政局关于养老服务的通知</h1>'
        "<p>各区民政局：为提高养老服务水平，现就有关事项通知如下，各区要加强统筹协调，确保政策落实到位，"
        "让老年人就近享受养老服务。</p><p>济南市民政局</p><p>2025年4月2日</p></body></html>", encoding="utf-8")
    estimated = load(tmp_path / "a.txt", tmp_path, {"date": "2025-03", "date_basis": "estimated: from the text",
                                                     "url": "not an address", "access_date": "2026-01-05"}).document
    assert (estimated.date, estimated.date_estimated, estimated.accessed) == ("2025-03", True, "2026-01-05")
    assert estimated.url == "" and any("url 值「not an address」无法识别" in note for note in estimated.notes)
    page = load(tmp_path / "b.html", tmp_path).document
    assert (page.url, page.provenance["url"], page.date, page.date_estimated) == (URL, "inferred", "2025-04-02", False)
    assert page.indexed == TODAY and page.accessed == ""


def test_front_matter_gives_an_address_under_either_name(tmp_path):
    for key in ("url", "链接"):
        (tmp_path / "c.txt").write_text(f"---\n{key}: {URL}\n引用日期: 2026-02-03\n---\n" + notice("济南", "养老", key),
                                        encoding="utf-8")
        document = load(tmp_path / "c.txt", tmp_path).document
        assert (document.url, document.accessed, document.provenance["url"]) == (URL, "2026-02-03", "front-matter")


def test_a_speech_takes_its_delivery_date_and_never_one_it_mentions():
    inference = Inference()
    inference.feed_text("各位代表：\n现在，我代表国务院向大会作政府工作报告。\n从2004年7月1日起，提高企业退休人员基本养老金标准。")
    assert inference.date() == ""


# -- the whole national collection -----------------------------------------------------------

@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """An index of the seed corpus and the national reports (copied with their manifest)."""
    if not NATIONAL.is_dir():
        pytest.skip("../shared/extra-corpus/national-reports is missing")
    root = tmp_path_factory.mktemp("collection")
    shutil.copytree(NATIONAL, root / "national-reports")
    index_dir = root / "index"
    build_index([PROJECT_ROOT / "corpus", root / "national-reports"], index_dir)
    engine = open_engine(index_dir)
    yield engine, index_dir
    engine.close()


@needs_national
def test_docs_json_shows_every_national_report_url_and_no_date_outside_its_year(collection, cli, monkeypatch):
    _, index_dir = collection
    monkeypatch.setenv("POLICY_SEARCH_INDEX", str(index_dir))
    result = cli("docs", "--json")
    national = [d for d in result.json() if "national-reports" in d["path"]]
    assert len(national) == 52
    assert all(d["url"].startswith("https://zh.wikisource.org/wiki/") for d in national)
    assert all(not d["date"] or d["date"][:4] == str(d["year"]) for d in national), \
        [(d["doc_id"], d["date"]) for d in national if d["date"] and d["date"][:4] != str(d["year"])]
    by_year = {d["year"]: d for d in national}
    for year in (1993, 1995, 1997, 2005):  # the manifest gives no date; the texts only mention other years' dates
        assert (by_year[year]["date"], by_year[year]["provenance"]["date"]) == ("", "missing")
    assert (by_year[2017]["date"], by_year[2017]["provenance"]["date"]) == ("2017-03-05", "inferred")
    seed = [d for d in result.json() if d["path"].startswith(str(PROJECT_ROOT / "corpus"))]
    assert {d["doc_id"][:3]: d["date_estimated"] for d in seed} == {
        "000": True, "001": True, "002": False, "003": False, "004": True}


@needs_national
def test_every_hit_with_an_address_carries_it_in_citation_and_reference(collection, cli, monkeypatch):
    engine, index_dir = collection
    monkeypatch.setenv("POLICY_SEARCH_INDEX", str(index_dir))
    hits = cli("search", "社会救济 OR 最低生活保障 OR 低保", "--limit", "60", "--json").json()["hits"]
    documents = {d["doc_id"]: d for d in engine.documents()}
    online = [hit for hit in hits if documents[hit["doc_id"]]["url"]]
    assert len(online) >= 20 and len(online) < len(hits)
    for hit in hits:
        meta = documents[hit["doc_id"]]
        if meta["url"]:
            assert hit["url"] == meta["url"]
            assert hit["citation"].endswith(f"网址：{meta['url']}")
            assert re.search(r"\[EB/OL\]\. \((?:\d{4}|\d{4}-\d\d-\d\d)\)\[(\d{4}-\d\d-\d\d)\]\. " + re.escape(meta["url"])
                             + r"\.$", hit["reference"]), hit["reference"]
            assert f"[{meta['indexed']}]" in hit["reference"] and meta["indexed"] == TODAY
        else:
            assert "http" not in hit["citation"] + hit["reference"]
            assert re.search(r"\[(?:Z|N)\]", hit["reference"])
        if meta["date_estimated"]:
            assert meta["date"] not in hit["reference"] and f"[{meta['year']}]" in hit["reference"]
            assert f"{meta['date']}（推定）" in hit["citation"]


@needs_national
def test_ris_keeps_the_address_the_access_date_and_only_dates_that_are_known(collection):
    engine, _ = collection
    hits = engine.search("低保", limit=40).hits
    documents = {hit.doc_id: engine.document(hit.doc_id) for hit in hits}
    records = {r["title"]: r for r in rispy.loads(export(hits, documents, "ris").decode("utf-8"))}
    seen = set()
    for hit in hits:
        record, meta = records[hit.title], documents[hit.doc_id]
        assert record["year"] == str(meta["year"])
        if meta["url"]:
            assert record["urls"] == [meta["url"]] and record["access_date"] == meta["indexed"].replace("-", "/") + "/"
            seen.add("url")
        if meta["date_estimated"] or not meta["date"]:
            assert "date" not in record
            seen.add("no date")
        else:
            assert record["date"].startswith(meta["date"].replace("-", "/"))
    assert seen == {"url", "no date"}
