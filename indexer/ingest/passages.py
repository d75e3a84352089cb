"""From article lines to passages: paragraphs with their section path.

A passage is a paragraph; one longer than about ``MAX_PASSAGE_CHARS`` is cut
at sentence ends so a hit points at the sentences that matter. A paragraph
repeated inside one document (captures often repeat an introduction) becomes
one passage. A bare line naming who is responsible for a measure
(「(責任單位:…)」, 「（牵头单位：…）」) belongs to the paragraph before it; in a text
whose headings are marked (``#``), a short unmarked line standing between two
paragraphs is a photo caption, not a heading, and is left out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator

from indexer.ingest.cleaning import iter_clean_lines, split_lines
from indexer.documents import Passage
from indexer.text.shingles import MIN_CHARS, RecentNearDuplicates
from indexer.text.script import to_simplified
from indexer.ingest.sections import SHORT_LINE_RANK, Line, SectionTracker, classified, comparable, is_title_line

MAX_PASSAGE_CHARS = 400

_SENTENCE = re.compile(r"[^。！？；!?;]*(?:[。！？；!?;]+[”’」』）)]*|$)")
_CLAUSE = re.compile(r"[^，,、：:]*(?:[，,、：:]+|$)")
_MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MARKDOWN_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])")
_MARKDOWN_LINE_PREFIX = re.compile(r"^(?:>\s*|[-*+]\s+)+")
# 「(责任单位:市民政局、…)」 alone on a line, in either script (matched on the Simplified form).
_RESPONSIBLE = re.compile(r"^[(（]\s*(?:责任|牵头|主责|配合)单位\s*[:：][^()（）]*[)）]$")


def split_passages(text: str, title: str) -> list[Passage]:
    return list(iter_passages(split_lines(text), title))


def iter_passages(lines: Iterable[str], title: str) -> Iterator[Passage]:
    """Passages as raw lines are read: a file of any size streams through in bounded memory.

    Exact repeats are recognised by a hash of the paragraph's comparable form,
    near repeats (a character dropped, 、 for ，) by a bounded shingle sketch,
    so what is held grows by a few integers per paragraph, not by its text.
    """
    tracker = SectionTracker()
    order = 0
    repeats = _Repeats()
    captions = _Captions()
    for line, following in _with_next(classified(iter_clean_lines(lines))):
        if is_responsible_line(line.text):
            continue  # joined to the paragraph before it (below), or nothing to join
        if captions.is_caption(line, following) or not _enter(tracker, line, title) or line.body is None:
            continue
        body = strip_markdown(line.body)
        if repeats.seen(body, lambda: line.heading is None and is_title_line(body, title)):
            continue
        if following is not None and is_responsible_line(following.text):
            body = f"{body}{following.text.strip()}"
        for piece in split_long(body):
            yield Passage(text=piece, order=order, section=tracker.path)
            order += 1


class _Captions:
    """Photo captions: in a text that marks its headings with #, an unmarked short line between two paragraphs."""

    def __init__(self):
        self.marked_headings = False
        self.previous_body = False

    def is_caption(self, line: Line, following: Line | None) -> bool:
        if line.heading is not None and line.body is None and line.text.lstrip().startswith("#"):
            self.marked_headings = True
        elif (self.marked_headings and self.previous_body and line.heading is not None and line.body is None
              and line.heading.rank == SHORT_LINE_RANK and not line.text.startswith("**")
              and following is not None and following.heading is None):
            return True
        self.previous_body = line.heading is None
        return False


def _enter(tracker: SectionTracker, line: Line, title: str) -> bool:
    """Follow the section path to ``line``; False for the document's title, which closes every section."""
    if line.heading is None:
        tracker.body()
    elif is_title_line(line.heading.text, title):
        tracker.leave_all()
        return False
    else:
        tracker.enter(line.heading)
    return True


class _Repeats:
    """Paragraphs already given: exact repeats by a hash of the comparable form, near repeats (a character
    dropped, 、 for ，) by a bounded shingle sketch — a few integers per paragraph, not its text."""

    def __init__(self):
        self._hashes: set[bytes] = set()
        self._near = RecentNearDuplicates()

    def seen(self, body: str, is_title) -> bool:
        """True for an empty, repeated or near-repeated paragraph, or the title (``is_title()``, asked last)."""
        key = comparable(body)
        digest = hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest()  # stable across processes
        if not key or digest in self._hashes or is_title():
            return True
        self._hashes.add(digest)
        return len(key) >= MIN_CHARS and self._near.seen(key)


def is_responsible_line(line: str) -> bool:
    """「(責任單位:市民政局、…)」: who carries out the measure before it, not a passage or heading of its own."""
    return bool(_RESPONSIBLE.match(to_simplified(line.strip())))


def _with_next(lines: Iterable[Line]) -> Iterator[tuple[Line, Line | None]]:
    """Each line with the one after it (None at the end)."""
    previous = None
    for line in lines:
        if previous is not None:
            yield previous, line
        previous = line
    if previous is not None:
        yield previous, None


def strip_markdown(text: str) -> str:
    text = _MARKDOWN_IMAGE.sub("", text)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _MARKDOWN_LINE_PREFIX.sub("", text)
    return _MARKDOWN_EMPHASIS.sub("", text).strip()


def split_long(paragraph: str, limit: int = MAX_PASSAGE_CHARS) -> list[str]:
    """Cut at sentence ends into pieces of at most ``limit`` characters where possible."""
    if len(paragraph) <= limit:
        return [paragraph]
    units: list[str] = []
    for sentence in _pieces(_SENTENCE, paragraph):
        units.extend(_pieces(_CLAUSE, sentence) if len(sentence) > limit else [sentence])
    chunks: list[str] = []
    current = ""
    for unit in units:
        while len(unit) > limit:  # no punctuation at all: hard cut
            unit_head, unit = unit[:limit], unit[limit:]
            if current:
                chunks.append(current)
                current = ""
            chunks.append(unit_head)
        if current and len(current) + len(unit) > limit:
            chunks.append(current)
            current = ""
        current += unit
    if current:
        chunks.append(current)
    return [chunk.strip() for chunk in chunks if chunk.strip()]


def _pieces(pattern: re.Pattern, text: str) -> list[str]:
    return [match.group() for match in pattern.finditer(text) if match.group()]
