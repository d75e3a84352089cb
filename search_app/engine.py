"""The one search engine this app process shares, opened once per index directory or cluster address."""

from __future__ import annotations

import os

import streamlit as st

from indexer.api import BACKEND_ENV_VAR, SearchBackend, default_index_dir, open_engine


@st.cache_resource(show_spinner="正在打开索引……")
def _open(index_dir: str, backend: str) -> SearchBackend:
    # A raised IndexMissing is not cached, so a reload after building the index finds it.
    engine = open_engine(index_dir, backend=backend)
    engine.search("民政", limit=0)  # load jieba's dictionary now, not in the first reader's search
    return engine


def get_engine() -> SearchBackend:
    """The engine for ``$POLICY_SEARCH_BACKEND`` (a Sphinx cluster's ``sphinx://`` address) when set, else for
    ``$POLICY_SEARCH_INDEX`` (default ``index/``); raises ``IndexMissing``."""
    return _open(str(default_index_dir()), os.environ.get(BACKEND_ENV_VAR, ""))
