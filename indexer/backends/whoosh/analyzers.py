"""The two text layers as Whoosh analyzers: thin wrappers over :mod:`indexer.text.terms`.

Composed Whoosh-style from a tokenizer and filters. ``pos`` is the token's
ordinal and ``startchar``/``endchar`` index the *original* text (highlights
must land on the source's characters, Traditional or not); both honour the
``positions``/``chars`` flags. Index and query time use the same terms, except
that sub-words are added at index time only (``mode``).

The analyzer objects are pickled into the index schema, so their import path
(``indexer.backends.whoosh.analyzers``) is part of the on-disk format (an index
written before the move names ``indexer.analysis``: :mod:`.safe_pickle` maps it);
they hold configuration only and reach jieba through :mod:`indexer.text`.
"""

from __future__ import annotations

from collections.abc import Iterator

from whoosh.analysis import Filter, LowercaseFilter, Token, Tokenizer

from indexer.text.script import to_simplified
from indexer.text.segmentation import USE_HMM
from indexer.text.terms import SUBWORD_MIN_LENGTH, gram_pieces, subwords, word_pieces


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
        return word_pieces(folded, self.hmm)


class SubwordFilter(Filter):
    """At index time, adds the dictionary words inside a long word at the long word's position.

    民政 then finds 民政局, and because the sub-word shares its parent's
    ordinal, the ordinals of the surrounding words are unchanged. At query
    time the typed word stays whole. (Whoosh's MultiFilter would express the
    mode switch but fails on an empty token stream.)
    """

    def __init__(self, min_length: int = SUBWORD_MIN_LENGTH):
        self.min_length = min_length

    def __eq__(self, other):
        return self.__class__ is other.__class__ and self.min_length == other.min_length

    def __call__(self, tokens):
        for token in tokens:
            yield token
            word = token.text
            if token.mode != "index" or len(word) <= self.min_length:
                continue
            parent_start = token.startchar if token.chars else 0
            for part, offset in _located(word, subwords(word, self.min_length)):
                sub = token.copy()
                sub.text = part
                if token.chars:
                    sub.startchar = parent_start + offset
                    sub.endchar = sub.startchar + len(part)
                yield sub


def _located(word: str, parts: tuple[str, ...]) -> Iterator[tuple[str, int]]:
    """Each sub-word with its offset in ``word``, in the order :func:`subwords` gives them."""
    seen: dict[str, int] = {}
    for part in parts:  # a repeated part is the next occurrence of it
        offset = word.index(part, seen.get(part, -1) + 1)
        seen[part] = offset
        yield part, offset


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
        return gram_pieces(folded)


def chinese_analyzer(hmm: bool = USE_HMM):
    """Words for ranking: jieba words, plus their sub-words at index time only."""
    return JiebaTokenizer(hmm) | LowercaseFilter() | SubwordFilter()


def bigram_analyzer():
    """Character bigrams for exact-substring recall and phrases."""
    return BigramTokenizer() | LowercaseFilter()


def analyze(text: str, mode: str = "query", analyzer=None) -> list[str]:
    """The token texts an analyzer (default: the words') makes of a string: what the index holds."""
    analyzer = analyzer or chinese_analyzer()
    return [token.text for token in analyzer(text, mode=mode)]
