"""jieba, the one place it is touched: the shared segmenter with the civil-affairs dictionary, and a faster cut.

Everything that reads or sets jieba's internals (``FREQ``, ``total``, ``re_han_default``,
``check_initialized``, ``initialized``) is here — :mod:`indexer.text.jieba_cache` only reads and
writes the cache file — and the version it was written for is checked when this module is imported:
another jieba could segment differently under the same names.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from functools import lru_cache
from math import log

from indexer.config import DICTIONARY_DIR


def _imported_jieba():
    """jieba, imported without ``pkg_resources`` when nothing has imported it yet: jieba 0.42 imports it only to
    open its own data files, which it otherwise opens by path (the same bytes, tested), and importing
    ``pkg_resources`` costs every fresh process about 0.2 s before its first answer."""
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba
        return jieba
    sys.modules["pkg_resources"] = None  # `import pkg_resources` raises ImportError: jieba's fallback
    try:
        import jieba
    finally:
        del sys.modules["pkg_resources"]
    return jieba


jieba = _imported_jieba()

WRITTEN_FOR = "0.42"  # jieba's version series this module (and FastCut's copy of its route) was written for
if not jieba.__version__.startswith(WRITTEN_FOR + "."):
    raise ImportError(f"jieba {jieba.__version__} 与本程序不符：分词依赖 jieba {WRITTEN_FOR}.x 的内部结构，"
                      f"请安装 pyproject.toml 指定的版本（jieba>=0.42.1,<0.43）。")

# HMM off: segmentation then depends only on the dictionary, so a word is cut the same way wherever it appears.
USE_HMM = False
USER_DICTIONARY = DICTIONARY_DIR / "civil_affairs.dict"

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

    if load_cached(tokenizer, USER_DICTIONARY):
        return tokenizer
    tokenizer.initialize()
    if USER_DICTIONARY.exists():
        tokenizer.load_userdict(str(USER_DICTIONARY))
    save_cached(tokenizer, USER_DICTIONARY, jieba_cache.user_words(USER_DICTIONARY))
    return tokenizer


def load_cached(tokenizer: jieba.Tokenizer, user_dictionary) -> bool:
    """Fill ``tokenizer`` (initialized, user dictionary added) from the dictionary cache; False if there is none."""
    from jieba import finalseg

    from indexer.text import jieba_cache

    cached = jieba_cache.read(tokenizer, user_dictionary)
    if cached is None:
        return False
    tokenizer.FREQ = cached.freq
    tokenizer.total = cached.total
    tokenizer.user_word_tag_tab = cached.tags
    for word in cached.force_split:
        finalseg.add_force_split(word)
    tokenizer.initialized = True
    return True


def save_cached(tokenizer: jieba.Tokenizer, user_dictionary, user_words: list[str] | None = None) -> None:
    """Cache ``tokenizer``'s parsed dictionary for later processes (``user_words``: those jieba force-splits)."""
    from indexer.text import jieba_cache

    force_split = [w for w in (user_words or []) if tokenizer.FREQ.get(w) == 0]
    jieba_cache.write(tokenizer, user_dictionary,
                      jieba_cache.CachedDictionary(tokenizer.FREQ, tokenizer.total, tokenizer.user_word_tag_tab, force_split))


def dictionary_fingerprint() -> str:
    """Identifies the user dictionary an index was built with."""
    if not USER_DICTIONARY.exists():
        return "none"
    return hashlib.sha256(USER_DICTIONARY.read_bytes()).hexdigest()[:16]


def is_in_dictionary(word: str) -> bool:
    return segmenter().FREQ.get(word, 0) > 0


def cut(folded: str, hmm: bool = USE_HMM):
    """The words of a text, in order (punctuation and spaces included): what ``jieba.cut`` gives."""
    tokenizer = segmenter()
    return tokenizer.cut(folded, HMM=True) if hmm else fast_cut(tokenizer)(folded)


_UNSEEN = object()
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


class FastCut:
    """``jieba.Tokenizer.cut(sentence, HMM=False)``, the same words, about twice as fast.

    jieba builds a DAG of dictionary words per block, then a route of maximum
    log-probability with a generator of tuples per character. Here both are
    one backward pass over the block with each word's log-probability
    computed once (the same floating-point operations, so the same route and
    the same ties: the longer word wins). Output is checked against jieba in
    the tests (tests/text/test_segmentation.py).
    """

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self._total = None
        self._logp: dict[str, float] = {}

    def __call__(self, sentence: str):
        tokenizer = self.tokenizer
        tokenizer.check_initialized()
        if tokenizer.total != self._total:  # words were added: probabilities changed
            self._total = tokenizer.total
            self._logtotal = log(tokenizer.total)
            self._logp = {}
        han, skip = jieba.re_han_default, jieba.re_skip_default
        for block in han.split(sentence):
            if not block:
                continue
            if han.match(block):
                yield from self._block(block)
            else:
                for piece in skip.split(block):
                    if skip.match(piece):
                        yield piece
                    else:
                        yield from piece

    def _route(self, block: str) -> list[int]:
        """For each start, the end of the word the best route takes from there (jieba's ``calc`` over its DAG)."""
        freq = self.tokenizer.FREQ
        logp = self._logp  # dictionary entry → its log-probability, or None for a prefix of words only
        known = logp.get
        logtotal = self._logtotal
        alone = 0.0 - logtotal  # log(1) - logtotal: a character that is no dictionary word
        n = len(block)
        score = [0.0] * (n + 1)
        end = list(range(n + 1))
        for start in range(n - 1, -1, -1):
            best = None
            i = start
            word = block[start]
            while True:
                p = known(word, _UNSEEN)
                if p is _UNSEEN:
                    f = freq.get(word)
                    if f is None:
                        break
                    p = logp[word] = log(f) - logtotal if f else None
                if p is not None:
                    s = p + score[i + 1]
                    if best is None or s >= best:
                        best = s
                        end[start] = i
                i += 1
                if i == n:
                    break
                word = block[start:i + 1]
            score[start] = alone + score[start + 1] if best is None else best
        return end

    def _block(self, block: str):
        end = self._route(block)
        n = len(block)
        x = 0
        buffer = ""
        while x < n:
            y = end[x] + 1
            word = block[x:y]
            if y - x == 1 and word in _ASCII_ALNUM:
                buffer += word
            else:
                if buffer:
                    yield buffer
                    buffer = ""
                yield word
            x = y
        if buffer:
            yield buffer


@lru_cache(maxsize=4)
def fast_cut(tokenizer) -> FastCut:
    return FastCut(tokenizer)
