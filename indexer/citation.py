"""Citations a reader can paste: the passage with its source, and a GB/T 7714-2015 reference."""

from __future__ import annotations

_TYPE_CODES = {"新闻报道": "N", "政策文件": "Z", "工作报告": "Z"}


def citation(passage: str, meta: dict, section: list[str]) -> str:
    """The passage, then 《title》, source, date and section, in the passage's own script."""
    parts = [f"《{meta['title']}》"] + [p for p in (meta.get("source"), meta.get("date")) if p]
    if section:
        parts.append(" › ".join(section))
    return f"{passage}\n——{'，'.join(parts)}"


def gbt7714(meta: dict) -> str:
    """A reference in GB/T 7714-2015 form: 作者. 题名[类型]. 出处, 日期."""
    code = _TYPE_CODES.get(meta.get("doc_type", ""), "Z")
    authors = meta.get("authors") or []
    lead = ", ".join(authors[:3]) + (", 等" if len(authors) > 3 else "")
    head = f"{lead}. " if lead else ""
    tail = ", ".join(p for p in (meta.get("source"), meta.get("date")) if p)
    return f"{head}{meta['title']}[{code}]. {tail}." if tail else f"{head}{meta['title']}[{code}]."
