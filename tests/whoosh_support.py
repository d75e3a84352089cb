"""Rows and small indexes for the Whoosh backend's tests, written by the build's own writer."""

from __future__ import annotations

from indexer.tools import bench


def seed_rows(corpus_dir):
    from indexer.ingest.feed import passage_fields

    return [fields for document in bench.load_sources([corpus_dir]) for fields in passage_fields(document)]


def parallel_index(rows, path):
    """A two-segment index of ``rows`` written by the build's writer."""
    from whoosh import index as whoosh_index

    from indexer.backends.whoosh.writer import open_writer
    from indexer.backends.whoosh.schema import make_schema

    index = whoosh_index.create_in(str(path), make_schema())
    writer = open_writer(index, procs=2, batch=40, parallel_min=80)
    for fields in rows:
        writer.add_document(**fields)
    writer.commit()
    return whoosh_index.open_dir(str(path))
