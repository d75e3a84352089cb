"""The index schema: one Whoosh document per passage.

Searchable text goes into two layers: ``content`` holds jieba words (ranking,
BM25F with ``title`` and ``section``), ``grams`` holds character bigrams (exact
substrings and phrases whatever the segmentation). The passage is stored as the
source wrote it; document-level metadata lives in the documents table beside
the index, while the few values that filter and facet are columns.
"""

from __future__ import annotations

from whoosh import fields

from indexer.analysis import bigram_analyzer, chinese_analyzer

# Bump when the schema or the analysis changes: an index of another version must be rebuilt.
SCHEMA_VERSION = 1


def make_schema() -> fields.Schema:
    words = chinese_analyzer()
    return fields.Schema(
        doc_id=fields.ID(stored=True, sortable=True),
        order=fields.NUMERIC(int, stored=True, sortable=True),
        passage=fields.STORED(),
        section_path=fields.STORED(),
        content=fields.TEXT(analyzer=words, phrase=True),
        grams=fields.TEXT(analyzer=bigram_analyzer(), phrase=True),
        title=fields.TEXT(analyzer=words, phrase=True),
        section=fields.TEXT(analyzer=words, phrase=True),
        city=fields.ID(sortable=True),
        year=fields.NUMERIC(int, sortable=True, default=0),
        date=fields.ID(sortable=True),
        doc_type=fields.ID(sortable=True),
        source=fields.ID(),
    )
