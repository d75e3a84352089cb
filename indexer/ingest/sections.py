"""Headings and section paths: which headings stand above each paragraph.

A heading's rank decides nesting: a new heading closes every open heading of
the same or a deeper rank. Markdown levels come first, then Chinese numbering
from 第一章 down to (1), then short stand-alone lines and bold lead-ins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from indexer.text.script import to_simplified

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
# Back matter (附件, 附录, 名词解释, 注释): a section of its own, closing all others, under which the rest nests.
BACK_MATTER_RANK = 0

_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s*(.+?)\s*#*$")
_BOLD_LEAD_IN = re.compile(r"^\*\*(.+?)\*\*\s*(.*)$")
_LEAD_IN_END = re.compile(r"[。；;：:！？!?]")
_TRAILING_PUNCT = re.compile(r"[\s。；;：:，,！？!?、]+$")
_SENTENCE_END = re.compile(r"[。；;！？!?，,、：:…]$")
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")
_DATE_ONLY = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?$|^\d{4}[-./]\d{1,2}[-./]\d{1,2}$")
_NON_WORD = re.compile(r"[^0-9A-Za-z\u3400-\u9fff]")
_APPENDIX = re.compile(rf"^(?:附件|附录|附表)\s*[\d{_CN_NUM}]{{0,3}}$")
# A glossary's heading: 名词解释, 注释, 《政府工作报告》有关内容名词注释…
_GLOSSARY = re.compile(r"(?:名词解释|名词注释|名词释义|名词说明|术语解释|注释|注解|释义)$")
# Lines a list run may hold at most before it is read as it stands (bounds the look-ahead).
MAX_LIST_RUN = 200

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
    # The rank of the line's numbering (1. → 8), whether or not it made the line a heading.
    numbered: int | None = None
    text: str = ""


def classify(line: str) -> Line:
    """What a line is on its own; :func:`classified` then reads it among its neighbours."""
    found = _classify(line)
    found.text = line
    if found.heading is not None and found.body is None and is_back_matter(found.heading.text):
        found.heading.rank = BACK_MATTER_RANK
    return found


def is_back_matter(heading: str) -> bool:
    """附件 / 附录 (with a number), or a glossary's heading."""
    return bool(_APPENDIX.match(heading) or is_glossary(heading))


def is_glossary(heading: str) -> bool:
    return len(heading) <= MAX_SHORT_HEADING and bool(_GLOSSARY.search(to_simplified(heading)))


def classified(lines: Iterable[str]) -> Iterator[Line]:
    """Lines read among their neighbours (date lines left out):

    - a run of consecutive numbered items of one rank is a list, not headings, when more than half of
      them are plain paragraphs (items too long to lead in with a heading): the few that look like
      headings (1.通过…20亿元以上；…) are paragraphs like their siblings;
    - in a glossary (名词解释, 注释 …), a numbered entry with its definition on the line is a paragraph
      of the glossary, not a heading under it; a term alone on its line (1.“四上”企业：) stays the
      heading of the definition that follows; a heading of a higher rank (一、, （一）) ends the glossary.
    """
    glossary = False
    run: list[Line] = []
    for raw in lines:
        if is_date_line(raw):
            continue
        line = classify(raw)
        if run and (line.numbered is None or line.numbered != run[0].numbered or len(run) >= MAX_LIST_RUN):
            yield from _list_run(run)
            run = []
        if line.heading is not None and line.heading.rank == BACK_MATTER_RANK:
            glossary = is_glossary(line.heading.text)
        elif line.heading is not None and line.heading.rank < 8:
            glossary = False
        elif glossary and line.numbered is not None and line.body is not None:
            line = Line(None, raw, line.numbered, raw)
        if line.numbered is not None:
            run.append(line)
        else:
            yield line
    yield from _list_run(run)


def _list_run(run: list[Line]) -> list[Line]:
    """A run of numbered items whose items are mostly paragraphs is a list: every item is a paragraph."""
    paragraphs = sum(line.heading is None for line in run)
    if len(run) > 1 and paragraphs * 2 > len(run):
        return [Line(None, line.text, line.numbered, line.text) for line in run]
    return run


def _classify(line: str) -> Line:
    markdown = _MARKDOWN_HEADING.match(line)
    if markdown:
        return Line(Heading(len(markdown.group(1)), _heading_text(markdown.group(2))), None)

    bold = _BOLD_LEAD_IN.match(line)
    if bold:
        lead, rest = bold.group(1), bold.group(2)
        if not rest:
            return Line(Heading(SHORT_LINE_RANK, _heading_text(lead)), None)
        return Line(Heading(BOLD_LEAD_IN_RANK, _heading_text(lead)), line)

    numbered = None
    for rank, pattern in _NUMBERED:
        numbering = pattern.match(line)
        if not numbering:
            continue
        numbered = rank
        end = _LEAD_IN_END.search(line, numbering.end())
        if end is None:
            if len(line) <= MAX_LEAD_IN:
                return Line(Heading(rank, _heading_text(line)), None, rank)
            break
        if end.start() <= MAX_LEAD_IN:
            has_body = bool(line[end.end():].strip())
            return Line(Heading(rank, _heading_text(line[:end.start()])), line if has_body else None, rank)
        break

    if numbered is None and _looks_like_short_heading(line):
        return Line(Heading(SHORT_LINE_RANK, _heading_text(line)), None)
    return Line(None, line, numbered)


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
        if (heading.rank in (SHORT_LINE_RANK, BACK_MATTER_RANK) and self._previous_was_short_heading
                and self._open and self._open[-1].rank in (heading.rank, BACK_MATTER_RANK)):
            # A headline followed by its sub-headline (附件2 / 名词解释): one heading.
            self._open[-1] = Heading(self._open[-1].rank, f"{self._open[-1].text} {heading.text}")
        else:
            while self._open and self._open[-1].rank >= heading.rank:
                self._open.pop()
            self._open.append(heading)
        self._previous_was_short_heading = heading.rank in (SHORT_LINE_RANK, BACK_MATTER_RANK)

    def leave_all(self) -> None:
        self._open.clear()
        self._previous_was_short_heading = False

    def body(self) -> None:
        self._previous_was_short_heading = False

    @property
    def path(self) -> list[str]:
        return [heading.text for heading in self._open]
