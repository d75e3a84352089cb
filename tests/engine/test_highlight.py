"""Highlighting for Chinese: exact characters, either script, no length limit, Chinese sentence ends."""

from __future__ import annotations

import html
import re

from indexer.engine.highlight import best_fragments, highlight, match_spans, sentence_fragments, snippet


def unmark(marked: str) -> str:
    return html.unescape(marked.replace("<mark>", "").replace("</mark>", ""))


def test_traditional_text_marked_by_simplified_needle():
    text = "四、構建多層次多樣化養老服務體系"
    marked = highlight(text, ["养老服务"])
    assert re.findall(r"<mark>(.*?)</mark>", marked) == ["養老服務"]
    assert unmark(marked) == text


def test_everything_outside_marks_is_escaped_and_curly_quotes_stay():
    passage = "<i>&</i>“海之情”海葬'x'\"海葬\"<b>"
    marked = highlight(passage, ["海葬"])
    assert marked == ("&lt;i&gt;&amp;&lt;/i&gt;“海之情”<mark>海葬</mark>&#x27;x&#x27;&quot;"
                      "<mark>海葬</mark>&quot;&lt;b&gt;")
    assert unmark(marked) == passage


def test_overlapping_needles_merge():
    assert match_spans("城市低保标准", ["城市低保", "低保标准"]) == [(0, 6)]


def test_no_length_limit():
    text = "救助。" * 20000 + "城市低保标准提高。"  # far past Whoosh's 32,768-character default
    spans = match_spans(text, ["低保"])
    assert spans == [(60002, 60004)]
    assert highlight(text, ["低保"]).endswith("城市<mark>低保</mark>标准提高。")


def test_sentences_split_on_chinese_ends():
    text = "第一句。第二句！第三句？第四句；第五句"
    assert [text[f.start:f.end] for f in sentence_fragments(text, [])] == ["第一句。", "第二句！", "第三句？", "第四句；", "第五句"]


def test_best_fragments_and_snippet():
    text = "养老服务很好。今天天气不错。低保和养老都提到了养老。最后一句。"
    spans = match_spans(text, ["养老"])
    assert [text[f.start:f.end] for f in best_fragments(text, spans, top=2)] == ["养老服务很好。", "低保和养老都提到了养老。"]
    assert snippet(text, ["养老"]) == "<mark>养老</mark>服务很好。……低保和<mark>养老</mark>都提到了<mark>养老</mark>。"
    assert snippet("没有匹配的文字。", ["低保"]) == "没有匹配的文字。"
