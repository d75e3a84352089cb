"""The build's writers write the W3 format exactly as Whoosh's own writer does, from the engine's own terms.

``FastSegmentWriter`` (one process) and ``ParallelWriter`` (worker processes, one
segment each) write postings, term infos, lengths, stored fields and columns
that must equal Whoosh's ``SegmentWriter`` over the same documents, and their
text layers must be the analyzers' terms (no runtime comparison holds them there).
"""

from __future__ import annotations

import pytest

from indexer.backends.whoosh.analyzers import analyze, bigram_analyzer
from indexer.text.terms import gram_keys, key_term, word_terms
from indexer.text.script import to_simplified
from whoosh_support import seed_rows


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

    from indexer.backends.whoosh import writer as parallel
    from indexer.backends.whoosh.schema import make_schema

    from indexer.backends.whoosh.writer import layers, segment

    monkeypatch.setattr(layers, "BIGRAM_BATCH", 7)  # many batches of the bigram layer, not one

    rows = seed_rows(corpus_dir) * 3
    contents = []
    for name, make in (("whoosh", lambda ix: ix.writer()), ("fast", segment.FastSegmentWriter),
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


@pytest.fixture(scope="module")
def texts(corpus_dir):
    rows = seed_rows(corpus_dir)
    values = [row[name] for row in rows for name in ("content", "title", "section")]
    return values + ["ABC def 12 3x C++ a.b_c%d -- 繁體字 ℃ e-mail 2025年 养老服务", "，。！？", "", "民政局民政局"]


def test_the_word_layer_is_the_word_analyzer(texts):
    assert len(texts) > 300
    for text in texts:
        assert word_terms(text, "index") == analyze(text, mode="index"), text
        assert word_terms(text, "query") == analyze(text, mode="query"), text


def test_the_batched_bigram_layer_is_the_bigram_analyzer(texts):
    import numpy as np

    for text in texts:
        keys, _ = gram_keys(np.frombuffer(to_simplified(text).encode("utf-16-le"), dtype="<u2"))
        assert [key_term(key) for key in keys.tolist()] == analyze(text, mode="index", analyzer=bigram_analyzer()), text
