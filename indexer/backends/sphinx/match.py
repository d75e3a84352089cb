"""A query plan (indexer/query/plan.py) written as a Sphinx ``MATCH()`` expression over the shard schema.

The terms are ours (``indexer/text/terms.py``), indexed space-separated: Sphinx only splits on the
spaces and stores each term as one keyword (:func:`keyword`). A phrase in the bigram layer is a Sphinx
phrase (bigrams of a run stand at consecutive positions, a run's last character alone between runs,
so a phrase of bigrams matches exactly where its text is a substring); a phrase of words in a field
matches, as on Whoosh, where the field holds every word and its text (the words joined) stands in it
(the field's bigram layer). Every node is parenthesised, so Sphinx's precedence (OR binds tighter than
AND) never applies. ``None`` stands for a node that matches nothing.

Expressions are kept as :class:`Match` trees until they are :func:`written`: the engine's tiers and
counts combine the plan's nodes into long expressions that repeat the same terms, and Sphinx evaluates
what it is given (a union of five tiers cost five times the matching of its simplest equivalent). What
decides which passages match is simplified on its truth table (a phrase implies its words in its field);
a ranked fetch adds ``MAYBE`` and the keywords that score, each once over all the fields it scores in
(Sphinx ranks a keyword's hits by BM25F, field by field, whichever branch found them, so the weights
stay within a few per cent of the written-out expression's — checked on 5,000 passages of a million,
1 % differing — at a third of the time; a keyword's fields merged into one leaf read its postings once:
the ranking of two common words at a million passages 65 → 43 ms, the top 10 of 61 queries unchanged).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.query import plan
from indexer.text.terms import WORD_CHAR_RANGES

# The bigram layer each field's phrases are checked in (Whoosh: the field's text table).
GRAMS_OF = {"content": "grams", "grams": "grams", "title": "title_grams", "section": "section_grams"}
TEXT_FIELDS = ("content", "grams", "title", "title_grams", "section", "section_grams")
# Sphinx's characters of a keyword: the word characters of our terms, letters folded (they are lower case).
CHARSET_TABLE = ", ".join(["0..9", "A..Z->a..z", "_", "a..z"] + [f"U+{low:04X}..U+{high:04X}"
                                                                   for low, high in WORD_CHAR_RANGES if low > 0x7F])
# Up to this many distinct leaves an expression is simplified on its truth table (2**n bits per node).
MAX_TABLE_LEAVES = 18


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


@dataclass(frozen=True)
class Match:
    """A node of a MATCH() expression: a ``leaf`` (``text`` in ``fields``), or ``and``/``or``/``maybe``/``not``
    over ``parts`` (``maybe`` and ``not``: the kept part first)."""

    kind: str
    parts: tuple = ()
    text: str = ""
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        return _written(self)


def leaf(field: str, text: str) -> Match:
    return Match("leaf", text=text, fields=(field,))


def expression(node, scored: bool = True) -> Match | None:
    """``node`` as a MATCH expression; with ``scored=False`` only what decides the match is kept
    (``AndMaybe``'s scoring part left out: a shorter expression for counting)."""
    kind = type(node)
    if kind is plan.FieldTerm:
        return leaf(node.field, keyword(node.text))
    if kind is plan.FieldPhrase:
        return _phrase(node)
    if kind is plan.FieldPrefix:
        return leaf(node.field, f"{keyword(node.text)}*")
    if kind is plan.And or kind is plan.Require:
        return all_of([expression(part, scored) for part in (node.parts if kind is plan.And else (node.a, node.b))])
    if kind is plan.Or:
        return any_of([expression(part, scored) for part in node.parts])
    if kind is plan.AndMaybe:
        required, optional = expression(node.a, scored), expression(node.b, scored) if scored else None
        if required is None or optional is None:
            return required
        return Match("maybe", (required, optional))
    if kind is plan.AndNot:
        return without(expression(node.a, scored), expression(node.b, scored))
    if node is plan.NOTHING:
        return None
    raise TypeError(f"plan node {kind.__name__} is not written here")


def any_of(parts: list[Match | None]) -> Match | None:
    parts = [part for part in parts if part is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Match("or", tuple(parts))


def all_of(parts: list[Match | None]) -> Match | None:
    if not parts or any(part is None for part in parts):
        return None
    return parts[0] if len(parts) == 1 else Match("and", tuple(parts))


def without(kept: Match | None, dropped: Match | None) -> Match | None:
    """Passages matching ``kept`` but not ``dropped``."""
    if kept is None or dropped is None:
        return kept
    return Match("not", (kept, dropped))


def written(match: Match | None, ranked: bool = False) -> str | None:
    """The expression as Sphinx reads it: what decides the matches simplified; to rank with (``ranked``),
    followed by ``MAYBE`` and every keyword that scores."""
    if match is None:
        return None
    leaves = _leaves(match, {})
    tables = _Tables(leaves) if len(leaves) <= MAX_TABLE_LEAVES else None
    simpler = _ranked(match, tables) if ranked else _simplified(match, tables)[0]
    return None if simpler is None else _written(simpler)


def _phrase(node: plan.FieldPhrase) -> Match:
    if node.field == "grams":
        return leaf("grams", f'"{keywords(list(node.words))}"')
    text = "".join(node.words)
    bigrams = [text[i:i + 2] for i in range(len(text) - 1)] or [text]
    return Match("and", (leaf(node.field, keywords(list(node.words))), leaf(GRAMS_OF[node.field], f'"{keywords(bigrams)}"')))


# -- writing -------------------------------------------------------------------------

def _written(match: Match) -> str:
    if match.kind == "leaf":
        fields = match.fields[0] if len(match.fields) == 1 else f"({','.join(match.fields)})"
        return f"(@{fields} {match.text})"
    if match.kind == "maybe":
        return f"({_written(match.parts[0])} MAYBE {_written(match.parts[1])})"
    if match.kind == "not":
        return f"({_written(match.parts[0])} -{_written(match.parts[1])})"
    joiner = " | " if match.kind == "or" else " "
    return f"({joiner.join(_written(part) for part in match.parts)})"


def _one_keyword(match: Match) -> bool:
    return match.kind == "leaf" and " " not in match.text


def _fields_merged(parts: list[Match]) -> list[Match]:
    """An OR of one keyword in several fields as one multi-field leaf (Sphinx reads its postings once)."""
    fields: dict[str, list[str]] = {}
    for part in parts:
        if _one_keyword(part):
            fields.setdefault(part.text, [])
            fields[part.text] += [f for f in part.fields if f not in fields[part.text]]
    merged, done = [], set()
    for part in parts:
        if not _one_keyword(part):
            merged.append(part)
        elif part.text not in done:
            done.add(part.text)
            merged.append(Match("leaf", text=part.text, fields=tuple(fields[part.text])))
    return merged


# -- simplifying on truth tables ---------------------------------------------------------

def _leaves(match: Match, found: dict) -> dict:
    """Each distinct leaf (one field and text) with its number."""
    for field in match.fields:
        found.setdefault((field, match.text), len(found))
    for part in match.parts:
        _leaves(part, found)
    return found


class _Tables:
    """A node's truth table over the expression's leaves, as the bits of an integer: bit k is whether the
    node matches when leaf i holds exactly where bit i of k is set. Leaves are taken as independent except
    that a leaf of several keywords holds only where each of them does, so what the tables prove (a part
    implies another) holds whatever the passages."""

    def __init__(self, leaves: dict):
        self.number = leaves
        size = 1 << len(leaves)
        self.everything = (1 << size) - 1
        self._leaf_tables = []
        for i in range(len(leaves)):
            width = 1 << i  # runs of `width` zeros then `width` ones
            table, period = ((1 << width) - 1) << width, 2 * width
            while period < size:
                table |= table << period
                period *= 2
            self._leaf_tables.append(table)

    def leaf(self, match: Match) -> int:
        table = 0
        for field in match.fields:  # a leaf of several fields: any of them
            own = self._leaf_tables[self.number[(field, match.text)]]
            for word in _keywords_of(match.text):  # a phrase in a field holds each of its words there
                implied = self.number.get((field, word))
                if implied is not None:
                    own &= self._leaf_tables[implied]
            table |= own
        return table


def _keywords_of(text: str) -> list[str]:
    """The keywords a leaf of several (a phrase, or words that must all stand in the field) holds."""
    return text.strip('"').split() if " " in text else []


def _ranked(match: Match, tables: _Tables | None) -> Match | None:
    """A ranked expression as what decides its matches, simplified, ``MAYBE`` every keyword it scores in all
    the fields it scores in: the same passages, each keyword's hits counted once."""
    required = _simplified(_unscored(match), tables)[0]
    scoring = _fields_merged(list(dict.fromkeys(_scoring_leaves(match))))
    return required if required is None or not scoring else Match("maybe", (required, any_of(scoring)))


def _unscored(match: Match) -> Match:
    if match.kind == "leaf":
        return match
    if match.kind == "maybe":
        return _unscored(match.parts[0])
    return Match(match.kind, tuple(_unscored(part) for part in match.parts))


def _scoring_leaves(match: Match):
    """The leaves whose hits weigh: all but those of what a ``not`` leaves out."""
    if match.kind == "leaf":
        yield match
        return
    for part in match.parts[:1] if match.kind == "not" else match.parts:
        yield from _scoring_leaves(part)


def _table(match: Match | None, tables: _Tables | None) -> int | None:
    """The truth table of any expression (a ``maybe`` matches as its first part)."""
    if tables is None or match is None:
        return None if tables is None else 0
    if match.kind == "leaf":
        return tables.leaf(match)
    if match.kind in ("maybe", "not"):
        kept = _table(match.parts[0], tables)
        return kept if match.kind == "maybe" else kept & ~_table(match.parts[1], tables) & tables.everything
    values = [_table(part, tables) for part in match.parts]
    result = values[0]
    for value in values[1:]:
        result = result | value if match.kind == "or" else result & value
    return result


def _simplified(match: Match, tables: _Tables | None) -> tuple[Match | None, int | None]:
    """An expression that matches the same passages, with parts another part implies dropped, nested
    and/or flattened, and one keyword's fields merged; with its truth table."""
    if match.kind == "leaf":
        return match, None if tables is None else tables.leaf(match)
    if match.kind == "not":
        kept, kept_table = _simplified(match.parts[0], tables)
        dropped, dropped_table = _simplified(match.parts[1], tables)
        result = _left_out(kept, kept_table, dropped, dropped_table, tables)
        return result, _table(result, tables)
    pairs = [_simplified(part, tables) for part in match.parts]
    if match.kind == "and":
        if any(part is None for part, _ in pairs):
            return None, 0 if tables else None
        pairs = _flattened(pairs, "and")
        pairs = _without_implied(pairs, tables, conjunction=True)
        table = _combined([t for _, t in pairs], tables, conjunction=True)
        if table == 0:
            return None, 0
        parts = [p for p, _ in pairs]
        return (parts[0] if len(parts) == 1 else Match("and", tuple(parts))), table
    pairs = _flattened([(p, t) for p, t in pairs if p is not None], "or")
    if not pairs:
        return None, 0 if tables else None
    pairs = _without_implied(pairs, tables, conjunction=False)
    table = _combined([t for _, t in pairs], tables, conjunction=False)
    parts = _fields_merged([p for p, _ in pairs])
    return (parts[0] if len(parts) == 1 else Match("or", tuple(parts))), table


def _left_out(kept: Match | None, kept_table, dropped: Match | None, dropped_table, tables) -> Match | None:
    """``kept`` without ``dropped``, leaving out the parts of ``dropped`` that never meet ``kept``."""
    if kept is None or dropped is None:
        return kept
    if tables is not None:
        if kept_table & dropped_table == 0:
            return kept
        if kept_table & ~dropped_table & tables.everything == 0:
            return None
        if dropped.kind == "or":
            meeting = [part for part in dropped.parts if _table(part, tables) & kept_table]
            dropped = meeting[0] if len(meeting) == 1 else Match("or", tuple(meeting))
    return Match("not", (kept, dropped))


def _flattened(pairs: list, kind: str) -> list:
    flat, seen = [], set()
    for part, table in pairs:
        for inner in (part.parts if part.kind == kind else (part,)):
            if inner not in seen:
                seen.add(inner)
                flat.append((inner, table if inner is part else None))
    return flat


def _combined(values: list, tables: _Tables | None, conjunction: bool) -> int | None:
    if tables is None:
        return None
    result = tables.everything if conjunction else 0
    for value in values:
        result = result & value if conjunction else result | value
    return result


def _without_implied(pairs: list, tables: _Tables | None, conjunction: bool) -> list:
    """Drop a part the others already decide: in an AND, a part the others imply; in an OR, a part that
    implies the others."""
    if tables is None:
        return pairs
    pairs = [(part, table if table is not None else _table(part, tables)) for part, table in pairs]
    kept = list(pairs)
    for pair in pairs:
        others = [table for other, table in kept if other is not pair[0]]
        if not others or len(others) == len(kept):
            continue
        rest = _combined(others, tables, conjunction)
        redundant = rest & ~pair[1] & tables.everything == 0 if conjunction else pair[1] & ~rest & tables.everything == 0
        if redundant:
            kept = [k for k in kept if k[0] is not pair[0]]
    return kept
