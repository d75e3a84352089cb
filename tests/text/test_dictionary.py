"""The civil-affairs user dictionary and the query thesaurus.

Every dictionary entry and every thesaurus term must come out of the engine's
own segmenter (``indexer.text.terms.segmenter``, HMM off) as exactly one token;
otherwise the word field cannot match it as a word and the thesaurus cannot
expand it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DICT_PATH = ROOT / "dictionaries" / "civil_affairs.dict"
THESAURUS_PATH = ROOT / "dictionaries" / "thesaurus.toml"

MIN_ENTRIES = 400
# A run of CJK ideographs only: no punctuation (jieba splits on it), no Latin, no digits.
HAN_ONLY = re.compile(r"^[\u4e00-\u9fff]+$")
# jieba's user-dict line pattern requires a lowercase tag.
POS_TAG = re.compile(r"^[a-z]+$")
THESAURUS_KINDS = {"equivalent", "expands", "related"}


def _dictionary_lines() -> list[str]:
    raw = DICT_PATH.read_bytes()
    text = raw.decode("utf-8")  # fails the test if not UTF-8
    assert not text.startswith("\ufeff"), "the dictionary must not start with a BOM"
    assert text.endswith("\n"), "the dictionary must end with a newline"
    assert "\r" not in text, "the dictionary must use LF line endings"
    return text[:-1].split("\n")


def _entries() -> list[tuple[str, int, str]]:
    entries = []
    for line in _dictionary_lines():
        word, freq, pos = line.split(" ")
        entries.append((word, int(freq), pos))
    return entries


def _thesaurus() -> dict:
    with THESAURUS_PATH.open("rb") as fh:
        return tomllib.load(fh)


def _thesaurus_terms(data: dict) -> set[str]:
    terms: set[str] = set()
    for group in data.get("equivalent", []) + data.get("related", []):
        terms.update(group["terms"])
    for entry in data.get("expands", []):
        terms.add(entry["term"])
        terms.update(entry["to"])
    return terms


@pytest.fixture(scope="module")
def segmenter():
    from indexer.text import segmentation as analysis

    assert analysis.USER_DICTIONARY.resolve() == DICT_PATH.resolve(), (
        "the engine must load dictionaries/civil_affairs.dict"
    )
    return analysis.segmenter()


def _not_one_token(tokenizer, words) -> dict[str, list[str]]:
    bad = {}
    for word in words:
        tokens = list(tokenizer.cut(word, HMM=False))
        if tokens != [word]:
            bad[word] = tokens
    return bad


# --------------------------------------------------------------- (a) dictionary format

def test_dictionary_has_no_blank_or_comment_lines():
    lines = _dictionary_lines()
    blank = [i + 1 for i, line in enumerate(lines) if not line.strip()]
    comments = [i + 1 for i, line in enumerate(lines) if line.lstrip().startswith("#")]
    assert not blank, f"blank lines at {blank}"
    assert not comments, f"comment lines at {comments}"


def test_dictionary_lines_are_word_freq_pos():
    bad = []
    for number, line in enumerate(_dictionary_lines(), start=1):
        fields = line.split(" ")
        if len(fields) != 3 or any(not field for field in fields) or line != line.strip():
            bad.append((number, line))
            continue
        word, freq, pos = fields
        if not freq.isdigit() or int(freq) <= 0:
            bad.append((number, line))
        elif not POS_TAG.match(pos):
            bad.append((number, line))
    assert not bad, f"lines not in the form `word freq pos`: {bad[:20]}"


def test_dictionary_words_are_simplified_chinese_without_punctuation():
    opencc = pytest.importorskip("opencc")
    t2s = opencc.OpenCC("t2s")
    not_han = [w for w, _, _ in _entries() if not HAN_ONLY.match(w)]
    not_simplified = [w for w, _, _ in _entries() if t2s.convert(w) != w]
    assert not not_han, f"entries with non-ideograph characters: {not_han}"
    assert not not_simplified, f"entries that are not Simplified Chinese: {not_simplified}"


def test_dictionary_has_no_duplicates():
    seen, duplicates = set(), []
    for word, _, _ in _entries():
        if word in seen:
            duplicates.append(word)
        seen.add(word)
    assert not duplicates, f"duplicate entries: {duplicates}"


def test_dictionary_is_large_enough():
    assert len(_entries()) >= MIN_ENTRIES


@pytest.mark.parametrize("word", [
    "低保", "最低生活保障", "特困人员救助供养", "临时救助", "低保边缘家庭", "刚性支出困难家庭",
    "低收入人口动态监测", "急难社会救助", "服务类社会救助", "救急难", "流浪乞讨人员",
    "家庭养老床位", "护理型床位", "适老化改造", "老年助餐", "幸福食堂", "医养结合",
    "长期护理保险", "长护险", "综合养老服务中心", "基本养老服务清单", "银发经济",
    "孤困儿童", "事实无人抚养儿童", "困境儿童", "未成年人保护工作站", "未成年人救助保护中心",
    "困难残疾人生活补贴", "重度残疾人护理补贴", "两项补贴", "精康融合", "康复辅助器具",
    "行业协会商会", "社区社会组织", "枢纽型社会组织", "慈善组织", "社区慈善基金", "中华慈善日",
    "公益创投", "海葬", "节地生态安葬", "公益性公墓", "婚姻登记", "婚俗改革", "集体婚礼",
    "行政区划", "地名文化", "医保基金", "门诊共济", "双通道", "持证社工", "社工站",
])
def test_core_terms_are_in_the_dictionary(word):
    assert word in {w for w, _, _ in _entries()}


# --------------------------------------------------------------- (b) one token each

def test_every_dictionary_entry_is_one_token(segmenter):
    bad = _not_one_token(segmenter, [w for w, _, _ in _entries()])
    assert not bad, f"{len(bad)} entries do not segment as one token: {dict(list(bad.items())[:30])}"


def test_every_dictionary_entry_is_known_to_the_segmenter(segmenter):
    missing = [w for w, _, _ in _entries() if segmenter.FREQ.get(w, 0) <= 0]
    assert not missing, f"entries the segmenter does not know: {missing[:30]}"


# Ordinary phrases the dictionary must not damage: each must keep these tokens.
@pytest.mark.parametrize("text, expected", [
    ("合作社工作人员", ["合作社", "工作人员"]),          # 社工 must not split 合作社
    ("我们去吃自助餐", ["自助餐"]),                      # 助餐 must not split 自助餐
    ("关心和帮助残疾人", ["帮助", "残疾人"]),            # 助残
    ("创设中医保健服务", ["中医", "保健"]),              # 医保
    ("加强老年人口腔保健", ["老年人", "口腔"]),          # 老年人口
    ("提高中低收入家庭收入", ["中低收入"]),
    ("打掉社会保护伞", ["保护伞"]),                      # 社会保护
    ("民政部长表示", ["部长"]),                          # 民政部
    ("惠民政策有序实施", ["惠民", "政策"]),              # 民政
    ("阶段性降低保险费率", ["降低", "保险费率"]),        # 低保
    ("城镇居民委员会", ["居民委员会"]),
])
def test_dictionary_does_not_damage_ordinary_text(segmenter, text, expected):
    tokens = list(segmenter.cut(text, HMM=False))
    for word in expected:
        assert word in tokens, f"{text!r} segmented as {tokens}"


# Compounds must cover the shorter terms they contain (the engine indexes sub-words).
@pytest.mark.parametrize("text, token", [
    ("扩大普惠养老服务供给", "普惠养老服务"),
    ("完成特殊困难老年人家庭适老化改造", "家庭适老化改造"),
    ("残疾人两项补贴实现全程网办", "残疾人两项补贴"),
    ("推进婚俗改革和殡葬改革", "婚俗改革"),
    ("加强流浪乞讨人员救助管理站建设", "流浪乞讨人员救助管理站"),
    ("全市持证社工达14161人", "持证社工"),
])
def test_compounds_stay_whole_in_context(segmenter, text, token):
    assert token in list(segmenter.cut(text, HMM=False))


# --------------------------------------------------------------- (c) thesaurus terms

def test_every_thesaurus_term_is_one_token(segmenter):
    bad = _not_one_token(segmenter, sorted(_thesaurus_terms(_thesaurus())))
    assert not bad, f"thesaurus terms that are not one token: {bad}"


def test_thesaurus_terms_are_simplified_chinese():
    opencc = pytest.importorskip("opencc")
    t2s = opencc.OpenCC("t2s")
    terms = _thesaurus_terms(_thesaurus())
    bad = sorted(t for t in terms if not HAN_ONLY.match(t) or t2s.convert(t) != t)
    assert not bad, f"thesaurus terms that are not plain Simplified Chinese: {bad}"


# --------------------------------------------------------------- (d) thesaurus format

def test_thesaurus_has_only_known_sections():
    data = _thesaurus()
    assert set(data) <= THESAURUS_KINDS, f"unknown sections: {set(data) - THESAURUS_KINDS}"
    for kind in THESAURUS_KINDS:
        assert isinstance(data.get(kind, []), list), f"[[{kind}]] must be an array of tables"
    assert data.get("equivalent") and data.get("expands") and data.get("related")


@pytest.mark.parametrize("kind", ["equivalent", "related"])
def test_term_groups_are_well_formed(kind):
    for group in _thesaurus()[kind]:
        assert set(group) - {"sources"} == {"terms"}, f"[[{kind}]] takes `terms` (and `sources`): {group}"
        terms = group["terms"]
        assert isinstance(terms, list) and len(terms) >= 2, f"[[{kind}]] needs two terms: {group}"
        assert all(isinstance(t, str) and t for t in terms), group
        assert len(set(terms)) == len(terms), f"repeated term in {group}"


def test_expands_entries_are_well_formed():
    for entry in _thesaurus()["expands"]:
        assert set(entry) - {"sources"} == {"term", "to"}, f"[[expands]] takes `term` and `to` (and `sources`): {entry}"
        assert isinstance(entry["term"], str) and entry["term"]
        to = entry["to"]
        assert isinstance(to, list) and to and all(isinstance(t, str) and t for t in to), entry
        assert len(set(to)) == len(to), f"repeated target in {entry}"
        assert entry["term"] not in to, f"{entry['term']} expands to itself"


def test_expands_terms_are_unique():
    terms = [entry["term"] for entry in _thesaurus()["expands"]]
    assert len(terms) == len(set(terms))


def test_no_term_in_two_equivalent_groups():
    owner: dict[str, int] = {}
    clashes = []
    for index, group in enumerate(_thesaurus()["equivalent"]):
        for term in group["terms"]:
            if term in owner and owner[term] != index:
                clashes.append(term)
            owner[term] = index
    assert not clashes, f"terms in more than one equivalent group: {clashes}"


def test_no_duplicate_related_groups():
    groups = [frozenset(g["terms"]) for g in _thesaurus()["related"]]
    assert len(groups) == len(set(groups))


def test_thesaurus_size():
    data = _thesaurus()
    count = sum(len(data[kind]) for kind in THESAURUS_KINDS)
    assert 40 <= count <= 120, count


@pytest.mark.parametrize("pair", [
    ("低保", "最低生活保障"),
    ("长护险", "长期护理保险"),
    ("特困", "特困人员"),
    ("医保", "医疗保险"),
    ("社工", "社会工作者"),
    ("残联", "残疾人联合会"),
    ("救助站", "救助管理站"),
])
def test_required_equivalences(pair):
    groups = [set(g["terms"]) for g in _thesaurus()["equivalent"]]
    assert any(set(pair) <= group for group in groups), pair


def test_two_subsidies_expand_to_both_subsidies():
    expands = {e["term"]: e["to"] for e in _thesaurus()["expands"]}
    assert set(expands["两项补贴"]) == {"困难残疾人生活补贴", "重度残疾人护理补贴"}


def test_broad_words_are_not_linked():
    """Guard against expansions that would flood results (e.g. 养老 ~ 老年)."""
    too_broad = {"养老", "老年", "老年人", "儿童", "服务", "救助", "社会", "社区", "保障", "民政"}
    used = _thesaurus_terms(_thesaurus()) & too_broad
    assert not used, f"broad words in the thesaurus: {used}"
