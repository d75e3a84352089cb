"""Each segment's text table holds every passage's folded text, in the segment's document order."""

from __future__ import annotations

from whoosh_support import parallel_index, seed_rows


def test_text_tables_hold_each_passages_folded_text(corpus_dir, tmp_path):
    from indexer.backends.whoosh import text_tables
    from indexer.text.terms import match_form
    from indexer.backends.whoosh.schema import TEXT_TABLE_FIELDS

    rows = seed_rows(corpus_dir) * 2
    reader = parallel_index(rows, tmp_path).reader()
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
