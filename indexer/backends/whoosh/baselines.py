"""The naive pairings the engine is measured against: Whoosh with jieba's own ``ChineseAnalyzer``.

What a developer gets by following the two libraries' documentation: one TEXT
field analysed by ``jieba.analyse.ChineseAnalyzer`` (and, for evaluation, a
bigram field), Whoosh's ``QueryParser`` with every word required (``AND``) or
any (``OR``). Used by ``policy-search eval --baseline`` (:class:`NaiveBaselines`)
and ``policy-search bench --baseline`` (the ``*_baseline`` functions).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable

import jieba
from jieba.analyse import ChineseAnalyzer
from whoosh import fields
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.qparser import AndGroup, OrGroup, QueryParser

CUTOFF = 10


class NaiveBaselines:
    """The naive pairings over raw paragraphs, as reference points: ``runs()`` maps a name to a run."""

    def __init__(self, paragraphs: Iterable[str]):
        self._dir = tempfile.TemporaryDirectory(prefix="policy-search-baseline-")
        schema = fields.Schema(content=fields.TEXT(analyzer=ChineseAnalyzer(), stored=True),
                               bigrams=fields.NGRAM(minsize=2, maxsize=2, phrase=True))
        self._index = whoosh_index.create_in(self._dir.name, schema)
        writer = self._index.writer()
        for text in paragraphs:
            writer.add_document(content=text, bigrams=text)
        writer.commit()
        self._searcher = self._index.searcher()

    def runs(self) -> dict[str, Callable[[str], list[str]]]:
        return {"jieba AND": self._run("content", AndGroup), "jieba OR": self._run("content", OrGroup),
                "bigram AND": self._run("bigrams", AndGroup)}

    def _run(self, field: str, group) -> Callable[[str], list[str]]:
        parser = QueryParser(field, self._index.schema, group=group)

        def run(query: str) -> list[str]:
            return [hit["content"] for hit in self._searcher.search(parser.parse(query), limit=CUTOFF)]
        return run

    def close(self) -> None:
        self._searcher.close()
        self._dir.cleanup()


# -- the benchmark's naive pairing: build, open, search -------------------------------------

def baseline_schema():
    # city and year sortable: Whoosh's documented way to facet; without it groupedby scans the terms per query
    return fields.Schema(content=fields.TEXT(analyzer=ChineseAnalyzer(), stored=True),
                         city=fields.ID(stored=True, sortable=True), year=fields.NUMERIC(stored=True, sortable=True))


def quiet_jieba(initialize: bool = False) -> None:
    jieba.setLogLevel(60)
    if initialize:
        jieba.initialize()


def build_baseline(documents, index_dir: str) -> tuple[int, int]:
    """One TEXT field with jieba's ChineseAnalyzer, Whoosh's default writer; (passages, characters) written."""
    index = whoosh_index.create_in(index_dir, baseline_schema())
    writer = index.writer()
    passages = characters = 0
    for document in documents:
        for passage in document.passages:
            writer.add_document(content=passage.text, city=document.city or None, year=document.year)
            passages += 1
            characters += len(passage.text)
    writer.commit()
    return passages, characters


def open_baseline(index_dir: str):
    """(searcher, parser) of a baseline index, opened with its own schema, not the pickled one."""
    index = whoosh_index.open_dir(index_dir, schema=baseline_schema())
    return index.searcher(), QueryParser("content", index.schema)


def baseline_search(searcher, parser, item: dict) -> tuple[int, int]:
    """One query of the benchmark's mix, facets and highlights included: (total, hits shown)."""
    parsed = parser.parse(item["query"])
    filters = [wq.Or([wq.Term("city", c) for c in item["cities"]])] if item["cities"] else []
    filters += [wq.Or([wq.Term("year", y) for y in item["years"]])] if item["years"] else []
    results = searcher.search(parsed, limit=10, groupedby=["city", "year"],
                              filter=wq.And(filters) if filters else None)
    results.groups("city")
    results.groups("year")
    top = results[:10]
    for hit in top:
        hit.highlights("content")
    return len(results), len(top)


