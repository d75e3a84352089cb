"""Where things live: the project root, the default corpus, index and dictionaries."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DICTIONARY_DIR = PROJECT_ROOT / "dictionaries"
DEFAULT_CORPUS_DIR = PROJECT_ROOT / "corpus"
INDEX_ENV_VAR = "POLICY_SEARCH_INDEX"


def default_index_dir() -> Path:
    """The index directory: ``$POLICY_SEARCH_INDEX`` if set, else ``index/`` in the project root."""
    configured = os.environ.get(INDEX_ENV_VAR)
    return Path(configured) if configured else PROJECT_ROOT / "index"
