"""Document metadata: from the corpus manifest, a front-matter block, or inferred.

Every value records where it came from ("manifest", "front-matter",
"inferred" or "missing"), so a reader can tell a curated date from a guess.
The manifest wins over front-matter, front-matter over inference.

Inference reads the text once, as a stream (:class:`Inference`): the title,
document type and script from the head, the city from the first
``CITY_SAMPLE_CHARS``, the date from the whole text.
"""

from __future__ import annotations

import re

from indexer.ingest.cleaning import is_chrome
from indexer.ingest.front_matter import _FULL_DATE, _FULL_WIDTH_DIGITS, _iso
from indexer.ingest.places import infer_city, place_values, province_of
from indexer.text.script import to_simplified

MANIFEST_NAME = "manifest.toml"

_LABELLED_DATE = re.compile(r"(?:成文日期|发布日期|发文日期|印发日期|日期|^\s*(?:发布|发表)?时间)[:：]\s*(\d{4})\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})",
                            re.MULTILINE)
# A date standing alone on its line (a signature), or a page's dateline: the date, a time, a paper's name.
_DATE_LINE = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
                        r"(?:\s+\d{1,2}\s*(?:[:：]\s*\d{2}|时\s*\d{1,2}\s*分)(?:[:：]\d{2})?(?:\s+[\u4e00-\u9fff]{2,12})?)?\s*$",
                        re.MULTILINE)
# A speech's own date, under its title: 「——2017年3月5日在第十二届全国人民代表大会第五次会议上」.
_DELIVERY_LINE = re.compile(r"^[\s—–\-－（(]*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*"
                            r"(?:[\u4e00-\u9fff·][\u4e00-\u9fff·\s]{1,15})?在[^。\n]{2,60}?(?:会议|大会|会)", re.MULTILINE)
# Where a delivery line may stand: among the first lines, under the title.
DELIVERY_LINE_CHARS = 1500
_POLICY_TITLE = re.compile(r"(方案|意见|通知|办法|规划|规定|细则|决定|纲要|条例|计划)[）)]?(?:[（(][^）)]*[)）])?$|(方案|意见|通知|办法|规划)[（(]")
_REPORT_TITLE = re.compile(r"工作报告")
_NEWS_HINT = re.compile(r"记者|本报讯|新闻发布会|发布会|日电|综述")
_HEADING = re.compile(r"^(#{1,6})\s*(.+?)\s*#*$")
_TRADITIONAL_SAMPLE = 2000
_LABEL_LINE = re.compile(r"^[\u4e00-\u9fff]{1,6}\s*[:：]")
_NOT_TITLE_START = re.compile(r"^(?:[—–-]{2}|[（(]?[一二三四五六七八九十]+[、）)]|\d{1,2}[、.．]|第[一二三四五六七八九十\d]+[章条])")
_BREADCRUMB = re.compile(r"^(?:[>＞›»]|首页|您的位置[:：]?|当前位置[:：]?)$")
_CJK = re.compile(r"[\u3400-\u9fff]")
# A sentence, or a salutation (各位代表：, 各区民政局：): the body has begun.
_BODY_START = re.compile(r"[。！？!?]$|^(?:各[\u4e00-\u9fff、，,]{1,30}|同志们|女士们、先生们)[:：]$")
_TITLE_SENTENCE_END = re.compile(r"[。：:；;，,！!？?]$")
# How much of the text the title and city inference read; dates come from all of it.
HEAD_CHARS = 20_000
CITY_SAMPLE_CHARS = 500_000
TITLE_LINES = 40
LINES_AFTER_BODY = 8
_DOCUMENT_TITLE = re.compile(r"(?:方案|意见|通知|办法|规划|规定|细则|决定|纲要|条例|计划|报告|公告|通报|批复)"
                             r"\s*(?:[（(][^）)]{1,20}[)）])?$")
INFERENCE_BLOCK_CHARS = 64_000


def infer_doc_type(title: str, text: str) -> str:
    simplified = to_simplified(title)
    if _POLICY_TITLE.search(simplified):
        return "政策文件"
    if _REPORT_TITLE.search(simplified):
        return "工作报告"
    if _NEWS_HINT.search(to_simplified(text[:3000])):
        return "新闻报道"
    return "其他"


def infer_title(text: str, fallback: str) -> str:
    """The headline: the first level-1/2 heading near the top, else the first line that looks like one.

    Page chrome (breadcrumbs, 下载/打印, 【字号】…), breadcrumb items, label
    lines (来源：…), dates, numbered headings and sentences are passed over.
    """
    plain = ""
    body_lines = 0
    for seen, line, is_heading in _head_lines(text):
        if is_heading:
            return line
        if body_lines and seen - body_lines > LINES_AFTER_BODY:
            break
        if _BODY_START.search(line) or len(line) > 80:
            # The body has begun: only a document's own title (…的通知, …实施方案) may still follow,
            # as under a cover letter's salutation.
            body_lines = body_lines or seen
            continue
        if not plain and _plausible_title(line) and (not body_lines or _DOCUMENT_TITLE.search(to_simplified(line))):
            plain = line
    return plain or fallback


def _head_lines(text: str):
    """The first ``TITLE_LINES`` lines that are not page chrome, as (ordinal, line, is a level-1/2 heading);
    a breadcrumb's items (the line after it, and that line again) are passed over."""
    seen = 0
    after_breadcrumb = False
    skipped: set[str] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or is_chrome(line) and not _BREADCRUMB.match(line):
            continue
        if _BREADCRUMB.match(line):
            after_breadcrumb = True
            continue
        seen += 1
        if seen > TITLE_LINES:
            return
        heading = _HEADING.match(line)
        if heading:
            line = heading.group(2).replace("**", "").strip()
            if len(heading.group(1)) <= 2 and line and not is_chrome(line):
                yield seen, line, True
                return
        if after_breadcrumb or line in skipped:
            skipped.add(line)
            after_breadcrumb = False
            continue
        yield seen, line, False


def _plausible_title(line: str) -> bool:
    return (4 <= len(line) <= 80 and len(_CJK.findall(line)) >= 4 and not _TITLE_SENTENCE_END.search(line)
            and not _LABEL_LINE.match(line) and not _NOT_TITLE_START.match(line)
            and not _FULL_DATE.fullmatch(line.strip()))


def infer_script(text: str) -> str:
    sample = text[:_TRADITIONAL_SAMPLE]
    changed = sum(1 for a, b in zip(sample, to_simplified(sample)) if a != b)
    return "traditional" if changed >= max(5, len(sample) // 200) else "simplified"


FIELDS = ("title", "city", "province", "county", "level", "date", "year", "source", "authors", "doc_type", "script", "url", "accessed",
          "date_estimated")
_TITLE_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
# How a curator says a date is a guess: 「estimated: …」 in ``date_basis``, or 估计 / 推定 / 推测 / 约.
_ESTIMATED = re.compile(r"^\s*(?:estimated|approximate|approx\.?|circa|about)\b|估计|估算|推定|推测|^\s*约", re.IGNORECASE)


def resolve(curated: dict, text: str, fallback_title: str, curated_source: str = "manifest") -> tuple[dict, dict]:
    """Metadata values and their provenance for a whole text: curated values win, the rest is inferred."""
    inference = Inference()
    inference.feed_text(text)
    return resolve_layers([(curated_source, curated)], inference, fallback_title)


def resolve_layers(layers: list[tuple[str, dict]], inference: Inference, fallback_title: str) -> tuple[dict, dict]:
    """Values from the first layer that gives them (e.g. manifest, then front-matter), else inferred.

    An empty value counts as not given, except a city left empty for a
    provincial or national document (``region_level``): that is a statement.
    """
    values: dict = {}
    provenance: dict[str, str] = {}

    def given(name):
        for source, curated in layers:
            value = curated.get(name)
            if value not in (None, "", []):
                return source, value
            if name == "city" and name in curated and curated.get("region_level") in ("provincial", "national"):
                return source, ""
        return None

    def take(name, infer):
        found = given(name)
        if found is not None:
            provenance[name], values[name] = found
        else:
            value = infer()
            values[name] = value
            provenance[name] = "inferred" if value not in (None, "", []) else "missing"

    take("title", lambda: inference.title(fallback_title))
    take("city", lambda: inference.city(values["title"])[0])
    if values["city"] and provenance["city"] != "inferred":
        take("province", lambda: province_of(values["city"]))
    else:
        take("province", lambda: inference.city(values["title"])[1] if values["city"] else "")
    stated_year = given("year")
    take("date", lambda: date_agreeing(inference.date(), stated_year[1] if stated_year else None, values["title"]))
    values["date_estimated"] = bool(values["date"]) and provenance["date"] != "inferred" and _is_estimate(
        given("date_basis"))
    if values["date"] and stated_year is None:
        values["year"], provenance["year"] = int(values["date"][:4]), provenance["date"]
    else:
        take("year", lambda: None)
    take("source", lambda: "")
    take("authors", lambda: [])
    take("doc_type", lambda: infer_doc_type(values["title"], inference.head))
    take("script", lambda: infer_script(inference.head))
    take("url", lambda: inference.url)
    take("accessed", lambda: "")
    if values["year"] not in (None, ""):
        values["year"] = int(values["year"])
    else:
        values["year"] = None
    if isinstance(values["authors"], str):
        values["authors"] = [a for a in re.split(r"[,，、;；\s]+", values["authors"]) if a]
    place_values(values, provenance, layers)
    return values, provenance


def date_agreeing(date: str, stated_year, title: str) -> str:
    """An inferred ``date`` if it agrees with the year the manifest or front matter states, else with the title's.

    A curated year must be the date's year. A title's years (「2025年政府工作报告」, 「(2025—2027年)」)
    bound it within a year either side, since a plan or a review is often dated the year before or after
    the years it names. A date that disagrees was read off something else (a date the text mentions) and
    is dropped: the year stands alone.
    """
    if not date:
        return ""
    year = int(date[:4])
    if stated_year not in (None, ""):
        return date if year == int(stated_year) else ""
    named = [int(found) for found in _TITLE_YEAR.findall(to_simplified(title).translate(_FULL_WIDTH_DIGITS))]
    if named and not min(named) - 1 <= year <= max(named) + 1:
        return ""
    return date


def _is_estimate(basis) -> bool:
    """A ``date_basis`` (as given by :func:`resolve_layers`'s ``given``) saying the date is a guess."""
    return bool(basis) and bool(_ESTIMATED.search(str(basis[1])))


class Inference:
    """What inference needs from a text, collected while the text streams past in bounded memory."""

    def __init__(self) -> None:
        self._sample: list[str] = []
        self._sample_chars = 0
        self._block: list[str] = []
        self._block_chars = 0
        self._labelled = ""
        self._delivery: str | None = None
        self._date_line = ""
        self._city_cache: dict[str, tuple[str, str]] = {}
        # The address the source names for itself (an HTML page's canonical link), if any.
        self.url = ""

    def feed(self, line: str) -> None:
        self._block.append(line)
        self._block_chars += len(line) + 1
        if self._block_chars >= INFERENCE_BLOCK_CHARS:
            self._flush()

    def feed_text(self, text: str) -> None:
        for line in text.splitlines():
            self.feed(line)

    def _flush(self) -> None:
        if not self._block:
            return
        block = "\n".join(self._block)
        self._block, self._block_chars = [], 0
        if self._sample_chars < CITY_SAMPLE_CHARS:
            self._sample.append(block[:CITY_SAMPLE_CHARS - self._sample_chars])
            self._sample_chars += len(self._sample[-1])
        if self._delivery is None:
            match = _DELIVERY_LINE.search(block[:DELIVERY_LINE_CHARS])
            self._delivery = _iso(match) if match else ""
        if not self._labelled:
            match = _LABELLED_DATE.search(block)
            self._labelled = _iso(match) if match else ""
        if not self._date_line:
            match = _DATE_LINE.search(block)
            self._date_line = _iso(match) if match else ""

    @property
    def head(self) -> str:
        self._flush()
        return "\n".join(self._sample)[:HEAD_CHARS]

    def title(self, fallback: str) -> str:
        return infer_title(self.head, fallback)

    def city(self, title: str) -> tuple[str, str]:
        self._flush()
        if title not in self._city_cache:
            self._city_cache[title] = infer_city(title, "\n".join(self._sample))
        return self._city_cache[title]

    def date(self) -> str:
        """The date a text gives as its own: 成文/发布日期 or 时间 if labelled, else a speech's delivery line
        under its title, else a date on a line of its own (a signature, a page's dateline).

        A date merely mentioned in a sentence (「从2004年7月1日起」) is never the document's date:
        without one of these, the date is left empty.
        """
        self._flush()
        return self._labelled or self._delivery or self._date_line
