"""民政政策检索: a search engine for Chinese civil-affairs policy texts.

The engine's public interface is :mod:`indexer.searching` (``open_engine``)
and :mod:`indexer.building` (``build_index``); everything they return is plain
dataclasses and dicts, so a second backend can stand behind the same calls.
"""
