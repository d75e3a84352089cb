"""Chinese analysis: script folding, ordinal positions, original-text offsets, sub-words, bigrams."""

from __future__ import annotations

import pytest

from indexer.backends.whoosh.analyzers import bigram_analyzer, chinese_analyzer
from indexer.text.segmentation import USE_HMM
from indexer.backends.whoosh.analyzers import analyze
from indexer.text.script import to_simplified
from indexer.backends.whoosh.generations import current_generation, read_meta

TRADITIONAL = "青島市民政局推進養老服務"
SIMPLIFIED = "青岛市民政局推进养老服务"


def tokens(text: str, mode: str = "query", analyzer=None):
    """(text, pos, startchar, endchar) of every token."""
    analyzer = analyzer or chinese_analyzer()
    return [(t.text, t.pos, t.startchar, t.endchar)
            for t in analyzer(text, positions=True, chars=True, mode=mode)]


# -- token lists -----------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    (SIMPLIFIED, ["青岛市", "民政局", "推进", "养老服务"]),
    (TRADITIONAL, ["青岛市", "民政局", "推进", "养老服务"]),
    ("護理型床位", ["护理型床位"]),
    ("城市低保标准每人每月1045元", ["城市低保", "标准", "每人", "每月", "1045", "元"]),
    ("养老，服务", ["养老", "服务"]),
])
def test_query_tokens(text, expected):
    assert analyze(text) == expected


@pytest.mark.parametrize("text, expected", [
    (SIMPLIFIED, ["青岛市", "青岛", "民政局", "民政", "政局", "推进", "养老服务", "养老", "服务"]),
    ("護理型床位", ["护理型床位", "护理", "床位"]),
    ("城市低保", ["城市低保", "城市", "低保"]),
])
def test_index_tokens_add_subwords(text, expected):
    assert analyze(text, mode="index") == expected


@pytest.mark.parametrize("mode", ["query", "index"])
def test_traditional_and_simplified_analyze_alike(mode):
    assert analyze(TRADITIONAL, mode=mode) == analyze(SIMPLIFIED, mode=mode)
    assert tokens(TRADITIONAL, mode) == tokens(SIMPLIFIED, mode)


def test_latin_letters_are_lowercased():
    assert analyze("DRG支付") == ["drg", "支付"]


def test_only_punctuation_gives_no_tokens():
    assert analyze("，。！？“”、") == []
    assert analyze("，。！？", analyzer=bigram_analyzer()) == []


# -- positions and offsets ------------------------------------------------

def test_positions_are_token_ordinals():
    assert [pos for _, pos, _, _ in tokens(TRADITIONAL)] == [0, 1, 2, 3]


@pytest.mark.parametrize("mode", ["query", "index"])
def test_offsets_point_into_the_original_traditional_text(mode):
    found = tokens(TRADITIONAL, mode)
    assert found
    for text, _, start, end in found:
        original = TRADITIONAL[start:end]
        assert to_simplified(original) == text
    # the Traditional characters themselves, not their Simplified forms
    assert ("养老服务", 3, 8, 12) in found and TRADITIONAL[8:12] == "養老服務"


def test_offsets_in_a_longer_traditional_passage(indexed_passages, doc_ids):
    """Every token of a real Traditional passage maps back onto its own characters."""
    passage = next(p.passage for p in indexed_passages[doc_ids["002"]] if "護理型床位" in p.passage)
    found = tokens(passage, "index")
    assert len(found) > 50
    for text, _, start, end in found:
        assert to_simplified(passage[start:end]).lower() == text
    positions = [pos for _, pos, _, _ in tokens(passage, "query")]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)


def test_subwords_share_the_parents_position_at_index_time():
    found = tokens("民政局", "index")
    assert found == [("民政局", 0, 0, 3), ("民政", 0, 0, 2), ("政局", 0, 1, 3)]
    found = tokens(TRADITIONAL, "index")
    by_text = {text: (pos, start, end) for text, pos, start, end in found}
    assert by_text["民政"][0] == by_text["民政局"][0] == 1
    assert by_text["养老"][0] == by_text["服务"][0] == by_text["养老服务"][0] == 3
    # the words after a long word keep their ordinals: sub-words do not shift phrases
    assert [pos for text, pos, _, _ in found if text in ("青岛市", "民政局", "推进", "养老服务")] == [0, 1, 2, 3]


def test_subwords_are_absent_at_query_time():
    assert analyze("民政局") == ["民政局"]
    assert "民政" not in analyze(TRADITIONAL)
    assert "养老" not in analyze(TRADITIONAL)


def test_punctuation_leaves_a_position_gap():
    found = tokens("养老，服务")
    assert [(text, pos) for text, pos, _, _ in found] == [("养老", 0), ("服务", 2)]
    assert [(text, pos) for text, pos, _, _ in tokens("养老服务。民政局")] == [("养老服务", 0), ("民政局", 2)]


def test_one_segmentation_setting_at_index_and_query_time(index_dir, engine):
    meta = read_meta(current_generation(index_dir))
    stored = engine._searcher.schema["content"].analyzer.items[0]  # the tokenizer pickled into the index
    assert meta["hmm"] == stored.hmm == chinese_analyzer().items[0].hmm == USE_HMM
    assert engine.warnings == []


# -- bigrams ----------------------------------------------------------------

def test_bigram_tokens():
    assert analyze("養老服務，民政", analyzer=bigram_analyzer()) == ["养老", "老服", "服务", "务", "民政", "政"]


def test_bigram_positions_and_offsets():
    text = "養老服務，民政"
    found = tokens(text, "index", bigram_analyzer())
    assert [pos for _, pos, _, _ in found] == [0, 1, 2, 3, 5, 6]  # a gap at the comma
    for token, _, start, end in found:
        assert to_simplified(text[start:end]) == token
    assert [text[start:end] for _, _, start, end in found] == ["養老", "老服", "服務", "務", "民政", "政"]


def test_bigrams_same_at_index_and_query_time():
    analyzer = bigram_analyzer()
    assert analyze("青島市民政局", mode="index", analyzer=analyzer) == analyze("青岛市民政局", mode="query", analyzer=analyzer)


# -- script folding -----------------------------------------------------------

def test_folding_keeps_every_corpus_character_in_place(corpus_dir):
    for path in sorted(corpus_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        folded = to_simplified(text)
        assert len(folded) == len(text), path.name


def test_folding_is_plain_t2s():
    assert to_simplified(TRADITIONAL) == SIMPLIFIED
    assert to_simplified("護理型床位") == "护理型床位"
    # no regional phrase conversion (t2s, not tw2sp): words stay words
    assert to_simplified("軟體") == "软体"


def test_cli_analyze(cli):
    result = cli("analyze", TRADITIONAL)
    assert result.code == 0
    assert result.out.strip() == "青岛市 | 民政局 | 推进 | 养老服务"
    result = cli("analyze", "民政局", "--mode", "index")
    assert result.out.strip() == "民政局 | 民政 | 政局"
