"""Cleaning, sections and passages, checked on what the index actually holds for the seed corpus."""

from __future__ import annotations

import difflib
import re

import pytest

from indexer.ingest.passages import MAX_PASSAGE_CHARS, split_long, split_passages
from indexer.text.script import to_simplified

SENTENCE_END = "。！？；!?;"
CHROME = ["特朗普", "孙俪", "翁帆", "Notice:", "分享至", "网易首页", "申请入驻", "特别声明", "法律支持单位",
          "相关推荐", "热点推荐", "网易号"]
_NON_WORD = re.compile(r"[^0-9A-Za-z\u3400-\u9fff]")


def comparable(text: str) -> str:
    return _NON_WORD.sub("", to_simplified(text))


def all_passages(indexed_passages):
    return [(doc_id, p) for doc_id, passages in indexed_passages.items() for p in passages]


def raw_lines(corpus_dir, prefix: str) -> list[str]:
    path = next(corpus_dir.glob(f"{prefix}_*.txt"))
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]


# -- the corpus was indexed as a whole -------------------------------------

def test_every_seed_document_is_indexed(documents, corpus_dir, build_summary):
    files = sorted(p.stem for p in corpus_dir.glob("*.txt"))
    assert sorted(documents) == files
    assert build_summary.skipped == []
    assert build_summary.documents == len(files)


def test_passage_order_is_contiguous(indexed_passages, documents, build_summary):
    total = 0
    for doc_id, passages in indexed_passages.items():
        assert [p.order for p in passages] == list(range(len(passages))), doc_id
        assert documents[doc_id]["passages"] == len(passages)
        assert len(passages) >= 10, doc_id
        total += len(passages)
    assert total == build_summary.passages


def test_passages_are_non_empty_and_trimmed(indexed_passages):
    for doc_id, p in all_passages(indexed_passages):
        assert p.passage and p.passage == p.passage.strip(), (doc_id, p.order)
        assert "\n" not in p.passage


# -- section paths -------------------------------------------------------------

def test_section_of_the_nursing_bed_passage_in_the_traditional_plan(indexed_passages, doc_ids):
    matches = [p for p in indexed_passages[doc_ids["002"]] if "護理型床位" in p.passage]
    assert len(matches) == 1
    assert matches[0].section == ["四、構建多層次多樣化養老服務體系", "(一)完善養老服務保障體系"]


def test_section_of_the_meal_service_passage_in_000(indexed_passages, doc_ids):
    matches = [p for p in indexed_passages[doc_ids["000"]] if "老年助餐机构1400余家" in p.passage]
    assert len(matches) == 1
    assert matches[0].section == ["民生保障扩面提质 暖心民政绘就幸福底色", "养老供给优质多元"]


def test_numbered_headings_nest_in_the_traditional_plan(indexed_passages, doc_ids):
    """Every (一)/(二)… passage of 002 sits under a 一、/二、… chapter and its own numbered heading."""
    numbered = [p for p in indexed_passages[doc_ids["002"]] if re.match(r"^[(（][一二三四五六七八九十]+[)）]", p.passage)]
    assert len(numbered) >= 20
    for p in numbered:
        assert len(p.section) == 2, p.passage[:20]
        chapter, item = p.section
        assert re.match(r"^[一二三四五六七八九十]+、", chapter)
        assert p.passage.startswith(item), (item, p.passage[:20])


def test_responsibility_lines_stay_in_their_chapter(indexed_passages, doc_ids):
    for p in indexed_passages[doc_ids["002"]]:
        if p.passage.startswith("(責任單位"):
            assert p.section and re.match(r"^[一二三四五六七八九十]+、", p.section[0]), p.order


def test_sections_are_outermost_first_and_clean(indexed_passages):
    for doc_id, p in all_passages(indexed_passages):
        assert isinstance(p.section, list)
        for heading in p.section:
            assert heading and heading == heading.strip()
            assert "**" not in heading and not heading.startswith("#"), heading
            assert not any(word in heading for word in CHROME), heading


def test_bold_lead_ins_become_sections(indexed_passages, doc_ids):
    """000 uses **兜底保障精准高效。** lead-ins: the lead-in is the innermost heading, without markers."""
    passage = next(p for p in indexed_passages[doc_ids["000"]] if p.passage.startswith("兜底保障精准高效"))
    assert passage.section[-1] == "兜底保障精准高效"
    assert "**" not in passage.passage


# -- chrome and garbage ------------------------------------------------------------

@pytest.mark.parametrize("word", CHROME)
def test_no_page_chrome_in_any_passage(indexed_passages, word):
    hits = [(doc_id[:3], p.order) for doc_id, p in all_passages(indexed_passages) if word in p.passage]
    assert hits == []


def test_web_capture_keeps_its_article(indexed_passages, doc_ids):
    """Chrome removal must not take the article with it: 003's last paragraphs are there."""
    texts = [p.passage for p in indexed_passages[doc_ids["003"]]]
    assert any("社会组织服务平台14个" in t for t in texts)
    assert not any("记者 赖皓阳" in t for t in texts)
    assert not any(re.fullmatch(r"\d{1,7}", t) for t in texts)  # the share counter "0"


def test_no_garbage_runs_or_markdown(indexed_passages):
    for doc_id, p in all_passages(indexed_passages):
        where = (doc_id[:3], p.order)
        assert not re.search(r"[?？\ufffd]\s*[?？\ufffd]\s*[?？\ufffd]", p.passage), where
        assert "**" not in p.passage, where
        assert not p.passage.startswith("#"), where
        assert not re.search(r"!\[|\]\(", p.passage), where


def test_garbage_runs_of_002_are_dropped(corpus_dir, indexed_passages, doc_ids):
    garbage = [line for line in raw_lines(corpus_dir, "002") if re.search(r"(?:\?\s*){3,}", line)]
    assert len(garbage) >= 2, "the seed document should contain '? ? ?' runs"
    assert not any("?" in p.passage or "?" in "".join(p.section) for p in indexed_passages[doc_ids["002"]])


def test_photo_captions_are_not_passages(corpus_dir, indexed_passages, doc_ids):
    captions = []
    for prefix, doc_id in doc_ids.items():
        texts = [p.passage for p in indexed_passages[doc_id]]
        headings = {h for p in indexed_passages[doc_id] for h in p.section}
        for line in raw_lines(corpus_dir, prefix):
            if line.startswith(("▲", "■")):
                caption = line.lstrip("▲■ ").strip()
                captions.append(caption)
                assert not any(caption in text for text in texts), caption
                assert caption not in headings, caption
    assert len(captions) >= 5  # 001 and 004 carry ▲/■ captions
    assert not any(p.passage.startswith(("▲", "■")) for _, p in all_passages(indexed_passages))


# -- duplicates, broken lines, long paragraphs, titles -------------------------------

def test_exactly_repeated_intro_of_001_is_indexed_once(corpus_dir, indexed_passages, doc_ids):
    lines = raw_lines(corpus_dir, "001")
    intro = next(line for line in lines if line.startswith("为民生托底，让民心更暖。2023年"))
    assert lines.count(intro) == 2, "the seed document repeats this paragraph"
    assert [p.passage for p in indexed_passages[doc_ids["001"]]].count(intro) == 1


def test_no_passage_is_repeated_within_a_document(indexed_passages):
    for doc_id, passages in indexed_passages.items():
        keys = [comparable(p.passage) for p in passages]
        assert len(keys) == len(set(keys)), doc_id


def test_near_identical_repeat_of_001_intro_is_indexed_once(indexed_passages, doc_ids):
    texts = [p.passage for p in indexed_passages[doc_ids["001"]]]
    assert sum(1 for t in texts if t.startswith("民生无小事，枝叶总关情")) == 1


def test_near_identical_passages_within_a_document_are_rare(indexed_passages):
    """No two passages of a document are ≥90% alike."""
    pairs = []
    for doc_id, passages in indexed_passages.items():
        for i, a in enumerate(passages):
            for b in passages[i + 1:]:
                if abs(len(a.passage) - len(b.passage)) > 0.1 * max(len(a.passage), len(b.passage)):
                    continue
                if difflib.SequenceMatcher(None, a.passage, b.passage).ratio() >= 0.9:
                    pairs.append((doc_id[:3], a.order, b.order, a.passage[:12]))
    assert pairs == []


def test_broken_lines_of_004_are_rejoined(corpus_dir, indexed_passages, doc_ids):
    lines = raw_lines(corpus_dir, "004")
    assert any(line.endswith("退休人员基") for line in lines), "the seed document breaks this line"
    texts = [p.passage for p in indexed_passages[doc_ids["004"]]]
    assert any("连续多年上调退休人员基本养老金,让广大退休人员" in t for t in texts)
    assert any("“兜牢民生保障底线 彰显民政温度”专场发布会" in t for t in texts)
    assert not any(t.endswith(("退休人员基", "彰显民政")) for t in texts)
    assert not any(t.startswith(("本养老金", "温度”")) for t in texts)


def test_no_passage_ends_mid_word_before_a_continuation(indexed_passages):
    """A passage ending on a word character followed by one starting with 、，。 would be a missed join."""
    for doc_id, passages in indexed_passages.items():
        for a, b in zip(passages, passages[1:]):
            assert not (re.search(r"[\u4e00-\u9fff]$", a.passage) and re.match(r"^[，、。；]", b.passage)), \
                (doc_id[:3], a.order)


def test_passages_are_at_most_about_400_chars(indexed_passages):
    for doc_id, p in all_passages(indexed_passages):
        if len(p.passage) > MAX_PASSAGE_CHARS:
            # only a run with no sentence or clause end may stay longer
            assert not re.search(r"[。！？；!?;，,、：:]", p.passage[:-1]), (doc_id[:3], p.order, len(p.passage))


def test_long_paragraphs_are_split_at_sentence_ends(corpus_dir, indexed_passages, doc_ids):
    long_lines = [(prefix, line) for prefix in doc_ids for line in raw_lines(corpus_dir, prefix)
                  if len(line) > MAX_PASSAGE_CHARS and not line.startswith(("#", "Notice"))]
    assert len(long_lines) >= 2  # 003 and 004 each have one
    for prefix, line in long_lines:
        texts = [p.passage for p in indexed_passages[doc_ids[prefix]]]
        start = next(i for i, t in enumerate(texts) if line.startswith(t))
        pieces, joined = [], ""
        for text in texts[start:]:
            if joined == line:
                break
            pieces.append(text)
            joined += text
        assert joined == line, prefix
        assert len(pieces) >= 2
        for piece in pieces[:-1]:
            assert piece[-1] in SENTENCE_END, piece[-10:]
        assert all(len(piece) <= MAX_PASSAGE_CHARS for piece in pieces)


def test_split_long_cuts_at_sentence_ends():
    sentence = "城市低保标准每人每月1045元，农村每人每月791元。"
    paragraph = sentence * 30
    pieces = split_long(paragraph)
    assert "".join(pieces) == paragraph
    assert all(len(piece) <= MAX_PASSAGE_CHARS and piece.endswith("。") for piece in pieces)
    assert len(pieces) == -(-len(paragraph) // (MAX_PASSAGE_CHARS // len(sentence) * len(sentence)))


def test_split_long_hard_cuts_unpunctuated_text():
    run = "养老服务" * 300
    pieces = split_long(run)
    assert "".join(pieces) == run
    assert all(len(piece) <= MAX_PASSAGE_CHARS for piece in pieces)


def test_short_paragraph_is_one_passage():
    assert split_long("养老服务。") == ["养老服务。"]


def test_titles_are_not_passages(indexed_passages, documents):
    for doc_id, passages in indexed_passages.items():
        title = comparable(documents[doc_id]["title"])
        for p in passages:
            assert comparable(p.passage) != title, (doc_id[:3], p.order)
            assert title not in [comparable(h) for h in p.section], (doc_id[:3], p.order)


def test_headline_near_the_end_of_004_is_not_a_passage(indexed_passages, doc_ids):
    passages = indexed_passages[doc_ids["004"]]
    for p in passages:
        assert p.passage not in ("托起群众稳稳的幸福", "聊城民生实事盘点之社会保障篇")
        assert "托起群众稳稳的幸福" not in p.section
    # the commentary after the headline is still indexed, under its own heading
    tail = [p for p in passages if p.section == ["以幸福标尺衡量民生温度"]]
    assert len(tail) >= 3


def test_title_line_of_web_capture_is_not_a_passage(indexed_passages, doc_ids):
    passages = indexed_passages[doc_ids["003"]]
    assert passages[0].passage.startswith("昨日,市政府新闻办举行")
    assert passages[0].section == []


def test_split_passages_directly():
    text = "\n".join([
        "# 某市养老服务报告",
        "分享至",
        "## 一、兜底保障",
        "**低保标准提高。**城市低保标准每人每月1045元。",
        "▲图为社区食堂",
        "(一)完善救助政策。建立市级社会救助工作联席会议制度。",
        "城市低保标准每人每月1045元。",
        "? ? ? ? ? ?",
    ])
    passages = split_passages(text, "某市养老服务报告")
    assert [p.text for p in passages] == ["低保标准提高。城市低保标准每人每月1045元。",
                                          "(一)完善救助政策。建立市级社会救助工作联席会议制度。",
                                          "城市低保标准每人每月1045元。"]
    assert passages[0].section == ["一、兜底保障", "低保标准提高"]
    assert passages[1].section == ["一、兜底保障", "(一)完善救助政策"]
    assert [p.order for p in passages] == [0, 1, 2]


def test_responsible_units_line_joins_the_measure_before_it(indexed_passages):
    """The Traditional plan ends each group of measures with a bare 「(責任單位:…)」 line: not a passage or
    heading of its own, but the end of the measure before it."""
    plan = next(passages for passages in indexed_passages.values()
                if any("責任單位" in p.passage for p in passages))
    assert not any(p.passage.startswith("(責任單位") for p in plan)
    assert not any("責任單位" in part for p in plan for part in p.section)
    joined = [p for p in plan if "(責任單位:" in p.passage]
    assert len(joined) == 9  # one per chapter of the plan, each after its last measure
    # the measure comes first, the units after it; the last chapter has one unnumbered paragraph
    assert all(p.passage.index("(責任單位:") > 40 and p.passage.endswith(")") for p in joined)
    assert sum(bool(re.match(r"^\([一二三四五六七八九十]+\)", p.passage)) for p in joined) == 8


def test_an_unmarked_photo_caption_is_no_heading(corpus_dir, indexed_passages):
    """In a page whose headings are marked (####), a short unmarked line between two paragraphs is a photo
    caption (聊城: 「人才公寓住户在自助终端机上办理业务」): neither a heading nor a passage."""
    caption = "人才公寓住户在自助终端机上办理业务"
    assert caption in raw_lines(corpus_dir, "004")
    passages = [p for doc_id, p in all_passages(indexed_passages) if doc_id.startswith("004_")]
    assert not any(caption in part for p in passages for part in p.section)
    assert not any(caption in p.passage for p in passages)
    # the paragraph after it stays under the page's own heading
    after = next(p for p in passages if p.passage.startswith("“故人不独亲其亲"))
    assert after.section[-1].startswith("提高社会保障水平")
