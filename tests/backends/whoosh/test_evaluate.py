"""The array evaluation (indexer/backends/whoosh/evaluate.py) finds and scores what Whoosh's matchers do,
and a phrase is a substring of the folded passage."""

from __future__ import annotations

from whoosh_support import parallel_index, seed_rows


QUERIES = ["养老", "低保 标准", '"养老服务"', "養老服務", "残疾人 补贴", "养老 OR 殡葬", "低保 -青岛", "老", "青岛 低保",
           '"社会救助" 低保 -农村', "社区 养老 服务", "婚姻登记"]


def _engine_queries():
    """(the plan node, the same query as Whoosh's query objects) for every query of every compiled plan."""
    from indexer.query import plan
    from indexer.query.parse import parse_query

    for text in QUERIES:
        compiled = plan.compile_query(parse_query(text))
        nodes = [compiled.strict, compiled.broad, compiled.heading, compiled.exclusion]
        yield from ((node, _as_whoosh(node)) for node in nodes if node is not None)


def _as_whoosh(node):
    """A plan node as Whoosh's query objects, for Whoosh's own matchers to answer."""
    from whoosh import query as wq

    from indexer.query import plan

    kind = type(node)
    if kind is plan.FieldTerm:
        return wq.Term(node.field, node.text, boost=node.boost)
    if kind is plan.FieldPhrase:
        return wq.Phrase(node.field, list(node.words), boost=node.boost)
    if kind is plan.FieldPrefix:
        return wq.Prefix(node.field, node.text, boost=node.boost)
    if kind in (plan.And, plan.Or):
        return (wq.And if kind is plan.And else wq.Or)([_as_whoosh(part) for part in node.parts], boost=node.boost)
    if kind in (plan.AndMaybe, plan.Require, plan.AndNot):
        operator = {plan.AndMaybe: wq.AndMaybe, plan.Require: wq.Require, plan.AndNot: wq.AndNot}[kind]
        return operator(_as_whoosh(node.a), _as_whoosh(node.b))
    assert node is plan.NOTHING, node
    return wq.NullQuery


def _has(query, kind) -> bool:
    return isinstance(query, kind) or any(_has(child, kind) for child in query.children())


def _without_phrases(node):
    """The plan with each phrase replaced by the conjunction of its terms (what Whoosh can evaluate without
    positions), for comparing the rest of the tree."""
    from indexer.query import plan

    kind = type(node)
    if kind is plan.FieldPhrase:
        return plan.And(tuple(plan.FieldTerm(node.field, word) for word in node.words), boost=node.boost)
    if kind in (plan.And, plan.Or):
        return kind(tuple(_without_phrases(part) for part in node.parts), boost=node.boost)
    if kind in (plan.AndMaybe, plan.Require, plan.AndNot):
        return kind(_without_phrases(node.a), _without_phrases(node.b))
    return node


def _check_against_whoosh(searcher, folder):
    from whoosh import query as wq

    from indexer.backends.whoosh.evaluate import Evaluation, IndexArrays

    arrays = IndexArrays(searcher, folder)
    checked = 0
    for node, query in _engine_queries():
        if _has(query, wq.Phrase):
            # Phrases are checked on text, which Whoosh cannot do here: compare everything else.
            loose = _without_phrases(node)
            strict = Evaluation(arrays).matches(node).docnums()
            assert set(strict) <= set(Evaluation(arrays).matches(loose).docnums())
            node, query = loose, _as_whoosh(loose)
        found = Evaluation(arrays).matches(node)
        expected = {hit.docnum: hit.score for hit in searcher.search(query, limit=None, optimize=False)}
        assert set(found.docnums().tolist()) == set(expected)
        if not _has(query, wq.Prefix):  # Whoosh scores a one-term prefix as that term, here it is constant
            for docnum, score in expected.items():
                assert abs(found.scores[docnum] - score) <= 1e-9 * max(1.0, abs(score)), query
        checked += 1
    arrays.close()
    assert checked > 20


def _check_phrases_are_substrings(searcher, folder):
    from indexer.query import plan
    from indexer.text.terms import match_form
    from indexer.backends.whoosh.evaluate import Evaluation, IndexArrays

    arrays = IndexArrays(searcher, folder)
    reader = searcher.reader()
    passages = {docnum: match_form(stored["passage"]) for docnum, stored in reader.iter_docs()}
    for run in ("养老服务", "社会救助", "城市低保", "服务", "老年人", "儿童福利机构"):
        bigrams = [run[i:i + 2] for i in range(len(run) - 1)]
        query = plan.FieldPhrase("grams", tuple(bigrams)) if len(bigrams) > 1 else plan.FieldTerm("grams", bigrams[0])
        found = set(Evaluation(arrays).matches(query).docnums().tolist())
        assert found == {docnum for docnum, text in passages.items() if run in text}, run
    arrays.close()


def test_array_evaluation_equals_whoosh(index_dir):
    from indexer.backends.whoosh.engine import open_engine
    from indexer.backends.whoosh.generations import current_generation

    engine = open_engine(index_dir)
    _check_against_whoosh(engine._searcher, current_generation(index_dir))
    _check_phrases_are_substrings(engine._searcher, current_generation(index_dir))
    engine.close()


def test_array_evaluation_with_segments_deletions_and_merges(corpus_dir, tmp_path):
    from whoosh import index as whoosh_index
    from whoosh import scoring

    from indexer.backends.whoosh import writer as parallel

    rows = seed_rows(corpus_dir) * 2
    writer = parallel.open_writer(parallel_index(rows, tmp_path))
    writer.delete_by_term("doc_id", rows[0]["doc_id"])
    writer.commit(merge=False)
    searcher = whoosh_index.open_dir(str(tmp_path)).searcher(weighting=scoring.BM25F())
    assert searcher.reader().has_deletions() and len(searcher.subsearchers) >= 2
    _check_against_whoosh(searcher, tmp_path)
    _check_phrases_are_substrings(searcher, tmp_path)
    searcher.close()
    # Merging the segments (an update's commit) carries the text tables over, deletions dropped.
    writer = parallel.open_writer(whoosh_index.open_dir(str(tmp_path)))
    writer.add_document(**rows[1])
    writer.commit(optimize=True)
    searcher = whoosh_index.open_dir(str(tmp_path)).searcher(weighting=scoring.BM25F())
    assert len(searcher.subsearchers or [searcher]) == 1 and not searcher.reader().has_deletions()
    _check_against_whoosh(searcher, tmp_path)
    _check_phrases_are_substrings(searcher, tmp_path)
    searcher.close()


def test_both_ways_of_looking_passages_up_agree(index_dir, monkeypatch):
    """A node looks its parts' passages up by binary search or through an array over the index, whichever
    costs less for the sizes at hand; each way alone gives Whoosh's matches, and the two the same bits."""
    import numpy as np

    from indexer.backends.whoosh import evaluate
    from indexer.backends.whoosh.engine import open_engine
    from indexer.backends.whoosh.generations import current_generation

    engine = open_engine(index_dir)
    found = {}
    for dense in (False, True):
        monkeypatch.setattr(evaluate, "_by_mask", lambda *sizes: dense)
        monkeypatch.setattr(evaluate, "_by_scores", lambda *sizes: dense)
        _check_against_whoosh(engine._searcher, current_generation(index_dir))
        _check_phrases_are_substrings(engine._searcher, current_generation(index_dir))
        arrays = evaluate.IndexArrays(engine._searcher, current_generation(index_dir))
        found[dense] = [evaluate.Evaluation(arrays).matches(node) for node, _ in _engine_queries()]
        arrays.close()
    for lookup, dense in zip(found[False], found[True]):
        assert np.array_equal(lookup.mask, dense.mask) and np.array_equal(lookup.scores, dense.scores)
    engine.close()


def test_postings_read_in_one_call_equal_whooshs_matcher(tmp_path):
    """A term's posting blocks as Whoosh's own writer lays them out (blocks of 128 postings, zlib-compressed,
    a count per posting) read in one call give what Whoosh's matcher steps through; a missing term is None."""
    from whoosh import index as whoosh_index

    from indexer.backends.whoosh.evaluate import _segment_postings, _stepped
    from indexer.backends.whoosh.schema import make_schema

    writer = whoosh_index.create_in(str(tmp_path), make_schema()).writer()  # Whoosh's writer, not the build's
    for number in range(700):
        text = "民政" + "养老" * (1 + number % 3) * (number % 2 == 0) + "殡葬" * (number == 411)
        writer.add_document(doc_id=f"d{number}", order=number, grams=text)
    writer.commit()
    reader = whoosh_index.open_dir(str(tmp_path)).reader()
    assert reader.is_atomic()
    for bigram, passages in (("民政", 700), ("养老", 350), ("殡葬", 1)):
        ids, counts = _segment_postings(reader, "grams", bigram.encode())
        expected_ids, expected_counts = _stepped(reader.postings("grams", bigram))
        assert len(ids) == passages and ids.tolist() == expected_ids.tolist()
        assert counts.tolist() == expected_counts.tolist()
    assert sorted(set(_segment_postings(reader, "grams", "养老".encode())[1].tolist())) == [1.0, 2.0, 3.0]
    assert _segment_postings(reader, "grams", "低保".encode()) is None
    reader.close()
