"""The index schema: one Whoosh document per passage.

Searchable text goes into two layers: ``content`` holds jieba words (ranking,
BM25F with ``title`` and ``section``), ``grams`` holds character bigrams (exact
substrings and phrases whatever the segmentation). Terms keep their count, not
their positions: a phrase is checked on the folded text of the field named in
``PHRASE_TEXT`` (indexer/backends/whoosh/text_tables.py). The passage is stored as the source wrote
it; document-level metadata lives in the documents table beside the index,
while the few values that filter and facet are columns (not indexed).
"""

from __future__ import annotations

from collections import Counter

from whoosh import fields, formats

from indexer.backends.whoosh.analyzers import bigram_analyzer, chinese_analyzer

# Bump when the schema or the analysis changes: an index of another version must be rebuilt.
SCHEMA_VERSION = 3  # 3: a province column (全国 for national documents)


class TermCounts(formats.Format):
    """A term's count in a passage, kept as the posting's weight only.

    Whoosh's ``Frequency`` stores the count twice (the weight, and a 4-byte
    value per posting). BM25F reads the weight and phrases are checked on the
    text, so the posting value is empty: a quarter less index to write and read.
    """

    posting_size = 0

    def word_values(self, value, analyzer, **kwargs):
        counts = Counter(token.text for token in formats.tokens(value, analyzer, kwargs))
        return ((term, count, count * self.field_boost, b"") for term, count in counts.items())


def _column(field: fields.FieldType) -> fields.FieldType:
    """A value that filters, facets or sorts through its column and is never searched by term: not indexed."""
    field.indexed = False
    return field


def _text(analyzer) -> fields.TEXT:
    field = fields.TEXT(analyzer=analyzer, phrase=False)
    field.format = TermCounts()
    return field


# The text table (indexer/backends/whoosh/text_tables.py) a phrase in each text field is checked on.
PHRASE_TEXT = {"content": "content", "grams": "content", "title": "title", "section": "section"}
TEXT_TABLE_FIELDS = ("content", "title", "section")


def phrase_text(fieldname: str, terms: list[str]) -> str:
    """The text a phrase of ``terms`` stands for: bigrams overlap by a character, words follow each other."""
    if fieldname == "grams":
        return terms[0] + "".join(term[1:] for term in terms[1:])
    return "".join(terms)


def make_schema() -> fields.Schema:
    words = chinese_analyzer()
    return fields.Schema(
        doc_id=fields.ID(stored=True, sortable=True),
        order=_column(fields.NUMERIC(int, stored=True, sortable=True)),
        passage=fields.STORED(),
        section_path=fields.STORED(),
        content=_text(words),
        grams=_text(bigram_analyzer()),
        title=_text(words),
        section=_text(words),
        city=_column(fields.ID(sortable=True)),
        province=_column(fields.ID(sortable=True)),
        year=_column(fields.NUMERIC(int, sortable=True, default=0)),
        date=_column(fields.ID(sortable=True)),
        doc_type=_column(fields.ID(sortable=True)),
    )
