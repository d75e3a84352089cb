"""The Sphinx backend answers as the Whoosh backend does, on the whole collection: the same totals, facets,
documents and per-document counts for every development query, nearly the same top 10, and the same
behaviour of the query syntax, filters and highlights (each behaviour test runs on both backends)."""

from __future__ import annotations

import html
import re
import tomllib
from pathlib import Path

import pytest

from indexer.text.terms import match_form

DEV_QUERIES = Path(__file__).resolve().parents[3].parent / "shared" / "eval" / "dev-queries.toml"
FILTERS = [{}, {"provinces": ["山东省"]}, {"years": [2025]}, {"date_from": "2000", "date_to": "2025-06"},
           {"provinces": ["全国"], "doc_types": ["政府工作报告"]}]


def dev_queries() -> list[str]:
    if not DEV_QUERIES.is_file():
        pytest.skip("../shared/eval/dev-queries.toml is missing")
    return [item["q"] for item in tomllib.loads(DEV_QUERIES.read_text(encoding="utf-8"))["query"]]


def counted(response) -> tuple:
    facets = {name: [(b["value"], b["count"], b["selected"]) for b in buckets] for name, buckets in response.facets.items()}
    return response.total, response.documents_total, facets, response.relaxed, response.expansions


def test_totals_facets_and_documents_equal_whoosh_and_the_top_ten_nearly(collection_engine, collection_cluster_engine):
    overlaps = []
    for query in dev_queries():
        for filters in FILTERS:
            ours, theirs = collection_engine.search(query, **filters), collection_cluster_engine.search(query, **filters)
            assert counted(theirs) == counted(ours), (query, filters)
            assert not theirs.partial
            # a hit's count of its document's matching passages, for the hits both found
            matches = {h.doc_id: h.document_matches for h in ours.hits}
            assert all(h.document_matches == matches[h.doc_id] for h in theirs.hits if h.doc_id in matches), (query, filters)
            if not filters:
                top = {(h.doc_id, h.order) for h in ours.hits}
                overlaps.append(len(top & {(h.doc_id, h.order) for h in theirs.hits}) / max(1, len(top)))
        grouped = [collection_engine.search(query, group="document"), collection_cluster_engine.search(query, group="document")]
        assert counted(grouped[1]) == counted(grouped[0]), query
        assert len({h.doc_id for h in grouped[1].hits}) == len(grouped[1].hits)
    assert sum(overlaps) / len(overlaps) >= 0.9, overlaps


def test_chart_counts_equal_whoosh(collection_engine, collection_cluster_engine):
    for query in ("养老机构", "低保 标准", "殡葬 OR 婚姻登记"):
        assert collection_cluster_engine.region_year_counts(query) == collection_engine.region_year_counts(query)
        assert collection_cluster_engine.city_year_counts(query, provinces=["山东省"]) == \
            collection_engine.city_year_counts(query, provinces=["山东省"])
        assert collection_cluster_engine.year_counts(query, date_from="1990") == collection_engine.year_counts(query, date_from="1990")


@pytest.fixture(params=["whoosh", "sphinx"])
def backend(request):
    """Each behaviour test on both backends, over the whole collection."""
    return request.getfixturevalue("collection_engine" if request.param == "whoosh" else "collection_cluster_engine")


def marked(hit) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", hit.highlight)


def test_a_phrase_is_found_where_its_characters_stand_together(backend):
    response = backend.search('"养老服务"', limit=50)
    assert response.total > 50
    assert all("养老服务" in match_form(hit.passage) for hit in response.hits)


def test_traditional_and_simplified_are_one_and_hits_keep_the_source_script(backend):
    simplified, traditional = backend.search("养老服务", limit=20), backend.search("養老服務", limit=20)
    assert simplified.total == traditional.total > 0
    in_traditional = [h for h in traditional.hits if "養老服務" in h.passage]
    assert in_traditional and all("養老服務" in marked(h) for h in in_traditional)


def test_highlights_land_on_the_exact_characters(backend):
    response = backend.search("低保 标准", limit=20)
    words = {"低保", "标准", *(match_form(e) for e in response.expansions)}
    for hit in response.hits:
        assert html.unescape(re.sub(r"</?mark>", "", hit.highlight)) == hit.passage
        assert marked(hit) and all(any(word in match_form(html.unescape(text)) for word in words) for text in marked(hit))


def test_exclusion_or_and_filters(backend):
    excluded = backend.search("养老 -青岛", limit=50)
    assert excluded.total and not any("青岛" in match_form(h.passage) for h in excluded.hits)
    either = backend.search("殡葬 OR 婚姻登记", limit=50, exact=True)
    assert either.total == len({*_ids(backend, "殡葬"), *_ids(backend, "婚姻登记")})
    shandong = backend.search("养老", provinces=["山东省"], limit=50)
    assert shandong.total and all(h.province == "山东省" for h in shandong.hits)
    dated = backend.search("养老", sort="date", limit=30)
    keys = [h.date or str(h.year or "") for h in dated.hits]
    assert [k[:4] for k in keys] == sorted((k[:4] for k in keys), reverse=True)


def _ids(backend, query: str) -> set:
    response = backend.search(query, limit=0, exact=True)
    hits = backend.search(query, limit=100, exact=True).hits if response.total <= 100 else None
    assert hits is not None, "a test query with more than 100 passages"
    return {(h.doc_id, h.order) for h in hits}


def test_documents_passages_similar_and_figures(backend):
    hit = backend.search("城乡低保 标准", limit=1).hits[0]
    assert backend.document(hit.doc_id)["title"] == hit.title
    passages = backend.passages(hit.doc_id)
    assert [p.order for p in passages] == sorted(p.order for p in passages)
    assert any(p.passage == hit.passage for p in passages)
    around = backend.passages(hit.doc_id, query="低保", around=hit.order, window=1)
    assert [p.is_hit for p in around].count(True) == 1 and len(around) <= 3
    similar = backend.similar(hit.doc_id, hit.order, limit=5)
    assert similar.source.passage == hit.passage and similar.terms
    assert similar.hits and all(h.doc_id != hit.doc_id for h in similar.hits)
    figures = backend.figures("低保 标准", limit=20)
    assert figures.figures and all(row.figure in row.passage or row.passage for row in figures.figures)
    assert len(backend.documents()) == backend.overview()["documents"] > 100
