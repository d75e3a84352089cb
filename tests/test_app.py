"""The Streamlit page, driven headless with ``streamlit.testing.v1.AppTest``.

The app holds no search logic, so what it shows is checked against what the
engine returns for the same question (the session ``engine`` fixture is opened
on the same index the app is pointed at).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from indexer.backends.whoosh.build import build_index

APP = Path(__file__).resolve().parent.parent / "search_app" / "app.py"
# A cold start loads jieba's dictionary inside the first run.
TIMEOUT = 60

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"
# Markdown a document could carry in its title or source: after a blank line it would render as a live
# link, an image the browser fetches and a formula, if the page let Markdown act on it.
MARKDOWN_BEACON = "\n\n![信标](http://127.0.0.1:9/beacon.png) [点此](http://127.0.0.1:9/link) $x^2$ **粗体**\n\n"


def _opener(index_dir: Path, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_INDEX", str(index_dir))

    def run(**params) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return run


@pytest.fixture
def open_app(index_dir, monkeypatch):
    """``open_app(q="低保", city=["烟台"])`` → an AppTest that has run once with those URL parameters."""
    return _opener(index_dir, monkeypatch)


@pytest.fixture
def open_collection(collection_index_dir, monkeypatch):
    """Like ``open_app``, on the whole collection (national, provincial and city documents, 1950s–2020s)."""
    return _opener(collection_index_dir, monkeypatch)


def cards(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith('<div class="hit" ')]


def card_titles(at: AppTest) -> list[str]:
    return [re.search(r'<span class="hit-rank">\d+\.</span>(.*?)</div>', card).group(1) for card in cards(at)]


def card_ranks(at: AppTest) -> list[int]:
    return [int(re.search(r'<span class="hit-rank">(\d+)\.</span>', card).group(1)) for card in cards(at)]


def card_cities(at: AppTest) -> list[str]:
    return [re.search(r'<div class="hit-meta">([^ <]+)', card).group(1) for card in cards(at)]


def facet_labels(at: AppTest, facet: str) -> dict[str, tuple[int, bool]]:
    """{value: (count, checked)} read off the sidebar's checkboxes for one facet."""
    found = {}
    for box in at.sidebar.checkbox:
        if box.key.startswith(f"facet:{facet}:"):
            count = int(re.search(r":gray\[(\d+)\]", box.label).group(1))
            found[box.key.split(":", 2)[2]] = (count, box.value)
    return found


def summary(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith('<div class="summary">'))


def params(at: AppTest) -> dict:
    return {key: (value if isinstance(value, list) else [value]) for key, value in at.query_params.items()}


# -- the empty page -----------------------------------------------------------------


def test_no_query_shows_corpus_overview_and_example_searches(open_app, engine):
    at = open_app()
    overview = engine.overview()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["文档"] == f"{overview['documents']} 篇"
    assert metrics["段落"] == f"{overview['passages']} 个"
    provinces = [b for b in overview["facets"]["province"] if b["value"] != "全国"]
    assert metrics["地区"] == f"{len(provinces)} 省 {len(overview['facets']['city'])} 市"
    assert not cards(at)
    titles = " ".join(m.value for m in at.markdown)
    for doc in engine.documents():
        assert html.escape(doc["title"]) in titles
    examples = [b.label for b in at.button if b.key.startswith("example:")]
    assert "低保" in examples and "養老服務" in examples


def test_example_search_button_runs_that_search(open_app):
    at = open_app()
    at.button(key="example:低保").click().run()
    assert params(at) == {"q": ["低保"]}
    assert cards(at) and "<mark>低保</mark>" in cards(at)[0]
    assert at.text_input(key="query_input").value == "低保"


# -- searching ------------------------------------------------------------------------


def test_typing_a_query_searches_and_puts_it_in_the_url(open_app, engine):
    at = open_app()
    at.text_input(key="query_input").input("低保").run()
    assert not at.exception
    assert params(at) == {"q": ["低保"]}
    expected = engine.search("低保", limit=10)
    assert card_titles(at) == [html.escape(hit.title) for hit in expected.hits]
    assert f"<b>{expected.total}</b> 个段落，来自 <b>{expected.documents_total}</b> 份文件" in summary(at) and "毫秒" in summary(at)
    assert {"青岛", "烟台", "聊城"} <= set(card_cities(at))
    assert all("<mark>" in card for card in cards(at))
    first = expected.hits[0]
    assert first.highlight in cards(at)[0]
    assert " › ".join(html.escape(s) for s in first.section) in cards(at)[0]
    assert f"{first.city} · {first.date}" in cards(at)[0] and html.escape(first.source) in cards(at)[0]


def test_a_guessed_date_is_marked_and_an_undated_card_shows_its_year(open_app, engine):
    """The card's head gives a date the manifest marks as a guess with 推定, and the year when there is no date."""
    hits = engine.search("低保", limit=30).hits
    assert {hit.date_estimated for hit in hits} == {True, False}, "the seed corpus has guessed and known dates"
    at = open_app(q="低保")
    at.query_params["page"] = "1"
    shown = {}
    for page in (1, 2, 3):
        at.query_params["page"] = str(page)
        at.run()
        shown |= dict(zip(card_ranks(at), cards(at)))
    for hit in hits:
        meta = re.search(r'<div class="hit-meta">(.*?)(?:<span|</div>)', shown[hit.rank]).group(1)
        if hit.date_estimated:
            assert f"{hit.date}（推定）" in meta, meta
        elif hit.date:
            assert hit.date in meta and "推定" not in meta, meta
        else:
            assert f"{hit.year}年" in meta, meta


def copy_texts(at: AppTest) -> list[str]:
    """What the copy buttons on the page would copy, in page order."""
    return [html.unescape(value) for m in at.markdown for value in re.findall(r'class="copy-btn" data-copy="([^"]*)"', m.value)]


def test_each_card_shows_the_passage_once_with_a_copy_button_and_a_gbt7714_reference(open_app, engine):
    at = open_app(q="低保")
    expected = engine.search("低保", limit=10).hits
    copies = copy_texts(at)
    for hit, card in zip(expected, cards(at)):
        assert hit.citation in copies and hit.reference in copies
        assert hit.citation.startswith(hit.passage) and f"《{hit.title}》" in hit.citation
        # The passage is on the page once: highlighted in the card, and nowhere else as text.
        assert card.count('class="hit-passage"') == 1
    assert not at.code, "no second copy of the passage in a code box"
    page_text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "悬停" not in page_text, "no hint that needs a mouse"


def test_thesaurus_expansions_are_shown_and_can_be_switched_off(open_app, engine):
    response = engine.search("低保", limit=0)
    assert response.expansions, "the thesaurus should expand 低保"
    at = open_app(q="低保")
    assert any(f"已同时搜索：{'、'.join(response.expansions)}" in c.value for c in at.caption)
    at.button(key="exact_on").click().run()
    assert params(at) == {"q": ["低保"], "exact": ["1"]}
    assert not any("已同时搜索" in c.value for c in at.caption)
    exact = engine.search("低保", limit=0, exact=True)
    assert f"<b>{exact.total}</b> 个段落，来自" in summary(at)


def test_engine_notices_and_partial_matches_are_shown(open_app, engine):
    response = engine.search('"城市低保', limit=0)
    assert response.notices
    at = open_app(q='"城市低保')
    infos = [i.value.replace("\\", "") for i in at.info]
    for notice in response.notices:
        assert notice in infos
    relaxed = engine.search("低保 火星", limit=0)
    assert relaxed.relaxed
    assert "含只匹配部分检索词的结果" in summary(open_app(q="低保 火星"))
    assert "含只匹配部分检索词的结果" not in summary(open_app(q="低保"))


def test_traditional_document_is_shown_in_its_own_script(open_app):
    at = open_app(q="养老服务", type="政策文件")
    assert cards(at)
    assert all("青島市民政事業高質量發展實施方案" in card for card in cards(at))
    assert any("<mark>養老服務</mark>" in card for card in cards(at))


# -- facets ---------------------------------------------------------------------------


def test_facets_show_the_engines_counts(open_app, engine):
    at = open_app(q="低保")
    response = engine.search("低保", limit=0)
    # The seed documents are all in 山东省: its cities are listed under it without ticking it.
    for facet in ("province", "city", "doc_type"):
        assert facet_labels(at, facet) == {str(b["value"]): (b["count"], False) for b in response.facets[facet]}
    years = sorted(b["value"] for b in response.facets["year"])
    slider = at.sidebar.select_slider(key="years_input")
    assert slider.options == [str(y) for y in range(years[0], years[-1] + 1)] or years[0] == years[-1]
    decades = at.sidebar.pills(key="decade_input")
    assert decades.options == [f"{b['value']}年代 {b['count']}"
                               for b in sorted(response.facets["decade"], key=lambda b: b["value"])]


def test_checking_a_city_filters_results_and_keeps_disjunctive_counts(open_app, engine):
    at = open_app(q="低保")
    at.sidebar.checkbox(key="facet:city:烟台").check().run()
    assert not at.exception
    assert params(at) == {"q": ["低保"], "city": ["烟台"]}
    assert set(card_cities(at)) == {"烟台"}
    response = engine.search("低保", cities=["烟台"], limit=0)
    assert f"<b>{response.total}</b> 个段落，来自 <b>{response.documents_total}</b> 份文件" in summary(at)
    cities = facet_labels(at, "city")
    assert cities["烟台"][1] is True
    # Disjunctive: the other cities keep their counts and can be added.
    assert {"青岛", "聊城"} <= set(cities)
    at.sidebar.checkbox(key="facet:city:聊城").check().run()
    assert params(at)["city"] == ["烟台", "聊城"]
    assert set(card_cities(at)) == {"烟台", "聊城"}
    at.sidebar.checkbox(key="facet:city:烟台").uncheck().run()
    assert params(at) == {"q": ["低保"], "city": ["聊城"]}
    assert set(card_cities(at)) == {"聊城"}


def test_url_parameters_seed_the_search_filters_and_widgets(open_app, engine):
    at = open_app(q="养老", city=["烟台", "聊城"], **{"from": "2025", "to": "2025"}, sort="date")
    expected = engine.search("养老", cities=["烟台", "聊城"], date_from=2025, date_to=2025, sort="date", limit=10)
    assert card_titles(at) == [html.escape(hit.title) for hit in expected.hits]
    assert set(card_cities(at)) <= {"烟台", "聊城"}
    assert at.text_input(key="query_input").value == "养老"
    assert at.sidebar.checkbox(key="facet:city:烟台").value is True
    assert at.sidebar.checkbox(key="facet:city:聊城").value is True
    assert at.sidebar.checkbox(key="facet:city:青岛").value is False
    assert at.segmented_control(key="sort_input").value == "date"
    assert "2025 年" in [c.value for c in at.sidebar.caption]
    # The filters in force are said under the count too (on a phone the panel is folded away).
    assert '<div class="summary-filters">筛选：烟台、聊城 · 2025 年</div>' in summary(at)


def test_an_old_link_with_year_checkboxes_reads_as_a_year_range(open_app, engine):
    at = open_app(q="低保", year=["2024", "2025"])
    expected = engine.search("低保", date_from=2024, date_to=2025, limit=10)
    assert card_titles(at) == [html.escape(hit.title) for hit in expected.hits]
    assert "2024–2025 年" in [c.value for c in at.sidebar.caption]


def card_places(at: AppTest) -> set[str]:
    return set(card_cities(at))


def shows(at: AppTest, response) -> bool:
    """The cards are the engine's hits, in its order."""
    return card_titles(at) == [html.escape(hit.title) for hit in response.hits]


def test_places_read_as_a_hierarchy_national_provinces_then_cities(open_collection, collection_engine):
    engine = collection_engine
    at = open_collection(q="社会救助")
    response = engine.search("社会救助", limit=0)
    # 全国 and every province with matches, each with the engine's count; no cities while several provinces are listed.
    assert facet_labels(at, "province") == {b["value"]: (b["count"], False) for b in response.facets["province"]}
    assert "全国" in facet_labels(at, "province") and len(facet_labels(at, "province")) > 20
    assert facet_labels(at, "city") == {}
    assert any(box.label.startswith("全国") for box in at.sidebar.checkbox if box.key == "facet:province:全国")

    at.sidebar.checkbox(key="facet:province:山东省").check().run()
    assert params(at) == {"q": ["社会救助"], "province": ["山东省"]}
    shandong = engine.search("社会救助", provinces=["山东省"], limit=10)
    assert shows(at, shandong)
    assert {hit.province for hit in shandong.hits} == {"山东省"}
    # The province's cities, nested under it, with the engine's counts; the other provinces stay listed.
    assert facet_labels(at, "city") == {b["value"]: (b["count"], False) for b in shandong.facets["city"]}
    assert {"青岛", "烟台", "聊城"} <= set(facet_labels(at, "city"))
    assert facet_labels(at, "province")["山东省"] == (shandong.total, True)
    assert "广东省" in facet_labels(at, "province")

    at.sidebar.checkbox(key="facet:city:青岛").check().run()
    assert params(at) == {"q": ["社会救助"], "province": ["山东省"], "city": ["青岛"]}
    assert card_places(at) == {"青岛"}
    assert "筛选：山东省 › 青岛</div>" in summary(at)
    # With a city ticked the provinces keep the counts they have without it: another can still be chosen.
    assert facet_labels(at, "province")["广东省"] == (next(b["count"] for b in response.facets["province"]
                                                        if b["value"] == "广东省"), False)
    at.sidebar.checkbox(key="facet:province:广东省").check().run()
    assert params(at) == {"q": ["社会救助"], "province": ["山东省", "广东省"]}
    both = engine.search("社会救助", provinces=["山东省", "广东省"], limit=10)
    assert shows(at, both)
    assert both.total == sum(facet_labels(at, "province")[p][0] for p in ("山东省", "广东省"))

    national = open_collection(q="社会救助", province="全国")
    assert card_places(national) == {"全国"}


def test_year_range_and_decades_ride_in_the_url(open_collection, collection_engine):
    at = open_collection(q="社会救助")
    at.sidebar.select_slider(key="years_input").set_value((2000, 2015)).run()
    assert params(at) == {"q": ["社会救助"], "from": ["2000"], "to": ["2015"]}
    expected = collection_engine.search("社会救助", date_from=2000, date_to=2015, limit=10)
    assert shows(at, expected)
    assert all(2000 <= hit.year <= 2015 for hit in expected.hits)
    assert "2000–2015 年" in [c.value for c in at.sidebar.caption]

    at.sidebar.pills(key="decade_input").set_value(2020).run()
    assert params(at) == {"q": ["社会救助"], "from": ["2020"], "to": ["2029"]}
    at.sidebar.button(key="years:clear").click().run()
    assert params(at) == {"q": ["社会救助"]}


def test_sorted_by_date_or_grouped_by_document_one_card_each_with_its_other_passages(open_collection, collection_engine):
    at = open_collection(q="社会救助")
    at.segmented_control(key="sort_input").set_value("date").run()
    assert params(at) == {"q": ["社会救助"], "sort": ["date"]}
    assert shows(at, collection_engine.search("社会救助", sort="date", limit=10))
    at.segmented_control(key="sort_input").set_value("relevance").run()
    assert params(at) == {"q": ["社会救助"]}

    at.segmented_control(key="group_input").set_value("document").run()
    assert params(at) == {"q": ["社会救助"], "group": ["document"]}
    expected = collection_engine.search("社会救助", group="document", limit=10)
    assert shows(at, expected)
    assert f"<b>{expected.total}</b> 个段落，来自 <b>{expected.documents_total}</b> 份文件" in summary(at)
    assert f"第 1 / {-(-expected.documents_total // 10)} 页" in summary(at)
    more = [e.label for e in at.expander if e.label.startswith("本文件另有")]
    assert more == [f"本文件另有 {hit.document_matches - 1} 段" for hit in expected.hits if hit.document_matches > 1]

    # Opened, the card lists its document's other matching passages, as the engine finds them.
    first = next(hit for hit in expected.hits if hit.document_matches > 2)
    at.session_state[f"more:{first.doc_id}"] = True
    at.run()
    others = collection_engine.search("社会救助", doc_ids=[first.doc_id], limit=first.document_matches).hits
    listed = next(m.value for m in at.markdown if m.value.startswith('<div class="more-passages">'))
    shown = [hit for hit in others if hit.order != first.order]
    assert shown and all(hit.highlight in listed for hit in shown)
    assert listed.count('class="copy-btn"') == len(shown)


def test_a_new_query_keeps_filters_and_returns_to_page_one(open_app):
    at = open_app(q="养老服务", city="青岛", page="2")
    at.text_input(key="query_input").input("养老").run()
    assert params(at) == {"q": ["养老"], "city": ["青岛"]}


def test_clearing_filters(open_app):
    at = open_app(q="低保", province="山东省", city="烟台", **{"from": "2025"}, type="政策文件")
    at.sidebar.button(key="clear_filters").click().run()
    assert params(at) == {"q": ["低保"]}
    assert {"青岛", "烟台", "聊城"} <= set(card_cities(at))


# -- paging ---------------------------------------------------------------------------


def test_results_come_ten_to_a_page(open_app, engine):
    total = engine.search("养老服务", limit=0).total
    assert total > 10
    at = open_app(q="养老服务")
    assert card_ranks(at) == list(range(1, 11))
    assert "第 1 / 2 页" in summary(at)
    at.pagination(key="page_input").select(2).run()
    assert params(at) == {"q": ["养老服务"], "page": ["2"]}
    expected = engine.search("养老服务", limit=10, offset=10)
    assert card_ranks(at) == [hit.rank for hit in expected.hits] and card_ranks(at)[0] == 11
    assert "第 2 / 2 页" in summary(at)


def test_page_from_the_url_and_a_page_past_the_end(open_app):
    assert card_ranks(open_app(q="养老服务", page="2"))[0] == 11
    at = open_app(q="养老服务", page="99")
    assert card_ranks(at)[0] == 11
    assert at.pagination(key="page_input").value == 2
    assert card_ranks(open_app(q="养老服务", page="abc"))[0] == 1


# -- context --------------------------------------------------------------------------


def test_a_card_opens_on_the_passages_around_it(open_app, engine):
    at = open_app(q="低保")
    hit = engine.search("低保", limit=1).hits[0]
    around = engine.passages(hit.doc_id, "低保", around=hit.order, window=2)
    context = at.expander[0]
    assert context.label == "阅读上下文"
    text = " ".join(m.value for m in context.markdown)
    marked = [p for p in around if p.is_hit]
    assert len(marked) == 1 and marked[0].highlight in text
    assert text.count("ctx-hit") == 1
    for passage in around:
        assert passage.highlight in text


def test_read_the_whole_document_at_its_own_address(open_app, engine):
    at = open_app(q="低保")
    hit = engine.search("低保", limit=1).hits[0]
    at.expander[0].button[0].click().run()
    assert not at.exception
    assert params(at) == {"q": ["低保"], "doc": [hit.doc_id], "p": [str(hit.order)]}
    for reloaded in (at, open_app(q="低保", doc=hit.doc_id, p=str(hit.order))):  # the address alone opens it
        whole = [m.value for m in reloaded.markdown if m.value.startswith('<div class="doc-page">')]
        assert len(whole) == 1
        for passage in engine.passages(hit.doc_id, "低保"):
            assert passage.highlight in whole[0]
        assert whole[0].count("ctx-hit") == 1
        assert not cards(reloaded)
    at.button(key="doc:back").click().run()
    assert params(at) == {"q": ["低保"]} and cards(at)


def test_a_link_to_an_unknown_document_says_so(open_app):
    at = open_app(q="低保", doc="no-such-document", p="3")
    assert any("找不到文档" in w.value for w in at.warning)
    at.button(key="doc:back").click().run()
    assert params(at) == {"q": ["低保"]} and cards(at)


def test_the_last_page_is_found_by_halving_not_page_by_page():
    from search_app.components import last_page

    asked = []

    def has_hits(page: int) -> bool:
        asked.append(page)
        return page <= 85

    assert last_page(has_hits, 87) == 85
    assert last_page(lambda page: page <= 847, 100_000) == 847
    assert len(asked) <= 7 and not any(b == a - 1 for a, b in zip(asked, asked[1:]))


# -- states ---------------------------------------------------------------------------


def test_no_results_says_what_to_try(open_app):
    at = open_app(q="火星殖民 宇宙飞船")
    assert not cards(at)
    assert "没有找到与「火星殖民 宇宙飞船」匹配的段落" in at.warning[0].value
    tips = " ".join(m.value for m in at.markdown)
    assert "减少检索词" in tips and "简体或繁体" in tips


def test_no_results_under_filters_offers_to_clear_them(open_app, engine):
    at = open_app(q="低保", city="烟台", **{"from": "2024", "to": "2024"})
    assert not cards(at)
    unfiltered = engine.search("低保", limit=0).total
    assert f"去掉筛选共有 **{unfiltered}** 个段落" in " ".join(m.value for m in at.markdown)
    # The chosen range has no matches now but is shown and can be cleared.
    assert "2024 年" in [c.value for c in at.sidebar.caption]
    assert at.sidebar.button(key="years:clear")
    at.button(key="clear_filters_empty").click().run()
    assert params(at) == {"q": ["低保"]}
    assert cards(at)


@pytest.mark.parametrize("query", ["-低保", "（）"])
def test_malformed_query_shows_the_engines_message(open_app, engine, query):
    from indexer.query.parse import QueryError

    with pytest.raises(QueryError) as raised:
        engine.search(query)
    at = open_app(q=query)
    assert not cards(at)
    assert str(raised.value).rstrip("。") in at.error[0].value.replace("\\", "")


def test_missing_index_says_how_to_build_one(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_INDEX", str(tmp_path / "nothing-here"))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "还没有可用的索引" in at.error[0].value and "policy-search index" in at.error[0].value


# -- security -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory) -> Path:
    """An index of one document whose title, source and text carry HTML that would run if not escaped."""
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "hostile.txt").write_text(
        f"烟台市低保通知\n\n一、低保标准{XSS_SCRIPT}\n\n烟台市城乡低保标准提高。{XSS_SCRIPT}低保对象按月领取。{XSS_IMG}\n",
        encoding="utf-8",
    )
    (corpus / "manifest.toml").write_text(
        '[[document]]\nfile = "hostile.txt"\n'
        f'title = "{XSS_SCRIPT}烟台低保通知{XSS_IMG}"\ncity = "烟台"\ndate = "2025-01-02"\nyear = 2025\n'
        f'source = "{XSS_IMG}"\ndoc_type = "政策文件"\n',
        encoding="utf-8",
    )
    (corpus / "markdown.txt").write_text("烟台市救助通知\n\n烟台市临时救助标准提高。低保对象同时享受。\n", encoding="utf-8")
    with open(corpus / "manifest.toml", "a", encoding="utf-8") as manifest:
        manifest.write('\n[[document]]\nfile = "markdown.txt"\n'
                       f'title = {json.dumps("救助通知" + MARKDOWN_BEACON + "完")}\ncity = "烟台"\nyear = 2025\n'
                       f'date = "2025-01-03"\nsource = {json.dumps("烟台日报" + MARKDOWN_BEACON)}\ndoc_type = "政策文件"\n')
    build_index([corpus], root / "index")
    return root / "index"


def test_markdown_in_documents_is_shown_as_text(hostile_index, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_INDEX", str(hostile_index))
    for params in ({"q": "救助"}, {}):  # the results, and the overview that lists the newest documents
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        assert not at.exception
        shown = [m.value for m in at.markdown] + [m.value for m in at.sidebar.markdown] + [c.value for c in at.caption]
        assert any("信标" in value for value in shown)
        for value in shown:
            if value.lstrip().startswith("<"):
                # HTML: one block with no line break, so Markdown never gets to the text inside it.
                assert "\n" not in value and "\r" not in value, value
            else:
                assert "![" not in value and "](" not in value and "$x" not in value, value


def test_html_in_documents_is_shown_as_text(hostile_index, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_INDEX", str(hostile_index))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["q"] = "低保"
    at.run()
    assert not at.exception
    assert cards(at)
    rendered = [m.value for m in at.markdown] + [m.value for m in at.sidebar.markdown]
    for value in rendered:
        assert "<script" not in value.lower() and "<img" not in value.lower(), value
    everything = " ".join(rendered)
    assert html.escape(XSS_SCRIPT) in everything and html.escape(XSS_IMG) in everything
    # The copied citation keeps the characters as written.
    assert any(XSS_SCRIPT in text for text in copy_texts(at))
    # Context and whole document escape it too.
    at.expander[0].button[0].click().run()
    for value in [m.value for m in at.markdown]:
        assert "<script" not in value.lower() and "<img" not in value.lower(), value


# -- the 数字 and 历年 tabs ---------------------------------------------------------------------


def test_figures_tab_lists_the_engines_figures_grouped_by_measure(open_app, engine):
    at = open_app(q="低保标准", view="数字")
    assert [tab.label for tab in at.tabs] == ["段落", "数字", "历年"]
    assert not cards(at), "the passages tab is not drawn while another is open"
    rows = engine.figures("低保标准").figures
    measure = at.selectbox(key="figures_measure")
    chosen = [row for row in rows if measure.value.startswith(f"{row.measure} · {row.unit}") and not row.change]
    table = at.dataframe[0].value
    assert len(table) == len(chosen) >= 4
    assert set(table["数字"]) == {row.figure for row in chosen}
    assert set(table["地区"]) == {"青岛", "烟台"}
    assert list(table["数值"]) == sorted(table["数值"], reverse=True)
    measure.set_value("（全部）").run()
    assert len(at.dataframe[0].value) == len(rows)


def test_years_tab_counts_per_thousand_passages(open_app, engine):
    at = open_app(q="低保", view="历年")
    assert not cards(at) and not at.dataframe
    first = next(row["year"] for row in engine.year_counts("低保") if row["matching"])
    assert any(f"最早见于 {first} 年" in caption.value for caption in at.caption)


def test_passages_without_figures_say_so(hostile_index, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_INDEX", str(hostile_index))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["q"], at.query_params["view"] = "低保", "数字"
    at.run()
    assert not at.exception and not at.dataframe
    assert any("没有带单位的数字" in info.value for info in at.info)

# -- collecting passages for export, and more like this -------------------------------------


def pick_boxes(at: AppTest) -> dict[str, bool]:
    """{"doc_id:order": ticked} for the cards' 选入摘录 boxes."""
    return {box.key.removeprefix("pick:"): box.value for box in at.checkbox if box.key.startswith("pick:")}


def test_ticked_passages_survive_new_searches_until_cleared(open_app, engine):
    at = open_app(q="低保")
    key = "{0.doc_id}:{0.order}".format
    first, _, third = engine.search("低保", limit=3).hits
    picked = {key(first), key(third)}
    assert not at.get("download_button"), "nothing to export before a passage is ticked"
    at.checkbox(key=f"pick:{key(first)}").check().run()
    at.checkbox(key=f"pick:{key(third)}").check().run()
    assert [b.key for b in at.get("download_button")] == ["export:md", "export:docx", "export:csv", "export:ris"]
    assert any("已选 2 个段落" in c.value for c in at.sidebar.caption)

    at.text_input(key="query_input").input("养老").run()
    assert params(at) == {"q": ["养老"]}
    assert any("已选 2 个段落" in c.value for c in at.sidebar.caption)
    elderly = {key(hit) for hit in engine.search("养老", limit=10).hits}
    assert pick_boxes(at) == {shown: shown in picked for shown in elderly}
    at.text_input(key="query_input").input("低保").run()
    assert {shown for shown, ticked in pick_boxes(at).items() if ticked} == picked, "ticked again when found again"

    at.button(key="export:clear").click().run()
    assert not at.get("download_button") and not any(pick_boxes(at).values())


def test_similar_passages_are_a_view_in_the_url_grouped_by_place(open_app, engine):
    qingdao = engine.search("低保标准 每人每月", cities=["青岛"], limit=1).hits[0]
    at = open_app(q="低保标准 每人每月", city="青岛")
    at.button(key=f"similar:{qingdao.doc_id}:{qingdao.order}").click().run()
    assert params(at) == {"q": ["低保标准 每人每月"], "city": ["青岛"], "similar": [f"{qingdao.doc_id}:{qingdao.order}"]}
    expected = engine.similar(qingdao.doc_id, qingdao.order)
    source, *others = cards(at)
    assert "hit-rank" not in source and html.escape(qingdao.title) in source, "the passage itself comes first, unranked"
    assert [int(re.search(r'<span class="hit-rank">(\d+)\.</span>', card).group(1)) for card in others] == [
        hit.rank for _, hits in expected.places() for hit in hits]
    groups = [m.value for m in at.markdown if ":gray[" in m.value and "个段落" in m.value]
    assert groups == [f"**{place}** :gray[{len(hits)} 个段落]" for place, hits in expected.places()]

    at.button(key="similar:back").click().run()
    assert params(at) == {"q": ["低保标准 每人每月"], "city": ["青岛"]}
    assert card_titles(at)[0] == html.escape(qingdao.title) and card_ranks(at)[0] == 1


def test_a_link_to_an_unknown_passage_says_so(open_app):
    at = open_app(q="低保", similar="no-such-document:3")
    assert any("找不到段落" in w.value for w in at.warning)
    at.button(key="similar:back").click().run()
    assert params(at) == {"q": ["低保"]} and cards(at)


def test_a_card_keeps_line_breaks_in_document_fields_inside_its_html(engine):
    """Whatever path a line break takes into a title, place, source or heading, the card stays one HTML block."""
    from dataclasses import replace

    from search_app.cards import card_html, context_html
    from search_app.escaping import html_block, md

    beacon = "\n\n![信标](http://127.0.0.1:9/x.png) [点此](http://127.0.0.1:9/) $x^2$\n\n"
    hit = engine.search("低保", limit=1).hits[0]
    odd = replace(hit, title=hit.title + beacon, city=hit.city + beacon, source=beacon, doc_type=beacon,
                  section=[beacon, *hit.section])
    block = html_block(card_html(odd))
    assert "\n" not in block and "\r" not in block
    assert "![信标](http://127.0.0.1:9/x.png)" in block  # shown as the characters it is, inside its element
    assert "\n" not in html_block(context_html(engine.passages(hit.doc_id, "低保", around=hit.order, window=2)))
    label = md("烟台" + beacon)
    assert "\n" not in label and not re.search(r"(?<!\\)[!\[\]()$*]", label), "every character Markdown acts on escaped"


def test_a_query_longer_than_the_engine_uses_is_kept_and_the_cut_is_said(open_app, engine):
    from indexer.query.parse import MAX_QUERY_CHARS

    query = ("低保标准 养老服务 " * 60).strip()
    assert len(query) > MAX_QUERY_CHARS
    at = open_app()
    at.text_input(key="query_input").input(query).run()
    assert not at.exception
    assert params(at) == {"q": [query]}, "the address holds what the box holds"
    assert at.text_input(key="query_input").value == query
    notice = engine.search(query, limit=0).notices
    assert any("检索词过长" in n for n in notice)
    infos = [i.value.replace("\\", "") for i in at.info]
    assert [n for n in notice if "检索词过长" in n][0] in infos
    # Reloading the address gives the same search and says so again.
    again = open_app(q=query)
    assert at.text_input(key="query_input").value == again.text_input(key="query_input").value == query
    assert any("检索词过长" in i.value.replace("\\", "") for i in again.info)


def test_charts_beside_the_results_stay_legible_at_32_places_and_70_years():
    from search_app import chart

    rows = [{"region": f"地区{place:02d}", "year": 1955 + year, "count": 1 + (place * year) % 5}
            for place in range(32) for year in range(70)]
    assert not chart.fits_heatmap(rows), "past 6 places or 12 years the heat map gives way to bars"
    years = chart.year_bars(rows, "段落数").to_dict()
    assert len(years["data"]["values"]) == 70 and years["encoding"]["x"]["axis"]["labelOverlap"] is True
    places = chart.place_bars(rows, "段落数").to_dict()
    ranked = [row["段落数"] for row in places["data"]["values"]]
    assert len(ranked) == chart.TOP_PLACES and ranked == sorted(ranked, reverse=True)
    small = [{"city": "青岛", "year": 2025, "count": 3}, {"city": "烟台", "year": 2024, "count": 1}]
    assert chart.fits_heatmap(small)
    assert chart.picked({"selection": {"pick": [{"年份": 1990}]}}, "年份") == 1990
    assert chart.picked({"selection": {"pick": []}}, "年份") is None
