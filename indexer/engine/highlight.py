"""Highlighting for Chinese: matches found in the folded text, marked in the original.

Three small parts, as in Whoosh: a matcher that finds the spans to mark, a
fragmenter that cuts long text into sentence fragments (Chinese sentence ends,
no length limit on the text), and a formatter that escapes everything and
wraps matches in ``<mark>``. Because script folding keeps every character in
place, a span found in the Simplified form marks the same characters in a
Traditional original.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from indexer.text.terms import match_form

Span = tuple[int, int]
SNIPPET_FALLBACK_CHARS = 120

SENTENCE_ENDS = "。！？；!?;"
_FRAGMENT = re.compile(rf"[^{SENTENCE_ENDS}]*(?:[{SENTENCE_ENDS}]+[”’」』）)]*|$)")


def match_spans(text: str, needles: list[str]) -> list[Span]:
    """Where any needle (Simplified, lower-case) occurs in ``text``, overlaps merged."""
    folded = match_form(text)
    spans: list[Span] = []
    for needle in {n for n in needles if n}:
        start = folded.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + 1)
    return _merge(spans)


def format_html(text: str, spans: list[Span], start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` escaped, with each span inside ``<mark>``."""
    end = len(text) if end is None else end
    parts: list[str] = []
    cursor = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start >= span_end:
            continue
        parts.append(html.escape(text[cursor:span_start]))
        parts.append(f"<mark>{html.escape(text[span_start:span_end])}</mark>")
        cursor = span_end
    parts.append(html.escape(text[cursor:end]))
    return "".join(parts)


@dataclass
class Fragment:
    start: int
    end: int
    matches: int


def sentence_fragments(text: str, spans: list[Span]) -> list[Fragment]:
    """Sentences of ``text`` (split on 。！？； and their Western forms) with their match counts."""
    fragments = []
    for match in _FRAGMENT.finditer(text):
        if match.end() > match.start():
            count = sum(1 for s, e in spans if s < match.end() and e > match.start())
            fragments.append(Fragment(match.start(), match.end(), count))
    return fragments


def best_fragments(text: str, spans: list[Span], top: int = 3) -> list[Fragment]:
    """The ``top`` sentences with the most matches, in text order."""
    scored = [f for f in sentence_fragments(text, spans) if f.matches]
    chosen = sorted(scored, key=lambda f: (-f.matches, f.start))[:top]
    return sorted(chosen, key=lambda f: f.start)


def highlight(text: str, needles: list[str]) -> str:
    return format_html(text, match_spans(text, needles))


def snippet(text: str, needles: list[str], top: int = 2, separator: str = "……") -> str:
    """The best-matching sentences of ``text``, highlighted, for compact result lists."""
    return _snippet(text, match_spans(text, needles), top, separator)


def highlight_and_snippet(text: str, needles: list[str]) -> tuple[str, str]:
    """:func:`highlight` and :func:`snippet` of one text, its matches found once."""
    spans = match_spans(text, needles)
    return format_html(text, spans), _snippet(text, spans)


def _snippet(text: str, spans: list[Span], top: int = 2, separator: str = "……") -> str:
    fragments = best_fragments(text, spans, top)
    if not fragments:
        return format_html(text, spans, 0, min(len(text), SNIPPET_FALLBACK_CHARS))
    return separator.join(format_html(text, spans, f.start, f.end).strip() for f in fragments)


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
