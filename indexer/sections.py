"""Headings and section paths: which headings stand above each paragraph.

A heading's rank decides nesting: a new heading closes every open heading of
the same or a deeper rank. Markdown levels come first, then Chinese numbering
from 第一章 down to (1), then short stand-alone lines and bold lead-ins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.script import to_simplified

_CN_NUM = "一二三四五六七八九十百零〇"

# (rank, pattern); the pattern's match is the numbering, the rest is the heading.
_NUMBERED = [
    (5, re.compile(rf"^第[{_CN_NUM}\d]+[章篇部分]+\s*")),
    (6, re.compile(rf"^[{_CN_NUM}]+[、．.]\s*")),
    (7, re.compile(rf"^[（(][{_CN_NUM}]+[)）]\s*")),
    (8, re.compile(r"^\d{1,2}[、．.](?!\d)\s*")),
    (9, re.compile(r"^[（(]\d{1,2}[)）]\s*")),
]
SHORT_LINE_RANK = 10
BOLD_LEAD_IN_RANK = 11

_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s*(.+?)\s*#*$")
_BOLD_LEAD_IN = re.compile(r"^\*\*(.+?)\*\*\s*(.*)$")
_LEAD_IN_END = re.compile(r"[。；;：:！？!?]")
_TRAILING_PUNCT = re.compile(r"[\s。；;：:，,！？!?、]+$")
_SENTENCE_END = re.compile(r"[。；;！？!?，,、：:…]$")
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")
_DATE_ONLY = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?$|^\d{4}[-./]\d{1,2}[-./]\d{1,2}$")
_NON_WORD = re.compile(r"[^0-9A-Za-z\u3400-\u9fff]")

MAX_SHORT_HEADING = 30
MAX_LEAD_IN = 40


@dataclass
class Heading:
    rank: int
    text: str


@dataclass
class Line:
    """A cleaned line: a heading, a body paragraph, or both (a numbered or bold lead-in)."""

    heading: Heading | None
    body: str | None


def classify(line: str) -> Line:
    markdown = _MARKDOWN_HEADING.match(line)
    if markdown:
        return Line(Heading(len(markdown.group(1)), _heading_text(markdown.group(2))), None)

    bold = _BOLD_LEAD_IN.match(line)
    if bold:
        lead, rest = bold.group(1), bold.group(2)
        if not rest:
            return Line(Heading(SHORT_LINE_RANK, _heading_text(lead)), None)
        return Line(Heading(BOLD_LEAD_IN_RANK, _heading_text(lead)), line)

    for rank, pattern in _NUMBERED:
        numbering = pattern.match(line)
        if not numbering:
            continue
        end = _LEAD_IN_END.search(line, numbering.end())
        if end is None:
            if len(line) <= MAX_LEAD_IN:
                return Line(Heading(rank, _heading_text(line)), None)
            break
        if end.start() <= MAX_LEAD_IN:
            has_body = bool(line[end.end():].strip())
            return Line(Heading(rank, _heading_text(line[:end.start()])), line if has_body else None)
        break

    if _looks_like_short_heading(line):
        return Line(Heading(SHORT_LINE_RANK, _heading_text(line)), None)
    return Line(None, line)


def is_date_line(line: str) -> bool:
    return bool(_DATE_ONLY.match(line.strip()))


def _looks_like_short_heading(line: str) -> bool:
    return (len(line) <= MAX_SHORT_HEADING and bool(_HAS_CJK.search(line))
            and not _SENTENCE_END.search(line) and not is_date_line(line))


def _heading_text(text: str) -> str:
    return _TRAILING_PUNCT.sub("", text.replace("**", "").replace("__", "")).strip()


def comparable(text: str) -> str:
    """Script-folded word characters only: how headings are compared with the title."""
    return _NON_WORD.sub("", to_simplified(text))


def is_title_line(text: str, title: str) -> bool:
    """The document's own headline (or a piece of it), wherever it stands."""
    line, whole = comparable(text), comparable(title)
    return bool(line) and (line == whole or (len(line) >= 6 and line in whole))


class SectionTracker:
    """Keeps the stack of open headings while lines are read in order."""

    def __init__(self) -> None:
        self._open: list[Heading] = []
        self._previous_was_short_heading = False

    def enter(self, heading: Heading) -> None:
        if (heading.rank == SHORT_LINE_RANK and self._previous_was_short_heading
                and self._open and self._open[-1].rank == SHORT_LINE_RANK):
            # A headline followed by its sub-headline: one heading.
            self._open[-1] = Heading(SHORT_LINE_RANK, f"{self._open[-1].text} {heading.text}")
        else:
            while self._open and self._open[-1].rank >= heading.rank:
                self._open.pop()
            self._open.append(heading)
        self._previous_was_short_heading = heading.rank == SHORT_LINE_RANK

    def leave_all(self) -> None:
        self._open.clear()
        self._previous_was_short_heading = False

    def body(self) -> None:
        self._previous_was_short_heading = False

    @property
    def path(self) -> list[str]:
        return [heading.text for heading in self._open]
