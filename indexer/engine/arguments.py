"""A search's arguments as the engine takes them: text it can read, filter values, paging within bounds.

An argument out of bounds is a :class:`QueryError` with a message for the reader, or is answered
with a notice (a limit above ``MAX_LIMIT``); filter values are canonical place names.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.errors import QueryError
from indexer.query.parse import check_text
from indexer.ingest.places import canonical_city, canonical_province
from indexer.records import MAX_LIMIT, MAX_RESULT_DEPTH


def checked_values(values, what: str) -> list[str]:
    """Filter values as given; an empty one is an error, not a request for documents without a value."""
    values = list(values or ())
    for value in values:
        check_text(value, what)
        if not value.strip():
            raise QueryError(f"{what}筛选值不能为空。")
    return values


def checked_paging(limit, offset) -> tuple[int, int, list[str]]:
    """Limit and offset within bounds; a value out of them is an error or answered with a notice."""
    try:
        limit, offset = int(limit), int(offset)
    except (TypeError, ValueError):
        raise QueryError("结果数（limit）和起始位置（offset）须为整数。") from None
    if limit < 0:
        raise QueryError(f"结果数（limit）不能为负数：{limit}。")
    if offset < 0:
        raise QueryError(f"起始位置（offset）不能为负数：{offset}。")
    if offset >= MAX_RESULT_DEPTH:
        raise QueryError(f"翻页过深：只提供前 {MAX_RESULT_DEPTH} 条结果（起始位置须小于 {MAX_RESULT_DEPTH}），"
                         "请增加检索词或按城市、年份筛选。")
    notices = []
    if limit > MAX_LIMIT:
        notices.append(f"每次最多返回 {MAX_LIMIT} 条结果，已返回其中前 {MAX_LIMIT} 条；其余请翻页（offset）查看。")
        limit = MAX_LIMIT
    if offset + limit > MAX_RESULT_DEPTH:
        notices.append(f"只提供前 {MAX_RESULT_DEPTH} 条结果，本页到第 {MAX_RESULT_DEPTH} 条为止。")
        limit = MAX_RESULT_DEPTH - offset
    return limit, offset, notices


def facet_selections(cities, years, doc_types, provinces=()) -> dict[str, set]:
    """Facet selections with places in their canonical names (山东 → 山东省, 青島 → 青岛)."""
    return {"province": {canonical_province(p) for p in provinces}, "city": {canonical_city(c) for c in cities},
            "year": checked_years(years), "doc_type": set(doc_types)}


def checked_years(years) -> set[int]:
    """Selected years as integers; a value that is not one is an error, whatever its type."""
    try:
        return {int(year) for year in years or ()}
    except (TypeError, ValueError, OverflowError):
        shown = "、".join(str(year) for year in years)
        raise QueryError(f"年份须为整数（如 2025）：{shown}") from None


SORTS = ("relevance", "date")
# "passage": every matching passage is a hit; "document": the best passage of each document is.
GROUPS = ("passage", "document")
RELAXED_NOTICE = "部分结果只包含部分检索词，排在包含全部检索词的段落之后。"


@dataclass
class SearchArguments:
    """A search's arguments checked, the same for every backend."""

    limit: int
    offset: int
    notices: list[str]  # the query's and the paging's, for the reader
    selections: dict[str, set]
    date_range: tuple[int, int] | None
    compiled: object  # the query plan (indexer.query.plan.CompiledQuery)


def checked_search(query, cities, years, doc_types, limit, offset, exact, provinces, date_from, date_to,
                   sort, group) -> SearchArguments:
    """Every argument of a search checked and the query compiled; raises :class:`QueryError` with a message."""
    from indexer.engine.timespan import bounds
    from indexer.query.parse import parse_query
    from indexer.query.plan import compile_query

    check_text(query, "检索式")
    limit, offset, paging_notices = checked_paging(limit, offset)
    parsed = parse_query(query)
    if sort not in SORTS:
        raise QueryError(f"排序方式应为 relevance（相关度）或 date（日期）：{sort}")
    if group not in GROUPS:
        raise QueryError(f"分组方式应为 passage（按段落）或 document（按文件）：{group}")
    selections = facet_selections(checked_values(cities, "城市"), years, checked_values(doc_types, "文档类型"),
                                  checked_values(provinces, "省份"))
    date_range = bounds(date_from, date_to)
    return SearchArguments(limit, offset, list(parsed.notices) + paging_notices, selections, date_range,
                           compile_query(parsed, expand=not exact))
