"""Text from documents made safe for the page: escaped for HTML and for Markdown, and kept on one line.

Only two kinds of text reach ``unsafe_allow_html``: the engine's ``highlight``
(escaped by the engine, with ``<mark>`` added) and strings passed through
:func:`esc` here. Everything else goes through Streamlit's own text widgets.
"""

from __future__ import annotations

import html
import re

import streamlit as st


def esc(value) -> str:
    """Text for HTML inside Markdown: markup escaped, and on one line.

    A line break in a title or a place could end the HTML block it sits in (a
    blank line does), and Markdown would then act on the rest: links, images a
    browser fetches, formulas. Every run of white space holding a line break is
    one space here, so a value never leaves its element.
    """
    return html.escape(_one_line(value), quote=True)


def md(value) -> str:
    """Text for Markdown (labels, captions, notices): on one line, every character Markdown acts on escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~<>$:&=@%^\"'])", r"\\\1", _one_line(value))


def html_block(text: str) -> str:
    """A block for ``st.markdown(..., unsafe_allow_html=True)``: no line break at all, so it is one HTML block."""
    return re.sub(r"[\r\n]+", " ", text)


def markup(html_text: str) -> None:
    """Draw escaped HTML (see the module's note) as one HTML block, never as Markdown."""
    st.markdown(html_block(html_text), unsafe_allow_html=True)


def _one_line(value) -> str:
    return re.sub(r"\s*[\r\n\u2028\u2029\x0b\x0c\x85]\s*", " ", str(value if value is not None else ""))
