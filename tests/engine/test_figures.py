"""Figures: what a passage's numbers state (extraction), the engine's table of them, the per-year counts, the CLI."""

from __future__ import annotations

import pytest

from indexer.text.terms import match_form
from indexer.engine.figures import extract, near, quote


def stated(text: str) -> list[tuple[str, float, str]]:
    return [(figure.text, figure.value, figure.unit) for figure in extract(text)]


@pytest.mark.parametrize("text, figure, value, unit", [
    ("城市低保标准1045元", "1045元", 1045, "元"),
    ("培训社工1.2万余名", "1.2万余名", 12000, "名"),
    ("服务三千余人", "三千余人", 3000, "人"),
    ("占比36%", "36%", 36, "%"),
    ("养老床位4.3万张", "4.3万张", 43000, "张"),
    ("建成297家", "297家", 297, "家"),
    ("提高2.5个百分点", "2.5个百分点", 2.5, "个百分点"),
    ("资金1.5亿元", "1.5亿元", 1.5e8, "元"),
    ("惠及一百多万人", "一百多万人", 1e6, "人"),
    ("近6000万低保人员", "近6000万", 6e7, ""),
    ("達到１２３４元", "１２３４元", 1234, "元"),
    ("占百分之三十五", "百分之三十五", 35, "%"),
])
def test_numbers_with_units_are_normalised(text, figure, value, unit):
    assert stated(text) == [(figure, value, unit)]


def test_a_range_keeps_both_ends_with_the_shared_magnitude():
    [figure] = extract("给予5—10万元奖补")
    assert (figure.text, figure.value, figure.high, figure.unit) == ("5—10万元", 5e4, 1e5, "元")


def test_two_figures_of_one_phrase_share_its_rate_and_measure():
    first, second = extract("其中城乡低保标准分别达到每人每月1069元、872元,分别增长35.8%、48.3%")[:2]
    assert (first.text, first.rate, second.text, second.rate) == ("每人每月1069元", "每人每月", "872元", "每人每月")
    assert first.measure == second.measure == "低保标准"
    assert first.phrase == second.phrase == "其中城乡低保标准分别达到每人每月1069元、872元"


def test_a_rate_written_after_the_unit():
    assert [(f.text, f.rate) for f in extract("从796元/月提高至842元/月、4318元/年")] == [
        ("796元/月", "每月"), ("842元/月", "每月"), ("4318元/年", "每年")]


def test_a_change_is_told_from_a_level():
    changed, level = extract("城市低保标准提高40%，农村低保标准提高到791元")
    assert (changed.change, level.change) == (True, False)


@pytest.mark.parametrize("text", [
    "2025年低保工作", "二〇二五年", "2020—2025年", "12月3日召开", "(一)加强兜底保障", "1.做好低保工作", "一、总体要求",
    "第3次会议", "“十四五”期间", "两项补贴", "三项制度", "千家万户", "12345热线", "〔2023〕12号", "5G网络",
])
def test_years_dates_section_numbers_and_ordinals_are_not_figures(text):
    assert extract(text) == []


def test_near_keeps_only_figures_close_to_the_query_words_in_their_sentence():
    text = "城市低保标准每人每月1045元。全市建成养老机构297家，床位4.3万张，护理型床位占比超过六成的机构有" + "很多" * 30 + "12家"
    figures = extract(text)
    assert [f.text for f in near(figures, text, ["低保标准"], 40)] == ["每人每月1045元"]
    assert [f.text for f in near(figures, text, ["养老机构"], 40)] == ["297家", "4.3万张"]


def test_quote_gives_the_source_script():
    original = "城市低保標準每人每月1045元，共計1.2萬人"
    folded = match_form(original)
    quoted = quote(extract(folded), folded, original)
    assert [(f.text, f.value) for f in quoted] == [("每人每月1045元", 1045), ("1.2萬人", 12000)]
    assert quoted[0].phrase == "城市低保標準每人每月1045元"


# -- the engine and the CLI, on the seed corpus ------------------------------------------

def test_low_income_standards_of_both_cities_with_their_passages(engine):
    response = engine.figures("低保标准")
    rows = {(row.place, row.figure): row for row in response.figures}
    for place, figure, context in (("青岛", "每人每月1045元", "城市"), ("青岛", "每人每月791元", "农村"),
                                   ("烟台", "每人每月1069元", "城乡"), ("烟台", "872元", "城乡")):
        row = rows[(place, figure)]
        assert row.rate == "每人每月" and row.unit == "元"
        assert context in row.phrase and row.phrase in row.passage
        assert figure.removeprefix("每人每月") in row.passage
        passage = [p for p in engine.passages(row.doc_id) if p.order == row.order]
        assert passage and passage[0].passage == row.passage
    assert {row.measure for key, row in rows.items() if key[1].endswith(("1045元", "791元", "1069元", "872元"))} == {"低保标准"}


def test_every_figure_is_in_its_passage_near_a_query_word(engine):
    for query in ("低保", "养老", "儿童"):
        figures = engine.figures(query).figures
        assert figures, query
        for row in figures:
            assert row.figure in row.passage and row.phrase in row.passage
            assert not row.figure.endswith("年")


def test_figures_honour_the_filters(engine):
    assert {row.place for row in engine.figures("低保标准", cities=["烟台"]).figures} == {"烟台"}
    assert engine.figures("低保标准", years=[1990]).figures == []


def test_limit_cuts_the_table_and_says_so(engine):
    response = engine.figures("低保", limit=2)
    assert len(response.figures) == 2 and response.truncated


def test_year_counts_are_matches_per_thousand_passages_of_each_year(engine):
    rows = engine.year_counts("低保")
    total = engine.search("低保", limit=0).total
    assert sum(row["matching"] for row in rows) == total
    assert sum(row["passages"] for row in rows) == engine.overview()["passages"]
    for row in rows:
        assert row["per_thousand"] == round(1000 * row["matching"] / row["passages"], 2)
    assert [row["year"] for row in rows] == sorted(row["year"] for row in rows)


def test_year_counts_honour_the_city_filter_in_both_counts(engine):
    everywhere = {row["year"]: row for row in engine.year_counts("低保")}
    yantai = {row["year"]: row for row in engine.year_counts("低保", cities=["烟台"])}
    assert yantai and all(yantai[year]["passages"] < everywhere[year]["passages"] for year in yantai)


def test_cli_figures_json(cli):
    result = cli("figures", "低保标准", "--json")
    assert result.code == 0
    rows = result.json()["figures"]
    assert {"青岛", "烟台"} <= {row["place"] for row in rows}
    assert {"figure", "value", "unit", "measure", "phrase", "place", "level", "year", "doc_id", "order", "passage"} <= set(rows[0])


def test_cli_timeline_json_and_text(cli):
    rows = cli("timeline", "低保", "--json").json()
    assert rows and {"year", "matching", "passages", "per_thousand"} == set(rows[0])
    text = cli("timeline", "低保").out
    assert str(rows[0]["year"]) in text


def test_cli_figures_bad_query_is_one_line(cli):
    result = cli("figures", "-低保")
    assert result.code == 2 and len(result.err_lines) == 1 and result.err.startswith("错误")


# -- against figures judged by hand (tests/data/figures-judged.toml, both corpora) ----------------------

def test_precision_and_recall_on_the_judged_figures():
    import tomllib
    from pathlib import Path

    from indexer.engine.figures import judge

    with open(Path(__file__).resolve().parents[1] / "data" / "figures-judged.toml", "rb") as handle:
        passages = tomllib.load(handle)["passage"]
    assert sum(len(p["figures"]) for p in passages) >= 100
    assert {p["stratum"] for p in passages} == {"seed", "national", "provincial"}
    result = judge(passages)
    assert result.precision >= 0.9 and result.recall >= 0.8, (result.missed, result.spurious)


def test_the_rate_of_a_clause_holds_for_the_figure_it_rises_to():
    assert [(f.text, f.rate) for f in extract("标准从每人每月2295元提高到2375元")] == [
        ("每人每月2295元", "每人每月"), ("2375元", "每人每月")]


def test_shares_and_changes_have_no_period():
    assert [f.rate for f in extract("城乡低保人均补助标准分别提高5%和8%")] == ["", ""]


def test_averages_over_time_are_rates():
    assert [(f.value, f.rate) for f in extract("日均提供老年助餐服务2万多人次")] == [(20000, "每日")]


def test_a_round_count_in_words_after_shang():
    assert [(f.text, f.value, f.approx) for f in extract("上千万住房困难群众乔迁新居")] == [("上千万", 1e7, "上")]
    assert extract("千万要注意安全") == []


def test_an_age_naming_the_group_is_not_a_figure():
    assert extract("每千人口拥有3岁以下婴幼儿托位数4个以上")[0].text == "4个以上"
    assert [f.text for f in extract("人均预期寿命达到75岁。")] == ["75岁"]
