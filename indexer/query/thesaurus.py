"""Query-time synonyms from ``dictionaries/thesaurus.toml``.

Three kinds of entry: ``equivalent`` (an abbreviation and its full name find
each other: 低保 = 最低生活保障), ``expands`` (an abbreviation standing for
several terms: 两项补贴 → 困难残疾人生活补贴, 重度残疾人护理补贴) and ``related``
(near terms a reader also wants: 幸福食堂 ~ 老年助餐). A typed word is expanded
when it is an entry's term or contains one (城市低保 → 城市最低生活保障), after
script folding, so 長護險 expands like 长护险.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from indexer.config import DICTIONARY_DIR
from indexer.text.terms import match_form

THESAURUS_PATH = DICTIONARY_DIR / "thesaurus.toml"
EQUIVALENT, RELATED = "equivalent", "related"


@dataclass(frozen=True)
class Expansion:
    text: str
    kind: str  # EQUIVALENT (also used for ``expands``) or RELATED


class Thesaurus:
    def __init__(self, entries: dict[str, list[Expansion]]):
        self._entries = entries
        # Longest keys first, so 长期护理保险 is replaced before 护理.
        self._keys = sorted(entries, key=len, reverse=True)

    @classmethod
    def load(cls, path: Path) -> Thesaurus:
        if not path.exists():
            return cls({})
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        entries: dict[str, list[Expansion]] = {}

        def add(term: str, targets: list[str], kind: str) -> None:
            key = _fold(term)
            for target in targets:
                if _fold(target) != key:
                    entries.setdefault(key, []).append(Expansion(_fold(target), kind))

        for group in data.get("equivalent", []):
            for term in group["terms"]:
                add(term, group["terms"], EQUIVALENT)
        for entry in data.get("expands", []):
            add(entry["term"], entry["to"], EQUIVALENT)
        for group in data.get("related", []):
            for term in group["terms"]:
                add(term, group["terms"], RELATED)
        return cls(entries)

    def expand(self, word: str) -> list[Expansion]:
        """Other ways to say ``word``: whole-word entries, else the longest entry it contains."""
        folded = _fold(word)
        if folded in self._entries:
            return _unique(self._entries[folded])
        for key in self._keys:
            if len(key) >= 2 and key in folded:
                return _unique([Expansion(folded.replace(key, e.text), e.kind) for e in self._entries[key]])
        return []


@lru_cache(maxsize=1)
def default_thesaurus() -> Thesaurus:
    return Thesaurus.load(THESAURUS_PATH)


def _fold(text: str) -> str:
    return match_form(text.strip())


def _unique(expansions: list[Expansion]) -> list[Expansion]:
    seen: dict[str, Expansion] = {}
    for expansion in expansions:
        if expansion.text not in seen or expansion.kind == EQUIVALENT:
            seen[expansion.text] = expansion
    return list(seen.values())
