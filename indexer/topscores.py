"""``searcher.search(query, filter=allowed, limit=n)`` for a known set of allowed passages, without the walk.

Whoosh ranks by stepping its matcher tree document by document through every
leaf's postings (``is_active``/``id``/``skip_to``/``score`` per node per
document, in Python), which for a query with common words or big thesaurus
expansions is most of the engine's time. The engine already knows the
passages that can be in the result (``allowed``: the matching set, after the
facet selections), so here the *same matcher tree* Whoosh builds for each
segment is evaluated set-wise: each leaf's postings are read a block at a time
and scored only for allowed passages (with the leaf's own scorer, BM25F, on
the same weight and length; a score per distinct (weight, length) pair), and
each inner node combines its children's score maps exactly as its ``score()``
does (``UnionMatcher``: a + b, or the one present; ``IntersectionMatcher``:
a + b; ``AndMaybe``: a (+ b); ``Require``/``AndNot``: a; ``WrappingMatcher``:
child × boost; ``ArrayUnionMatcher``: a left fold; phrases: the intersection's
score where the words stand together). The floating-point operations are the
same, in the same order, so the scores are identical, and the top ``limit``
by (score descending, docnum ascending) is what Whoosh's top collector keeps.

A matcher type not handled here raises :class:`Unsupported` and the caller
uses Whoosh's own search for that query. Tests compare both on the engine's
queries.
"""

from __future__ import annotations

import heapq
import weakref
from itertools import repeat
from bisect import bisect_right

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import binary, combo, mcore, wrappers
from whoosh.query import qcore
from whoosh.query.spans import SpanNear2
from whoosh.scoring import WeightLengthScorer, WeightScorer
from whoosh.util.numeric import byte_to_length

from indexer.docsets import Postings, _SegmentDocs, phrase_docs
from indexer.fastcolumns import length_bytes

_SPAN_NEAR = SpanNear2.SpanNear2Matcher

# segment reader → fieldname → length byte per docnum
_LENGTHS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class _ScoreMemo(dict):
    """(weight, length byte) → ``scorer.score(matcher)`` for a posting with that weight in a document with that
    length: ``_score(weight, searcher.doc_field_length(docnum, field, 1))``, computed once per pair."""

    def __init__(self, scorer, has_lengths: bool):
        super().__init__()
        self._score = scorer._score
        self._has_lengths = has_lengths

    def __missing__(self, key):
        weight, lbyte = key
        length = (byte_to_length(lbyte) if lbyte else None) if self._has_lengths else 1
        value = self[key] = self._score(weight, length)
        return value


class Unsupported(Exception):
    """A matcher this module cannot evaluate exactly; use Whoosh's search."""


def search_top(searcher, query, allowed: set[int], limit: int,
               postings: Postings | None = None) -> list[tuple[float, int]]:
    """``[(score, docnum)]``, best first: the exhaustive top ``limit`` of ``searcher.search(query,
    filter=allowed, limit=None, optimize=False)``; ``postings`` shares the blocks the query already decoded."""
    if not allowed or limit <= 0:
        return []
    postings = postings if postings is not None else Postings()
    context = searcher.context()
    segments = searcher.subsearchers or [(searcher, 0)]
    items: list[tuple[float, int]] = []
    for subsearcher, offset in segments:
        count = subsearcher.doc_count_all()
        local = {d - offset for d in allowed if offset <= d < offset + count} if offset or len(segments) > 1 \
            else allowed
        if not local:
            continue
        try:
            scores = _QueryEvaluation(subsearcher, local, postings).scores(query)
        except Unsupported:
            matcher = query.matcher(subsearcher, context)
            scores = _Evaluation(subsearcher.reader(), local, postings).scores(matcher)
        items.extend((score, docnum + offset) for docnum, score in scores.items())
    return heapq.nsmallest(limit, items, key=lambda item: (-item[0], item[1]))


class _Evaluation:
    def __init__(self, reader, allowed: set[int], postings: Postings):
        self.reader = reader
        self.allowed = allowed
        self.postings = postings
        self._postings: dict[int, dict[int, float]] = {}

    # -- inner nodes ------------------------------------------------------------

    def scores(self, m) -> dict[int, float]:
        """Allowed docnums ``m`` matches → the score ``m.score()`` gives there."""
        kind = type(m)
        if kind is W3LeafMatcher:
            return self._leaf_scores(m, None)
        if kind is binary.UnionMatcher:
            a, b = self.scores(m.a), self.scores(m.b)
            out = dict(a)
            for docnum, score in b.items():
                mine = out.get(docnum)
                out[docnum] = score if mine is None else mine + score
            return out
        if kind is binary.IntersectionMatcher:
            a = self.scores(m.a)
            if not a:
                return a
            b = self.scores(m.b)
            return {d: s + b[d] for d, s in a.items() if d in b}
        if kind is binary.AndMaybeMatcher:
            a = self.scores(m.a)
            if not a:
                return a
            b = self.scores(m.b)
            return {d: (s + b[d] if d in b else s) for d, s in a.items()}
        if kind is wrappers.RequireMatcher:
            a = self.scores(m.a)
            if not a:
                return a
            b = self.docs(m.b)
            return {d: s for d, s in a.items() if d in b}
        if kind is binary.AndNotMatcher:
            a = self.scores(m.a)
            if not a:
                return a
            b = self.docs(m.b)
            return {d: s for d, s in a.items() if d not in b}
        if kind is wrappers.WrappingMatcher:
            boost = m.boost
            return {d: s * boost for d, s in self.scores(m.child).items()}
        if kind is wrappers.FilterMatcher:
            if type(m.child) is W3LeafMatcher:
                return self._leaf_scores(m.child, m)
            ids, exclude, boost = m._ids, m._exclude, m.boost
            return {d: s * boost for d, s in self.scores(m.child).items() if (d in ids) != exclude}
        if kind is _SPAN_NEAR:
            matched = self._phrase_docs(m)
            boost = m.boost
            return {d: s * boost for d, s in self.scores(m.child).items() if d in matched}
        if kind is combo.ArrayUnionMatcher:
            boost = m._boost
            if not m._scored:
                return {d: 1 for d in self.docs(m)}
            total: dict[int, float] = {}
            for sub in m._submatchers:
                for docnum, score in self.scores(sub).items():
                    total[docnum] = total.get(docnum, 0.0) + score * boost
            return {d: s for d, s in total.items() if s > 0}
        if isinstance(m, mcore.NullMatcherClass):
            return {}
        raise Unsupported(kind.__name__)

    def docs(self, m) -> set[int]:
        """Allowed docnums ``m`` matches (scores not needed: an unscored ``ArrayUnionMatcher`` keeps all)."""
        kind = type(m)
        if kind is combo.ArrayUnionMatcher:
            found: set[int] = set()
            for sub in m._submatchers:
                found |= self.docs(sub)
            return found
        if kind in (W3LeafMatcher, wrappers.FilterMatcher) and self._leaf_of(m) is not None:
            return set(self._postings_of(m))
        return set(self.scores(m))

    # -- leaves -------------------------------------------------------------------

    @staticmethod
    def _leaf_of(m):
        if type(m) is W3LeafMatcher:
            return m
        if type(m) is wrappers.FilterMatcher and type(m.child) is W3LeafMatcher and m.boost == 1.0:
            return m.child
        return None

    def _postings_of(self, m) -> dict[int, float]:
        """Allowed docnums in a leaf (or a leaf behind a deletions filter) → the posting's weight."""
        key = id(m)
        found = self._postings.get(key)
        if found is not None:
            return found
        leaf = self._leaf_of(m)
        if leaf is None or leaf._byteids:
            raise Unsupported("leaf")
        found = self._weights(*leaf.term())
        if m is not leaf:
            ids, exclude = m._ids, m._exclude
            found = {d: w for d, w in found.items() if (d in ids) != exclude}
        self._postings[key] = found
        return found

    def _weights(self, fieldname: str, tbytes: bytes) -> dict[int, float]:
        """Allowed docnums in a term's postings (deleted ones included) → the posting's weight."""
        allowed = self.allowed
        found = {}
        for ids, weights, _ in self.postings.blocks(self.reader, fieldname, tbytes):
            common = allowed.intersection(ids)
            if not common:
                continue
            if weights is None:
                found.update(dict.fromkeys(common, 1.0))
            elif isinstance(weights, float):
                found.update(dict.fromkeys(common, weights))
            else:
                weight_of = dict(zip(ids, weights))
                for docnum in common:
                    found[docnum] = weight_of[docnum]
        return found

    def term_scores(self, fieldname: str, tbytes: bytes, scorer) -> dict[int, float]:
        """Allowed docnums with the term (deleted ones excluded) → ``scorer``'s score for the posting."""
        key = (fieldname, tbytes, "term")
        found = self._postings.get(key)
        if found is None:
            found = self._weights(fieldname, tbytes)
            deleted = self.reader.deleted_docs_set if self.reader.has_deletions() else None
            if deleted:
                found = {d: w for d, w in found.items() if d not in deleted}
            self._postings[key] = found
        return self._scored(found, fieldname, scorer)

    def _leaf_scores(self, leaf, wrapper) -> dict[int, float]:
        postings = self._postings_of(wrapper if wrapper is not None else leaf)
        return self._scored(postings, leaf.term()[0], leaf.scorer)

    def _scored(self, postings: dict[int, float], fieldname: str, scorer) -> dict[int, float]:
        if not postings:
            return {}
        if type(scorer) is WeightScorer:
            return dict(postings)
        if not isinstance(scorer, WeightLengthScorer) or type(scorer).score is not WeightLengthScorer.score:
            raise Unsupported(type(scorer).__name__)
        lengths = self._lengths(fieldname)
        memo = _ScoreMemo(scorer, lengths is not None)
        docs = list(postings)
        length_bytes = map(lengths.__getitem__, docs) if lengths is not None else repeat(None)
        return dict(zip(docs, map(memo.__getitem__, zip(postings.values(), length_bytes))))

    def _lengths(self, fieldname: str):
        """The segment's length byte per docnum for a field (None when it has no length column)."""
        per_reader = _LENGTHS.get(self.reader)
        if per_reader is None:
            per_reader = _LENGTHS[self.reader] = {}
        if fieldname not in per_reader:
            per_reader[fieldname] = length_bytes(self.reader, fieldname)
        return per_reader[fieldname]

    # -- phrases ---------------------------------------------------------------

    def _phrase_docs(self, m) -> set[int]:
        """Docnums where the words of a phrase stand at consecutive positions (slop 1, ordered)."""
        if not (m.slop == 1 and m.ordered and m.mindist == 1):
            raise Unsupported("span options")
        leaves = [self._leaf_of(sub) for sub in m.ms]
        if any(leaf is None for leaf in leaves) or len({leaf.term()[0] for leaf in leaves}) != 1:
            raise Unsupported("phrase")
        deleted = self.reader.deleted_docs_set if self.reader.has_deletions() else frozenset()
        return phrase_docs(self.reader, self.postings, leaves[0].term()[0], [leaf.term()[1] for leaf in leaves],
                           deleted)


# -- the same trees, built from the query without Whoosh's matchers ---------------------------------------

class _QueryEvaluation:
    """Scores of a query over allowed docnums in one segment, with the tree shapes ``query.matcher()`` builds.

    Building Whoosh's matchers reads term infos and posting blocks, and an
    intersection or a phrase matcher already walks to its first match; at 100k
    passages that was ~10 ms a query. The shapes only depend on the query and
    the segment's term statistics, so they are rebuilt here: ``And`` and the
    default ``Or`` are Huffman-like trees on ``estimate_size`` (as
    ``make_weighted_tree``, ties kept in order), an ``Or`` of three or more
    clauses in a segment of at most 5000 passages is Whoosh's array union (a
    left fold; unscored inside a prefix), a phrase is a balanced intersection
    of its words, a prefix with one expansion is that term unboosted.
    """

    def __init__(self, searcher, allowed: set[int], postings: Postings):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = self.reader.schema
        self.allowed = allowed
        self.postings = postings
        self._leaves = _Evaluation(self.reader, allowed, postings)
        self._sizes: dict[tuple[str, bytes], int] = {}
        self._deleted = self.reader.deleted_docs_set if self.reader.has_deletions() else frozenset()

    # -- scores --------------------------------------------------------------------

    def scores(self, q, weighted: bool = True) -> dict[int, float]:
        kind = type(q)
        if q is qcore.NullQuery or kind is qcore._NullQuery:
            return {}
        if kind is wq.Term:
            tbytes = self._tbytes(q.fieldname, q.text)
            if tbytes is None:
                return {}
            found = self._term_scores(q.fieldname, tbytes)
            return found if q.boost == 1.0 else _times(found, q.boost)
        if kind is wq.And or kind is wq.Or:
            subs = q.subqueries
            if not subs:
                return {}
            if len(subs) == 1:
                return self.scores(subs[0], weighted)
            if kind is wq.And:
                tree = _weighted_tree([(0 - self.size(sub), sub) for sub in subs])
                found = self._evaluate(tree, _intersect, weighted)
            else:
                if q.matcher_type != wq.Or.AUTO_MATCHER or q.scale or q.minmatch:
                    raise Unsupported("Or options")
                if len(subs) < wq.Or.TOO_MANY_CLAUSES and (len(subs) == 2 or self.searcher.doc_count_all() > 5000):
                    tree = _weighted_tree([(self.size(sub), sub) for sub in subs])
                    found = self._evaluate(tree, _unite, weighted)
                else:
                    return self._array_union(subs, q.boost, weighted)
            return found if q.boost == 1.0 else _times(found, q.boost)
        if kind is wq.AndMaybe:
            a = self.scores(q.a, weighted)
            if not a:
                return a
            b = self.scores(q.b, weighted)
            return {d: (s + b[d] if d in b else s) for d, s in a.items()}
        if kind is wq.Require:
            a = self.scores(q.a, weighted)
            if not a:
                return a
            b = self.docs(q.b)
            return {d: s for d, s in a.items() if d in b}
        if kind is wq.AndNot:
            a = self.scores(q.a, weighted)
            if not a:
                return a
            b = self.docs(q.b)
            return {d: s for d, s in a.items() if d not in b}
        if kind is wq.Phrase:
            return self._phrase(q)
        if kind is wq.Prefix:
            return self._prefix(q, weighted)
        raise Unsupported(kind.__name__)

    def _evaluate(self, tree, combine, weighted: bool) -> dict[int, float]:
        if type(tree) is tuple:
            return combine(self._evaluate(tree[0], combine, weighted), self._evaluate(tree[1], combine, weighted))
        return self.scores(tree, weighted)

    def _array_union(self, subs, boost: float, weighted: bool) -> dict[int, float]:
        """``ArrayUnionMatcher``: scores added in clause order (× boost), a total of 0 or less is no match;
        unscored (inside a prefix) every match scores 1."""
        if not weighted:
            found: set[int] = set()
            for sub in subs:
                found |= self.scores(sub, weighted).keys()
            return dict.fromkeys(found, 1)
        total: dict[int, float] = {}
        for sub in subs:
            for docnum, score in self.scores(sub, weighted).items():
                total[docnum] = total.get(docnum, 0.0) + score * boost
        return {d: s for d, s in total.items() if s > 0}

    def _phrase(self, q) -> dict[int, float]:
        fieldname = q.fieldname
        if fieldname not in self.schema:
            return {}
        field = self.schema[fieldname]
        if not field.format or not field.format.supports("positions") or q.slop != 1:
            raise Unsupported("phrase options")
        words = []
        for word in q.words:
            tbytes = self._tbytes(fieldname, word)
            if tbytes is None:
                return {}
            words.append(tbytes)
        matched = phrase_docs(self.reader, self.postings, fieldname, words, self._deleted)
        if not matched:
            return {}
        leaves = [self._term_scores(fieldname, w) for w in words]
        found = _balanced(leaves, _intersect)
        found = {d: s for d, s in found.items() if d in matched}
        return found if q.boost == 1.0 else _times(found, q.boost)

    def _prefix(self, q, weighted: bool) -> dict[int, float]:
        fieldname = q.fieldname
        if fieldname not in self.schema:
            return {}
        if q.text == "":
            raise Unsupported("empty prefix")
        texts = [t for t in self.reader.expand_prefix(fieldname, q.text) if t]
        if not texts:
            return {}
        if len(texts) == 1:
            return self.scores(wq.Term(fieldname, texts[0]), weighted)
        union = wq.Or([wq.Term(fieldname, t) for t in texts], boost=q.boost)
        return self.scores(union, weighted and not q.constantscore)

    # -- leaves and sets -----------------------------------------------------------

    def _tbytes(self, fieldname: str, text):
        """The term's bytes if the segment has it (else the matcher would be a NullMatcher)."""
        if fieldname not in self.schema:
            return None
        try:
            tbytes = self.schema[fieldname].to_bytes(text)
        except ValueError:
            return None
        return tbytes if (fieldname, tbytes) in self.reader else None

    def _term_scores(self, fieldname: str, tbytes: bytes) -> dict[int, float]:
        scorer = self.searcher.weighting.scorer(self.searcher, fieldname, tbytes)
        return self._leaves.term_scores(fieldname, tbytes, scorer)

    def docs(self, q) -> set[int]:
        """Allowed docnums ``q`` matches (its boolean matcher: no scores)."""
        return _SegmentDocs(self.reader, self.postings).docs(q) & self.allowed

    def size(self, q) -> int:
        """``q.estimate_size(reader)``."""
        kind = type(q)
        if q is qcore.NullQuery or kind is qcore._NullQuery:
            return 0
        if kind is wq.Term:
            if q.fieldname not in self.schema:
                return 0
            try:
                tbytes = self.schema[q.fieldname].to_bytes(q.text)
            except ValueError:
                return 0
            key = (q.fieldname, tbytes)
            if key not in self._sizes:
                self._sizes[key] = self.reader.doc_frequency(q.fieldname, tbytes)
            return self._sizes[key]
        if kind is wq.And:
            return min(self.size(sub) for sub in q.subqueries)
        if kind is wq.Require:
            return self.size(q.b)
        if kind in (wq.Or, wq.AndMaybe, wq.AndNot):
            return min(sum(self.size(sub) for sub in q.subqueries), self.reader.doc_count())
        if kind is wq.Phrase:
            return min(self.size(wq.Term(q.fieldname, word)) for word in q.words)
        if kind is wq.Prefix:
            return sum(self.reader.doc_frequency(q.fieldname, t) for t in self.reader.expand_prefix(q.fieldname, q.text))
        return q.estimate_size(self.reader)


def _weighted_tree(items):
    """``make_weighted_tree``'s shape: repeatedly pair the two lightest, ties in their order."""
    items = sorted(items, key=lambda item: item[0])
    while len(items) > 1:
        (wa, a), (wb, b) = items[0], items[1]
        del items[:2]
        weight = wa + wb
        items.insert(bisect_right([w for w, _ in items], weight), (weight, (a, b)))
    return items[0][1]


def _balanced(values, combine):
    """``make_binary_tree``'s shape over already evaluated children."""
    if len(values) == 1:
        return values[0]
    half = len(values) // 2
    return combine(_balanced(values[:half], combine), _balanced(values[half:], combine))


def _unite(a: dict, b: dict) -> dict:
    """``UnionMatcher.score``: a + b where both match, else the one that does."""
    out = dict(a)
    for docnum, score in b.items():
        mine = out.get(docnum)
        out[docnum] = score if mine is None else mine + score
    return out


def _intersect(a: dict, b: dict) -> dict:
    """``IntersectionMatcher.score``: a + b."""
    if len(b) < len(a):
        return {d: a[d] + s for d, s in b.items() if d in a}
    return {d: s + b[d] for d, s in a.items() if d in b}


def _times(scores: dict, boost: float) -> dict:
    """``WrappingMatcher.score``: child × boost."""
    return {d: s * boost for d, s in scores.items()}
