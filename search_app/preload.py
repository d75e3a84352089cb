"""Everything the page imports, imported once per process before any script run goes on.

Streamlit runs each session's script in its own thread, and with fast reruns
(its default) a rerun starts a new thread while the old one is still finishing.
Two threads importing pandas (directly, or lazily through Altair and Streamlit's
chart code) in different orders can meet in Python's import-deadlock escape, and
one of them gets a half-initialised module (``partially initialized module
'pandas' has no attribute 'Timestamp'``). ``app.py`` imports this module first:
its body runs once, under the module's import lock, so every other thread waits
here until the imports below, and the lazy ones a chart triggers, are complete.
"""

from __future__ import annotations

import altair as alt
import numpy  # noqa: F401
import pandas as pd
import pyarrow  # noqa: F401
import streamlit.dataframe_util as dataframe_util
import streamlit.elements.vega_charts  # noqa: F401

import indexer.api

indexer.api.preload()

# What drawing a chart and a table imports on first use (narwhals, Altair's data
# transformers, Streamlit's Arrow conversion), done here rather than in a reader's run.
_frame = pd.DataFrame({"年份": ["2025"], "段落数": [1]})
alt.Chart(_frame).mark_bar().encode(x="年份:O", y="段落数:Q").to_dict()
dataframe_util.convert_anything_to_arrow_bytes(_frame)
del _frame
