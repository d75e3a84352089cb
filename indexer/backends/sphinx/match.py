"""A query plan (indexer/query/plan.py) written as a Sphinx ``MATCH()`` expression over the shard schema.

The terms are ours (``indexer/text/terms.py``), indexed space-separated: Sphinx only splits on the
spaces and stores each term as one keyword (:func:`keyword`). A phrase in the bigram layer is a Sphinx
phrase (bigrams of a run stand at consecutive positions, a run's last character alone between runs,
so a phrase of bigrams matches exactly where its text is a substring); a phrase of words in a field
matches, as on Whoosh, where the field holds every word and its text (the words joined) stands in it
(the field's bigram layer). Every node is parenthesised, so Sphinx's precedence (OR binds tighter than
AND) never applies. ``None`` stands for a node that matches nothing.
"""

from __future__ import annotations

import re

from indexer.query import plan
from indexer.text.terms import WORD_CHAR_RANGES

# The bigram layer each field's phrases are checked in (Whoosh: the field's text table).
GRAMS_OF = {"content": "grams", "grams": "grams", "title": "title_grams", "section": "section_grams"}
TEXT_FIELDS = ("content", "grams", "title", "title_grams", "section", "section_grams")
# Sphinx's characters of a keyword: the word characters of our terms, letters folded (they are lower case).
CHARSET_TABLE = ", ".join(["0..9", "A..Z->a..z", "_", "a..z"] + [f"U+{low:04X}..U+{high:04X}"
                                                                   for low, high in WORD_CHAR_RANGES if low > 0x7F])


# A character Sphinx would split a keyword at (or fold): outside the word characters, an upper-case letter, "_".
_SPLIT = re.compile("[^" + "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in WORD_CHAR_RANGES
                                   if not low <= 0x41 <= high) + "_ ]|[A-Z_]")


def _spelled(found: re.Match) -> str:
    return f"_{ord(found.group()):x}_"


def keyword(term: str) -> str:
    """A term as one Sphinx keyword: characters Sphinx would split on (β, ①, an underscore) spelled ``_hex_``."""
    return _SPLIT.sub(_spelled, term)


def keywords(terms: list[str]) -> str:
    """A text field's value: its terms as keywords, space-separated (a term holds no space)."""
    return _SPLIT.sub(_spelled, " ".join(terms))


def expression(node, scored: bool = True) -> str | None:
    """``node`` as a MATCH expression; with ``scored=False`` only what decides the match is written
    (``AndMaybe``'s scoring part left out: a shorter expression for counting)."""
    kind = type(node)
    if kind is plan.FieldTerm:
        return f"(@{node.field} {keyword(node.text)})"
    if kind is plan.FieldPhrase:
        return _phrase(node)
    if kind is plan.FieldPrefix:
        return f"(@{node.field} {keyword(node.text)}*)"
    if kind is plan.And or kind is plan.Require:
        parts = [expression(part, scored) for part in (node.parts if kind is plan.And else (node.a, node.b))]
        return None if any(part is None for part in parts) else f"({' '.join(parts)})"
    if kind is plan.Or:
        return any_of([expression(part, scored) for part in node.parts])
    if kind is plan.AndMaybe:
        required, optional = expression(node.a, scored), expression(node.b, scored) if scored else None
        if required is None or optional is None:
            return required
        return f"({required} MAYBE {optional})"
    if kind is plan.AndNot:
        return without(expression(node.a, scored), expression(node.b, scored))
    if node is plan.NOTHING:
        return None
    raise TypeError(f"plan node {kind.__name__} is not written here")


def any_of(parts: list[str | None]) -> str | None:
    parts = [part for part in parts if part is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else f"({' | '.join(parts)})"


def all_of(parts: list[str | None]) -> str | None:
    if not parts or any(part is None for part in parts):
        return None
    return parts[0] if len(parts) == 1 else f"({' '.join(parts)})"


def without(kept: str | None, dropped: str | None) -> str | None:
    """Passages matching ``kept`` but not ``dropped``."""
    if kept is None or dropped is None:
        return kept
    return f"({kept} -{dropped})"


def _phrase(node: plan.FieldPhrase) -> str:
    if node.field == "grams":
        return f'(@grams "{keywords(list(node.words))}")'
    text = "".join(node.words)
    bigrams = [text[i:i + 2] for i in range(len(text) - 1)] or [text]
    words = f"(@{node.field} {keywords(list(node.words))})"
    return f'({words} (@{GRAMS_OF[node.field]} "{keywords(bigrams)}"))'
