"""A search's arguments: whatever a caller passes, the answer is a response or a QueryError with a message."""

from __future__ import annotations

import pytest

from indexer.api import QueryError


@pytest.mark.parametrize("years", [("二〇二五",), ("2025年",), (None,), (2025.5j,)])
def test_a_year_that_is_not_a_number_is_a_query_error(engine, years):
    with pytest.raises(QueryError, match="年份须为整数"):
        engine.search("养老", years=years)


def test_years_given_as_digits_in_text_select_like_numbers(engine):
    as_text = engine.search("养老", years=("2025",))
    as_number = engine.search("养老", years=(2025,))
    assert as_text.total == as_number.total > 0
    assert [h.passage for h in as_text.hits] == [h.passage for h in as_number.hits]


def test_every_call_that_reads_a_query_refuses_a_lone_surrogate_with_a_query_error(engine):
    broken = "养老\ud800"
    for call in (engine.search, engine.city_year_counts, engine.region_year_counts, engine.year_counts,
                 engine.figures):
        with pytest.raises(QueryError, match="孤立的代理码位"):
            call(broken)
    with pytest.raises(QueryError, match="文档编号"):
        engine.passages("\ud800")
    with pytest.raises(QueryError, match="文档编号"):
        engine.similar("\ud800", 0)


def test_a_document_read_without_a_query_has_no_marks(engine):
    doc_id = engine.documents()[0]["doc_id"]
    for query in (None, "", "  "):
        passages = engine.passages(doc_id, query)
        assert passages and all("<mark>" not in p.highlight for p in passages)
