"""Where a token's term is made: pure functions from text to the engine's terms, the same at index and query time.

Two layers, each a list of terms per text:

* words (:func:`word_terms`): jieba's words of the Simplified-folded text, lower-cased, punctuation
  dropped; at index time each long word is followed by the dictionary words inside it (its
  sub-words: 民政 then finds 民政局);
* bigrams (:func:`gram_terms`): the overlapping character bigrams of each run of word characters,
  the run's last character alone at its end (so every character starts a term).

:func:`word_pieces` and :func:`gram_pieces` give the same terms with their character offsets in the
original text (folding keeps every character in place), for the Whoosh analyzers
(:mod:`indexer.backends.whoosh.analyzers`); :func:`gram_keys` is the bigram layer over whole
batches in NumPy, for the index writer. The index stores no positions: phrases are checked on
:func:`match_form` of the text (:mod:`indexer.backends.whoosh.text_tables`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import numpy as np

from indexer.text.script import to_simplified
from indexer.text.segmentation import USE_HMM, cut, is_in_dictionary

# A "word character" for search purposes: CJK ideographs, ASCII letters and digits (code point ranges).
WORD_CHAR_RANGES = ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_WORD_CHAR = "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in WORD_CHAR_RANGES)
WORD_RUN = re.compile(f"[{_WORD_CHAR}]+")
HAS_WORD_CHAR = re.compile(f"[{_WORD_CHAR}]")
SUBWORD_MIN_LENGTH = 2


def match_form(text: str) -> str:
    """The text as the terms see it (Simplified, lower case): what phrases and needles are found in."""
    return to_simplified(text).lower()


# -- words ---------------------------------------------------------------------

def word_pieces(folded: str, hmm: bool = USE_HMM) -> Iterator[tuple[str, int, int] | None]:
    """jieba's words of a folded text with their offsets; ``None`` for punctuation (a gap in the ordinals)."""
    start = 0
    for word in cut(folded, hmm):
        end = start + len(word)
        yield (word, start, end) if HAS_WORD_CHAR.search(word) else None
        start = end


@lru_cache(maxsize=200_000)
def subwords(word: str, min_length: int = SUBWORD_MIN_LENGTH) -> tuple[str, ...]:
    """The dictionary words inside a word, shortest first, left to right (a repeated part repeats)."""
    parts = []
    for size in range(min_length, len(word)):
        for offset in range(len(word) - size + 1):
            part = word[offset:offset + size]
            if is_in_dictionary(part):
                parts.append(part)
    return tuple(parts)


# segmenter word → its index terms, per sub-word minimum length (titles and common words repeat: computed once)
_WORD_ENTRIES: dict[int, dict[str, tuple[str, ...]]] = {}


def _word_entry(word: str, min_length: int) -> tuple[str, ...]:
    """A segmenter word as its index terms: the word lower-cased, then its sub-words; none for punctuation."""
    if not HAS_WORD_CHAR.search(word):
        entry = ()
    else:
        term = word.lower()
        entry = (term, *subwords(term, min_length)) if len(term) > min_length else (term,)
    entries = _WORD_ENTRIES.setdefault(min_length, {})
    if len(entries) < 500_000:
        entries[word] = entry
    return entry


def word_terms(text: str, mode: str = "index", hmm: bool = USE_HMM,
               min_length: int = SUBWORD_MIN_LENGTH) -> list[str]:
    """The word layer's terms of a text in order: each word, then (``mode="index"``) its sub-words."""
    terms: list[str] = []
    known = _WORD_ENTRIES.get(min_length, {}).get
    words = cut(to_simplified(text), hmm)
    if mode != "index":
        for word in words:
            entry = known(word) or _word_entry(word, min_length)
            terms.extend(entry[:1])
        return terms
    for word in words:  # the index writer's hot loop
        entry = known(word)
        if entry is None:
            entry = _word_entry(word, min_length)
            known = _WORD_ENTRIES[min_length].get
        if len(entry) == 1:
            terms.append(entry[0])
        elif entry:
            terms.extend(entry)
    return terms


def query_words(text: str) -> list[str]:
    """A typed word as the word layer's query-time terms."""
    return word_terms(text, mode="query")


def analyze(text: str, mode: str = "query") -> list[str]:
    """The word terms a string becomes, to show segmentation in tests and from the CLI."""
    return word_terms(text, mode=mode)


# -- bigrams -------------------------------------------------------------------

def gram_pieces(folded: str) -> Iterator[tuple[str, int, int] | None]:
    """Each run of word characters as its bigrams, then its last character alone; ``None`` between runs."""
    for run in WORD_RUN.finditer(folded):
        text, offset = run.group(), run.start()
        for start in range(len(text) - 1):
            yield text[start:start + 2], offset + start, offset + start + 2
        yield text[-1], offset + len(text) - 1, offset + len(text)
        yield None


def gram_terms(text: str) -> list[str]:
    """The bigram layer's terms of a text, lower-cased, in order (:func:`gram_pieces` without the offsets)."""
    terms: list[str] = []
    for run in WORD_RUN.findall(to_simplified(text)):
        run = run.lower()  # a run's letters are ASCII: its length is kept
        terms.extend([run[i:i + 2] for i in range(len(run) - 1)])
        terms.append(run[-1])
    return terms


def gram_count(folded: str) -> int:
    """How many bigram terms a folded text has (one per word character)."""
    return sum(map(len, WORD_RUN.findall(folded)))


def gram_keys(units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The bigram layer over UTF-16 code units of folded text, as one key per word character, in order
    (and which units are word characters): :func:`gram_terms` for whole batches of passages at once.

    A word character's term is itself and the next character when that is a
    word character too (a bigram), else itself alone (a run's last character):
    key = first << 16 | (next or 0). Keys sort as their terms do (code point
    order is UTF-8 byte order here: every word character is in the BMP).
    """
    codes = units.astype(np.uint32)
    word = np.zeros(len(codes), dtype=bool)
    for low, high in WORD_CHAR_RANGES:
        word |= (codes >= low) & (codes <= high)
    codes[(codes >= 0x41) & (codes <= 0x5A)] += 0x20  # lower case (the only letters in a word run are ASCII)
    following = np.zeros(len(codes), dtype=np.uint32)
    following[:-1] = np.where(word[1:], codes[1:], 0)
    return ((codes << 16) | following)[word], word


def key_term(key: int) -> str:
    """The term a :func:`gram_keys` key stands for."""
    return chr(key >> 16) + (chr(key & 0xFFFF) if key & 0xFFFF else "")
