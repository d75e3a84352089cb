"""Chinese analysis for Whoosh: script folding, jieba segmentation, sub-words, bigrams.

Analyzers are composed Whoosh-style from a tokenizer and filters. Two rules
matter for everything built on top:

* ``pos`` is the token's ordinal and ``startchar``/``endchar`` index the
  *original* text (highlights must land on the source's characters,
  Traditional or not). The index stores no positions: phrases are checked on
  :func:`match_form` of the text (indexer/backends/whoosh/text_tables.py).
* Index and query time use the same script folding and the same jieba setting
  (HMM off: segmentation then depends only on the dictionary, so a word is cut
  the same way wherever it appears).

The analyzer objects are pickled into the index schema, so their import path
(``indexer.text.terms``) is part of the on-disk format; they hold configuration
only and fetch the shared jieba segmenter lazily.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import jieba
from whoosh.analysis import Filter, LowercaseFilter, Token, Tokenizer

from indexer.config import DICTIONARY_DIR
from indexer.text.script import to_simplified

USE_HMM = False
USER_DICTIONARY = DICTIONARY_DIR / "civil_affairs.dict"

# A "word character" for search purposes: CJK ideographs, ASCII letters and digits (code point ranges).
WORD_CHAR_RANGES = ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_WORD_CHAR = "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in WORD_CHAR_RANGES)
WORD_RUN = re.compile(f"[{_WORD_CHAR}]+")
_HAS_WORD_CHAR = re.compile(f"[{_WORD_CHAR}]")

jieba.setLogLevel(logging.WARNING)


@lru_cache(maxsize=1)
def segmenter() -> jieba.Tokenizer:
    """The one jieba instance, with the civil-affairs dictionary loaded.

    jieba caches its parsed main dictionary in a file; keeping that cache in a
    stable, private place makes every later process start fast.
    """
    from indexer.text import jieba_cache  # the finished dictionary in one file: ~5x faster than the two steps below

    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(jieba_cache.private_cache_dir())

    if jieba_cache.load(tokenizer, USER_DICTIONARY):
        return tokenizer
    tokenizer.initialize()
    if USER_DICTIONARY.exists():
        tokenizer.load_userdict(str(USER_DICTIONARY))
    jieba_cache.save(tokenizer, USER_DICTIONARY, jieba_cache.user_words(USER_DICTIONARY))
    return tokenizer


def dictionary_fingerprint() -> str:
    """Identifies the user dictionary an index was built with."""
    if not USER_DICTIONARY.exists():
        return "none"
    return hashlib.sha256(USER_DICTIONARY.read_bytes()).hexdigest()[:16]


def is_in_dictionary(word: str) -> bool:
    return segmenter().FREQ.get(word, 0) > 0


def match_form(text: str) -> str:
    """The text as the tokenizers see it (Simplified, lower case): what phrases and needles are found in."""
    return to_simplified(text).lower()


class FoldedTokenizer(Tokenizer):
    """Base for tokenizers over the Simplified-folded text.

    Subclasses yield ``(text, start, end)`` pieces of the folded text, or
    ``None`` for a position gap; offsets are valid in the original because
    folding keeps every character in place.
    """

    def pieces(self, folded: str) -> Iterator[tuple[str, int, int] | None]:
        raise NotImplementedError

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for piece in self.pieces(to_simplified(value)):
            if piece is None:
                pos += 1
                continue
            token.text, start, end = piece
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            pos += 1
            yield token


class JiebaTokenizer(FoldedTokenizer):
    """jieba over the Simplified-folded text; punctuation is dropped and leaves a gap in the ordinals.

    (Phrases are checked on the folded text, where 养老，服务 does not contain
    养老服务: a phrase never crosses punctuation.)
    """

    def __init__(self, hmm: bool = USE_HMM):
        self.hmm = hmm

    def __eq__(self, other):
        return self.__class__ is other.__class__ and self.hmm == other.hmm

    def pieces(self, folded):
        for word, start, end in segmenter().tokenize(folded, HMM=self.hmm):
            yield (word, start, end) if _HAS_WORD_CHAR.search(word) else None


class SubwordFilter(Filter):
    """At index time, adds the dictionary words inside a long word at the long word's position.

    民政 then finds 民政局, and because the sub-word shares its parent's
    ordinal, the ordinals of the surrounding words are unchanged. At query
    time the typed word stays whole. (Whoosh's MultiFilter would express the
    mode switch but fails on an empty token stream.)
    """

    def __init__(self, min_length: int = 2):
        self.min_length = min_length

    def __eq__(self, other):
        return self.__class__ is other.__class__ and self.min_length == other.min_length

    def __call__(self, tokens):
        for token in tokens:
            yield token
            word = token.text
            if token.mode != "index" or len(word) <= self.min_length:
                continue
            has_chars = token.chars
            parent_start = token.startchar if has_chars else 0
            for size in range(self.min_length, len(word)):
                for offset in range(len(word) - size + 1):
                    part = word[offset:offset + size]
                    if not is_in_dictionary(part):
                        continue
                    sub = token.copy()
                    sub.text = part
                    if has_chars:
                        sub.startchar = parent_start + offset
                        sub.endchar = sub.startchar + size
                    yield sub


class BigramTokenizer(FoldedTokenizer):
    """Overlapping character bigrams of each run of word characters.

    The exact-substring layer: a word typed by a reader is found wherever its
    characters stand together, however jieba happened to cut the sentence.
    Each run also ends with its last character alone, so every character
    starts some token and a one-character query is a prefix query. Runs are
    separated by a gap in the ordinals.
    """

    def __eq__(self, other):
        return self.__class__ is other.__class__

    def pieces(self, folded):
        for run in WORD_RUN.finditer(folded):
            text, offset = run.group(), run.start()
            for start in range(len(text) - 1):
                yield text[start:start + 2], offset + start, offset + start + 2
            yield text[-1], offset + len(text) - 1, offset + len(text)
            yield None


def chinese_analyzer(hmm: bool = USE_HMM):
    """Words for ranking: jieba words, plus their sub-words at index time only."""
    return JiebaTokenizer(hmm) | LowercaseFilter() | SubwordFilter()


def bigram_analyzer():
    """Character bigrams for exact-substring recall and phrases."""
    return BigramTokenizer() | LowercaseFilter()


def analyze(text: str, mode: str = "query", analyzer=None) -> list[str]:
    """The tokens a string becomes, to show segmentation in tests and from the CLI."""
    analyzer = analyzer or chinese_analyzer()
    return [token.text for token in analyzer(text, mode=mode)]


def query_words(text: str) -> list[str]:
    """A typed word as the query-time tokens of the word field."""
    return analyze(text, mode="query")
