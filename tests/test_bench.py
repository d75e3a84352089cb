"""A smoke run of ``policy-search bench`` (timings are the command's business, not pytest's) and batch search."""

from __future__ import annotations

import json

from indexer.tools import bench

RESULT_KEYS = {"build", "query", "cold_start", "index_mb", "search_peak_rss_mb"}


def test_bench_smoke_writes_json_and_markdown(tmp_path, corpus_dir):
    report = bench.run([200], tmp_path, baseline=True, corpus_dirs=[corpus_dir], rounds=1, cold_runs=1,
                       log=lambda message: None)
    data = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert data["machine"]["cpu_count"] >= 1
    row = data["sizes"][0]
    assert row["passages"] == 200
    assert row["floor"]["chars_per_s"] > 0
    for name in ("ours", "baseline"):
        assert RESULT_KEYS <= set(row[name])
        assert row[name]["build"]["ratio_to_floor"] > 0
        assert {"p50_ms", "p95_ms", "p99_ms", "by_kind"} <= set(row[name]["query"])
        assert row[name]["build"]["peak_rss_mb"] > 0
    assert row["ours"]["query"]["empty_results"] < row["ours"]["query"]["count"]
    assert set(data["targets"]) >= {"index_ratio", "query_p95_ms", "cold_start_s", "peak_memory_mb"}
    markdown = (tmp_path / "latest.md").read_text(encoding="utf-8")
    assert "index build" in markdown and "baseline" in markdown
    assert report["markdown"] == markdown


def test_synthetic_corpus_has_exact_size_and_spread(corpus_dir):
    sources = bench.load_sources([corpus_dir])
    documents = bench.synthesize(sources, 500, seed=1)
    assert sum(len(d.passages) for d in documents) == 500
    assert len({d.city for d in documents}) > 5
    assert {d.year for d in documents} <= set(bench.YEARS)
    assert len({d.doc_id for d in documents}) == len(documents)


def test_parse_sizes():
    assert bench.parse_sizes("10000, 100k,1m") == [10_000, 100_000, 1_000_000]


def test_batch_search_one_json_object_per_line(cli, tmp_path):
    queries = tmp_path / "queries.txt"
    queries.write_text("养老\n\n-\n低保 青岛\n", encoding="utf-8")
    result = cli("search", "--batch", queries, "--json")
    assert result.code == 0
    records = [json.loads(line) for line in result.out.splitlines()]
    assert [r["line"] for r in records] == [1, 3, 4]
    assert "error" in records[1] and "hits" not in records[1]
    for record in (records[0], records[2]):
        assert record["took_ms"] >= 0 and record["total"] > 0 and record["hits"]


# -- the fast writer (indexer/backends/whoosh/writer/segment.py) is exact: same words, same index content --------------

def _seed_rows(corpus_dir):
    from indexer.backends.whoosh.build import passage_fields

    return [fields for document in bench.load_sources([corpus_dir]) for fields in passage_fields(document)]


def test_fast_cut_segments_exactly_like_jieba(corpus_dir):
    from indexer.text.segmentation import segmenter
    from indexer.text.segmentation import FastCut
    from indexer.text.script import to_simplified

    jieba = segmenter()
    text_tables = [row["content"] for row in _seed_rows(corpus_dir)]
    text_tables += [to_simplified(t) for t in text_tables] + ["ABC def 12 3x C++ a.b_c%d -- \r\n\t 繁體字 ℃ e-mail 2025年 养老服务"]
    cut = FastCut(jieba)
    assert all(list(cut(t)) == list(jieba.cut(t, HMM=False)) for t in text_tables)


def _index_content(index_dir):
    from whoosh import index as whoosh_index

    reader = whoosh_index.open_dir(str(index_dir)).reader()
    stored = list(reader.all_stored_fields())
    order = sorted(range(len(stored)), key=lambda d: (stored[d]["doc_id"], stored[d]["order"]))
    rank = {docnum: i for i, docnum in enumerate(order)}
    postings = {}
    for fieldname, text in reader.all_terms():
        matcher = reader.postings(fieldname, text)
        found = []
        while matcher.is_active():
            found.append((rank[matcher.id()], matcher.weight(), matcher.value()))
            matcher.next()
        info = reader.term_info(fieldname, text)
        postings[(fieldname, text)] = (sorted(found), info.weight(), info.doc_frequency(), info.min_length(),
                                       info.max_length(), info.max_weight())
    lengths = {f: [reader.doc_field_length(d, f) for d in order] for f in ("content", "grams", "title", "section")}
    columns = {c: [list(reader.column_reader(c))[d] for d in order] for c in ("doc_id", "order", "city", "year", "date")}
    return [stored[d] for d in order], postings, lengths, columns


def test_fast_and_parallel_writers_write_what_whoosh_writes(corpus_dir, tmp_path, monkeypatch):
    from whoosh import index as whoosh_index

    from indexer.backends.whoosh.writer import segment as parallel
    from indexer.backends.whoosh.schema import make_schema

    monkeypatch.setattr(parallel, "BIGRAM_BATCH", 7)  # many batches of the bigram layer, not one

    rows = _seed_rows(corpus_dir) * 3
    contents = []
    for name, make in (("whoosh", lambda ix: ix.writer()), ("fast", parallel.FastSegmentWriter),
                       ("parallel", lambda ix: parallel.open_writer(ix, procs=2, batch=50, parallel_min=100))):
        path = tmp_path / name
        path.mkdir()
        index = whoosh_index.create_in(str(path), make_schema())
        writer = make(index)
        for fields in rows:
            writer.add_document(**fields)
        writer.commit()
        contents.append(_index_content(path))
    assert len(whoosh_index.open_dir(str(tmp_path / "parallel"))._segments()) == 2
    assert contents[0] == contents[1] == contents[2]


def _parallel_index(rows, path):
    """A two-segment index of ``rows`` written by the build's writer."""
    from whoosh import index as whoosh_index

    from indexer.backends.whoosh.writer import segment as parallel
    from indexer.backends.whoosh.schema import make_schema

    index = whoosh_index.create_in(str(path), make_schema())
    writer = parallel.open_writer(index, procs=2, batch=40, parallel_min=80)
    for fields in rows:
        writer.add_document(**fields)
    writer.commit()
    return whoosh_index.open_dir(str(path))


def test_text_tables_hold_each_passages_folded_text(corpus_dir, tmp_path):
    from indexer.backends.whoosh import text_tables
    from indexer.text.terms import match_form
    from indexer.backends.whoosh.schema import TEXT_TABLE_FIELDS

    rows = _seed_rows(corpus_dir) * 2
    reader = _parallel_index(rows, tmp_path).reader()
    checked = 0
    for leaf, _ in reader.leaf_readers():
        table = text_tables.SegmentTexts(text_tables.segment_path(tmp_path, leaf._segment))
        for docnum, stored in leaf.iter_docs():
            row = next(r for r in rows if r["doc_id"] == stored["doc_id"] and r["order"] == stored["order"])
            for name in TEXT_TABLE_FIELDS:
                assert table.text(name, docnum).decode("utf-8") == match_form(row[name])
            checked += 1
        table.close()
    assert checked == len(rows)


# -- the array evaluation (indexer/backends/whoosh/evaluate.py) is Whoosh's, and phrases are substrings -----------------

QUERIES = ["养老", "低保 标准", '"养老服务"', "養老服務", "残疾人 补贴", "养老 OR 殡葬", "低保 -青岛", "老", "青岛 低保",
           '"社会救助" 低保 -农村', "社区 养老 服务", "婚姻登记"]


def _engine_queries():
    from indexer.query.parse import parse_query
    from indexer.backends.whoosh.plan import compile_query

    for text in QUERIES:
        compiled = compile_query(parse_query(text))
        yield from (value for value in vars(compiled).values() if hasattr(value, "matcher"))


def _has(query, kind) -> bool:
    return isinstance(query, kind) or any(_has(child, kind) for child in query.children())


def _without_phrases(query):
    """The query with each phrase replaced by the conjunction of its terms (what Whoosh can evaluate without
    positions), for comparing the rest of the tree."""
    from whoosh import query as wq

    if isinstance(query, wq.Phrase):
        return wq.And([wq.Term(query.fieldname, word) for word in query.words], boost=query.boost)
    return query.apply(_without_phrases)


def _check_against_whoosh(searcher, folder):
    from whoosh import query as wq

    from indexer.backends.whoosh.evaluate import Evaluation, IndexArrays

    arrays = IndexArrays(searcher, folder)
    checked = 0
    for query in _engine_queries():
        if _has(query, wq.Phrase):
            # Phrases are checked on text, which Whoosh cannot do here: compare everything else.
            loose = _without_phrases(query)
            strict = Evaluation(arrays).matches(query).docnums()
            assert set(strict) <= set(Evaluation(arrays).matches(loose).docnums())
            query = loose
        found = Evaluation(arrays).matches(query)
        expected = {hit.docnum: hit.score for hit in searcher.search(query, limit=None, optimize=False)}
        assert set(found.docnums().tolist()) == set(expected)
        if not _has(query, wq.Prefix):  # Whoosh scores a one-term prefix as that term, here it is constant
            for docnum, score in expected.items():
                assert abs(found.scores[docnum] - score) <= 1e-9 * max(1.0, abs(score)), query
        checked += 1
    arrays.close()
    assert checked > 20


def _check_phrases_are_substrings(searcher, folder):
    from whoosh import query as wq

    from indexer.text.terms import match_form
    from indexer.backends.whoosh.evaluate import Evaluation, IndexArrays

    arrays = IndexArrays(searcher, folder)
    reader = searcher.reader()
    passages = {docnum: match_form(stored["passage"]) for docnum, stored in reader.iter_docs()}
    for run in ("养老服务", "社会救助", "城市低保", "服务", "老年人", "儿童福利机构"):
        bigrams = [run[i:i + 2] for i in range(len(run) - 1)]
        query = wq.Phrase("grams", bigrams) if len(bigrams) > 1 else wq.Term("grams", bigrams[0])
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

    from indexer.backends.whoosh.writer import segment as parallel

    rows = _seed_rows(corpus_dir) * 2
    writer = parallel.open_writer(_parallel_index(rows, tmp_path))
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


# -- the start-up paths read the same data ------------------------------------------------------------

def test_fast_columns_equal_whoosh_columns(index_dir, corpus_dir, tmp_path):
    from whoosh import index as whoosh_index

    from indexer.backends.whoosh import columns as fastcolumns
    from indexer.backends.whoosh.generations import current_generation

    _parallel_index(_seed_rows(corpus_dir), tmp_path)
    for path in (current_generation(index_dir), tmp_path):
        reader = whoosh_index.open_dir(str(path)).reader()
        for name in ("city", "year", "doc_type", "doc_id", "order", "date"):
            assert fastcolumns.column_values(reader, name) == list(reader.column_reader(name))
        for leaf, _ in (reader.leaf_readers() if not reader.is_atomic() else [(reader, 0)]):
            for field in ("content", "grams", "title", "section"):
                expected = bytes(length_byte(leaf, field, d) for d in range(leaf.doc_count_all()))
                assert fastcolumns.length_bytes(leaf, field) == expected


def length_byte(reader, field, docnum):
    from whoosh.util.numeric import length_to_byte

    length = reader.doc_field_length(docnum, field, 0)
    return length_to_byte(length) if length else 0


def test_jieba_cache_gives_jiebas_own_dictionary(tmp_path, monkeypatch):
    import jieba

    from indexer.text import segmentation as analysis
    from indexer.text import jieba_cache

    def fresh():
        tokenizer = jieba.Tokenizer()
        tokenizer.tmp_dir = str(tmp_path)
        return tokenizer

    reference = fresh()
    reference.initialize()
    reference.load_userdict(str(analysis.USER_DICTIONARY))
    assert not jieba_cache.load(fresh(), analysis.USER_DICTIONARY)
    jieba_cache.save(reference, analysis.USER_DICTIONARY, jieba_cache.user_words(analysis.USER_DICTIONARY))
    cached = fresh()
    assert jieba_cache.load(cached, analysis.USER_DICTIONARY)
    assert cached.FREQ == reference.FREQ and cached.total == reference.total
    assert cached.user_word_tag_tab == reference.user_word_tag_tab
    text = "青島市民政局推進養老服務和最低生活保障，城乡低保标准提高"
    assert list(cached.cut(text, HMM=False)) == list(reference.cut(text, HMM=False))
