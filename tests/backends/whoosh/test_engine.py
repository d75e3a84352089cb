"""Search over the real seed index: scripts, syntax, filters, facets, highlights, citations, paging, bad input."""

from __future__ import annotations

import html
import re

import pytest

from indexer.query.parse import QueryError
from indexer.text.script import to_simplified

LIMIT = 100
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def fold(text: str) -> str:
    return to_simplified(text).lower()


def where(hit) -> str:
    """Everything a hit can match on: passage, section headings and title, folded."""
    return fold(" ".join([hit.passage, *hit.section, hit.title]))


def keys(response) -> set[tuple[str, int]]:
    """(doc_id, order) of every matching passage shown, near-duplicates folded into a hit included."""
    found = set()
    for hit in response.hits:
        found.add((hit.doc_id, hit.order))
        found |= {(d["doc_id"], d["order"]) for d in hit.duplicates}
    return found


def parse_highlight(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """The plain text of a highlight and the spans of its <mark>s, in plain-text offsets."""
    plain, spans, cursor = [], [], 0
    length = 0
    for match in _MARK.finditer(marked):
        before = html.unescape(marked[cursor:match.start()])
        inside = html.unescape(match.group(1))
        plain.append(before)
        length += len(before)
        spans.append((length, length + len(inside)))
        plain.append(inside)
        length += len(inside)
        cursor = match.end()
    plain.append(html.unescape(marked[cursor:]))
    return "".join(plain), spans


def everything(engine, query, **filters):
    response = engine.search(query, limit=LIMIT, **filters)
    assert response.total <= LIMIT, "query too broad for a complete check"
    return response


@pytest.fixture(scope="session")
def passage_text(indexed_passages) -> dict[tuple[str, int], str]:
    return {(doc_id, p.order): p.passage for doc_id, passages in indexed_passages.items() for p in passages}


def containing(passage_text, word: str) -> set[tuple[str, int]]:
    """Independently: the passages whose folded text contains ``word``."""
    return {key for key, text in passage_text.items() if fold(word) in fold(text)}


# -- both scripts ----------------------------------------------------------------

def test_traditional_query_finds_simplified_passages(engine, documents):
    response = everything(engine, "養老服務")
    simplified_docs = {doc_id for doc_id, doc in documents.items() if doc["script"] == "simplified"}
    found = {hit.doc_id for hit in response.hits}
    assert found & simplified_docs == simplified_docs
    holds = ["养老服务" in fold(hit.passage) for hit in response.hits]
    assert holds == sorted(holds, reverse=True)  # as typed first, then by its words, then by headings
    for hit in response.hits:
        assert "养老服务" in where(hit) or ("养老" in fold(hit.passage) and "服务" in fold(hit.passage))
        if hit.doc_id in simplified_docs and "养老服务" in hit.passage:
            plain, spans = parse_highlight(hit.highlight)
            assert [plain[s:e] for s, e in spans] == ["养老服务"] * hit.passage.count("养老服务")


def test_simplified_query_marks_traditional_characters(engine, doc_ids):
    response = everything(engine, "养老服务")
    traditional = [hit for hit in response.hits if hit.doc_id == doc_ids["002"]]
    assert traditional, "养老服务 must find the Traditional plan"
    marked = [hit for hit in traditional if "養老服務" in hit.passage]
    assert marked
    for hit in marked:
        plain, spans = parse_highlight(hit.highlight)
        assert plain == hit.passage
        # every occurrence marked, exactly on the Traditional characters
        starts = [m.start() for m in re.finditer("養老服務", hit.passage)]
        assert spans == [(start, start + 4) for start in starts]


def test_highlight_of_nursing_beds_in_the_traditional_plan(engine, doc_ids):
    response = engine.search("护理型床位", exact=True, limit=LIMIT)
    hit = next(hit for hit in response.hits if hit.doc_id == doc_ids["002"])
    plain, spans = parse_highlight(hit.highlight)
    assert plain == hit.passage
    assert [plain[s:e] for s, e in spans] == ["護理型床位"] * hit.passage.count("護理型床位")
    assert hit.section == ["四、構建多層次多樣化養老服務體系", "(一)完善養老服務保障體系"]


@pytest.mark.parametrize("variants", [("養老服務", "养老服务", "养老服務"), ("城市低保", "城市低保"),
                                      ("護理型床位", "护理型床位"), ("兒童福利", "儿童福利")])
def test_scripts_are_one_for_search(engine, variants):
    responses = [everything(engine, query) for query in variants]
    first = responses[0]
    assert first.total > 0
    for response in responses[1:]:
        assert response.total == first.total
        assert keys(response) == keys(first)
        assert response.facets == first.facets


@pytest.mark.parametrize("query", ["養老服務", '"養老服務"'])
def test_traditional_query_reaches_at_least_four_documents(engine, query):
    response = everything(engine, query)
    assert len({doc_id for doc_id, _ in keys(response)}) >= 4
    assert sum(bucket["count"] for bucket in response.facets["city"]) == response.total


# -- phrases -------------------------------------------------------------------------

def test_phrase_returns_only_passages_containing_it(engine, passage_text):
    response = everything(engine, '"城市低保"')
    assert response.hits
    for hit in response.hits:
        assert "城市低保" in fold(hit.passage)
    assert keys(response) == containing(passage_text, "城市低保")
    assert response.total == len(containing(passage_text, "城市低保"))


@pytest.mark.parametrize("phrase", ["养老服务", "養老服務", "护理型床位", "婚姻登记", "低保标准", "服务养老", "保标准提"])
def test_phrase_total_equals_substring_count(engine, passage_text, phrase):
    """A quoted phrase matches exactly the passages holding it as a substring (either script)."""
    expected = containing(passage_text, phrase)
    response = everything(engine, f'"{phrase}"')
    assert response.total == len(expected)
    assert keys(response) == expected
    assert response.expansions == []


def test_phrase_is_stricter_than_words(engine):
    words = everything(engine, "城市 低保")
    phrase = everything(engine, '"城市低保"')
    assert keys(phrase) <= keys(words)
    assert phrase.total < words.total


def test_curly_quotes_make_a_phrase_too(engine):
    assert keys(everything(engine, "“城市低保”")) == keys(everything(engine, '"城市低保"'))


# -- exclusion, OR, all words ------------------------------------------------------------

@pytest.mark.parametrize("excluded", ["青岛", "青島"])
def test_exclusion(engine, passage_text, excluded):
    without = everything(engine, f"养老 -{excluded}")
    base = everything(engine, "养老")
    assert without.hits
    for doc_id, order in keys(without):
        assert "青岛" not in fold(passage_text[(doc_id, order)])
    expected = {key for key in keys(base) if "青岛" not in fold(passage_text[key])}
    assert keys(without) == expected
    assert without.total == len(expected) < base.total


def test_excluded_phrase(engine, passage_text):
    response = everything(engine, '低保 -"城市低保"')
    assert response.hits
    assert all("城市低保" not in fold(passage_text[key]) for key in keys(response))


@pytest.mark.parametrize("operator", ["OR", "|"])
def test_or_accepts_either(engine, operator):
    either = everything(engine, f"海葬 {operator} 婚姻登记", exact=True)
    first = everything(engine, "海葬", exact=True)
    second = everything(engine, "婚姻登记", exact=True)
    assert first.total and second.total
    assert either.relaxed == (first.relaxed or second.relaxed)
    for hit in either.hits:  # either, or (flagged) most of the words of one of them
        assert "海葬" in where(hit) or "婚姻登记" in where(hit) or either.relaxed and (
            "婚姻" in fold(hit.passage) or "登记" in fold(hit.passage))
    assert keys(either) == keys(first) | keys(second)
    assert either.total == len(keys(first) | keys(second))


def test_or_total_at_least_each_alternative(engine):
    either = everything(engine, "海葬 OR 婚姻登记")
    assert either.total >= everything(engine, "海葬").total
    assert either.total >= everything(engine, "婚姻登记").total


@pytest.mark.parametrize("query", ["养老 青岛", "低保 标准", "儿童 关爱 服务", "養老 煙台"])
def test_all_words_first_then_most_words(engine, query):
    """Passages with every word come first; then, always, passages with most of the telling words, flagged."""
    response = everything(engine, query)
    words = [fold(word) for word in query.split()]
    in_text = [any(word in fold(hit.passage) for word in words) for hit in response.hits]
    assert in_text == sorted(in_text, reverse=True)  # passages matched by their headings alone come last
    texts = [hit for hit, found in zip(response.hits, in_text) if found]
    every = [all(word in where(hit) for word in words) for hit in texts]
    assert every[0] and every == sorted(every, reverse=True)
    assert response.relaxed == (not all(every))
    for hit in response.hits[len(texts):]:
        assert all(word in where(hit) for word in words)


def test_more_words_narrow_the_result(engine):
    one = everything(engine, "养老")
    two = everything(engine, "养老 烟台")
    both = [hit for hit in two.hits if "烟台" in where(hit) and "养老" in where(hit)]
    assert 0 < len(both) < one.total


def test_partial_matches_are_flagged(engine):
    """A word found nowhere either empties the result or is reported as a relaxed, partial match."""
    response = everything(engine, "海葬 特朗普")
    assert response.hits and all("特朗普" not in where(hit) for hit in response.hits)
    assert response.relaxed
    assert any("部分" in notice for notice in response.notices)


@pytest.mark.parametrize("word", ["低保", "養老", "民政局", "护", "drg", "DRG"])
def test_every_hit_contains_the_word(engine, word):
    response = everything(engine, word, exact=True)
    assert response.hits
    holds = [fold(word) in fold(hit.passage) for hit in response.hits]
    assert holds[0] and holds == sorted(holds, reverse=True)
    for hit in response.hits:
        # else found by its parts (民政 of 民政局), flagged as partial, or by a heading, ranked last
        assert fold(word) in where(hit) or response.relaxed, (hit.doc_id, hit.order)


def test_subword_query_finds_the_longer_word(engine, passage_text):
    """民政 finds every passage that says 民政局."""
    response = engine.search("民政", exact=True, limit=LIMIT)
    expected = containing(passage_text, "民政局")
    assert expected
    assert response.total >= len(containing(passage_text, "民政"))
    found = set()
    for offset in range(0, response.total, LIMIT):  # every page, however many
        found |= keys(engine.search("民政", exact=True, limit=LIMIT, offset=offset))
    assert len(found) == response.total and expected <= found


@pytest.mark.parametrize("query", ["特朗普", "孙俪", "翁帆", "特朗普 关税"])
def test_chrome_words_find_nothing(engine, query):
    response = engine.search(query, limit=LIMIT)
    assert response.total == 0
    assert response.hits == []
    assert response.facets["city"] == [] and response.facets["year"] == []


# -- filters and facets ----------------------------------------------------------------

def test_city_filter(engine, documents):
    base = everything(engine, "养老")
    yantai = everything(engine, "养老", cities=["烟台"])
    assert yantai.hits
    assert {hit.city for hit in yantai.hits} == {"烟台"}
    expected = next(b["count"] for b in base.facets["city"] if b["value"] == "烟台")
    assert yantai.total == expected
    assert keys(yantai) == {key for key in keys(base) if documents[key[0]]["city"] == "烟台"}


def test_several_cities_and_years(engine, documents):
    base = everything(engine, "养老")
    counts = {b["value"]: b["count"] for b in base.facets["city"]}
    years = {b["value"]: b["count"] for b in base.facets["year"]}
    two_cities = everything(engine, "养老", cities=["烟台", "聊城"])
    assert {hit.city for hit in two_cities.hits} == {"烟台", "聊城"}
    assert two_cities.total == counts["烟台"] + counts["聊城"]
    two_years = everything(engine, "养老", years=[2024, 2026])
    assert {hit.year for hit in two_years.hits} == {2024, 2026}
    assert two_years.total == years[2024] + years[2026]
    both = everything(engine, "养老", cities=["青岛", "聊城"], years=["2025", "2026"])
    assert both.hits
    assert all(hit.city in ("青岛", "聊城") and hit.year in (2025, 2026) for hit in both.hits)
    expected = {key for key in keys(base)
                if documents[key[0]]["city"] in ("青岛", "聊城") and documents[key[0]]["year"] in (2025, 2026)}
    assert keys(both) == expected
    assert both.total == len(expected)


def test_unknown_city_gives_nothing(engine):
    response = engine.search("养老", cities=["北京"])
    assert response.total == 0 and response.hits == []


@pytest.mark.parametrize("query", ["养老", "低保", "儿童"])
def test_facet_counts_equal_filtered_totals(engine, query):
    response = everything(engine, query)
    assert sum(b["count"] for b in response.facets["city"]) == response.total
    assert sum(b["count"] for b in response.facets["year"]) == response.total
    for bucket in response.facets["city"]:
        assert engine.search(query, cities=[bucket["value"]], limit=0).total == bucket["count"]
    for bucket in response.facets["year"]:
        assert isinstance(bucket["value"], int)
        assert engine.search(query, years=[bucket["value"]], limit=0).total == bucket["count"]


def test_facets_are_disjunctive(engine):
    query = "养老"
    unfiltered = everything(engine, query)
    assert len(unfiltered.facets["city"]) >= 3
    selected = everything(engine, query, cities=["烟台"])
    # the city facet ignores the city selection: 青岛 still shows its full count
    strip = lambda buckets: [(b["value"], b["count"]) for b in buckets]  # noqa: E731
    assert strip(selected.facets["city"]) == strip(unfiltered.facets["city"])
    qingdao = {b["value"]: b["count"] for b in selected.facets["city"]}["青岛"]
    assert qingdao == engine.search(query, cities=["青岛"], limit=0).total > 0
    # the year facet honours the city selection
    assert sum(b["count"] for b in selected.facets["year"]) == selected.total
    for bucket in selected.facets["year"]:
        assert engine.search(query, cities=["烟台"], years=[bucket["value"]], limit=0).total == bucket["count"]
    # and the other way round: a year selection narrows cities, not years
    by_year = everything(engine, query, years=[2025])
    assert strip(by_year.facets["year"]) == strip(unfiltered.facets["year"])
    for bucket in by_year.facets["city"]:
        assert engine.search(query, cities=[bucket["value"]], years=[2025], limit=0).total == bucket["count"]


def test_selected_flag_marks_the_selection(engine):
    response = engine.search("养老", cities=["烟台"], limit=0)
    assert [b["value"] for b in response.facets["city"] if b.get("selected")] == ["烟台"]


# -- hits: highlight, citation, fields ----------------------------------------------------

HIGHLIGHT_QUERIES = ["养老服务", "養老服務", "海葬 OR 婚姻登记", "低保 标准", '"城市低保"', "“十四五” 残疾人", "DRG"]


@pytest.mark.parametrize("query", HIGHLIGHT_QUERIES)
def test_highlight_is_the_escaped_passage_with_marks(engine, query):
    response = engine.search(query, limit=20)
    assert response.hits
    for hit in response.hits:
        plain, spans = parse_highlight(hit.highlight)
        assert plain == hit.passage
        outside = _MARK.sub("", hit.highlight)
        assert "<" not in outside and ">" not in outside
        assert not re.search(r"&(?!(?:amp|lt|gt|quot|#x27|#39);)", hit.highlight)
        assert "<mark></mark>" not in hit.highlight


@pytest.mark.parametrize("query, terms", [("养老服务", ["养老服务"]), ("婚姻登记", ["婚姻登记"]),
                                          ("海葬 OR 婚姻登记", ["海葬", "婚姻登记"]), ('"城市低保"', ["城市低保"]),
                                          ("drg", ["drg"])])
def test_marks_cover_exactly_the_matched_characters(engine, query, terms):
    response = engine.search(query, exact=True, limit=LIMIT)
    assert response.hits
    for hit in response.hits:
        plain, spans = parse_highlight(hit.highlight)
        folded = fold(plain)
        if not any(term in folded for term in terms):
            continue  # found by the term's words or headings: marked word by word
        for start, end in spans:
            assert folded[start:end] in terms
        expected = sorted((m.start(), m.end()) for term in terms for m in re.finditer(re.escape(term), folded))
        assert spans == expected


def test_highlight_on_a_passage_with_quotes(engine):
    response = engine.search("海葬", exact=True, limit=LIMIT)
    hit = next(hit for hit in response.hits if "“" in hit.passage and "海葬" in hit.passage)
    assert "“海之情”" in hit.highlight
    assert parse_highlight(hit.highlight)[0] == hit.passage


def test_citation(engine, documents):
    response = engine.search("护理型床位", limit=LIMIT)
    assert response.hits
    for hit in response.hits:
        meta = documents[hit.doc_id]
        assert hit.citation.startswith(hit.passage + "\n")
        tail = hit.citation[len(hit.passage):]
        assert f"《{meta['title']}》" in tail
        assert meta["source"] in tail and meta["date"] in tail
        if hit.section:
            assert " › ".join(hit.section) in tail
            assert tail.index(meta["title"]) < tail.index(hit.section[-1])
    traditional = next(hit for hit in response.hits if hit.doc_id.startswith("002"))
    assert "《青島市民政事業高質量發展實施方案(2025—2027年)》" in traditional.citation
    assert "四、構建多層次多樣化養老服務體系 › (一)完善養老服務保障體系" in traditional.citation


def test_hits_agree_with_the_index_and_the_manifest(engine, documents, indexed_passages):
    response = everything(engine, "养老 青岛")
    for hit in response.hits:
        meta = documents[hit.doc_id]
        assert (hit.title, hit.city, hit.year, hit.date, hit.source) == (
            meta["title"], meta["city"], meta["year"], meta["date"], meta["source"])
        stored = indexed_passages[hit.doc_id][hit.order]
        assert (stored.passage, stored.section) == (hit.passage, hit.section)


# -- paging and limits ----------------------------------------------------------------------

def test_pages_are_disjoint_and_consistent(engine):
    query = "养老"
    whole = engine.search(query, limit=LIMIT)
    assert len(whole.hits) > 12
    pages = [engine.search(query, limit=5, offset=offset) for offset in range(0, len(whole.hits) + 5, 5)]
    paged = [hit for page in pages for hit in page.hits]
    assert [(h.doc_id, h.order) for h in paged] == [(h.doc_id, h.order) for h in whole.hits]
    assert len({(h.doc_id, h.order) for h in paged}) == len(paged)
    assert [h.rank for h in paged] == list(range(1, len(paged) + 1))
    assert {page.total for page in pages} == {whole.total}
    assert pages[-1].hits == []


def test_limit_bounds(engine):
    assert engine.search("养老", limit=0).hits == []
    assert engine.search("养老", limit=0).total == engine.search("养老").total
    assert len(engine.search("养", limit=10_000).hits) <= LIMIT
    assert len(engine.search("养老", limit=3).hits) == 3
    with pytest.raises(QueryError):  # a negative offset is an error, not silently 0 (issue 14)
        engine.search("养老", offset=-5, limit=3)


# -- malformed queries ----------------------------------------------------------------------

MALFORMED = {
    "unbalanced quote": '"养老服务',
    "unbalanced curly quote": "“养老服务",
    "lone minus": "-",
    "minus then word": "- 养老",
    "only punctuation": "，。！？、“”",
    "ascii punctuation": "!@#$%^&*()",
    "ten thousand chars": "养老服务" * 2500,
    "ten thousand latin": "a" * 10_000,
    "stray field": "title:养老",
    "stray field alone": "title:",
    "stray fullwidth field": "city：青岛",
    "empty": "",
    "blank": " \u3000 ",
    "only exclusions": "-养老 -青岛",
    "only OR": "OR",
    "dangling OR": "养老 OR",
    "empty quotes": '""',
    "html": "<script>alert(1)</script>",
    "control character": "\x00养老",
    "many words": " ".join(["养老"] * 100),
}


@pytest.mark.parametrize("query", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_query_gets_a_message_or_a_result(engine, query):
    try:
        response = engine.search(query, limit=5)
    except QueryError as error:
        assert _CJK.search(str(error)), str(error)
        return
    for notice in response.notices:
        assert _CJK.search(notice)
    assert response.total >= len(response.hits) and bool(response.hits) == bool(response.total)


@pytest.mark.parametrize("query, notice", [('"养老服务', "引号"), ("养老 " * 3400, "过长"),
                                           ("title:养老", "字段"), ("- 养老", "-")])
def test_repaired_queries_say_what_was_repaired(engine, query, notice):
    response = engine.search(query, limit=5)
    assert response.hits
    assert any(notice in n for n in response.notices)


@pytest.mark.parametrize("query", ["", "-", "，。！？", "-养老 -青岛", "title:"])
def test_unsearchable_queries_raise_query_error(engine, query):
    with pytest.raises(QueryError) as error:
        engine.search(query)
    assert _CJK.search(str(error.value))


def test_unbalanced_quote_searches_the_phrase(engine):
    assert keys(everything(engine, '"养老服务')) == keys(everything(engine, '"养老服务"'))
