"""Places: the dictionary of cities and their districts, one name per place, and a document's place and level.

``dictionaries/places.tsv`` lists each prefecture-level city with its province,
full name and county-level districts. A document's ``city``, ``province``,
``county`` and ``level`` (全国/省级/市级/县级) come from its curated values or
are inferred from its title and text (:func:`infer_city`, :func:`place_values`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from indexer.config import DICTIONARY_DIR
from indexer.ingest.front_matter import _text_value
from indexer.text.script import to_simplified


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
    county, provenance["county"] = _curated(layers, "county", lambda value: to_simplified(_text_value(value) or "").strip(),
                                            any_value=True)
    curated_level, level_source = _curated(layers, "region_level", canonical_level)
    city, county = _city_and_county(city, county, curated_level, str(values.get("title") or ""), provenance)
    city, province = _city_and_province(city, province, provenance)
    values["city"], values["province"], values["county"] = city, province, county
    if curated_level:
        level, provenance["level"] = curated_level, level_source
    else:
        level = _inferred_level(values)
        provenance["level"] = "inferred" if level else "missing"
    values["level"] = level
    if level == NATIONAL:
        values["city"] = values["province"] = values["county"] = ""


def _curated(layers: list[tuple[str, dict]], key: str, read, any_value: bool = False) -> tuple[str, str]:
    """``read`` of the first curated layer's value for ``key`` that ``read`` makes something of (with
    ``any_value``, that holds any value at all), and that layer's name."""
    for source, curated in layers:
        if curated.get(key) and (any_value or read(curated[key])):
            return read(curated[key]), source
    return "", "missing"


def _city_and_province(city: str, province: str, provenance: dict) -> tuple[str, str]:
    """A municipality (北京, 上海…) is a province; a city implies its province."""
    if city in PROVINCIAL_CITIES:
        return "", province or canonical_province(city)
    if city and not province:
        province = province_of(city)
        if province:
            provenance["province"] = "inferred"
    return city, province


def _city_and_county(city: str, county: str, curated_level: str, title: str, provenance: dict) -> tuple[str, str]:
    """A county implies its city (崂山区 → 青岛); a city's district the title names is its county."""
    if county and not city:
        city = next((place.city for place in places() if county in place.names[1:]), "")
        if city:
            provenance["city"] = "inferred"
    if city and not county and curated_level in ("", "县级"):
        title = to_simplified(title)
        county = next((district for place in places() if place.city == city
                       for district in place.names[1:] if district in title), "")
        if county:
            provenance["county"] = "inferred"
    return city, county


def _inferred_level(values: dict) -> str:
    """The narrowest place known; 全国 for a document naming no place whose issuer or title is national."""
    county, city, province = values["county"], values["city"], values["province"]
    if county or city or province:
        return "县级" if county else "市级" if city else "省级"
    national = any(_NATIONAL_ISSUER.match(to_simplified(str(values.get(name) or "").strip()))
                   for name in ("source", "title"))
    return NATIONAL if national else ""


def facet_province(level: str, province: str) -> str:
    """The value a document has in the ``province`` facet: its province, or 全国 for a national document."""
    return NATIONAL if level == NATIONAL else province or ""
