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
