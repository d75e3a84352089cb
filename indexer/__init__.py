"""民政政策检索: a search engine for Chinese civil-affairs policy texts.

The engine's public interface is :mod:`indexer.api` (``open_engine``, ``build_index``,
the records a search answers with, the ``SearchBackend`` protocol) and the errors
in :mod:`indexer.errors`; ARCHITECTURE.md walks the folders behind it.
"""
