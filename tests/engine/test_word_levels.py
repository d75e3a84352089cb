"""The words tier as combinations of pieces (what a backend counting with boolean expressions uses) gives each
passage the level the passage-by-passage words tier gives it, on the whole collection."""

from __future__ import annotations

import numpy as np

from indexer.backends.whoosh.evaluate import Evaluation
from indexer.engine.tiers import build_tiers, piece_queries, word_levels
from indexer.query.parse import parse_query
from indexer.query.plan import compile_query

QUERIES = ["居家和社区基本养老服务提升行动", "城乡居民最低生活保障标准", "残疾人就业 补贴", "行业协会商会", "养老机构 -青岛",
           "特困人员救助供养 农村 集中供养"]


def test_each_passage_gets_the_words_tiers_level(collection_engine):
    checked = 0
    for query in QUERIES:
        compiled = compile_query(parse_query(query))
        evaluation = Evaluation(collection_engine._arrays)
        tiers = build_tiers(evaluation, compiled)
        words = next(tier for tier in tiers if tier.name == "words")
        earlier = np.logical_or.reduce([t.matches.mask for t in tiers[:tiers.index(words)]])
        if compiled.exclusion is not None:
            earlier |= evaluation.matches(compiled.exclusion).mask
        masks = [evaluation.matches(piece).mask for piece in piece_queries(compiled)]
        total = int(np.count_nonzero(collection_engine._arrays.live))
        levels = word_levels(compiled, [int(np.count_nonzero(m)) for m in masks], total)
        holding = np.flatnonzero(np.logical_or.reduce(masks) & ~earlier)
        assert len(holding) > len(np.flatnonzero(words.matches.mask)) > 0, query
        for docnum in holding:
            expected = float(words.levels[docnum]) if words.matches.mask[docnum] else None
            assert levels.level_of([bool(m[docnum]) for m in masks]) == expected, (query, docnum)
            checked += 1
    assert checked > 1000
