"""Figures a passage states: a number with its unit, the clause it quantifies, and what it measures.

Pure functions over a passage's text, so the engine, the CLI and the tests share
one reading of 每人每月1069元、872元 or 1.2万余名. A figure is a number followed
by a unit (元, 万元, %, 个百分点, 张, 家, 人 …) or by 万/亿 alone (1700多万困难群众);
years (2025年), dates (12月3日), ordinals (第3次) and section numbers ((一), 1.)
have no unit here and are never figures. Numbers are normalised by ``cn2an``
(三千 → 3000, 1.2万 → 12000). Offsets are valid in the original passage
because callers pass the folded text (:func:`indexer.text.terms.match_form`),
which keeps every character in place.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace

import cn2an

# Longest first, so 万人次 wins over 万人 and 个百分点 over 个.
UNITS = sorted("""
元 美元 %  ‰ 个百分点 百分点 部门 倍 人 人次 名 户 家 个 处 支 张 床 所 座 项 件 套 间 条 批 类 种 部 场 次 辆 台
只 册 篇 期 岁 周岁 天 小时 个月 工作日 平方米 亩 公里 千米 吨 公顷 斤 公斤 路
""".split(), key=len, reverse=True)
# Magnitudes written between the number and the unit (1.2万名, 1.5万亿元), as cn2an reads them.
MAGNITUDES = ("万亿", "万", "亿", "千", "百")

_ARABIC = r"\d+(?:,\d{3})*(?:\.\d+)?"
_CHINESE = r"[零〇一二两三四五六七八九十百千万亿]+"
_NUMBER = rf"(?:{_ARABIC}|{_CHINESE})"
_FIGURE = re.compile(
    rf"(?<![\d.a-z零〇一二两三四五六七八九十百千万亿第前])"
    rf"(?P<percent_of>百分之)?(?P<low>{_NUMBER})"
    rf"(?:(?P<low_magnitude>万亿|[万亿千])?(?P<dash>[—–\-~～]|至|到)(?P<high>{_NUMBER}))?"
    rf"(?P<approx>[余多])?(?P<magnitude>万亿|[万亿千百])?(?P<approx_after>[余多])?"
    rf"(?P<unit>{'|'.join(re.escape(u) for u in UNITS)})?"
    rf"(?P<per>/(?:人·月|人/月|人月|[人户床月年日天次]))?"
)
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")
# A clause ends at these; 、和及 join the members of one enumeration (1069元、872元).
CLAUSE_ENDS = "，,；;。！？!?：:\n"
_SENTENCE_ENDS = "；;。！？!?\n"
_ENUMERATION_GAP = re.compile(r"^(?:、|和|及|与|或|以及|，分别为)?$")
_RATE = re.compile(r"(?:每(?:[万千百]名?)?(?:老年人|张床|人口|人|户|床|学年|年|月|日|天|周|季度|次)(?:每(?:学年|年|月|日|天))?"
                   r"|[年月日]均)")
# Averages over time written before the number (日均 2万多人次) are rates like 每日.
_AVERAGE_RATE = {"年均": "每年", "月均": "每月", "日均": "每日"}
# Shares, changes in points and multiples have no period (人均补助标准提高5%).
_RATELESS_UNITS = ("%", "‰", "个百分点", "百分点", "倍")
# A round count said in words after 上/数/近 (上千万住房困难群众): 千万 alone is a word (千万要注意).
_ROUND_COUNT = re.compile(r"^[十百千]?[万亿]$")
_ROUND_BEFORE = re.compile(r"(?:上|数|近|逾|超)$")
# An age that names the group measured (3岁以下婴幼儿, 60周岁以上老年人), not a figure of it.
_AGE_OF_GROUP = re.compile(r"^(?:及?以上|及?以下)?的?[\u4e00-\u9fff]")
_PER_RATE = {"/月": "每月", "/年": "每年", "/人": "每人", "/户": "每户", "/床": "每床", "/日": "每日", "/天": "每天",
             "/次": "每次", "/人·月": "每人每月", "/人/月": "每人每月", "/人月": "每人每月"}
_CHANGE = re.compile(r"(?:增长|提高|增加|下降|减少|降低|上涨|上升|提升|增幅|降幅|增|降)(?:了|分别|均|为|达)*$")
_BEFORE_QUALIFIER = re.compile(r"(?:约|近|超过|超|逾|不少于|不低于|不足|不到|达)$")
_AFTER_QUALIFIER = re.compile(r"^(?:以上|以下|左右|以内)")
# Words around a measure's name that are not the name: verbs leading to the figure, connectives, scope.
_MEASURE_TAIL = re.compile(r"(?:分别|达到|达|提高到|提高至|提高|增长|增加|增至|下降|减少|降低|上涨|提升|为|是|由|从|到|至|共|累计|"
                           r"约|近|超过|超|逾|均|平均|已|了|的|每月|每年|每人|合计|总计|总数|总量|新增|全部|不低于|不少于)$")
_MEASURE_HEAD = re.compile(r"^(?:共有|拥有|有|其中|目前|截至\S*?底|全市|全省|全区|全国|全年|今年|去年|同时|此外|并|和|及|与|、|将|要|把)")
_MEASURE_SPLIT = re.compile(r"会同|联合|推动|推进|实施|完善|提高|落实|发放|建成|建设|新建|打造|安排|用于|支出|投入|、")
_YEAR = re.compile(r"\d{4}年(?:底|末|初)?的?")
MEASURE_CHARS = 16
_SCOPE = re.compile(r"^(?:城市|农村|城乡|城镇|城乡居民|全市|全省)")


@dataclass(frozen=True)
class Figure:
    text: str  # as written, e.g. 每人每月1069元, 1.2万余名, 5—10万元
    start: int  # the number's span in the passage (qualifiers and rate are in ``text``, not in the span)
    end: int
    value: float  # normalised: 1.2万余名 → 12000, 5—10万元 → 50000
    high: float | None  # a range's upper end (5—10万元 → 100000), else None
    unit: str  # 元, %, 个百分点, 人 …; "" for a bare count with 万/亿 (1700多万困难群众)
    rate: str  # 每人每月, 每年 …, or ""
    approx: str  # 余, 多, 约, 近, 超过, 以上 … as written, or ""
    change: bool  # stated as a change (提高40%, 增长35.8%), not a level (提高到1045元)
    phrase: str  # the clause it sits in
    measure: str  # what it quantifies, for grouping (城市低保标准 → 低保标准), in Simplified
    # Where ``text`` and ``phrase`` stand in the passage.
    shown_start: int = field(repr=False, default=0)
    shown_end: int = field(repr=False, default=0)
    phrase_start: int = field(repr=False, default=0)
    phrase_end: int = field(repr=False, default=0)

    def to_dict(self) -> dict:
        return {key: value for key, value in asdict(self).items()
                if key not in ("shown_start", "shown_end", "phrase_start", "phrase_end")}


def extract(text: str) -> list[Figure]:
    """Every figure ``text`` states, in order (best given the folded passage: 萬 reads as 万)."""
    plain = text.translate(_FULL_WIDTH)
    figures: list[Figure] = []
    for match in _FIGURE.finditer(plain):
        figure = _figure(plain, match, figures[-1] if figures else None)
        if figure is not None:
            figures.append(figure)
    return quote(figures, plain, text)  # full-width digits shown as written


def quote(figures: list[Figure], folded: str, original: str) -> list[Figure]:
    """``figures`` found in ``folded``, their ``text`` and ``phrase`` as ``original`` (the passage as written) has them.

    Folding keeps every character in place, so the spans are the same; should the
    lengths differ, the figures keep the folded wording.
    """
    if len(original) != len(folded):
        return figures
    return [replace(f, text=original[f.shown_start:f.shown_end], phrase=original[f.phrase_start:f.phrase_end].strip())
            for f in figures]


def near(figures: list[Figure], text: str, needles: list[str], reach: int) -> list[Figure]:
    """The figures within ``reach`` characters of a needle in the same sentence (``text`` folded as needles are)."""
    spans = [(start, start + len(needle)) for needle in {n for n in needles if n}
             for start in _occurrences(text, needle)]
    kept = []
    for figure in figures:
        sentence = _bounds(text, figure.start, _SENTENCE_ENDS)
        if any(sentence[0] <= start and end <= sentence[1] and _gap((start, end), (figure.start, figure.end)) <= reach
               for start, end in spans):
            kept.append(figure)
    return kept


def _figure(text: str, match: re.Match, previous: Figure | None) -> Figure | None:
    """The figure a number match states, or None when it is no measured figure (a year, an ordinal, a word)."""
    read = _reading(text, match)
    if read is None:
        return None
    groups, unit, low, high, round_before = read
    clause_start, clause_end = _bounds(text, match.start(), CLAUSE_ENDS)
    in_clause = previous is not None and previous.end > clause_start
    before = text[previous.end if in_clause else clause_start:match.start()]
    rate_match = list(_RATE.finditer(before))
    written_rate = rate_match[-1].group() if rate_match else ""
    rate, change = _rate_and_change(before, written_rate, groups, unit, previous if in_clause else None)
    qualifier = _BEFORE_QUALIFIER.search(before) or (round_before if groups["low"] != match.group("low") else None)
    after = _AFTER_QUALIFIER.match(text[match.end():])
    approx = "".join(filter(None, [qualifier.group() if qualifier else "", groups["approx"], groups["approx_after"],
                                   after.group() if after else ""]))
    start, end = match.start(), match.end()
    shown_start = start - len(written_rate) if written_rate and before.endswith(written_rate) else start
    shown_start -= len(qualifier.group()) if qualifier else 0
    measure = _measure(before, written_rate) or _sentence_measure(text, start, previous)
    shown_end = end + (len(after.group()) if after else 0)
    return Figure(
        text=text[shown_start:shown_end], start=start, end=end,
        value=low, high=high, unit=unit, rate=rate, approx=approx, change=change,
        phrase=text[clause_start:clause_end].strip(), measure=measure,
        shown_start=shown_start, shown_end=shown_end, phrase_start=clause_start, phrase_end=clause_end,
    )


def _reading(text: str, match: re.Match) -> tuple[dict, str, float, float | None, re.Match | None] | None:
    """(groups, unit, value, upper value, a round-number lead-in) of a number that is a figure; None otherwise."""
    groups = match.groupdict()
    unit = groups["unit"] or ("%" if groups["percent_of"] else "")
    round_before = _ROUND_BEFORE.search(text[:match.start()])
    if round_before and _is_round_count(groups):
        groups = {**groups, "low": "一" + groups["low"]}  # 上千万 → 一千万, 10,000,000 at least
        magnitude = groups["low"][-1]
    elif not unit and not groups["low"][0].isdigit() and groups["low"][0] not in "一二两三四五六七八九":
        return None  # 千万 (by all means), 万 alone: words, not counts
    else:
        magnitude = groups["magnitude"] or groups["low_magnitude"] or ""
    if _not_a_count(text, match, groups, unit, magnitude):
        return None
    values = _values(groups)
    if values is None or _is_span_of_words(groups, unit):
        return None
    return groups, unit, values[0], values[1], round_before


def _values(groups: dict) -> tuple[float, float | None] | None:
    """The number (and a range's upper end) as values; None when cn2an reads no number."""
    low = _number(groups["low"], groups["low_magnitude"] or groups["magnitude"])
    high = _number(groups["high"], groups["magnitude"]) if groups["high"] else None
    if low is None or (groups["high"] and high is None):
        return None
    return low, high


def _is_round_count(groups: dict) -> bool:
    """千万 after 上 (上千万): a round count, not the idiom."""
    return (not groups["low_magnitude"] and not groups["high"] and not groups["magnitude"]
            and _ROUND_COUNT.match(groups["low"]) is not None)


def _is_span_of_words(groups: dict, unit: str) -> bool:
    """一至三 without a unit or magnitude: a span of ordinals, not of amounts."""
    return groups["dash"] in ("至", "到") and not groups["magnitude"] and not unit


def _not_a_count(text: str, match: re.Match, groups: dict, unit: str, magnitude: str) -> bool:
    """A number without a unit or a large magnitude, an age naming a group, 三项制度: no figure."""
    if not unit and not (magnitude in ("万", "亿", "万亿") and not groups["per"]):
        return True
    if unit in ("岁", "周岁") and _AGE_OF_GROUP.match(text[match.end():]) and not text.startswith("左右", match.end()):
        return True
    return _single_chinese_digit(groups["low"]) and not magnitude  # 三项制度, 两个确保: a way of speaking


def _rate_and_change(before: str, written_rate: str, groups: dict, unit: str,
                     previous: Figure | None) -> tuple[str, bool]:
    """The figure's rate (每人每月 …) and whether it is a change (提高40%); ``previous``: the figure before it
    in the same clause, whose rate and change an enumeration (、) or the same unit carries on."""
    rate = _joined_rate(_AVERAGE_RATE.get(written_rate, written_rate), _PER_RATE.get(groups["per"] or "", ""))
    change = bool(_CHANGE.search(_RATE.sub("", before)))
    if previous is not None and _ENUMERATION_GAP.match(_AFTER_QUALIFIER.sub("", before).strip()) is not None:
        rate, change = rate or previous.rate, change or previous.change
    elif previous is not None and not rate and previous.unit == unit:
        rate = previous.rate  # 从每人每月2295元提高到2375元: the clause's rate holds for the same unit
    if unit in _RATELESS_UNITS:
        rate = ""
    return rate, change


def _sentence_measure(text: str, start: int, previous: Figure | None) -> str:
    """The measure of the previous figure when it stands in the same sentence (its name is not repeated)."""
    if previous is not None and _bounds(text, previous.start, _SENTENCE_ENDS) == _bounds(text, start, _SENTENCE_ENDS):
        return previous.measure or ""
    return ""


def _joined_rate(written_before: str, written_after: str) -> str:
    """每人 before the number and /月 after it are 每人每月."""
    if written_before and written_after and written_after not in written_before:
        return written_before + written_after
    return written_before or written_after


def _number(digits: str, magnitude: str | None) -> float | None:
    """``digits`` (Arabic or Chinese) times ``magnitude``, by cn2an; None when it is not a number."""
    try:
        return float(cn2an.cn2an(digits.replace(",", "") + (magnitude or ""), "smart"))
    except (ValueError, KeyError, IndexError):
        return None


def _single_chinese_digit(digits: str) -> bool:
    return len(digits) == 1 and not digits.isdigit()


def _measure(before: str, rate: str) -> str:
    """The name of what the figure quantifies: the clause before it, verbs, scope and rate taken off."""
    name = _YEAR.sub("", before.replace(rate, "") if rate else before)
    parts = [_trimmed(part) for part in _MEASURE_SPLIT.split(name)]
    name = next((part for part in reversed(parts) if part), "")
    return _SCOPE.sub("", name)[-MEASURE_CHARS:]  # 城市低保标准 and 农村低保标准 are one measure


def _trimmed(name: str) -> str:
    """``name`` without the verbs, connectives and scope words around it."""
    previous = None
    while previous != name:
        previous = name
        name = _MEASURE_TAIL.sub("", name.strip(" “”\"'（）()⑤①②③④⑥⑦⑧⑨⑩"))
        name = _MEASURE_HEAD.sub("", name)
    return name


def _bounds(text: str, position: int, ends: str) -> tuple[int, int]:
    """The span around ``position`` between two of ``ends``."""
    start = max(text.rfind(end, 0, position) for end in ends) + 1
    stops = [index for index in (text.find(end, position) for end in ends) if index != -1]
    return start, min(stops) if stops else len(text)


def _occurrences(text: str, needle: str):
    start = text.find(needle)
    while start != -1:
        yield start
        start = text.find(needle, start + 1)


def _gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, b[0] - a[1], a[0] - b[1])


# -- measuring the extractor against figures judged by hand ------------------------------------------

@dataclass
class Judgement:
    """How :func:`extract` does on a file of judged passages (``tests/data/figures-judged.toml``)."""
    judged: int = 0
    extracted: int = 0
    matched: int = 0
    measure_agrees: int = 0  # matched figures whose measure names what the judge named (either holds the other)
    missed: list = field(default_factory=list)  # (doc_id, order, judged figure)
    spurious: list = field(default_factory=list)  # (doc_id, order, extracted figure's text, value, unit, rate)

    @property
    def precision(self) -> float:
        return self.matched / self.extracted if self.extracted else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.judged if self.judged else 1.0


def judge(passages: list[dict]) -> Judgement:
    """Compare :func:`extract` with the judged figures of ``passages`` (each ``text`` and ``figures``).

    A figure is found when an extracted one holds its written text and has its
    value, upper end, unit and rate; each extracted figure answers one judged figure.
    """
    from indexer.text.terms import match_form

    result = Judgement()
    for passage in passages:
        text = passage["text"]
        found = quote(extract(match_form(text)), match_form(text), text)
        left = list(found)
        result.judged += len(passage["figures"])
        result.extracted += len(found)
        for wanted in passage["figures"]:
            hit = next((f for f in left if _same(f, wanted)), None)
            if hit is None:
                result.missed.append((passage["doc_id"], passage["order"], wanted))
                continue
            left.remove(hit)
            result.matched += 1
            measure = match_form(wanted.get("measure", ""))
            result.measure_agrees += bool(hit.measure) and (hit.measure in measure or measure in hit.measure)
        result.spurious.extend((passage["doc_id"], passage["order"], f.text, f.value, f.unit, f.rate) for f in left)
    return result


def _same(figure: Figure, wanted: dict) -> bool:
    def close(a, b):
        return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= 1e-9 * max(1, abs(b)))
    return (wanted["text"] in figure.text and close(figure.value, float(wanted["value"]))
            and close(figure.high, float(wanted["high"]) if "high" in wanted else None)
            and figure.unit == wanted["unit"] and figure.rate == wanted.get("rate", ""))


def main(argv: list[str] | None = None) -> int:
    """``python -m indexer.engine.figures FILE.toml [--verbose]``: precision and recall against judged figures."""
    import argparse
    import tomllib

    parser = argparse.ArgumentParser(prog="python -m indexer.engine.figures", description="数字抽取的准确率与召回率（对照人工判定）")
    parser.add_argument("file", help="人工判定文件，格式见 tests/data/figures-judged.toml")
    parser.add_argument("--verbose", action="store_true", help="列出漏抽和误抽的数字")
    args = parser.parse_args(argv)
    with open(args.file, "rb") as handle:
        passages = tomllib.load(handle)["passage"]
    by_stratum: dict[str, list[dict]] = {}
    for passage in passages:
        by_stratum.setdefault(passage.get("stratum", ""), []).append(passage)
    print("范围\t段落\t判定数字\t抽出\t对上\t准确率\t召回率\t指标一致")
    for name, group in [*sorted(by_stratum.items()), ("全部", passages)]:
        result = judge(group)
        print(f"{name}\t{len(group)}\t{result.judged}\t{result.extracted}\t{result.matched}\t"
              f"{result.precision:.3f}\t{result.recall:.3f}\t{result.measure_agrees / max(1, result.matched):.3f}")
    if args.verbose:
        result = judge(passages)
        for doc_id, order, wanted in result.missed:
            print(f"漏抽\t{doc_id}#{order}\t{wanted['text']}\t{wanted['value']:g}\t{wanted['unit']}\t{wanted.get('rate', '')}")
        for doc_id, order, text, value, unit, rate in result.spurious:
            print(f"误抽\t{doc_id}#{order}\t{text}\t{value:g}\t{unit}\t{rate}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
