"""The engine's search interface: open an index once, ask it questions, get plain data.

Nothing here returns a Whoosh object; :class:`SearchResponse` and
:class:`Hit` are dataclasses with ``to_dict()`` in the CLI's JSON shape, so
the app, the CLI and a future second backend share one contract.
"""

from __future__ import annotations

import json
from collections import Counter
import threading
import time
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh import scoring

from indexer.backends.whoosh import columns as fastcolumns
from indexer.backends.whoosh import more_like_this
from indexer.backends.whoosh import generations
from indexer.text.segmentation import USE_HMM, dictionary_fingerprint
from indexer.text.terms import match_form
from indexer.config import default_index_dir
from indexer.engine.arguments import RELAXED_NOTICE, check_text, checked_search, facet_selections
from indexer.engine.facets import FACET_NAMES, FacetColumn, decade_buckets, facet_counts
from indexer.backends.whoosh.schema import SCHEMA_VERSION
from indexer.engine.highlight import highlight
from indexer.backends.whoosh.evaluate import Evaluation, IndexArrays
from indexer.engine.matches import Matches
from indexer.query.parse import QueryError, parse_query
from indexer.query.plan import CompiledQuery, compile_query
from indexer.engine import telling
from indexer.engine.hits import facet_value, figure_rows, passage_hit
from indexer.engine.ranking import DUPLICATE_POOL, Candidate, DuplicateFolder, fold_best
from indexer.backends.whoosh.charts import ChartCounts
from indexer.engine.tiers import RankedMatches, Tier, best_matches, build_tiers, counted_union, tier_and_score
from indexer.engine.timespan import TimeColumns, bounds
from indexer.errors import PassageMissing
from indexer.records import (MAX_LIMIT, MAX_RESULT_DEPTH, ContextPassage, FigureRow, FiguresResponse, Hit,  # noqa: F401
                             SearchResponse, SimilarResponse, place_of)

# Figures: the most rows one call returns, and how far (in characters, same sentence) a figure may stand from a query word.
FIGURE_LIMIT = 500
MAX_FIGURE_LIMIT = 5000
FIGURE_REACH = 40


class SearchEngine(ChartCounts):
    """An opened index. Thread-safe for searching; follows a rebuilt index automatically."""

    def __init__(self, index_dir: Path | None = None):
        self.index_dir = Path(index_dir) if index_dir else default_index_dir()
        self._lock = threading.Lock()
        self._generation: Path | None = None
        self._unopenable: Path | None = None  # a published generation that failed to open
        self._open()

    # -- opening ---------------------------------------------------------

    def _open(self) -> None:
        generation = generations.current_generation(self.index_dir)
        fallback = None
        try:
            meta = generations.read_meta(generation)
        except generations.IndexMissing as damaged:  # keep searching the last good generation, with a warning
            previous = generations.previous_good_generation(self.index_dir, generation)
            if previous is None:
                raise
            fallback = f"当前索引已损坏，正在检索上一版索引（{previous.name}）：{damaged}"
            self._unopenable, generation, meta = generation, previous, generations.read_meta(previous)
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise generations.IndexMissing("索引由旧版本建立，格式已变（短语改在文本表上核对），请运行 policy-search index 重建。")
        index = whoosh_index.open_dir(str(generation))
        searcher = index.searcher(weighting=scoring.BM25F())
        arrays = None
        try:  # everything of the new generation is read before any of it replaces the old
            arrays = IndexArrays(searcher, generation)
            reader = searcher.reader()
            columns = {name: FacetColumn.from_values(fastcolumns.column_values(reader, name)) for name in FACET_NAMES}
            dates = FacetColumn.from_values(fastcolumns.column_values(reader, "date"))
            document_column = FacetColumn.from_values(fastcolumns.column_values(reader, "doc_id"))
            documents = generations.read_documents(generation)
        except BaseException:
            if arrays is not None:
                arrays.close()
            searcher.close()
            raise
        self._columns, self._documents, self._meta = columns, documents, meta
        self._time, self._document_column = TimeColumns(columns["year"], dates), document_column
        self._document_codes = document_column.codes
        self._document_code = {doc_id: code for code, doc_id in enumerate(document_column.values)}
        self._place_columns = None
        self.warnings = _compatibility_warnings(meta) + ([fallback] if fallback else [])
        old = getattr(self, "_searcher", None), getattr(self, "_arrays", None)
        self._searcher, self._arrays, self._generation = searcher, arrays, generation
        if old[0] is not None:
            old[0].close()
            old[1].close()

    def _refresh(self) -> None:
        """Reopen if a rebuild published a new generation since we opened."""
        try:
            live = (self.index_dir / generations.CURRENT).resolve()
        except OSError:
            return
        if live in (self._generation, self._unopenable) or not (live / generations.COMPLETE_MARKER).exists():
            return
        try:
            self._open()
        except generations.IndexMissing as error:  # the old generation stays open and answers; tried again once replaced
            self._unopenable = live
            self.warnings = [*self.warnings, f"新发布的索引无法打开，仍在检索此前的索引：{error}"]

    def close(self) -> None:
        self._arrays.close()
        self._searcher.close()

    @property
    def generation(self) -> Path:
        """The index generation being searched."""
        return self._generation

    # -- searching -------------------------------------------------------

    def search(self, query: str, cities=(), years=(), doc_types=(), limit: int = 10, offset: int = 0,
               exact: bool = False, provinces=(), date_from=None, date_to=None,
               sort: str = "relevance", group: str = "passage", doc_ids=()) -> SearchResponse:
        """Ranked passages for ``query`` within the selected provinces (全国: national documents), cities,
        years, types and the date range ``date_from``–``date_to`` (a year, year-month or date; either
        may be None); ``sort="date"`` orders them newest first, undated last.

        ``group="document"`` gives one hit per document: its best passage (first tier, then BM25F score;
        the passages then ranked as ``sort`` says), with ``document_matches`` telling how many of its
        passages match; ``offset`` and ``limit`` then count documents. ``doc_ids`` keeps the passages of
        those documents only (to open a grouped document's other passages); facets honour it.

        Raises :class:`QueryError` (with a message for the reader) when the
        query has nothing to search for, or a filter or the sort cannot be understood.
        """
        started = time.perf_counter()
        arguments = checked_search(query, cities, years, doc_types, limit, offset, exact, provinces, date_from,
                                   date_to, sort, group)
        limit, offset, notices = arguments.limit, arguments.offset, arguments.notices
        compiled, selections, date_range = arguments.compiled, arguments.selections, arguments.date_range
        with self._lock:
            self._refresh()
            tiers = self._tiers(compiled)
            relaxed = any(tier.partial for tier in tiers)
            if relaxed:
                notices.append(RELAXED_NOTICE)
            matching = counted_union(tiers)
            if doc_ids:
                matching = matching & self._document_column.passing(set(doc_ids))
            facets, selected = self._facet_counts(matching, selections, date_range)
            per_document = np.bincount(self._document_column.codes[selected], minlength=len(self._document_column.values))
            shown = self._best_of_each_document(tiers, selected) if group == "document" else selected
            if sort == "date":
                hits = self._dated_hits(tiers, compiled, shown, limit, offset)
            else:
                hits = self._ranked_hits(tiers, compiled, shown, limit, offset)
            for hit in hits:
                hit.document_matches = int(per_document[self._document_code[hit.doc_id]])
        took = (time.perf_counter() - started) * 1000
        return SearchResponse(query=query, total=int(np.count_nonzero(selected)), facets=facets, hits=hits, notices=notices,
                              expansions=compiled.expansions, relaxed=relaxed, took_ms=round(took, 2),
                              documents_total=int(np.count_nonzero(per_document)), sort=sort, group=group)

    def _best_of_each_document(self, tiers, selected: np.ndarray) -> np.ndarray:
        """Mask of each document's best passage among ``selected``: its first tier, then its BM25F score."""
        docnums = np.flatnonzero(selected)
        best = np.zeros_like(selected)
        if not len(docnums):
            return best
        tier_of, scores = tier_and_score(tiers, docnums)
        order = np.lexsort((docnums, -scores, tier_of))
        _, first = np.unique(self._document_codes[docnums[order]], return_index=True)
        best[docnums[order[first]]] = True
        return best

    def _facet_counts(self, matching: np.ndarray, selections: dict[str, set], date_range: tuple[int, int] | None,
                      ) -> tuple[dict[str, list[dict]], np.ndarray]:
        """Disjunctive facet counts and the selected passages; a date range narrows the year dimension."""
        restrictions = {"year": self._time.within(*date_range)} if date_range else None
        facets, selected = facet_counts(matching, self._columns, selections, restrictions)
        facets["decade"] = decade_buckets(facets["year"])
        return facets, selected

    def _dated_hits(self, tiers, compiled: CompiledQuery, selected: np.ndarray, limit: int, offset: int) -> list[Hit]:
        """Newest first (a document's date, else its year; undated last); within a date, by relevance
        (tier, then BM25F score); near-duplicates folded into the newest copy."""
        if limit == 0 or not selected.any():
            return []
        docnums = np.flatnonzero(selected)
        tier_of, scores = tier_and_score(tiers, docnums)
        keys = self._time.sort_key[docnums]
        wanted = offset + limit
        folder = DuplicateFolder()
        order = np.lexsort((docnums, -scores, tier_of, -keys))
        start = 0
        while len(folder.kept) < wanted and start < len(order):
            chunk = order[start:start + wanted + DUPLICATE_POOL]
            start += len(chunk)
            pool = folder.fresh(self._candidates(docnums[chunk], scores[chunk]))
            folder.add(pool, until=wanted, then=DUPLICATE_POOL)
        return [self._hit(rank, candidate, compiled.all_needles)
                for rank, candidate in enumerate(folder.kept[offset:offset + limit], start=offset + 1)]

    def _tiers(self, compiled: CompiledQuery) -> list[Tier]:
        """Ranking tiers, each with the passages it adds: as typed, via synonyms or title, by words, by headings."""
        return build_tiers(Evaluation(self._arrays), compiled)  # the postings decoded once for every tier

    def _ranked_hits(self, tiers: list[Tier], compiled: CompiledQuery, selected: np.ndarray,
                     limit: int, offset: int) -> list[Hit]:
        """Tier by tier, BM25F re-ranked by proximity, near-duplicates folded into the first copy. Passages
        matched by headings alone are not counted (``selected``) and come after every counted one."""
        if limit == 0:
            return []
        wanted = offset + limit
        folder = DuplicateFolder()
        for tier in tiers:
            allowed = selected
            if not allowed.any():
                continue
            needles = compiled.needles if tier.levels is None else compiled.word_needles
            self._fold_best(folder, tier.matches, allowed, wanted, needles, tier.levels)
            if len(folder.kept) >= wanted:
                break
        # A passage found by words is highlighted word by word; one found as typed, as typed.
        return [self._hit(rank, candidate, compiled.piece_needles if candidate.level else compiled.all_needles)
                for rank, candidate in enumerate(folder.kept[offset:offset + limit], start=offset + 1)]

    def _fold_best(self, folder: DuplicateFolder, matches: Matches, selected: np.ndarray, wanted: int,
                   clause_needles: list[list[str]], levels: np.ndarray | None = None) -> None:
        ranking = RankedMatches(matches, selected, levels)

        def ranked(start: int, stop: int) -> list[Candidate]:
            top = ranking.best(stop)[start:]
            docnums = np.array([docnum for _, docnum in top], dtype=np.int64)
            return self._candidates(docnums, [score for score, _ in top], levels)

        fold_best(folder, ranked, wanted, clause_needles)

    def _candidate(self, docnum: int, score: float = 0.0) -> Candidate:
        return Candidate(docnum, score, self._arrays.folded("content", docnum))

    def _candidates(self, docnums: np.ndarray, scores, levels: np.ndarray | None = None) -> list[Candidate]:
        """Candidates for a pool, their texts read together."""
        texts = self._arrays.folded_many("content", docnums)
        scores = scores.tolist() if isinstance(scores, np.ndarray) else scores
        levels = levels[docnums].tolist() if levels is not None else [0.0] * len(texts)
        return [Candidate(docnum, score, text, level=level)
                for docnum, score, text, level in zip(docnums.tolist(), scores, texts, levels)]

    def _hit(self, rank: int, candidate: Candidate, needles: list[str]) -> Hit:
        stored = self._searcher.stored_fields(candidate.docnum)
        meta = self._documents.get(stored["doc_id"], {"title": stored["doc_id"]})
        return passage_hit(rank, candidate.score, stored["doc_id"], stored["order"], stored["passage"],
                           json.loads(stored["section_path"]), meta, needles,
                           [self._where(docnum) for docnum in candidate.duplicates])

    def _where(self, docnum: int) -> dict:
        """A folded duplicate's place, from columns (a hit can carry dozens of reprints: the order column is
        read whole the first time, each place is then two lookups)."""
        if self._place_columns is None:
            orders = fastcolumns.column_values(self._searcher.reader(), "order")
            self._place_columns = self._document_column.values, orders
        doc_ids, orders = self._place_columns
        return {"doc_id": doc_ids[self._document_codes[docnum]], "order": orders[docnum]}

    def figures(self, query: str, cities=(), years=(), doc_types=(), exact: bool = False,
                limit: int = FIGURE_LIMIT, provinces=(), date_from=None, date_to=None) -> FiguresResponse:
        """The figures the matching passages state near the query's words, with each one's passage.

        Passages are read best first (as :meth:`search` ranks them, without the page's re-ranking);
        verbatim reprints are read once. Computed only when asked for, so searching pays nothing.
        """
        from indexer.engine import figures as extraction  # cn2an takes half a second to import: only when asked

        started = time.perf_counter()
        compiled = compile_query(parse_query(query), expand=not exact)
        limit = max(1, min(int(limit), MAX_FIGURE_LIMIT))
        rows: list[FigureRow] = []
        seen: set[str] = set()
        with self._lock:
            self._refresh()
            tiers = self._tiers(compiled)
            _, selected = self._facet_counts(counted_union(tiers), facet_selections(cities, years, doc_types, provinces),
                                             bounds(date_from, date_to))
            total = int(np.count_nonzero(selected))
            ranked = [docnum for tier in tiers if tier.counted for _, docnum in best_matches(tier.matches, selected, total, tier.levels)]
            read = 0
            for read, docnum in enumerate(ranked, start=1):
                folded = self._arrays.folded("content", docnum)
                if folded in seen:
                    continue
                seen.add(folded)
                found = extraction.near(extraction.extract(folded), folded, compiled.all_needles, FIGURE_REACH)
                if found:
                    rows.extend(self._figure_rows(docnum, folded, found, extraction.quote))
                if len(rows) >= limit:
                    break
        took = (time.perf_counter() - started) * 1000
        return FiguresResponse(query=query, figures=rows[:limit], passages=total, passages_read=read,
                               truncated=len(rows) >= limit and read < len(ranked), took_ms=round(took, 2))

    def _figure_rows(self, docnum: int, folded: str, found: list, quote) -> list[FigureRow]:
        stored = self._searcher.stored_fields(docnum)
        meta = self._documents.get(stored["doc_id"], {"title": stored["doc_id"]})
        return figure_rows(stored["doc_id"], stored["order"], stored["passage"], json.loads(stored["section_path"]),
                           meta, folded, found, quote)

    def similar(self, doc_id: str, order: int, limit: int = 10) -> SimilarResponse:
        """Passages on the same matter in other documents (other places, other years), best first.

        The passage's most telling words (:mod:`indexer.backends.whoosh.more_like_this`) searched
        as one OR query, BM25F-ranked; its own document, and documents holding
        a near copy of it, left out; reprints among the rest folded as in
        :meth:`search`. Raises :class:`PassageMissing` for an unknown passage.
        """
        started = time.perf_counter()
        check_text(doc_id, "文档编号")
        limit = max(0, min(int(limit), MAX_LIMIT))
        with self._lock:
            self._refresh()
            own = self._document_mask(doc_id)
            docnum = next((int(d) for d in np.flatnonzero(own) if self._where(int(d))["order"] == order), None)
            if docnum is None:
                raise PassageMissing(f"找不到段落：{doc_id} 第 {order} 段（文档编号和段落序号见 policy-search search --json）。")
            terms = more_like_this.telling_terms(self._searcher.stored_fields(docnum)["passage"], docnum, self._arrays)
            matches = Evaluation(self._arrays).matches(telling.query(terms))

            def fold(allowed: np.ndarray) -> DuplicateFolder:
                """The passage kept first, so its near copies fold into it; then the best others."""
                folder = DuplicateFolder()
                folder.add(folder.fresh([self._candidate(docnum)]), until=1)
                self._fold_best(folder, matches, allowed, limit + 1, [])
                return folder

            folder = fold(~own)
            copies = sorted({self._where(d)["doc_id"] for d in folder.kept[0].duplicates} - {doc_id})
            if copies:  # a reprint of the passage's document is left out like the document itself
                folder = fold(~own & ~np.logical_or.reduce([self._document_mask(copy) for copy in copies]))
            needles = [match_form(t.text) for t in terms]
            source, *others = [self._hit(rank, candidate, needles) for rank, candidate in enumerate(folder.kept)]
        took = (time.perf_counter() - started) * 1000
        return SimilarResponse(source=source, terms=[t.text for t in terms], hits=others, copies=copies,
                               took_ms=round(took, 2))

    def _document_mask(self, doc_id: str) -> np.ndarray:
        mask = np.zeros(self._arrays.size, dtype=bool)
        mask[list(self._searcher.document_numbers(doc_id=doc_id))] = True
        return mask & self._arrays.live

    # -- browsing --------------------------------------------------------

    def document(self, doc_id: str) -> dict | None:
        return self._documents.get(doc_id)

    def documents(self) -> list[dict]:
        return list(self._documents.values())

    def document_region_year_counts(self, region: str = "province") -> list[dict]:
        """The collection's documents tallied by region and year: ``[{"region", "year", "count"}]``, the region
        as the facets have it — a province (全国 for a national document) or, ``region="city"``, a city."""
        if region not in ("province", "city"):
            raise QueryError(f"地区应为 province 或 city：{region}")
        counts = Counter((facet_value(d, region) or "", d.get("year") or "") for d in self._documents.values())
        return [{"region": place, "year": year, "count": count} for (place, year), count in counts.items()]

    @property
    def corpora(self) -> list[Path]:
        """The corpus folders the index tracks."""
        return [Path(p) for p in self._meta.get("corpora", [])]

    def passages(self, doc_id: str, query: str = "", around: int | None = None, window: int | None = None) -> list[ContextPassage]:
        """A document's passages in order, matches highlighted; ``around``/``window`` narrow to a neighbourhood."""
        check_text(doc_id, "文档编号")
        try:
            needles = compile_query(parse_query(query)).all_needles if query and query.strip() else []
        except QueryError:
            needles = []
        with self._lock:
            self._refresh()
            stored = [fields for fields in self._searcher.documents(doc_id=doc_id)]
        stored.sort(key=lambda fields: fields["order"])
        if around is not None and window is not None:
            stored = [f for f in stored if abs(f["order"] - around) <= window]
        return [ContextPassage(order=f["order"], section=json.loads(f["section_path"]), passage=f["passage"],
                               highlight=highlight(f["passage"], needles), is_hit=f["order"] == around)
                for f in stored]

    def overview(self) -> dict:
        """What the collection holds: documents by city, year and type, and totals."""
        docs = self.documents()
        counts = {}
        for name in FACET_NAMES:
            values = [facet_value(d, name) for d in docs if facet_value(d, name)]
            counts[name] = [{"value": v, "count": values.count(v)} for v in sorted(set(values), key=lambda v: (-values.count(v), str(v)))]
        return {"documents": len(docs), "passages": self._meta.get("passages", 0),
                "characters": self._meta.get("characters", 0), "built_at": self._meta.get("built_at", ""),
                "facets": counts}


def open_engine(index_dir: Path | str | None = None) -> SearchEngine:
    """Open the index once; raises ``store.IndexMissing`` with a message when there is none."""
    return SearchEngine(Path(index_dir) if index_dir else None)


def _compatibility_warnings(meta: dict) -> list[str]:
    warnings = []
    if meta.get("hmm") != USE_HMM:
        warnings.append("索引由旧版本建立，请运行 policy-search index 重建。")
    if meta.get("dictionary") != dictionary_fingerprint():
        warnings.append("词典已更新，索引仍按旧词典分词；请运行 policy-search index 重建。")
    return warnings
