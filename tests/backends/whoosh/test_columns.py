"""The fast column readers (indexer/backends/whoosh/columns.py) read what Whoosh's column readers read."""

from __future__ import annotations

from whoosh_support import parallel_index, seed_rows


def test_fast_columns_equal_whoosh_columns(index_dir, corpus_dir, tmp_path):
    from whoosh import index as whoosh_index

    from indexer.backends.whoosh import columns as fastcolumns
    from indexer.backends.whoosh.generations import current_generation

    parallel_index(seed_rows(corpus_dir), tmp_path)
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
