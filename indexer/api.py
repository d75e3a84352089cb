"""The engine's contract: what the app, the CLI and any other caller may use, and nothing else.

``open_engine(index_dir)`` gives a :class:`SearchBackend` — today the Whoosh
backend — whose answers are the plain records below. The errors are in
:mod:`indexer.errors` and re-exported here. Building and changing an index
(``build_index``, ``update_index``, ``add_paths``, ``remove_documents``), the
analysis a reader can inspect (``analyze``) and the export formats are here too,
so a caller never imports a module behind this one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from indexer.engine.citation import plain_date
from indexer.config import DEFAULT_CORPUS_DIR, default_index_dir
from indexer.errors import (BuildFailed, IndexBusy, IndexMissing, IndexOutdated, NotAnIndex, PassageMissing,
                            QueryError, UnknownDocuments, UnreadableFile, UserError)
from indexer.ingest.places import NATIONAL
from indexer.names import display_path, json_text, one_line
from indexer.query.parse import MAX_QUERY_CHARS, parse_query
from indexer.records import (ContextPassage, FigureRow, FiguresResponse, Hit, SearchResponse, SimilarResponse,
                             place_of)
from indexer.records import MAX_LIMIT

__all__ = [
    "BuildFailed", "IndexBusy", "IndexMissing", "IndexOutdated", "NotAnIndex", "PassageMissing", "QueryError",
    "UnknownDocuments", "UnreadableFile", "UserError",
    "ContextPassage", "FigureRow", "FiguresResponse", "Hit", "SearchResponse", "SimilarResponse", "place_of",
    "MAX_LIMIT", "MAX_QUERY_CHARS", "QueryShape", "describe_query", "SearchBackend", "open_engine",
    "build_index", "update_index", "add_paths", "remove_documents", "analyze", "default_index_dir", "plain_date",
    "export", "FORMATS", "preload", "DEFAULT_CORPUS_DIR", "display_path", "json_text", "one_line",
    "indexed_documents", "detect_encoding", "NATIONAL", "BACKEND_ENV_VAR", "sphinx_address", "cluster_start",
    "cluster_status", "cluster_stop",
]


def __getattr__(name: str):
    """``export`` and ``FORMATS`` (python-docx, rispy) are imported when first asked for."""
    if name in ("export", "FORMATS"):
        from indexer.engine import export

        return getattr(export, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def preload() -> None:
    """Import everything a search and an export use, now (the app does this once, before serving)."""
    import indexer.engine.export  # noqa: F401
    import indexer.backends.whoosh.engine  # noqa: F401



@runtime_checkable
class SearchBackend(Protocol):
    """What a search backend answers. Filters (``cities``, ``years``, ``doc_types``, ``provinces``,
    ``date_from``, ``date_to``, ``exact``) are the same keyword arguments for every counting call."""

    warnings: list[str]  # said once to the reader: an index built by an older version, a fallback generation

    def search(self, query: str, cities=(), years=(), doc_types=(), limit: int = 10, offset: int = 0,
               exact: bool = False, provinces=(), date_from=None, date_to=None,
               sort: str = "relevance", group: str = "passage", doc_ids=()) -> SearchResponse: ...

    def city_year_counts(self, query: str, **filters) -> list[dict]: ...

    def region_year_counts(self, query: str, **filters) -> list[dict]: ...

    def year_counts(self, query: str, **filters) -> list[dict]: ...

    def figures(self, query: str, **filters) -> FiguresResponse: ...

    def similar(self, doc_id: str, order: int, limit: int = 10) -> SimilarResponse: ...

    def document(self, doc_id: str) -> dict | None: ...

    def documents(self) -> list[dict]: ...

    def document_region_year_counts(self, region: str = "province") -> list[dict]: ...

    def passages(self, doc_id: str, query: str = "", around: int | None = None,
                 window: int | None = None) -> list[ContextPassage]: ...

    def overview(self) -> dict: ...

    @property
    def corpora(self) -> list[Path]: ...

    def close(self) -> None: ...


BACKEND_ENV_VAR = "POLICY_SEARCH_BACKEND"


def sphinx_address(backend: str | None) -> str | None:
    """The Sphinx front's address when ``backend`` (else ``$POLICY_SEARCH_BACKEND``) names one; None for the
    embedded Whoosh index (unset, empty or ``whoosh``)."""
    chosen = (backend if backend is not None else os.environ.get(BACKEND_ENV_VAR, "")).strip()
    if chosen in ("", "whoosh"):
        return None
    from indexer.backends.sphinx import parse_address

    parse_address(chosen)
    return chosen


def open_engine(index_dir: Path | str | None = None, backend: str | None = None) -> SearchBackend:
    """The index at ``index_dir`` (default ``$POLICY_SEARCH_INDEX`` or ``index/``) opened for searching, or the
    Sphinx cluster at ``backend`` (``sphinx://HOST:PORT``, default ``$POLICY_SEARCH_BACKEND``); raises
    :class:`IndexMissing` with a message when there is none."""
    address = sphinx_address(backend)
    if address:
        from indexer.backends import sphinx

        return sphinx.open_engine(address)
    from indexer.backends.whoosh.engine import SearchEngine

    return SearchEngine(Path(index_dir) if index_dir else None)


@dataclass(frozen=True)
class QueryShape:
    """How the engine reads a query, for advice when nothing is found."""

    required: int  # parts that must all match (an OR group is one)
    phrases: bool  # a quoted phrase among them
    excluded: bool  # words to exclude (-词)


def describe_query(query: str) -> QueryShape | None:
    """The shape of ``query`` as the engine parses it; None when it cannot be searched at all."""
    try:
        parsed = parse_query(query)
    except QueryError:
        return None
    phrases = any(term.phrase for clause in parsed.required for term in clause.alternatives)
    return QueryShape(required=len(parsed.required), phrases=phrases or any(t.phrase for t in parsed.excluded),
                      excluded=bool(parsed.excluded))


def build_index(corpus_dirs: list[Path], index_dir: Path, show_progress: bool = False, follow_links: bool = False,
                backend: str | None = None):
    """A fresh index of ``corpus_dirs``, published atomically (on a cluster: what it held is replaced when
    the load succeeds); returns its summary."""
    address = sphinx_address(backend)
    if address:
        from indexer.backends.sphinx import cluster_at, load

        return load.build(cluster_at(address), corpus_dirs, show_progress=show_progress, follow_links=follow_links)
    from indexer.backends.whoosh.build import build_index as build

    return build(corpus_dirs, index_dir, show_progress=show_progress, follow_links=follow_links)


def update_index(index_dir: Path, corpus_dirs: list[Path] | None = None, show_progress: bool = False,
                 backend: str | None = None):
    """The index brought up to date with its corpora. A cluster is reloaded from them whole."""
    address = sphinx_address(backend)
    if address:
        from indexer.backends.sphinx import cluster_at, load

        return load.reload(cluster_at(address), corpus_dirs, show_progress=show_progress)
    from indexer.backends.whoosh.update import update_index as update

    return update(index_dir, corpus_dirs, show_progress=show_progress)


def add_paths(index_dir: Path, paths: list[Path], corpus: Path | None = None, show_progress: bool = False,
              backend: str | None = None):
    address = sphinx_address(backend)
    if address:
        from indexer.backends.sphinx import cluster_at, load

        return load.add(cluster_at(address), paths, corpus=corpus, show_progress=show_progress)
    from indexer.backends.whoosh.update import add_paths as add

    return add(index_dir, paths, corpus=corpus, show_progress=show_progress)


def remove_documents(index_dir: Path, doc_ids: list[str], backend: str | None = None):
    address = sphinx_address(backend)
    if address:
        from indexer.backends.sphinx import cluster_at, load

        return load.remove(cluster_at(address), doc_ids)
    from indexer.backends.whoosh.update import remove_documents as remove

    return remove(index_dir, doc_ids)


def indexed_documents(index_dir: Path, backend: str | None = None) -> list[dict]:
    """The live index's document records (what ``policy-search docs`` lists), without opening it for search."""
    address = sphinx_address(backend)
    if address:
        engine = open_engine(backend=address)
        try:
            return engine.documents()
        finally:
            engine.close()
    from indexer.backends.whoosh import generations

    return list(generations.read_documents(generations.current_generation(Path(index_dir))).values())


def detect_encoding(sample: bytes, complete: bool = True):
    """The encoding of a file's first bytes, found as for corpus files: ``(encoding, note)``."""
    from indexer.ingest.readers import detect_encoding as detect

    return detect(sample, complete=complete)


def analyze(text: str, mode: str = "query") -> list[str]:
    """The terms a text is indexed (or, ``mode="query"``, searched) as."""
    from indexer.text.terms import analyze as terms

    return terms(text, mode=mode)


def cluster_start(directory: Path, shards: int = 2, port: int | None = None) -> list[dict]:
    """A local cluster of ``shards`` shard daemons and a front on loopback, started (created in ``directory``
    when it holds none: the front's SphinxQL port ``port``, default 9306); its daemons' status."""
    from indexer.backends.sphinx import start_cluster

    return start_cluster(Path(directory), shards, port)


def cluster_status(directory: Path) -> list[dict]:
    from indexer.backends.sphinx.cluster import Cluster

    return Cluster.read(Path(directory)).status()


def cluster_stop(directory: Path) -> list[str]:
    """Every daemon of the cluster in ``directory`` stopped; the ones that were running."""
    from indexer.backends.sphinx.cluster import Cluster

    return Cluster.read(Path(directory)).stop()
