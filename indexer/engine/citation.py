"""Citations a reader can paste: the passage with its source in plain form, and a GB/T 7714-2015 reference.

The reference's type follows the document: an item read online (it has an
address) is ``[EB/OL]``, or ``[N/OL]`` for a newspaper's web edition, with the
address and the 引用日期; without an address a news article is ``[N]`` (the
newspaper's name as where it appeared) and anything else — a policy document,
a government work report — ``[Z]``. The 引用日期 is the access date the
manifest or front matter gives, else the day the file was read into the index.
A date the manifest marks as a guess is never printed as fact: the plain form
says 推定, the reference gives the year in square brackets (GB/T 7714-2015
8.4.2: an estimated year is bracketed).
"""

from __future__ import annotations

import datetime

NEWS_TYPES = ("新闻报道",)
MAX_AUTHORS = 3


def type_code(meta: dict) -> str:
    """GB/T 7714 document type and carrier: EB/OL, N/OL, N or Z."""
    news = meta.get("doc_type", "") in NEWS_TYPES
    if meta.get("url"):
        return "N/OL" if news else "EB/OL"
    return "N" if news else "Z"


def access_date(meta: dict) -> str:
    """引用日期: as given for the document, else the day it was indexed (today for a record without one)."""
    return meta.get("accessed") or meta.get("indexed") or datetime.date.today().isoformat()


def plain_date(meta: dict) -> str:
    """The document's date as a reader should take it: the date, 推定 when a guess, else the year alone."""
    date, year = meta.get("date") or "", meta.get("year")
    if date:
        return f"{date}（推定）" if meta.get("date_estimated") else date
    return f"{year}年" if year else ""


def reference_date(meta: dict) -> str:
    """The date in a reference: the date, or the year, bracketed when the manifest marks it as a guess."""
    date, year = meta.get("date") or "", meta.get("year")
    if date and meta.get("date_estimated"):
        return f"[{year or date[:4]}]"
    return date or (str(year) if year else "")


def citation(passage: str, meta: dict, section: list[str]) -> str:
    """The passage, then ——《题名》，来源，日期，章节 (and the address with its 引用日期), in the passage's own script.

    The address stands last, on its own after 网址：, so pasting it keeps it one link.
    """
    parts = [f"《{meta['title']}》"] + [p for p in (meta.get("source"), plain_date(meta)) if p]
    if section:
        parts.append(" › ".join(section))
    if meta.get("url"):
        parts += [f"引用日期：{access_date(meta)}", f"网址：{meta['url']}"]
    return f"{passage}\n——{'，'.join(parts)}"


def gbt7714(meta: dict) -> str:
    """A reference in GB/T 7714-2015 form, by type:

    - ``作者. 题名[Z]. 发布机关, 日期.`` (no author: the issuing office leads: ``发布机关. 题名[Z]. 日期.``)
    - ``作者. 题名[N]. 报纸名, 日期.``
    - ``作者. 题名[N/OL]. 报纸名, 日期[引用日期]. 网址.``
    - ``作者. 题名[EB/OL]. 发布者, 日期[引用日期]. 网址.`` (no author: ``发布者. 题名[EB/OL]. (日期)[引用日期]. 网址.``)
    """
    code = type_code(meta)
    authors = list(meta.get("authors") or [])
    publisher, date = meta.get("source") or "", reference_date(meta)
    lead = ", ".join(authors[:MAX_AUTHORS]) + (", 等" if len(authors) > MAX_AUTHORS else "")
    if not lead and code in ("Z", "EB/OL"):
        lead, publisher = publisher, ""  # an office's own document: the office is its author
    head = f"{lead}. {meta['title']}[{code}]" if lead else f"{meta['title']}[{code}]"
    if code in ("N/OL", "EB/OL"):
        accessed = f"[{access_date(meta)}]"
        if publisher:
            published = f"{publisher}, {date}{accessed}" if date else f"{publisher}{accessed}"
        else:
            published = f"({date}){accessed}" if date else accessed
        return f"{head}. {published}. {meta['url']}."
    tail = ", ".join(part for part in (publisher, date) if part)
    return f"{head}. {tail}." if tail else f"{head}."
