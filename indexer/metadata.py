"""Document metadata: from the corpus manifest when curated, otherwise inferred.

Every value records where it came from ("manifest", "front-matter",
"inferred" or "missing"), so a reader can tell a curated date from a guess.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from indexer.config import DICTIONARY_DIR
from indexer.script import to_simplified

MANIFEST_NAME = "manifest.toml"

_FULL_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)")
_LABELLED_DATE = re.compile(r"(?:成文日期|发布日期|发文日期|印发日期|日期)[:：]\s*(\d{4})\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})")
_DATE_LINE = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$", re.MULTILINE)
_POLICY_TITLE = re.compile(r"(方案|意见|通知|办法|规划|规定|细则|决定|纲要|条例|计划)[）)]?(?:[（(][^）)]*[)）])?$|(方案|意见|通知|办法|规划)[（(]")
_REPORT_TITLE = re.compile(r"工作报告")
_NEWS_HINT = re.compile(r"记者|本报讯|新闻发布会|发布会|日电|综述")
_HEADING = re.compile(r"^#{1,6}\s*(.+?)\s*#*$", re.MULTILINE)
_TRADITIONAL_SAMPLE = 2000


@dataclass(frozen=True)
class Place:
    city: str
    province: str
    names: tuple[str, ...]


def load_manifest(corpus_dir: Path) -> dict[str, dict]:
    """The curated entries of a corpus directory, keyed by file name."""
    path = corpus_dir / MANIFEST_NAME
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return {entry["file"]: entry for entry in data.get("document", []) if "file" in entry}


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
    for place in places():
        count = sum(text.count(name) for name in place.names)
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


def infer_date(text: str) -> str:
    """成文/发布日期 if labelled, else a signature date on its own line, else the latest full date."""
    for pattern in (_LABELLED_DATE, _DATE_LINE):
        match = pattern.search(text)
        if match:
            return _iso(match)
    dates = [_iso(m) for m in _FULL_DATE.finditer(text)] + [_iso(m) for m in _ISO_DATE.finditer(text)]
    dates = [d for d in dates if d]
    return max(dates) if dates else ""


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
    heading = _HEADING.search(text)
    if heading:
        return heading.group(1).replace("**", "").strip()
    for line in text.splitlines():
        line = line.strip()
        if 4 <= len(line) <= 60 and not line.endswith(("。", "：", ":")):
            return line
    return fallback


def infer_script(text: str) -> str:
    sample = text[:_TRADITIONAL_SAMPLE]
    changed = sum(1 for a, b in zip(sample, to_simplified(sample)) if a != b)
    return "traditional" if changed >= max(5, len(sample) // 200) else "simplified"


def resolve(curated: dict, text: str, fallback_title: str, curated_source: str = "manifest") -> tuple[dict, dict]:
    """Metadata values and their provenance: curated values win, the rest is inferred."""
    values: dict = {}
    provenance: dict[str, str] = {}

    def take(name, infer):
        if curated.get(name) not in (None, ""):
            values[name], provenance[name] = curated[name], curated_source
        else:
            value = infer()
            values[name] = value
            provenance[name] = "inferred" if value not in (None, "") else "missing"

    take("title", lambda: infer_title(text, fallback_title))
    city_guess: list[tuple[str, str]] = []

    def guess_city():
        if not city_guess:
            city_guess.append(infer_city(values["title"], text))
        return city_guess[0]

    take("city", lambda: guess_city()[0])
    take("province", lambda: guess_city()[1] if values["city"] else "")
    take("date", lambda: infer_date(text))
    take("year", lambda: int(values["date"][:4]) if values["date"] else None)
    take("source", lambda: "")
    take("authors", lambda: [])
    take("doc_type", lambda: infer_doc_type(values["title"], text))
    take("script", lambda: infer_script(text))
    if values["year"] is not None:
        values["year"] = int(values["year"])
    return values, provenance


def _iso(match: re.Match) -> str:
    year, month, day = (int(g) for g in match.groups())
    if not (1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"
