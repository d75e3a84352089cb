"""Relevance: thesaurus expansion and its tiers, exact mode, ranking helpers, and the eval targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.tools import evaluation
from indexer.backends.whoosh.build import build_index
from indexer.query.parse import parse_query
from indexer.query.plan import compile_query
from indexer.engine.ranking import Candidate, DuplicateFolder, proximity_bonus
from indexer.text.script import to_simplified
from indexer.backends.whoosh.engine import open_engine
from indexer.text.shingles import ShingleSets
from indexer.query.thesaurus import EQUIVALENT, RELATED, Thesaurus, default_thesaurus

DEV_QUERIES = Path(__file__).resolve().parents[1] / "data" / "dev-queries.toml"


def folded(text: str) -> str:
    return to_simplified(text)


def test_abbreviation_finds_full_name_and_says_so(engine):
    response = engine.search("长护险", limit=50)
    assert "长期护理保险" in response.expansions
    texts = [folded(hit.passage) for hit in response.hits]
    assert any("长期护理保险" in t and "长护险" not in t for t in texts)
    assert all("长护险" in t or "长期护理保险" in t for t in texts)


def test_expansions_rank_below_typed_word(engine):
    hits = engine.search("长护险", limit=50).hits
    has_typed = [("长护险" in folded(hit.passage)) for hit in hits]
    assert True in has_typed and False in has_typed
    # Every passage with the typed word comes before every passage found only through the thesaurus.
    assert has_typed == sorted(has_typed, reverse=True)


def test_full_name_finds_abbreviation(engine):
    texts = [folded(hit.passage) for hit in engine.search("最低生活保障", limit=50).hits]
    assert any("低保" in t and "最低生活保障" not in t for t in texts)


def test_exact_mode_and_phrases_do_not_expand(engine):
    exact = engine.search("长护险", limit=50, exact=True)
    assert exact.expansions == [] and exact.hits
    assert all("长护险" in folded(hit.passage) for hit in exact.hits)
    phrase = engine.search('"长护险"', limit=50)
    assert phrase.expansions == [] and phrase.hits
    assert all("长护险" in folded(hit.passage) for hit in phrase.hits)


def test_traditional_query_expands_like_simplified(engine):
    assert engine.search("長護險").expansions == engine.search("长护险").expansions


def test_expansion_highlights_the_expanded_words(engine):
    hit = next(h for h in engine.search("长护险", limit=50).hits if "长护险" not in folded(h.passage))
    assert "<mark>" in hit.highlight
    marked = hit.highlight.split("<mark>")[1].split("</mark>")[0]
    assert folded(marked) == "长期护理保险"


def test_thesaurus_kinds_and_contained_terms():
    thesaurus = default_thesaurus()
    assert EQUIVALENT in {e.kind for e in thesaurus.expand("低保")}
    assert {"困难残疾人生活补贴", "重度残疾人护理补贴"} <= {e.text for e in thesaurus.expand("两项补贴")}
    assert "老年助餐" in {e.text for e in thesaurus.expand("幸福食堂")}
    # A word that contains an entry expands by replacing it.
    assert "城市最低生活保障" in {e.text for e in thesaurus.expand("城市低保")}
    assert thesaurus.expand("特朗普") == []


def test_thesaurus_file_format(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('[[equivalent]]\nterms = ["甲乙", "丙丁"]\n[[related]]\nterms = ["甲乙", "戊己"]\n'
                    '[[expands]]\nterm = "庚辛"\nto = ["壬癸", "子丑"]\n', encoding="utf-8")
    thesaurus = Thesaurus.load(path)
    assert {(e.text, e.kind) for e in thesaurus.expand("甲乙")} == {("丙丁", EQUIVALENT), ("戊己", RELATED)}
    assert {e.text for e in thesaurus.expand("庚辛")} == {"壬癸", "子丑"}
    assert thesaurus.expand("壬癸") == []  # expands is one-way


def test_relaxed_fallback_is_reported(engine):
    response = engine.search("养老服务 特朗普")
    assert response.relaxed
    assert response.total > 0 and response.notices
    assert not engine.search("养老服务").relaxed


def test_all_words_first_then_title_assisted(engine):
    hits = engine.search("低保 青岛", limit=50).hits
    both = [("低保" in folded(h.passage) or "最低生活保障" in folded(h.passage)) and "青岛" in folded(h.passage) for h in hits]
    assert both == sorted(both, reverse=True)


def test_proximity_bonus_prefers_close_words():
    near = proximity_bonus("城市低保标准提高", [["低保"], ["标准"]])
    far = proximity_bonus("城市低保" + "，" * 60 + "标准提高", [["低保"], ["标准"]])
    assert near > far > 0
    assert proximity_bonus("只有低保", [["低保"], ["标准"]]) == 0
    assert proximity_bonus("城市低保标准", [["低保"]]) == 0


def test_near_duplicates_fold_into_first():
    text = "民生无小事，枝叶总关情。社会救助体系不断完善、养老模式不断创新。"
    folder = DuplicateFolder()
    pool = folder.fresh([Candidate(1, 2.0, text), Candidate(2, 1.8, text),
                         Candidate(3, 1.5, text.replace("、", "，")),
                         Candidate(4, 1.0, "完全不同的一段文字，讲殡葬改革。"), Candidate(5, 0.9, text)])
    assert [c.docnum for c in pool] == [1, 3, 4]  # verbatim copies folded before they cost anything
    folder.add(pool, until=10)
    assert [c.docnum for c in folder.kept] == [1, 4]
    assert sorted(folder.kept[0].duplicates) == [2, 3, 5]
    later = folder.fresh([Candidate(6, 0.5, text.replace("、", "，"))])  # a copy of the folded near copy
    assert later == [] and 6 in folder.kept[0].duplicates


def test_a_near_copy_below_a_full_page_is_credited_to_its_hit():
    text = "民生无小事，枝叶总关情。社会救助体系不断完善、养老模式不断创新。"
    folder = DuplicateFolder()
    pool = folder.fresh([Candidate(1, 3.0, text), Candidate(2, 2.0, "完全不同的一段文字，讲殡葬改革。"),
                         Candidate(3, 1.0, text.replace("、", "，"))])
    folder.add(pool, until=1, then=5)
    assert [c.docnum for c in folder.kept] == [1] and folder.kept[0].duplicates == [3]
    cut = DuplicateFolder()
    cut.add(cut.fresh([Candidate(1, 3.0, text), Candidate(3, 1.0, text.replace("、", "，"))]), until=1)
    assert cut.kept[0].duplicates == []  # no margin: nothing below the page is looked at


def test_shingle_sets_find_the_first_set_at_jaccard_point_eight():
    sets = ShingleSets()
    base = {f"s{i}" for i in range(10)}
    assert sets.add({"x", "y"}) == 0 and sets.add(base) == 1 and sets.add(set(base)) == 2
    assert sets.first_near(base | {"n1", "n2"}) == 1  # 10 shared of 12: 0.83
    assert sets.first_near(base | {"n1", "n2", "n3"}) is None  # 10 of 13: 0.77
    assert sets.first_near({"s0", "s1"}) is None and sets.first_near({"x", "y"}) == 0


def test_shingles_and_near_copies_on_real_passages(engine):
    """The integer shingles count what the character triples count, and a lookup among many kept sets
    (the inverted index) finds the set that comparing them one by one finds, on the seed corpus's text."""
    import re

    from indexer.text import shingles as near

    arrays = engine._arrays
    texts = [arrays.folded("content", docnum) for docnum in range(0, arrays.size, max(1, arrays.size // 300))]
    texts += ["", "老", "养老"]

    def triples(text):
        letters = re.sub(r"[\W_]+", "", text)
        return {letters[i:i + 3] for i in range(max(1, len(letters) - 2))}

    for a, b in zip(texts, texts[1:] + texts[:1]):
        assert len(near.shingles(a)) == len(triples(a))
        assert len(near.shingles(a) & near.shingles(b)) == len(triples(a) & triples(b))
    # Near copies as the reprints make them: a dropped character, 、 for ，.
    probes = texts + [t[1:] for t in texts] + [t.replace("，", "、") for t in texts]
    kept = texts[: near.COMPARE_UP_TO + 40]
    one_by_one, indexed = ShingleSets(), ShingleSets()
    for text in kept[: near.COMPARE_UP_TO]:
        one_by_one.add(near.shingles(text))
    for text in kept:
        indexed.add(near.shingles(text))
    found = 0
    for probe in probes:
        expected = next((number for number, text in enumerate(kept)
                         if len(triples(probe) & triples(text))
                         >= near.NEAR_DUPLICATE * len(triples(probe) | triples(text))), None)
        assert indexed.first_near(near.shingles(probe)) == expected
        among_first = expected if expected is not None and expected < near.COMPARE_UP_TO else None
        assert one_by_one.first_near(near.shingles(probe)) == among_first
        found += expected is not None
    assert found > len(kept)


def test_reprints_do_not_leave_a_page_short(corpus_dir, tmp_path):
    """Forty reprints of one report: every passage matches forty times, and the page still has ten different ones."""
    source = next(path for path in sorted(corpus_dir.glob("*.txt")))
    text = source.read_text(encoding="utf-8")
    reprints = tmp_path / "corpus"
    reprints.mkdir()
    for number in range(40):
        (reprints / f"reprint-{number:02d}.txt").write_text(f"转载第{number + 1}次\n\n{text}", encoding="utf-8")
    build_index([reprints], tmp_path / "index")
    engine = open_engine(tmp_path / "index")
    word = "民政"
    response = engine.search(word, limit=10, exact=True)
    shown = [folded(hit.passage) for hit in response.hits]
    assert len(shown) == 10 and len(set(shown)) == 10
    assert all(len(hit.duplicates) == 39 for hit in response.hits)
    assert response.total % 40 == 0 and response.total >= 400


def test_repeated_passages_across_documents_are_collapsed(engine):
    keys = [folded(hit.passage) for hit in engine.search("民生", limit=100).hits]
    assert len(keys) == len(set(keys))


def test_score_function():
    relevant = ["甲", "乙", "丙"]
    perfect = evaluation.score(["甲", "乙", "丙", "丁"], relevant)
    assert (perfect.ndcg, perfect.recall, perfect.mrr) == (1.0, 1.0, 1.0)
    late = evaluation.score(["丁", "甲 乙"], relevant)  # one passage holding two substrings counts once
    assert late.mrr == 0.5 and late.recall == pytest.approx(2 / 3) and 0 < late.ndcg < 1
    assert evaluation.score([], relevant).ndcg == 0


def test_compiled_needles_include_expansions():
    compiled = compile_query(parse_query("长护险 青岛"))
    assert compiled.needles[0][0] == "长护险" and "长期护理保险" in compiled.needles[0]
    assert compiled.needles[1] == ["青岛"]


def test_dev_queries_meet_targets(engine):
    judged = evaluation.load_judgments(DEV_QUERIES)
    ours = evaluation.means(evaluation.evaluate(judged, evaluation.engine_run(engine)))
    assert ours.ndcg >= 0.95 and ours.recall >= 0.95


# -- the whole collection: queries as people type them -------------------------------------------

EXTRA_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "extra-corpus"
CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture(scope="session")
def collection(tmp_path_factory):
    """An index of the whole collection (seed corpus + ../shared/extra-corpus) and every passage's folded text."""
    if not EXTRA_CORPUS.is_dir():
        pytest.skip("../shared/extra-corpus not present")
    path = tmp_path_factory.mktemp("collection")
    build_index([CORPUS, EXTRA_CORPUS], path)
    engine = open_engine(path)
    texts = {(doc["doc_id"], p.order): folded(p.passage).lower()
             for doc in engine.documents() for p in engine.passages(doc["doc_id"])}
    yield engine, texts
    engine.close()


@pytest.mark.parametrize("query, words", [
    ("养老服务补贴发放", ["养老", "服务", "补贴", "发放"]),
    ("特困人员供养标准提高", ["特困", "供养", "标准", "提高"]),  # 特困 = 特困人员 (thesaurus)
    ("残疾人康复服务体系建设", ["残疾人", "康复", "服务", "体系", "建设"]),
])
def test_an_unspaced_query_finds_the_passages_holding_its_words(collection, query, words):
    """Verbatim first, then every passage holding all its words (counted independently in the texts)."""
    engine, texts = collection
    response = engine.search(query, limit=100)
    shown = [(hit.doc_id, hit.order) for hit in response.hits]
    holding = {key for key, text in texts.items() if all(word in text for word in words)}
    assert len(holding) >= 2
    verbatim = [query in texts[key] for key in shown]
    assert verbatim == sorted(verbatim, reverse=True)
    every = [key in holding for key in shown]
    assert every == sorted(every, reverse=True)  # every word before most of the words
    folded_into = {(d["doc_id"], d["order"]) for hit in response.hits for d in hit.duplicates}
    assert holding <= set(shown) | folded_into
    assert response.total >= len(holding)


def test_the_telling_word_outranks_the_common_one(collection):
    """Of passages with only one of two words, those holding the rarer word (敬老院, or its part 敬老) are
    added, the hundreds holding only 转型 are not."""
    engine, texts = collection
    response = engine.search("敬老院 转型", limit=100)
    partial = [(hit.doc_id, hit.order) for hit in response.hits
               if not ("敬老院" in texts[(hit.doc_id, hit.order)] and "转型" in texts[(hit.doc_id, hit.order)])]
    assert partial and response.relaxed
    assert not any("转型" in texts[key] and "敬老" not in texts[key] for key in partial)
    assert sum("敬老院" in text for text in texts.values()) <= response.total
    assert response.total < sum("转型" in text for text in texts.values())


def test_a_pasted_clause_finds_the_same_measure_elsewhere(collection):
    """A clause pasted from one report finds other documents' passages on the same measure."""
    engine, texts = collection
    clause = "健全分层分类社会救助体系"
    response = engine.search(clause, limit=10)
    documents = {hit.doc_id for hit in response.hits}
    assert len(response.hits) == 10 and len(documents) >= 4
    for hit in response.hits:
        text = texts[(hit.doc_id, hit.order)]
        assert "社会救助" in text and ("分层分类" in text or "体系" in text)


def test_older_words_are_found_by_their_parts(collection):
    """社会福利院 is nowhere verbatim; passages on 福利院 (儿童福利院) are found by the part."""
    engine, texts = collection
    assert not any("社会福利院" in text for text in texts.values())
    response = engine.search("社会福利院", limit=100)
    shown = {(hit.doc_id, hit.order) for hit in response.hits}
    assert {key for key, text in texts.items() if "福利院" in text} <= shown
