"""From article lines to passages: paragraphs with their section path.

A passage is a paragraph; one longer than about ``MAX_PASSAGE_CHARS`` is cut
at sentence ends so a hit points at the sentences that matter. A paragraph
repeated inside one document (captures often repeat an introduction) becomes
one passage.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator

from indexer.cleaning import iter_clean_lines, split_lines
from indexer.documents import Passage
from indexer.similarity import MIN_CHARS, RecentNearDuplicates
from indexer.sections import SectionTracker, classified, comparable, is_title_line

MAX_PASSAGE_CHARS = 400

_SENTENCE = re.compile(r"[^。！？；!?;]*(?:[。！？；!?;]+[”’」』）)]*|$)")
_CLAUSE = re.compile(r"[^，,、：:]*(?:[，,、：:]+|$)")
_MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MARKDOWN_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])")
_MARKDOWN_LINE_PREFIX = re.compile(r"^(?:>\s*|[-*+]\s+)+")


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
    seen: set[bytes] = set()
    near = RecentNearDuplicates()
    for line in classified(iter_clean_lines(lines)):
        if line.heading is not None:
            if is_title_line(line.heading.text, title):
                tracker.leave_all()
                continue
            tracker.enter(line.heading)
        else:
            tracker.body()
        if line.body is None:
            continue
        body = strip_markdown(line.body)
        key = comparable(body)
        digest = hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest()  # stable across processes
        if not key or digest in seen or (line.heading is None and is_title_line(body, title)):
            continue
        seen.add(digest)
        if len(key) >= MIN_CHARS and near.seen(key):
            continue
        for piece in split_long(body):
            yield Passage(text=piece, order=order, section=tracker.path)
            order += 1


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
