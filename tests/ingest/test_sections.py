"""Sections from web captures: time, byline and share lines are neither headings nor passages; a glossary
is its own section; a numbered item among paragraphs is a paragraph too.

The three cases the issue names are read from the real captures in ``../shared/extra-corpus/provincial-2026``
(2026 河北, 四川 and 内蒙古 government work reports); the rules behind them are tested on small texts too.
"""

from __future__ import annotations

import re

import pytest

from indexer.ingest.cleaning import is_chrome, iter_clean_lines
from indexer.ingest.corpus import load
from indexer.ingest.passages import split_passages
from indexer.ingest.sections import classified
from ingest_support import EXTRA_CORPUS

CAPTURES = EXTRA_CORPUS / "provincial-2026"
needs_captures = pytest.mark.skipif(not CAPTURES.is_dir(), reason="../shared/extra-corpus/provincial-2026 is missing")


def passages_of(name: str):
    path = CAPTURES / f"2026-{name}政府工作报告.txt"
    return list(load(path, CAPTURES).passages())


def headings(passages) -> set[str]:
    return {heading for passage in passages for heading in passage.section}


@needs_captures
def test_hebei_time_and_byline_lines_are_neither_a_section_nor_a_passage():
    passages = passages_of("河北省")
    assert not [h for h in headings(passages) if "时间" in h or "王正谱" in h or "2026-02-02" in h]
    assert not [p.text for p in passages if "王正谱" in p.text or p.text.startswith(("时间", "——2026年1月26日"))]
    assert (passages[0].text, passages[0].section) == ("各位代表：", [])
    assert passages[2].section == ["一、“十四五”时期经济社会发展回顾"]


@needs_captures
def test_sichuan_dateline_and_share_line_go_and_its_glossary_is_its_own_section():
    passages = passages_of("四川省")
    assert "分享：" not in [p.text for p in passages]
    assert not [h for h in headings(passages) if "07时41分" in h or "四川日报" in h or "施小琳" in h]
    assert passages[0].text == "各位代表："
    start = next(i for i, p in enumerate(passages) if p.text.startswith("1.“两重”："))
    glossary = passages[start:]
    assert len(glossary) >= 15 and all(p.section == ["名词解释"] for p in glossary), \
        {tuple(p.section) for p in glossary}
    assert all(p.section[:1] == ["三、2026年工作安排"] for p in passages[start - 5:start])  # the body above is untouched
    # an entry broken inside a quote (「“双向」 / 「揭榜」 / 「挂帅”」) is one passage, not a heading 揭榜
    assert any(p.text.startswith("7.“双向揭榜挂帅”：企业找技术、成果找市场“双向揭榜挂帅”的简称") for p in glossary)


@needs_captures
def test_inner_mongolia_numbered_list_items_are_paragraphs_under_the_annex():
    passages = passages_of("内蒙古自治区")
    items = [p for p in passages if re.match(r"\d{1,2}\.", p.text) and "牵头单位" in p.text]
    assert [p.text.split(".")[0] for p in items] == [str(n) for n in range(1, 11)]
    assert {tuple(p.section) for p in items} == {("附件 2026年自治区民生实事",)}
    assert not [h for h in headings(passages) if h.startswith("1.通过")]


# -- the rules, on small texts ---------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "时间：2026-02-02", "发布时间：2026-02-02 09:20", "分享：", "分享: 微信 微博", "2026年02月10日 07时41分",
    "河北省人民政府省长 王正谱", "上海市市长 龚 正", "自治区主席 艾尔肯·吐尼亚孜",
])
def test_time_share_and_byline_lines_are_page_furniture(line):
    assert is_chrome(line)


@pytest.mark.parametrize("line", ["时间：2025年3月1日至3月31日", "区长负责制", "分享经验做法", "活动时间：每周六上午"])
def test_content_that_looks_alike_is_kept(line):
    assert not is_chrome(line)


def test_the_masthead_above_a_salutation_goes_but_a_story_before_one_stays():
    speech = ["2026年某省政府工作报告", "——2026年1月26日在某省人民代表大会上", "毛伟明", "各位代表：", "现在，我代表省人民政府报告工作。"]
    assert list(iter_clean_lines(speech)) == speech[3:]
    story = ["省人代会开幕", "本报讯 1月26日，省十四届人大五次会议开幕，省长作政府工作报告。", "各位代表：", "现在报告工作。"]
    assert list(iter_clean_lines(story)) == story


def test_a_numbered_run_of_mostly_paragraphs_is_a_list_and_one_of_mostly_headings_is_not():
    long = "，".join(["开展城乡居民增收行动并落实各项补贴政策"] * 3) + "。"
    lines = ["附件", "民生实事", "1.发放劳务报酬20亿元以上；扩大失业保险覆盖面。", f"2.{long}", f"3.{long}",
             "4.建设养老床位；完善服务。", f"5.{long}"]
    assert [line.heading for line in classified(lines)][2:] == [None] * 5
    sections = ["1.加强组织领导。各区要落实责任。", "2.强化资金保障。市财政统筹安排。", f"3.{long}"]
    assert [line.heading.text if line.heading else None for line in classified(sections)] == [
        "1.加强组织领导", "2.强化资金保障", None]


def test_a_glossary_closes_the_sections_above_it_and_holds_its_entries():
    text = "\n".join([
        "某省政府工作报告", "一、工作回顾", "（一）稳增长", "全年地区生产总值增长5%。",
        "名词解释", "1.“两重”：是指国家重大战略实施和重点领域安全能力建设。", "2.“两新”：是指大规模设备更新和消费品以旧换新。",
    ])
    passages = split_passages(text, "某省政府工作报告")
    assert [(p.text[:6], p.section) for p in passages] == [
        ("全年地区生产", ["一、工作回顾", "（一）稳增长"]), ("1.“两重”", ["名词解释"]), ("2.“两新”", ["名词解释"])]
