"""The Sphinx backend's :class:`~indexer.api.SearchBackend`: the engine's pipeline over SphinxQL.

The query is parsed, expanded and planned in Python as for Whoosh (``indexer/query/``); each ranking tier
becomes one ``MATCH()`` expression, disjoint from the tiers before it (as typed; via synonyms or
headings; by words, one expression per coverage level, from :func:`indexer.engine.tiers.word_levels`;
by headings alone), and their union is what totals, facets and charts count. Sphinx returns ids,
BM25F weights, totals and facet counts; proximity re-ranking, near-copy folding, highlights and
citations are computed here on the passages' original text, with the Whoosh backend's code.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from indexer.backends.sphinx.client import Answer, Front, Statement
from indexer.backends.sphinx.cluster import DATA_FORMAT, PLACEHOLDER_ID
from indexer.backends.sphinx.keys import CODED_FACETS, document_key, passage_key, value_code
from indexer.backends.sphinx.match import all_of, any_of, expression, without, written
from indexer.backends.sphinx.similar import similar_passages
from indexer.engine.arguments import RELAXED_NOTICE, check_text, checked_search, facet_selections
from indexer.engine.facets import EMPTY_VALUES, FACETS, city_year_rows, decade_buckets
from indexer.engine.highlight import highlight
from indexer.engine.hits import facet_value, figure_rows, passage_hit
from indexer.engine.ranking import DUPLICATE_POOL, POOL_GROWTH, Candidate, DuplicateFolder, fold_best
from indexer.engine.tiers import ALL_WORDS, piece_queries, word_levels
from indexer.engine.timespan import UNDATED, bounds
from indexer.errors import IndexMissing, PassageMissing, QueryError, UserError
from indexer.query.parse import parse_query
from indexer.query.plan import CompiledQuery, compile_query
from indexer.records import MAX_LIMIT, ContextPassage, FiguresResponse, Hit, SearchResponse, SimilarResponse
from indexer.text.terms import match_form

# BM25F with the Whoosh backend's field weights (the bigram layer half a word's weight), on the global IDF.
RANKER = "expr('10000*bm25f(1.2,0.75,{content=2,grams=1,title=2,section=3})')"
# Counting needs no weights: the ranker is skipped.
UNRANKED = "ranker=none"
FACET_LIMIT = 5000  # distinct values a facet lists (cities, years, types)
GROUP_LIMIT = 200_000  # documents one grouped query returns
MAX_KNOWN_FREQUENCIES = 100_000
FIGURE_BATCH = 200
FIGURE_LIMIT = 500
MAX_FIGURE_LIMIT = 5000
FIGURE_REACH = 40


@dataclass
class SphinxTier:
    name: str
    expression: str  # the passages this tier adds: none found by an earlier tier
    level: float = 0.0  # the words tier's coverage level (0 for the others)


@dataclass
class SearchPlan:
    tiers: list[SphinxTier]
    union: str | None  # every counted passage
    partial: str | None = None  # the passages of the words tier that hold only some of the words


@dataclass
class ReadPassages:
    """What a search read of the passages it ranked: stored fields by passage id (of a verbatim copy, only its
    document and order), each text's folded form by copy key."""

    fields: dict[int, dict] = field(default_factory=dict)
    folded: dict[int, str] = field(default_factory=dict)

    def __getitem__(self, passage_id: int) -> dict:
        return self.fields[passage_id]


@dataclass
class DocumentCounts:
    """What a hit's count of its document's matching passages is counted with (for the page's documents)."""

    union: str
    where: "Where"


@dataclass
class Where:
    """A search's filters as SphinxQL conditions, each facet's apart (facets honour the others' only)."""

    parts: dict[str, str] = field(default_factory=dict)  # facet (or "documents") → condition

    def sql(self, leave_out: str | None = None) -> str:
        return "".join(f" AND {condition}" for name, condition in self.parts.items() if name != leave_out)


class SphinxEngine:
    """A cluster's front, opened for searching. Thread-safe (one search at a time).

    A search's counts are asked of every shard directly, at the same time as its first pool is asked of the
    front: counts add up across shards (a document lives in one), and the front would forward each FACET and
    count to the shards as a search of its own, where a shard evaluates them as one."""

    def __init__(self, host: str, port: int):
        self._front = Front(host, port)
        # agent ("host:api_port") -> connections to its SphinxQL port, one per statement a search asks at once
        self._shards: dict[str, list[Front]] = {}
        self._workers: ThreadPoolExecutor | None = None
        self._worker_count = 0
        self._lock = threading.Lock()
        self.warnings: list[str] = []
        self._description: dict = {}
        self._records: dict[int, dict] = {}
        self._values: dict[str, dict[int, str]] = {}  # a coded facet's values by their codes
        # Passages per word piece (its MATCH expression): a statistic of the loaded collection, like a term
        # dictionary's, so it is counted once per load, not once per search.
        self._frequencies: dict[str, int] = {}
        self._missing: set[str] = set()
        with self._lock:
            self._refresh()

    # -- the cluster -------------------------------------------------------------

    def _refresh(self) -> None:
        """The cluster's description (re-read each time: a load changes it); document records cached per load."""
        rows = self._query("SELECT description FROM cluster LIMIT 1").rows
        description = json.loads(rows[0][0]) if rows and rows[0][0] else {}
        if not description.get("shards"):
            raise IndexMissing("集群中还没有数据：请运行 policy-search index --backend sphinx://… 载入文件。")
        if description.get("passages") and description.get("format") != DATA_FORMAT:
            raise IndexMissing("集群中的数据由旧版本载入，格式不同：请运行 policy-search index --backend sphinx://… 重新载入。")
        if description != self._description:  # a load changed the collection: what was learnt of it goes
            self._close_shards()
            host = description.get("host", "127.0.0.1")
            self._shards = {f"{host}:{shard['api_port']}": [Front(host, shard["sql_port"])]
                            for shard in description["shards"]}
            self._description, self._records, self._frequencies = description, {}, {}
            self._values = {name: {value_code(value): value for value in values}
                            for name, values in description.get("facet_values", {}).items()}

    def _query(self, sql: str, args=()) -> Answer:
        return self._front.query(sql, args)

    def _unavailable(self) -> list[str]:
        """The shards that did not answer during this call, as a reader is told about them."""
        from indexer.backends.sphinx.cluster import Shard

        shards = {f"{self._description.get('host', '127.0.0.1')}:{s['api_port']}": Shard(**s).describe()
                  for s in self._description.get("shards", [])}
        return sorted(shards.get(agent, agent) for agent in self._missing)

    def _begin(self) -> None:
        self._missing = set()
        self._refresh()

    def close(self) -> None:
        self._front.close()
        self._close_shards()
        if self._workers is not None:
            self._workers.shutdown(wait=False)

    def _close_shards(self) -> None:
        for connections in self._shards.values():
            for connection in connections:
                connection.close()

    @property
    def corpora(self):
        from pathlib import Path

        return [Path(p) for p in self._description.get("corpora", [])]

    # -- planning ----------------------------------------------------------------

    def _plan(self, compiled: CompiledQuery) -> SearchPlan:
        strict = expression(compiled.strict)
        broad = expression(compiled.broad) if compiled.broad is not None else None
        heading = expression(compiled.heading) if compiled.heading is not None else None
        exclusion = expression(compiled.exclusion, scored=False) if compiled.exclusion is not None else None
        found = any_of([expression(compiled.strict, scored=False),
                        expression(compiled.broad, scored=False) if broad else None])
        tiers = [("verbatim", strict, 0.0)] if strict else []
        if broad:
            tiers.append(("broad", without(broad, found if strict else None), 0.0))
        partial, words = None, None
        if compiled.segmented:
            words, word_tiers, partial = self._word_tiers(compiled, found, exclusion)
            tiers += word_tiers
        if heading:
            tiers.append(("heading", without(heading, any_of([found, words])), 0.0))
        union = any_of([found, words, expression(compiled.heading, scored=False) if heading else None])
        written_tiers = [SphinxTier(name, written(match, ranked=True), level) for name, match, level in tiers]
        return SearchPlan([t for t in written_tiers if t.expression], written(union), written(partial))

    def _word_tiers(self, compiled: CompiledQuery, found, exclusion):
        """The words tier as one tier per coverage level, best first (name, expression, level); its union; the
        part of it that holds only some of the words."""
        pieces = piece_queries(compiled)
        masks = [expression(piece, scored=False) for piece in pieces]
        scored = [expression(piece) for piece in pieces]
        total = int(self._description.get("passages", 0))
        frequencies = self._frequencies_of([written(mask) for mask in masks])
        levels = word_levels(compiled, frequencies, total)

        def at_least(level: float, parts: list):
            return any_of([all_of([parts[i] for i in combination]) for combination in levels.at_least[level]])

        tiers, above = [], None
        for level in levels.levels:
            reached = at_least(level, scored)
            tier = without(without(without(reached, above), found), exclusion)
            if tier:
                tiers.append(("words", tier, level))
            above = any_of([above, at_least(level, masks)])
        union = without(above, exclusion)
        partial = without(without(union, at_least(ALL_WORDS, masks) if ALL_WORDS in levels.at_least else None), found)
        return union, tiers, partial

    def _frequencies_of(self, masks: list[str | None]) -> list[int]:
        """Passages per piece: those not known yet counted in one batch."""
        unknown = list(dict.fromkeys(m for m in masks if m is not None and m not in self._frequencies))
        if unknown:
            answers = self._batch([self._count_statement(mask) for mask in unknown])
            counted = {mask: int(a.rows[0][0]) if a.rows else 0 for mask, a in zip(unknown, answers)}
            if not self._missing:  # a count without a shard is not the collection's
                if len(self._frequencies) + len(counted) > MAX_KNOWN_FREQUENCIES:
                    self._frequencies.clear()
                self._frequencies.update(counted)
        else:
            counted = {}
        return [0 if m is None else self._frequencies.get(m, counted.get(m, 0)) for m in masks]

    def _count_statement(self, match: str, conditions: str = "", distinct: bool = False) -> Statement:
        counted = "COUNT(DISTINCT doc_key)" if distinct else "COUNT(*)"
        return Statement(f"SELECT {counted} FROM passages WHERE MATCH(%s){conditions} LIMIT 1 OPTION {UNRANKED}", (match,))

    def _batch(self, statements: list[Statement]) -> list[Answer]:
        answers = self._front.batch(statements)
        self._missing |= answers[0].missing
        return answers

    def _scattered(self, on_shards: list[Statement], on_front: list[Statement]
                   ) -> tuple[list[list[Answer]], list[Answer]]:
        """``on_shards`` sent to every shard and ``on_front`` to the front, all at once: the answering shards'
        answers, and the front's (a shard that does not answer is missing, as when the front names it).

        Each statement has a connection and a round trip of its own: in a batch with other statements,
        Sphinx 2.2 evaluates a FACET statement's full-text query once per facet (two words at a million
        passages: 120 ms, alone 25), and one after another they would wait for each other on an idle core."""
        threads = len(self._shards) * len(on_shards)  # the front is asked from the calling thread
        if self._workers is None or self._worker_count < threads:
            if self._workers is not None:
                self._workers.shutdown(wait=False)
            self._workers, self._worker_count = ThreadPoolExecutor(threads, thread_name_prefix="shard"), threads
        asked = {agent: [self._workers.submit(_answer, connection, statement)
                         for connection, statement in zip(self._connections(agent, len(on_shards)), on_shards)]
                 for agent in self._shards}
        front = self._batch(on_front) if on_front else []
        answered = []
        for agent, futures in asked.items():
            wait(futures)  # every connection free again before the next search
            try:
                answered.append([future.result() for future in futures])
            except (IndexMissing, UserError):  # refused, timed out, or lost mid-answer
                self._missing.add(agent)
        return answered, front

    def _connections(self, agent: str, count: int) -> list[Front]:
        connections = self._shards[agent]
        while len(connections) < count:
            connections.append(Front(connections[0].host, connections[0].port))
        return connections[:count]

    def _count(self, match: str, where: str = "") -> int:
        rows = self._batch([self._count_statement(match, where)])[0].rows
        return int(rows[0][0]) if rows else 0

    # -- searching -----------------------------------------------------------------

    def search(self, query: str, cities=(), years=(), doc_types=(), limit: int = 10, offset: int = 0,
               exact: bool = False, provinces=(), date_from=None, date_to=None,
               sort: str = "relevance", group: str = "passage", doc_ids=()) -> SearchResponse:
        """As :meth:`indexer.backends.whoosh.engine.SearchEngine.search`; a shard that does not answer makes
        the answer partial, named in ``partial`` and a notice."""
        started = time.perf_counter()
        arguments = checked_search(query, cities, years, doc_types, limit, offset, exact, provinces, date_from,
                                   date_to, sort, group)
        limit, offset, notices = arguments.limit, arguments.offset, arguments.notices
        compiled, selections, date_range = arguments.compiled, arguments.selections, arguments.date_range
        with self._lock:
            self._begin()
            plan = self._plan(compiled)
            where = _where(selections, date_range, [checked_text_id(d) for d in doc_ids])
            first = _prefetched_pools(limit, offset) if limit and plan.tiers and group == "passage" and sort == "relevance" else 0
            facets, total, documents_total, relaxed, prefetched = self._counts(plan, selections, where, first)
            counts = DocumentCounts(plan.union, where)
            if relaxed:
                notices.append(RELAXED_NOTICE)
            hits = []
            if limit and total:
                if group == "document":
                    hits = self._grouped_hits(plan, compiled, where, limit, offset, sort, counts)
                elif sort == "date":
                    hits = self._dated_hits(plan, compiled, where, limit, offset, counts)
                else:
                    hits = self._ranked_hits(plan, compiled, where, limit, offset, counts, prefetched)
            partial = self._unavailable()
        if partial:
            notices.append(f"部分分片未响应，结果不完整（不含其中的文件）：{'、'.join(partial)}。")
        took = (time.perf_counter() - started) * 1000
        return SearchResponse(query=query, total=total, facets=facets, hits=hits, notices=notices,
                              expansions=compiled.expansions, relaxed=relaxed, took_ms=round(took, 2),
                              documents_total=documents_total, sort=sort, group=group, partial=partial)

    def _counts(self, plan: SearchPlan, selections: dict[str, set], where: Where, first: int):
        """Disjunctive facet counts (each facet honours the other facets' selections, not its own), the total,
        how many documents, whether some passages hold only some of the words — from each shard, added up
        (:meth:`_scattered`) — and the first tier's ``first`` best passages from the front."""
        facets = {facet.name: [] for facet in FACETS}
        total = documents = 0
        relaxed, prefetched = False, None
        if plan.union is not None:
            shared = [facet for facet in FACETS if facet.name not in where.parts]
            own = [facet for facet in FACETS if facet.name in where.parts]
            statements = [self._facet_statement(plan.union, where.sql(), shared)]
            statements += [self._facet_statement(plan.union, where.sql(leave_out=f.name), [f]) for f in own]
            statements.append(self._count_statement(plan.union, where.sql(), distinct=True))
            if plan.partial:  # as the Whoosh backend says it: of the whole words tier, before any filter
                statements.append(Statement(f"SELECT id FROM passages WHERE MATCH(%s) LIMIT 1 OPTION {UNRANKED}, "
                                            "max_matches=1, cutoff=1", (plan.partial,)))  # is there one
            ranked = [self._fetch_statement(plan.tiers[0].expression, where.sql(), 0, first)] if first else []
            per_shard, fetched = self._scattered(statements, ranked)
            tallies = {facet.name: Counter() for facet in FACETS}
            for answers in per_shard:
                total += int(answers[0].rows[0][0]) if answers[0].rows else 0
                for facet, rows in zip(shared, answers[0].facets):
                    tallies[facet.name].update(dict(rows))
                for facet, answer in zip(own, answers[1:]):
                    tallies[facet.name].update(dict(answer.facets[0]))
                rest = answers[1 + len(own):]
                documents += int(rest[0].rows[0][0]) if rest[0].rows else 0
                relaxed |= bool(plan.partial) and bool(rest[1].rows)
            for facet in FACETS:
                facets[facet.name] = self._buckets(facet, list(tallies[facet.name].items()), selections)
            if first:
                prefetched = _fetched(fetched[0].rows)
        facets["decade"] = decade_buckets(facets["year"])
        return facets, total, documents, relaxed, prefetched

    def _buckets(self, facet, rows: list[tuple], selections: dict[str, set]) -> list[dict]:
        counts = [(self._value(facet.name, value), int(count)) for value, count in rows]
        return facet.buckets([(value, count) for value, count in counts if value not in EMPTY_VALUES],
                             selections.get(facet.name) or set())

    def _value(self, name: str, value):
        """A facet's value as the passages' attribute gave it, decoded (a coded facet's unknown code: none)."""
        return self._values.get(name, {}).get(value, "") if name in CODED_FACETS else value

    def _facet_statement(self, union: str, conditions: str, facets) -> Statement:
        """The passages counted, and the counts of ``facets``."""
        # A facet has at most a value per document: the sorter Sphinx allocates is no larger than that.
        values = min(FACET_LIMIT, self._groups_bound())
        clauses = "".join(f" FACET {f.name} ORDER BY COUNT(*) DESC, {f.name} ASC LIMIT {values}" for f in facets)
        sql = (f"SELECT COUNT(*) FROM passages WHERE MATCH(%s){conditions} LIMIT 1 "
               f"OPTION {UNRANKED}, max_matches={values}{clauses}")
        return Statement(sql, (union,), facets=len(facets))

    def _per_document(self, union: str, conditions: str, columns: str = "") -> list[tuple]:
        """Per matching document: its key, ``columns``, and how many of its passages match."""
        return self._batch([self._per_document_statement(union, conditions, columns)])[0].rows

    def _per_document_statement(self, union: str, conditions: str, columns: str = "") -> Statement:
        groups = self._groups_bound()
        sql = (f"SELECT doc_key{columns}, COUNT(*) FROM passages WHERE MATCH(%s){conditions} GROUP BY doc_key "
               f"LIMIT 0, {groups} OPTION {UNRANKED}, max_matches={groups}")
        return Statement(sql, (union,))

    def _groups_bound(self) -> int:
        """As many groups as a grouped query can have: one per document (Sphinx sizes its sorter by it)."""
        return max(2, min(GROUP_LIMIT, int(self._description.get("documents", 0)) + len(self._description["shards"])))


    # -- ranking -------------------------------------------------------------------

    def _fetch(self, match: str, conditions: str, start: int, stop: int, order: str = "WEIGHT() DESC, id ASC",
               group: bool = False) -> list[tuple]:
        """The passages ``match`` finds, ranked ``start`` to ``stop - 1``: (id, weight, copy key, date_first,
        doc_id, order) — their text is read for the ones a search keeps (:meth:`_read`)."""
        return _fetched(self._batch([self._fetch_statement(match, conditions, start, stop, order, group)])[0].rows)

    def _fetch_statement(self, match: str, conditions: str, start: int, stop: int,
                         order: str = "WEIGHT() DESC, id ASC", group: bool = False,
                         columns: str = "copy_key, date_first, doc_id, passage_order") -> Statement:
        grouping = " GROUP BY doc_key WITHIN GROUP ORDER BY WEIGHT() DESC, id ASC" if group else ""
        sql = (f"SELECT id, WEIGHT(), {columns} FROM passages WHERE MATCH(%s){conditions}{grouping} "
               f"ORDER BY {order} LIMIT {start}, {max(0, stop - start)} "
               f"OPTION ranker={RANKER}, idf='plain,tfidf_unnormalized', global_idf=1, max_matches={max(stop, 1)}")
        return Statement(sql, (match,))

    def _candidates(self, rows: list[tuple], level: float, read: ReadPassages) -> list[Candidate]:
        self._read(rows, read)
        return [Candidate(row[0], row[1], read.folded[row[2]], level=level) for row in rows if row[2] in read.folded]

    def _read(self, rows: list[tuple], read: ReadPassages) -> None:
        """The stored fields of the first passage of each text not read yet, in one round trip (a verbatim
        copy folds into a passage of the same text: its document and order are all a hit says of it)."""
        first: dict[int, int] = {}
        for passage_id, _, key, _, doc_id, order in rows:
            if key not in read.folded:
                first.setdefault(key, passage_id)
            read.fields.setdefault(passage_id, {"doc_id": doc_id, "order": order})
        if not first:
            return
        ids = list(first.values())
        sql = (f"SELECT id, stored FROM passages WHERE id IN ({_ints(ids)}) LIMIT {len(ids)} "
               f"OPTION max_matches={len(ids)}")
        for passage_id, stored in self._batch([Statement(sql)])[0].rows:
            read.fields[passage_id] = json.loads(stored)
        for key, passage_id in first.items():
            if "passage" in read.fields[passage_id]:  # (not when its shard stopped answering meanwhile)
                read.folded[key] = match_form(read.fields[passage_id]["passage"])

    def _ranked_hits(self, plan: SearchPlan, compiled: CompiledQuery, where: Where, limit: int, offset: int,
                     counts: DocumentCounts, prefetched: list[tuple] | None = None) -> list[Hit]:
        """Tier by tier, by weight re-ranked by proximity, near copies folded into the first
        (``prefetched``: the first tier's best passages, fetched with the counts)."""
        wanted = offset + limit
        folder, read = DuplicateFolder(), ReadPassages()
        for number, tier in enumerate(plan.tiers):
            needles = compiled.word_needles if tier.level else compiled.needles

            def ranked(start: int, stop: int, tier=tier, number=number) -> list[Candidate]:
                if number == 0 and prefetched is not None and (
                        stop <= len(prefetched) or len(prefetched) < _prefetched_pools(limit, offset)):
                    rows = prefetched[start:stop]  # all there is, when the prefetch found fewer than it asked for
                else:
                    rows = self._fetch(tier.expression, where.sql(), start, stop)
                return self._candidates(rows, tier.level, read)

            fold_best(folder, ranked, wanted, needles)
            if len(folder.kept) >= wanted:
                break
        return self._hits(folder.kept[offset:wanted], read, compiled, offset, counts=counts)

    def _dated_hits(self, plan: SearchPlan, compiled: CompiledQuery, where: Where, limit: int, offset: int,
                    counts: DocumentCounts) -> list[Hit]:
        """Newest first, then tier, then weight; near copies folded into the newest. Each tier's first ``size``
        by date holds the first ``size`` of all tiers merged."""
        wanted = offset + limit
        folder, read = DuplicateFolder(), ReadPassages()
        size, done = wanted + DUPLICATE_POOL, 0
        while True:
            merged, exhausted = [], True
            for number, tier in enumerate(plan.tiers):
                rows = self._fetch(tier.expression, where.sql(), 0, size, order="date_first DESC, WEIGHT() DESC, id ASC")
                exhausted &= len(rows) < size
                merged += [(-row[3], number, -row[1], row[0], row, tier.level) for row in rows]
            merged.sort(key=lambda item: item[:4])
            self._read([item[4] for item in merged[done:size]], read)
            for item in merged[done:size]:
                pool = folder.fresh(self._candidates([item[4]], item[5], read))
                folder.add(pool, until=wanted, then=DUPLICATE_POOL)
            done = min(size, len(merged))
            if len(folder.kept) >= wanted or exhausted:
                break
            size *= POOL_GROWTH
        return self._hits(folder.kept[offset:wanted], read, compiled, offset, counts=counts)

    def _grouped_hits(self, plan: SearchPlan, compiled: CompiledQuery, where: Where, limit: int, offset: int,
                      sort: str, counts: DocumentCounts) -> list[Hit]:
        """One hit per document, its best passage (first tier, then weight): each tier grouped by document,
        leaving out the documents an earlier tier holds."""
        seen: set[int] = set()
        grouped_tiers = []
        for tier in plan.tiers:
            excluded = f" AND doc_key NOT IN ({_ints(seen)})" if seen else ""
            grouped_tiers.append((tier, excluded))
            seen |= {row[0] for row in self._per_document(tier.expression, where.sql() + excluded)}
        wanted = offset + limit
        folder, read = DuplicateFolder(), ReadPassages()
        if sort == "date":
            merged = []
            for number, (tier, excluded) in enumerate(grouped_tiers):
                rows = self._fetch(tier.expression, where.sql() + excluded, 0, wanted + DUPLICATE_POOL,
                                   order="date_first DESC, WEIGHT() DESC, id ASC", group=True)
                merged += [(-row[3], number, -row[1], row[0], row, tier.level) for row in rows]
            merged.sort(key=lambda item: item[:4])
            self._read([item[4] for item in merged], read)
            for item in merged:
                folder.add(folder.fresh(self._candidates([item[4]], item[5], read)), until=wanted, then=DUPLICATE_POOL)
            return self._hits(folder.kept[offset:wanted], read, compiled, offset, counts=counts)
        for tier, excluded in grouped_tiers:
            needles = compiled.word_needles if tier.level else compiled.needles

            def ranked(start: int, stop: int, tier=tier, excluded=excluded) -> list[Candidate]:
                rows = self._fetch(tier.expression, where.sql() + excluded, start, stop, group=True)
                return self._candidates(rows, tier.level, read)

            fold_best(folder, ranked, wanted, needles)
            if len(folder.kept) >= wanted:
                break
        return self._hits(folder.kept[offset:wanted], read, compiled, offset, counts=counts)

    def _hits(self, kept: list[Candidate], stored: ReadPassages, compiled: CompiledQuery | None, offset: int,
              needles: list[str] | None = None, counts: DocumentCounts | None = None) -> list[Hit]:
        """The kept passages as hits, their documents' records read; with ``counts``, each hit's count of its
        document's matching passages (counted in the same batch)."""
        doc_ids = {stored[c.docnum]["doc_id"] for c in kept}
        keys = {document_key(doc_id) for doc_id in doc_ids}
        reading, counting = self._records_statement(keys), None
        if counts and keys:
            counting = Statement(
                f"SELECT doc_key, COUNT(*) FROM passages WHERE MATCH(%s){counts.where.sql()} AND doc_key IN ({_ints(keys)}) "
                f"GROUP BY doc_key LIMIT 0, {len(keys)} OPTION {UNRANKED}, max_matches={len(keys) + 1}", (counts.union,))
        statements = [statement for statement in (reading, counting) if statement is not None]
        answers = iter(self._batch(statements) if statements else [])
        if reading:
            self._remember_records(next(answers).rows)
        per_document = {row[0]: int(row[1]) for row in next(answers).rows} if counting else {}
        records = {self._records[k]["doc_id"]: self._records[k] for k in keys if k in self._records}
        hits = []
        for rank, candidate in enumerate(kept, start=offset + 1):
            fields = stored[candidate.docnum]
            # A passage found by words is highlighted word by word; one found as typed, as typed.
            marked = needles if compiled is None else compiled.piece_needles if candidate.level else compiled.all_needles
            duplicates = [{"doc_id": stored[d]["doc_id"], "order": stored[d]["order"]} for d in candidate.duplicates]
            hit = passage_hit(rank, candidate.score, fields["doc_id"], fields["order"], fields["passage"],
                              fields["section"], records.get(fields["doc_id"], {"title": fields["doc_id"]}),
                              marked, duplicates)
            hit.document_matches = per_document.get(document_key(hit.doc_id), 1)
            hits.append(hit)
        return hits

    # -- documents -------------------------------------------------------------------

    def _document_records(self, doc_ids) -> dict[str, dict]:
        keys = {document_key(doc_id) for doc_id in doc_ids}
        statement = self._records_statement(keys)
        if statement:
            self._remember_records(self._batch([statement])[0].rows)
        return {self._records[k]["doc_id"]: self._records[k] for k in keys if k in self._records}

    def _records_statement(self, keys: set[int]) -> Statement | None:
        """The records of the documents not read yet (cached until a load changes the collection)."""
        wanted = keys - set(self._records)
        if not wanted:
            return None
        return Statement(f"SELECT id, record FROM documents WHERE id IN ({_ints(wanted)}) LIMIT {len(wanted)}")

    def _remember_records(self, rows: list[tuple]) -> None:
        for key, record in rows:
            self._records[key] = json.loads(record)

    def document(self, doc_id: str) -> dict | None:
        check_text(doc_id, "文档编号")
        with self._lock:
            self._begin()
            return self._document_records([doc_id]).get(doc_id)

    def documents(self) -> list[dict]:
        with self._lock:
            self._begin()
            return self._all_documents()

    def _all_documents(self) -> list[dict]:
        count = int(self._description.get("documents", 0)) + len(self._description.get("shards", [])) + 1
        sql = f"SELECT record FROM documents WHERE id > {PLACEHOLDER_ID} ORDER BY id ASC LIMIT 0, {count} OPTION max_matches={count}"
        records = [json.loads(row[0]) for row in self._query(sql).rows]
        return sorted(records, key=lambda r: r.get("doc_id", ""))

    def document_region_year_counts(self, region: str = "province") -> list[dict]:
        if region not in ("province", "city"):
            raise QueryError(f"地区应为 province 或 city：{region}")
        counts = Counter((facet_value(d, region) or "", d.get("year") or "") for d in self.documents())
        return [{"region": place, "year": year, "count": count} for (place, year), count in counts.items()]

    def passages(self, doc_id: str, query: str = "", around: int | None = None,
                 window: int | None = None) -> list[ContextPassage]:
        check_text(doc_id, "文档编号")
        try:
            needles = compile_query(parse_query(query)).all_needles if query and query.strip() else []
        except QueryError:
            needles = []
        conditions = f"doc_key = {document_key(doc_id)}"
        if around is not None and window is not None:
            conditions += f" AND passage_order >= {int(around) - int(window)} AND passage_order <= {int(around) + int(window)}"
        with self._lock:
            self._begin()
            sql = (f"SELECT stored FROM passages WHERE {conditions} ORDER BY passage_order ASC "
                   f"LIMIT 0, {GROUP_LIMIT} OPTION max_matches={GROUP_LIMIT}")
            stored = [json.loads(row[0]) for row in self._query(sql).rows]
        return [ContextPassage(order=f["order"], section=f["section"], passage=f["passage"],
                               highlight=highlight(f["passage"], needles), is_hit=f["order"] == around)
                for f in stored]

    def overview(self) -> dict:
        docs = self.documents()
        counts = {}
        for facet in FACETS:
            values = [facet_value(d, facet.name) for d in docs if facet_value(d, facet.name)]
            tally = Counter(values)
            counts[facet.name] = [{"value": v, "count": n} for v, n in sorted(tally.items(), key=lambda i: (-i[1], str(i[0])))]
        return {"documents": len(docs), "passages": self._description.get("passages", 0),
                "characters": self._description.get("characters", 0), "built_at": self._description.get("built_at", ""),
                "facets": counts}

    # -- counts for charts -------------------------------------------------------------

    def _counted(self, query: str, cities, years, doc_types, exact, provinces, date_from, date_to):
        compiled = compile_query(parse_query(query), expand=not exact)
        selections = facet_selections(cities, years, doc_types, provinces)
        return compiled, selections, _where(selections, bounds(date_from, date_to), [])

    def city_year_counts(self, query: str, cities=(), years=(), doc_types=(), exact: bool = False, provinces=(),
                         date_from=None, date_to=None) -> list[dict]:
        return city_year_rows(self.region_year_counts(query, cities, years, doc_types, exact, provinces, date_from,
                                                      date_to, region="city"))

    def region_year_counts(self, query: str, cities=(), years=(), doc_types=(), exact: bool = False, provinces=(),
                           date_from=None, date_to=None, region: str = "province") -> list[dict]:
        if region not in ("province", "city"):
            raise QueryError(f"地区应为 province 或 city：{region}")
        compiled, _, where = self._counted(query, cities, years, doc_types, exact, provinces, date_from, date_to)
        counts: Counter = Counter()
        with self._lock:
            self._begin()
            plan = self._plan(compiled)
            if plan.union is not None:
                for _, place, year, count in self._per_document(plan.union, where.sql(), f", {region}, year"):
                    counts[(self._value(region, place), year)] += count
        return [{"region": place, "year": year, "count": count}
                for (place, year), count in sorted(counts.items(), key=lambda item: (str(item[0][0]), str(item[0][1])))]

    def year_counts(self, query: str, cities=(), years=(), doc_types=(), exact: bool = False, provinces=(),
                    date_from=None, date_to=None) -> list[dict]:
        compiled, _, where = self._counted(query, cities, years, doc_types, exact, provinces, date_from, date_to)
        with self._lock:
            self._begin()
            plan = self._plan(compiled)
            matching = Counter()
            if plan.union is not None:
                for _, year, count in self._per_document(plan.union, where.sql(), ", year"):
                    matching[year] += count
            sql = (f"SELECT year, COUNT(*) FROM passages WHERE id > {PLACEHOLDER_ID}{where.sql()} GROUP BY year "
                   f"LIMIT 0, {FACET_LIMIT} OPTION max_matches={FACET_LIMIT}")
            totals = sorted((year, count) for year, count in self._query(sql).rows if year not in EMPTY_VALUES)
        return [{"year": year, "matching": matching.get(year, 0), "passages": total,
                 "per_thousand": round(1000 * matching.get(year, 0) / total, 2)} for year, total in totals]

    # -- figures and similar passages ---------------------------------------------------

    def figures(self, query: str, cities=(), years=(), doc_types=(), exact: bool = False,
                limit: int = FIGURE_LIMIT, provinces=(), date_from=None, date_to=None) -> FiguresResponse:
        """As the Whoosh backend's: passages read best first, tier by tier, verbatim reprints once."""
        from indexer.engine import figures as extraction

        started = time.perf_counter()
        compiled, _, where = self._counted(query, cities, years, doc_types, exact, provinces, date_from, date_to)
        limit = max(1, min(int(limit), MAX_FIGURE_LIMIT))
        rows, seen, read, total = [], set(), 0, 0
        with self._lock:
            self._begin()
            plan = self._plan(compiled)
            total = self._count(plan.union, where.sql()) if plan.union else 0
            for tier in plan.tiers:
                start = 0
                while len(rows) < limit:
                    statement = self._fetch_statement(tier.expression, where.sql(), start, start + FIGURE_BATCH,
                                                      columns="stored")
                    batch = [json.loads(row[2]) for row in self._batch([statement])[0].rows]
                    start += FIGURE_BATCH
                    records = self._document_records({fields["doc_id"] for fields in batch})
                    for fields in batch:
                        read += 1
                        folded = match_form(fields["passage"])
                        if folded in seen:
                            continue
                        seen.add(folded)
                        found = extraction.near(extraction.extract(folded), folded, compiled.all_needles, FIGURE_REACH)
                        if found:
                            meta = records.get(fields["doc_id"], {"title": fields["doc_id"]})
                            rows.extend(figure_rows(fields["doc_id"], fields["order"], fields["passage"],
                                                    fields["section"], meta, folded, found, extraction.quote))
                        if len(rows) >= limit:
                            break
                    if len(batch) < FIGURE_BATCH:
                        break
                if len(rows) >= limit:
                    break
        took = (time.perf_counter() - started) * 1000
        return FiguresResponse(query=query, figures=rows[:limit], passages=total, passages_read=read,
                               truncated=len(rows) >= limit and read < total, took_ms=round(took, 2))

    def similar(self, doc_id: str, order: int, limit: int = 10) -> SimilarResponse:
        """Passages on the same matter in other documents: the passage's telling words as one OR query."""
        started = time.perf_counter()
        check_text(doc_id, "文档编号")
        limit = max(0, min(int(limit), MAX_LIMIT))
        with self._lock:
            self._begin()
            rows = self._query(f"SELECT stored FROM passages WHERE id = {passage_key(doc_id, int(order))} LIMIT 1").rows
            if not rows:
                raise PassageMissing(f"找不到段落：{doc_id} 第 {order} 段（文档编号和段落序号见 policy-search search --json）。")
            response = similar_passages(self, json.loads(rows[0][0]), limit, ReadPassages())
        response.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return response


def _answer(connection: Front, statement: Statement) -> Answer:
    return connection.batch([statement])[0]


def checked_text_id(doc_id: str) -> str:
    check_text(doc_id, "文档编号")
    return doc_id


def _ints(values) -> str:
    return ", ".join(str(int(v)) for v in sorted(values))


def _where(selections: dict[str, set], date_range: tuple[int, int] | None, doc_ids: list[str]) -> Where:
    where = Where()
    for facet in FACETS:
        chosen = selections.get(facet.name)
        if chosen:
            codes = chosen if facet.name == "year" else (value_code(value) for value in chosen)
            where.parts[facet.name] = f"{facet.name} IN ({_ints(codes)})"
    if date_range:  # narrows the year dimension: the year facet's own counts ignore it
        first, last = date_range
        span = f"date_last >= {int(first)} AND date_first <= {int(last)} AND date_first <> {UNDATED}"
        where.parts["year"] = f"{where.parts['year']} AND {span}" if "year" in where.parts else span
    if doc_ids:
        where.parts["documents"] = f"doc_key IN ({_ints(document_key(d) for d in doc_ids)})"
    return where


def _prefetched_pools(limit: int, offset: int) -> int:
    """How many of the first tier's best passages come with the counts: its first four pools (reprints often
    fold most of the first ones away, each further fetch evaluates the query again, and a fetched passage
    is a few numbers until its text is read)."""
    return (DUPLICATE_POOL + offset + limit) * POOL_GROWTH ** 3


def _fetched(rows: list[tuple]) -> list[tuple]:
    return [(row[0], float(row[1]), *row[2:]) for row in rows]
