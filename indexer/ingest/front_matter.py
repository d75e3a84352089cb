"""Curated metadata as a curator writes it: front-matter blocks (``---`` YAML-like or ``+++`` TOML) and the
checking of every curated value (manifest or front matter) into the types the engine keeps."""

from __future__ import annotations

import datetime
import re
import tomllib

_FULL_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)")


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
