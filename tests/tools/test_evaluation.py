"""Eval: the naive baselines built beside the engine, and means per query kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.tools import evaluation

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
COLLECTION_QUERIES = Path(__file__).resolve().parents[1] / "data" / "dev-queries-collection.toml"


@pytest.fixture(scope="module")
def baselines():
    built = evaluation.naive_baselines([CORPUS])
    yield built.runs()
    built.close()


def test_baselines_and_or_and_bigrams(baselines):
    assert set(baselines) == {"jieba AND", "jieba OR", "bigram AND"}
    both = baselines["jieba AND"]("养老 殡葬")
    either = baselines["jieba OR"]("养老 殡葬")
    assert both and all("养老" in text and "殡葬" in text for text in both)
    assert len(either) >= len(both) and any("殡葬" not in text for text in either)
    assert all(all(b in text for b in ("殡葬", "葬改", "改革")) for text in baselines["bigram AND"]("殡葬改革"))


def test_kind_table_gives_means_per_kind():
    judged = [evaluation.Judged("a", "甲", ["甲"], "single"), evaluation.Judged("b", "乙", ["乙"], "single"),
              evaluation.Judged("c", "丙", ["丙"], "older")]
    scores = [evaluation.Scores(1.0, 1.0, 1.0), evaluation.Scores(0.0, 0.0, 0.0), evaluation.Scores(0.5, 0.5, 0.5)]
    rows = evaluation.kind_table(judged, {"ours": scores}).splitlines()
    assert rows[2] == "| single | 2 | 0.500 | 0.500 | 0.500 |"
    assert rows[3] == "| older | 1 | 0.500 | 0.500 | 0.500 |"
    assert rows[4] == "| **all** | 3 | 0.500 | 0.500 | 0.500 |"


def test_collection_judgments_cover_every_kind():
    judged = evaluation.load_judgments(COLLECTION_QUERIES)
    assert len(judged) >= 40
    assert {item.kind for item in judged} == {"single", "spaced", "unspaced", "traditional", "abbreviation",
                                             "phrase", "clause", "exclusion", "or", "older"}
