"""Places as a hierarchy (全国 / 省级 / 市级 / 县级), time ranges and date order, and documents_total.

The collection tests search an index of the whole collection (the seed corpus and every folder of
``../shared/extra-corpus``: 52 national reports, 62 provincial reports), built once for this module,
through the CLI's JSON as a user would; the rest use the seed index or loose files.
"""

from __future__ import annotations

import pytest

from indexer.ingest.corpus import load
from indexer.ingest.places import canonical_city, canonical_level, canonical_province
from indexer.engine.timespan import span
from ingest_support import EXTRA_CORPUS

needs_collection = pytest.mark.skipif(not EXTRA_CORPUS.is_dir(), reason="../shared/extra-corpus is missing")
PROVINCIAL_FOLDERS = ("provincial-2025-docx", "provincial-2026")


# -- canonical names and levels ------------------------------------------------------

def test_one_name_per_province_and_per_city():
    assert {canonical_province(name) for name in ("山东", "山东省", "山東省", " 山东 ")} == {"山东省"}
    assert canonical_province("内蒙古") == canonical_province("内蒙古自治区") == "内蒙古自治区"
    assert canonical_province("广西") == "广西壮族自治区"
    assert canonical_province("上海") == "上海市"
    assert canonical_province("全国") == "全国"
    assert {canonical_city(name) for name in ("青岛", "青岛市", "青島", "青島市")} == {"青岛"}
    assert canonical_city("烟台市") == "烟台"
    assert [canonical_level(v) for v in ("national", "provincial", "市级", "county", "whatever")] == [
        "全国", "省级", "市级", "县级", ""]


def _front_matter_document(tmp_path, header: str, body: str = "为困难群众提供基本生活保障，健全分层分类的社会救助体系，兜住兜牢民生底线。" * 3):
    path = tmp_path / "doc.txt"
    path.write_text(f"---\n{header}\n---\n{body}\n", encoding="utf-8")
    return load(path, tmp_path).document


def test_a_city_implies_its_province_and_the_city_level(tmp_path):
    document = _front_matter_document(tmp_path, "title: 青島市社會救助辦法\ncity: 青島市")
    assert (document.city, document.province, document.level) == ("青岛", "山东省", "市级")
    assert document.provenance["province"] == "inferred"


def test_a_county_is_the_county_level_and_a_municipality_a_province(tmp_path):
    county = _front_matter_document(tmp_path, "title: 崂山区养老服务方案\ncity: 青岛\ncounty: 崂山区")
    assert (county.county, county.city, county.province, county.level) == ("崂山区", "青岛", "山东省", "县级")
    municipal = _front_matter_document(tmp_path, "title: 北京市养老服务方案\ncity: 北京")
    assert (municipal.city, municipal.province, municipal.level) == ("", "北京市", "省级")


def test_a_national_issuer_makes_a_national_document_and_a_curated_level_wins(tmp_path):
    national = _front_matter_document(tmp_path, "title: 国务院关于进一步加强和改进最低生活保障工作的意见")
    assert (national.level, national.province, national.city) == ("全国", "", "")
    stated = _front_matter_document(tmp_path, "title: 养老服务方案\nprovince: 山东\nlevel: provincial")
    assert (stated.level, stated.province, stated.provenance["level"]) == ("省级", "山东省", "front-matter")
    unknown = _front_matter_document(tmp_path, "title: 关于养老服务的几点思考")
    assert unknown.level == "" and unknown.province == ""


def test_date_spans_for_years_months_and_days():
    assert span("1995") == (19950000, 19959999)
    assert span("2025-05") == span("2025年5月") == (20250500, 20250599)
    assert span("2025-05-28") == span("2025年5月28日") == (20250528, 20250528)
    assert span("19x") is None and span("2025-13") is None


# -- the seed corpus -------------------------------------------------------------------

def test_seed_documents_are_found_under_their_province_in_any_spelling(engine, documents):
    everything = engine.search("民政", limit=0)
    for spelling in ("山东省", "山东", "山東"):
        assert engine.search("民政", provinces=[spelling], limit=0).total == everything.total
    assert engine.search("民政", cities=["青島"], limit=0).total == engine.search("民政", cities=["青岛"], limit=0).total > 0
    assert {(d["level"], d["province"]) for d in documents.values()} == {("市级", "山东省")}
    assert engine.search("民政", provinces=["广东省"], limit=0).total == 0


def test_hits_carry_level_province_and_city_and_the_response_documents_total(cli):
    data = cli("search", "养老服务", "--json", "--limit", "100").json()
    assert data["hits"] and all((h["level"], h["province"]) == ("市级", "山东省") and h["city"] for h in data["hits"])
    assert 1 <= data["documents_total"] <= len({h["doc_id"] for h in data["hits"]} | {
        d["doc_id"] for h in data["hits"] for d in h["duplicates"]})
    assert data["facets"]["province"] == [{"value": "山东省", "count": data["total"]}]


def test_bad_ranges_and_sorts_are_one_line_errors(cli):
    for args in (("--from", "2025", "--to", "2020"), ("--from", "明年"), ("--sort", "title")):
        result = cli("search", "养老", *args)
        assert result.code == 2 and "Traceback" not in result.err and result.err.strip()


# -- the whole collection --------------------------------------------------------------

@pytest.fixture
def collection(collection_engine, collection_index_dir):
    return collection_engine, collection_index_dir


@pytest.fixture
def search(collection, cli, monkeypatch):
    """``search("社会救助", "--province", "广东省")`` → the CLI's JSON over the whole collection."""
    monkeypatch.setenv("POLICY_SEARCH_INDEX", str(collection[1]))

    def run(*args):
        result = cli("search", *args, "--json", "--limit", "100")
        assert result.code == 0, result.err
        return result.json()

    return run


@needs_collection
def test_a_province_filter_gives_only_that_provinces_documents(search, collection):
    engine, _ = collection
    data = search("社会救助", "--province", "广东省")
    assert data["total"] > 0 and {h["province"] for h in data["hits"]} == {"广东省"}
    assert all(engine.document(h["doc_id"])["path"].count("广东") for h in data["hits"])


@needs_collection
def test_national_selects_the_state_council_reports_only(search):
    data = search("社会救助", "--province", "全国")
    assert data["total"] > 0
    assert {(h["level"], h["province"], h["city"]) for h in data["hits"]} == {("全国", "", "")}
    assert all("国务院" in h["title"] for h in data["hits"])


@needs_collection
def test_a_province_holds_its_cities_documents(search):
    data = search("社会救助", "--province", "山东省")
    cities = {h["city"] for h in data["hits"]}
    assert {"青岛", "烟台", "聊城"} <= cities
    assert "" in cities  # and the province's own reports
    assert {h["province"] for h in data["hits"]} == {"山东省"}
    assert data["total"] == search("社会救助", "--province", "山东")["total"]


@needs_collection
def test_the_province_facet_lists_every_place_with_its_filters_total(search, collection):
    engine, _ = collection
    data = search("社会救助")
    buckets = {b["value"]: b["count"] for b in data["facets"]["province"]}
    assert "全国" in buckets
    with_documents = {facet_value for d in engine.documents()
                      for facet_value in ["全国" if d["level"] == "全国" else d["province"]] if facet_value}
    assert len(with_documents) == 32  # the country and 31 provinces
    # every place whose documents match the query is listed …
    matching = {("全国" if h["level"] == "全国" else h["province"]) for h in search("社会救助", "--sort", "date")["hits"]}
    assert matching <= set(buckets) <= with_documents
    for value, count in buckets.items():  # … each with the total its filter gives
        assert engine.search("社会救助", provinces=[value], limit=0).total == count
    assert sum(buckets.values()) == data["total"]
    # over every passage, all 32 are there
    assert {b["value"] for b in engine.search("的", limit=0).facets["province"]} == with_documents


@needs_collection
def test_a_year_range_keeps_only_those_years_and_narrows_every_facet_but_the_years(search):
    data = search("社会保障", "--from", "1990", "--to", "1999")
    assert data["total"] > 0 and all(1990 <= h["year"] <= 1999 for h in data["hits"])
    assert sum(b["count"] for b in data["facets"]["province"]) == data["total"]
    assert max(b["value"] for b in data["facets"]["year"]) > 1999  # the year facet still shows the other years
    dated = search("社会保障", "--from", "2026-02-10", "--to", "2026-02-28")
    assert dated["hits"] and all("2026-02-10" <= h["date"] <= "2026-02-28" for h in dated["hits"])


@needs_collection
def test_date_order_is_newest_first_and_undated_last(search, collection):
    engine, _ = collection
    data = search("社会救助", "--sort", "date")
    assert data["sort"] == "date" and len(data["hits"]) == 100
    keys = [_key(h) for h in data["hits"]]
    assert keys == sorted(keys, reverse=True)
    relevance = search("社会救助")
    assert data["total"] == relevance["total"] and data["hits"][0]["date"] > relevance["hits"][0]["date"]


def _key(hit) -> int:
    first, _ = span(hit["date"]) if hit["date"] else span(str(hit["year"])) if hit["year"] else (-1, -1)
    return first


@needs_collection
def test_documents_total_counts_distinct_documents_and_decades_sum_the_years(search, collection):
    engine, _ = collection
    data = search("社会救助", "--province", "全国")
    everything = engine.search("社会救助", provinces=["全国"], limit=100)
    assert data["documents_total"] == len({h.doc_id for h in everything.hits} | {
        d["doc_id"] for h in everything.hits for d in h.duplicates})
    decades = {b["value"]: b["count"] for b in data["facets"]["decade"]}
    for decade, count in decades.items():
        assert count == sum(b["count"] for b in data["facets"]["year"] if b["value"] // 10 * 10 == decade)


@needs_collection
def test_grouped_by_document_one_hit_per_document_with_its_other_matches(collection):
    engine, _ = collection
    grouped = engine.search("社会救助", group="document", limit=100)
    passages = engine.search("社会救助", limit=0)
    assert grouped.group == "document" and grouped.total == passages.total
    assert grouped.documents_total == passages.documents_total
    doc_ids = [h.doc_id for h in grouped.hits]
    assert len(doc_ids) == len(set(doc_ids))
    folded = {d["doc_id"] for h in grouped.hits for d in h.duplicates} - set(doc_ids)
    assert len(doc_ids) + len(folded) == grouped.documents_total  # every document: shown, or a reprint folded in
    assert any(h.document_matches > 1 for h in grouped.hits)
    for hit in grouped.hits[:10]:
        own = engine.search("社会救助", doc_ids=[hit.doc_id], limit=100)
        assert own.total == hit.document_matches and own.documents_total == 1
        assert {h.doc_id for h in own.hits} == {hit.doc_id}
        assert (hit.doc_id, hit.order) in {(h.doc_id, h.order) for h in own.hits}
    dated = engine.search("社会救助", group="document", sort="date", limit=100)
    assert {h.doc_id for h in dated.hits} == set(doc_ids)
    assert [_key(h.to_dict()) for h in dated.hits] == sorted((_key(h.to_dict()) for h in dated.hits), reverse=True)


@needs_collection
def test_region_year_counts_add_up_to_the_facets(collection):
    engine, _ = collection
    response = engine.search("最低生活保障", limit=0)
    rows = engine.region_year_counts("最低生活保障")
    per_region, per_year = {}, {}
    for row in rows:
        per_region[row["region"]] = per_region.get(row["region"], 0) + row["count"]
        per_year[row["year"]] = per_year.get(row["year"], 0) + row["count"]
    assert per_region == {b["value"]: b["count"] for b in response.facets["province"]}
    assert {y: c for y, c in per_year.items() if y} == {b["value"]: b["count"] for b in response.facets["year"]}
    shandong = engine.region_year_counts("最低生活保障", provinces=["山东"], region="city")
    assert {row["region"] for row in shandong} >= {"青岛", ""}
    assert sum(row["count"] for row in shandong) == engine.search("最低生活保障", provinces=["山东省"], limit=0).total


def test_grouping_on_the_seed_corpus_and_its_cli(engine, cli):
    grouped = engine.search("养老服务", group="document", limit=100)
    assert len({h.doc_id for h in grouped.hits}) == len(grouped.hits) <= grouped.documents_total
    assert sum(h.document_matches for h in grouped.hits) <= grouped.total
    data = cli("search", "养老服务", "--group", "document", "--json").json()
    assert data["group"] == "document" and data["hits"][0]["document_matches"] >= 1
    text = cli("search", "养老服务", "--group", "document").out
    assert "本文件另有" in text
    assert cli("search", "养老", "--group", "section").code == 2


def test_a_district_implies_its_city_and_a_title_names_the_county(tmp_path):
    alone = _front_matter_document(tmp_path, "title: 养老服务方案\ncounty: 崂山区")
    assert (alone.county, alone.city, alone.province, alone.level) == ("崂山区", "青岛", "山东省", "县级")
    assert alone.provenance["city"] == "inferred"
    titled = _front_matter_document(tmp_path, "title: 青岛市崂山区养老服务设施布局规划\ncity: 青岛")
    assert (titled.county, titled.level, titled.provenance["county"]) == ("崂山区", "县级", "inferred")
    municipal = _front_matter_document(tmp_path, "title: 养老服务方案\ncity: 青岛\nlevel: municipal")
    assert (municipal.county, municipal.level) == ("", "市级")
