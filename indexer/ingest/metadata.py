"""Document metadata: from the corpus manifest, a front-matter block, or inferred.

Every value records where it came from ("manifest", "front-matter",
"inferred" or "missing"), so a reader can tell a curated date from a guess.
The manifest wins over front-matter, front-matter over inference.

Inference reads the text once, as a stream (:class:`Inference`): the title,
document type and script from the head, the city from the first
``CITY_SAMPLE_CHARS``, the date from the whole text.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from indexer.ingest.cleaning import is_chrome
from indexer.config import DICTIONARY_DIR
from indexer.text.script import to_simplified

MANIFEST_NAME = "manifest.toml"

_FULL_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)")
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


@dataclass(frozen=True)
class Place:
    city: str
    province: str
    names: tuple[str, ...]


@lru_cache(maxsize=1)
def places() -> tuple[Place, ...]:
    """Prefecture-level cities with their full names and county-level districts."""
    path = DICTIONARY_DIR / "places.tsv"
    if not path.exists():
        return ()
    found = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) < 3 or not parts[0]:
            continue
        districts = [d for d in (parts[3].split(",") if len(parts) > 3 else []) if len(d) >= 3]
        names = tuple(dict.fromkeys([parts[2], *districts]))
        found.append(Place(city=parts[0], province=parts[1], names=names))
    return tuple(found)


def infer_city(title: str, text: str) -> tuple[str, str]:
    """The city a document is about: mentions in the title count most, then in the text.

    Full names (青岛市) and districts (崂山区) always count; a bare short name
    (青岛) counts only once the full name or the title vouches for it, since
    many short names (东方, 中山, 朝阳) are ordinary words too.
    """
    title, text = to_simplified(title), to_simplified(text)
    scores: Counter[str] = Counter()
    provinces: dict[str, str] = {}
    # Only names whose first two characters occur are counted (most of the 3,000 never do).
    bigrams = {text[i:i + 2] for i in range(len(text) - 1)}
    for place in places():
        count = sum(text.count(name) for name in place.names if name[:2] in bigrams)
        in_title = place.city in title
        if count or in_title:
            count += len(re.findall(re.escape(place.city) + r"(?![省区县市])", text))
        if in_title:
            count += 10
        if count:
            scores[place.city] = count
            provinces[place.city] = place.province
    if not scores:
        return "", ""
    city, count = scores.most_common(1)[0]
    return (city, provinces[city]) if count >= 3 else ("", "")


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
    seen = body_lines = 0
    after_breadcrumb = False
    skipped: set[str] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if _BREADCRUMB.match(line):
            after_breadcrumb = True
            continue
        if is_chrome(line):
            continue
        seen += 1
        if seen > TITLE_LINES:
            break
        heading = _HEADING.match(line)
        if heading:
            title = heading.group(2).replace("**", "").strip()
            if len(heading.group(1)) <= 2 and title and not is_chrome(title):
                return title
            line = title
        if after_breadcrumb or line in skipped:
            skipped.add(line)
            after_breadcrumb = False
            continue
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


def province_of(city: str) -> str:
    """The canonical name of the province a city (or one of its districts) belongs to, else ""."""
    for place in places():
        if place.city == city or city in place.names:
            return canonical_province(place.province)
    return ""


# -- places as a hierarchy -----------------------------------------------------

NATIONAL = "全国"
LEVELS = (NATIONAL, "省级", "市级", "县级")
# ``region_level`` as a manifest or front matter writes it → the level shown.
_LEVEL_NAMES = {
    "national": NATIONAL, "country": NATIONAL, "全国": NATIONAL, "国家": NATIONAL, "中央": NATIONAL,
    "provincial": "省级", "province": "省级", "省级": "省级", "省": "省级",
    "municipal": "市级", "city": "市级", "prefecture": "市级", "prefectural": "市级", "市级": "市级", "地市": "市级",
    "county": "县级", "district": "县级", "county-level": "县级", "县级": "县级", "区县": "县级",
}
# Provincial-level units whose full name is not the short name + 省.
_PROVINCE_FULL_NAMES = {
    "北京": "北京市", "天津": "天津市", "上海": "上海市", "重庆": "重庆市",
    "内蒙古": "内蒙古自治区", "广西": "广西壮族自治区", "西藏": "西藏自治区", "宁夏": "宁夏回族自治区",
    "新疆": "新疆维吾尔自治区", "香港": "香港特别行政区", "澳门": "澳门特别行政区",
}
# Cities that are provinces themselves (直辖市, 特别行政区): a document of theirs speaks at the provincial level.
PROVINCIAL_CITIES = ("北京", "天津", "上海", "重庆", "香港", "澳门")
# A document that speaks for the whole country, by its title or issuing office.
_NATIONAL_ISSUER = re.compile(r"^(?:\d{4}年)?(?:中华人民共和国|中国)?(?:国务院|民政部|财政部|国家发展和改革委员会|中共中央|全国人民代表大会|全国人大)")


@lru_cache(maxsize=1)
def _province_names() -> dict[str, str]:
    """Every way of writing a province that the engine knows (short, full) → its full name."""
    names: dict[str, str] = {}
    for short in sorted({place.province for place in places()} | {"台湾"}):
        full = _PROVINCE_FULL_NAMES.get(short, short + "省")
        names[short] = names[full] = full
    return names


def canonical_province(name: str) -> str:
    """One name per province: 山东 = 山东省 = 山東省 → 山东省; 全国 stays; an unknown name is kept as written."""
    name = to_simplified(str(name or "").strip())
    if not name or name == NATIONAL:
        return name
    known = _province_names()
    if name in known:
        return known[name]
    for suffix in ("省", "市", "壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "特别行政区"):
        if name.endswith(suffix) and name[:-len(suffix)] in known:
            return known[name[:-len(suffix)]]
    return name


def canonical_city(name: str) -> str:
    """One name per city, the short one as the dictionary lists it: 青島 = 青岛市 = 青岛 → 青岛."""
    name = to_simplified(str(name or "").strip())
    if not name:
        return name
    for place in places():
        if name in (place.city, place.names[0] if place.names else place.city):
            return place.city
    return name


def canonical_level(value) -> str:
    """A ``region_level`` (national, provincial, 市级…) as one of :data:`LEVELS`; "" when not one of them."""
    return _LEVEL_NAMES.get(to_simplified(str(value or "").strip()).lower(), "")


def place_values(values: dict, provenance: dict, layers: list[tuple[str, dict]]) -> None:
    """Canonical ``city``, ``province``, ``county`` and the document's ``level`` (全国/省级/市级/县级), in place.

    A district or county implies its city (崂山区 → 青岛), a city its province; a municipality (北京, 上海…)
    is a province. A county not given is the one of the city's districts the title names. The level is
    the curated ``region_level`` when given, else the narrowest place known; a document naming no place is
    national when its title or issuing office is a national one (国务院, 民政部…), else its level stays
    unknown ("").
    """
    city = canonical_city(values.get("city", ""))
    province = canonical_province(values.get("province", ""))
    county = to_simplified(next((_text_value(curated["county"]) or "" for _, curated in layers
                                 if curated.get("county")), "").strip())
    provenance["county"] = next((source for source, curated in layers if curated.get("county")), "missing")
    if county and not city:
        city = next((place.city for place in places() if county in place.names[1:]), "")
        if city:
            provenance["city"] = "inferred"
    curated_level = next((canonical_level(curated.get("region_level")) for _, curated in layers
                          if canonical_level(curated.get("region_level"))), "")
    if city and not county and curated_level in ("", "县级"):
        title = to_simplified(str(values.get("title") or ""))
        county = next((district for place in places() if place.city == city
                       for district in place.names[1:] if district in title), "")
        if county:
            provenance["county"] = "inferred"
    if city in PROVINCIAL_CITIES:
        province = province or canonical_province(city)
        city = ""
    if city and not province:
        province = province_of(city)
        if province:
            provenance["province"] = "inferred"
    values["city"], values["province"], values["county"] = city, province, county
    if curated_level:
        level, provenance["level"] = curated_level, next(
            source for source, curated in layers if canonical_level(curated.get("region_level")))
    else:
        national = not (county or city or province) and any(
            _NATIONAL_ISSUER.match(to_simplified(str(values.get(name) or "").strip())) for name in ("source", "title"))
        level = ("县级" if county else "市级" if city else "省级" if province else NATIONAL if national else "")
        provenance["level"] = "inferred" if level else "missing"
    values["level"] = level
    if level == NATIONAL:
        values["city"] = values["province"] = values["county"] = ""


def facet_province(level: str, province: str) -> str:
    """The value a document has in the ``province`` facet: its province, or 全国 for a national document."""
    return NATIONAL if level == NATIONAL else province or ""


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


# -- front matter --------------------------------------------------------------

FRONT_MATTER_DELIMITERS = ("---", "+++")
MAX_FRONT_MATTER_LINES = 60
_FRONT_MATTER_KEYS = {
    "title": "title", "标题": "title", "题目": "title",
    "city": "city", "城市": "city", "地市": "city",
    "province": "province", "省份": "province", "省": "province",
    "county": "county", "区县": "county", "县区": "county", "district": "county",
    "region_level": "region_level", "level": "region_level", "级别": "region_level", "层级": "region_level",
    "date": "date", "日期": "date", "成文日期": "date", "发布日期": "date",
    "year": "year", "年份": "year", "年度": "year",
    "source": "source", "来源": "source", "发布机关": "source", "发文机关": "source",
    "authors": "authors", "author": "authors", "作者": "authors",
    "doc_type": "doc_type", "type": "doc_type", "类型": "doc_type", "文档类型": "doc_type",
    "script": "script",
    "url": "url", "链接": "url", "网址": "url", "原文链接": "url", "source_url": "url",
    "accessed": "accessed", "access_date": "accessed", "引用日期": "accessed", "访问日期": "accessed",
    "date_basis": "date_basis", "日期依据": "date_basis",
}


def parse_front_matter(delimiter: str, lines: list[str]) -> dict:
    """A front-matter block's fields, as written: ``---`` YAML-style ``key: value`` lines, or ``+++`` TOML.

    Keys may be English or Chinese (标题, 城市, 日期, 来源, 类型…); unknown
    keys are ignored. Values are checked by :func:`checked_values`, as a manifest's are.
    """
    raw: dict = {}
    if delimiter == "+++":
        try:
            raw = tomllib.loads("\n".join(lines))
        except tomllib.TOMLDecodeError:
            raw = {}
    else:
        for line in lines:
            key, sep, value = line.partition(":")
            if not sep:
                key, sep, value = line.partition("：")
            if sep and key.strip() and not key.startswith((" ", "\t", "#")):
                raw[key.strip()] = _yaml_scalar(value.strip())
    fields: dict = {}
    for key, value in raw.items():
        name = _FRONT_MATTER_KEYS.get(str(key).strip().lower())
        if name is not None and value not in (None, "", []):
            fields[name] = value
    return fields


_TEXT_FIELDS = ("title", "city", "province", "county", "source", "doc_type", "script", "region_level", "date_basis")
# Other names a manifest may use for a field.
_MANIFEST_ALIASES = {"access_date": "accessed", "引用日期": "accessed", "访问日期": "accessed", "链接": "url",
                     "source_url": "url"}
_URL = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_CONTROL_OR_SPACE = re.compile(r"[\s\x00-\x1f\x7f]+")
_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_YEAR = re.compile(r"^(\d{4})(?:\s*年度?)?$")
_DATE_START = re.compile(r"^(\d{4})(?!\d)")
MIN_YEAR, MAX_YEAR = 1900, 2100


def checked_values(raw: dict, where: str) -> tuple[dict, list[str]]:
    """A manifest entry's or front-matter block's known fields in the types the engine uses, and notices.

    Hand-written values come in every shape (``date: 待定``, an unquoted TOML
    date, ``year = "二〇二五"``, ``title = 12345``); each is made into what its
    field means, or left out and named in a notice, so one value never stops a build.
    """
    values: dict = {}
    notices: list[str] = []
    for name, value in raw.items():
        name = _MANIFEST_ALIASES.get(name, name)
        if name in _TEXT_FIELDS:
            checked = _text_value(value)
        elif name in ("date", "accessed"):
            checked = _date_value(value)
        elif name == "url":
            checked = _url_value(value)
        elif name == "year":
            checked = _year_value(value)
        elif name == "authors":
            checked = _authors_value(value)
        else:
            continue
        if checked is None:
            notices.append(f"{where}中的 {name} 值「{_shown_value(value)}」无法识别，已忽略")
        else:
            values[name] = checked
    return values, notices


def _text_value(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return _CONTROL_OR_SPACE.sub(" ", str(value)).strip()  # a value is one line wherever it is shown


def _date_value(value) -> str | None:
    if isinstance(value, (datetime.date, datetime.datetime)):
        value = value.isoformat()
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = normalise_date(str(value).translate(_CHINESE_DIGITS))
    start = _DATE_START.match(text)
    if not text:
        return ""
    return text if start and MIN_YEAR <= int(start.group(1)) <= MAX_YEAR else None


def _url_value(value) -> str | None:
    """An absolute http(s) address, as written (an empty value is no address)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if not value or is_url(value) else None


def is_url(value: str) -> bool:
    """An absolute http(s) address without spaces."""
    return bool(_URL.match(value))


def _year_value(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    match = _YEAR.match(str(value).strip().translate(_CHINESE_DIGITS))
    year = int(match.group(1)) if match else None
    return year if year is not None and MIN_YEAR <= year <= MAX_YEAR else None


def _authors_value(value) -> list[str] | None:
    items = re.split(r"[,，、;；]+", value) if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        return None
    return [author for author in (_text_value(item) for item in items) if author]


def _shown_value(value) -> str:
    text = _CONTROL_OR_SPACE.sub(" ", str(value))
    return text if len(text) <= 30 else text[:30] + "…"


def _yaml_scalar(value: str):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    if value.startswith("[") and value.endswith("]"):
        return [_yaml_scalar(item.strip()) for item in value[1:-1].split(",") if item.strip()]
    return value


def normalise_date(value: str) -> str:
    """2025-05-28, 2025/5/28, 2025.5.28 or 2025年5月28日 → 2025-05-28; a year-month or year stays as given."""
    value = value.strip()
    for pattern in (_FULL_DATE, _ISO_DATE):
        match = pattern.search(value)
        if match:
            return _iso(match) or value
    return value


def _iso(match: re.Match) -> str:
    year, month, day = (int(g) for g in match.groups())
    if not (1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"
