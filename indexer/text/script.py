"""Traditional → Simplified folding that keeps every character where it was.

Search treats both scripts as one by converting to Simplified before
segmentation, but stored text and highlights use the source's own characters;
that only works if the conversion never changes the text's length, so offsets
into the converted text are offsets into the original.
"""

from __future__ import annotations

from functools import lru_cache

import opencc

_converter = opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Plain OpenCC t2s (no regional phrases), guaranteed length-preserving."""
    converted = _converter.convert(text)
    if len(converted) == len(text):
        return converted
    # A phrase rule changed the length: fall back to character by character,
    # which keeps alignment at the cost of phrase context.
    return "".join(_simplify_char(ch) for ch in text)


@lru_cache(maxsize=65536)
def _simplify_char(ch: str) -> str:
    converted = _converter.convert(ch)
    return converted if len(converted) == 1 else ch
