"""More like this: from one passage to the passages on the same measure in other places and years."""

from __future__ import annotations

import shutil

import pytest

from indexer.backends.whoosh.build import build_index
from indexer.engine.telling import is_place_name
from indexer.backends.whoosh.engine import PassageMissing, open_engine


def standard_passage(engine, city: str):
    """The passage where ``city`` states its 低保标准 in 元 per person per month: found by searching."""
    return engine.search("低保标准 每人每月", cities=[city], limit=1).hits[0]


def test_the_qingdao_standard_finds_the_yantai_standard_and_nothing_of_its_own_document(engine):
    qingdao, yantai = standard_passage(engine, "青岛"), standard_passage(engine, "烟台")
    response = engine.similar(qingdao.doc_id, qingdao.order)
    assert (response.source.doc_id, response.source.order) == (qingdao.doc_id, qingdao.order)
    top = [(hit.doc_id, hit.order) for hit in response.hits[:5]]
    assert (yantai.doc_id, yantai.order) in top
    assert all(hit.doc_id != qingdao.doc_id for hit in response.hits)
    assert [hit.rank for hit in response.hits] == list(range(1, len(response.hits) + 1))
    assert len(response.hits) == 10


def test_telling_words_are_about_the_measure_not_the_place_or_the_office(engine):
    qingdao = standard_passage(engine, "青岛")
    assert "市财政局" in qingdao.passage and "市民政局" in qingdao.passage
    terms = engine.similar(qingdao.doc_id, qingdao.order).terms
    assert "低保" in terms[:3]
    assert not [t for t in terms if is_place_name(t) or t.isdigit() or len(t) < 2]
    assert not {"财政局", "民政局", "财政", "政局"} & set(terms), "an office, and the words inside its name"


def test_results_are_grouped_by_place_best_place_first(engine):
    qingdao = standard_passage(engine, "青岛")
    response = engine.similar(qingdao.doc_id, qingdao.order)
    groups = response.places()
    assert [hit for _, hits in groups for hit in hits] == sorted(response.hits, key=lambda h: (
        [place for place, _ in groups].index(h.city), h.rank))
    assert groups[0][1][0].rank == 1
    assert all(hit.city == place for place, hits in groups for hit in hits)


def test_a_reprint_of_the_document_is_left_out_like_the_document(corpus_dir, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    original = next(corpus.glob("001_*.txt"))
    # The same review reprinted elsewhere with a changed headline and a few characters edited.
    text = original.read_text(encoding="utf-8")
    (corpus / "reprint.txt").write_text("转载：青岛民政托底民生\n\n" + text.replace("。", "；", 3), encoding="utf-8")
    build_index([corpus], tmp_path / "index")
    engine = open_engine(tmp_path / "index")
    try:
        qingdao = standard_passage(engine, "青岛")
        reprint = next(d["doc_id"] for d in engine.documents() if d["path"].endswith("reprint.txt"))
        assert reprint != qingdao.doc_id
        response = engine.similar(qingdao.doc_id, qingdao.order)
        assert response.copies == [reprint]
        assert not {hit.doc_id for hit in response.hits} & {qingdao.doc_id, reprint}
    finally:
        engine.close()


def test_an_unknown_passage_is_a_clear_error(engine, cli):
    doc_id = engine.documents()[0]["doc_id"]
    with pytest.raises(PassageMissing):
        engine.similar(doc_id, 100_000)
    result = cli("similar", "no-such-document", "3")
    assert result.code == 2 and len(result.err_lines) == 1 and result.err_lines[0].startswith("错误：找不到段落")


def test_cli_json_lists_the_hits_and_their_places(engine, cli):
    qingdao = standard_passage(engine, "青岛")
    result = cli("similar", qingdao.doc_id, qingdao.order, "--limit", 5, "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["source"]["doc_id"] == qingdao.doc_id and len(data["hits"]) == 5
    assert sorted(rank for group in data["places"] for rank in group["ranks"]) == [1, 2, 3, 4, 5]
    assert {group["place"] for group in data["places"]} == {hit["city"] for hit in data["hits"]}
    text = cli("similar", qingdao.doc_id, qingdao.order, "--limit", 5)
    assert text.code == 0 and "依据的词：" in text.out and "【烟台】" in text.out
