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
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import binary, combo, mcore, wrappers
from whoosh.query.spans import SpanNear2
from whoosh.scoring import WeightLengthScorer
from whoosh.util.numeric import byte_to_length

from indexer.docsets import Postings, phrase_docs
from indexer.fastcolumns import length_bytes

_SPAN_NEAR = SpanNear2.SpanNear2Matcher

# segment reader → fieldname → length byte per docnum
_LENGTHS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


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
        matcher = query.matcher(subsearcher, context)
        scores = _Evaluation(subsearcher.reader(), local, postings).scores(matcher)
        items.extend((score, docnum + offset) for docnum, score in scores.items())
    return heapq.nsmallest(limit, items, key=lambda item: (-item[0], item[1]))


class _Evaluation:
    def __init__(self, reader, allowed: set[int], postings: Postings):
        self.reader = reader
        self.allowed = allowed
        self.postings = postings
        self._postings: dict[int, dict[int, tuple[float, bytes]]] = {}

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

    def _postings_of(self, m) -> dict[int, tuple[float, bytes]]:
        """Allowed docnums in a leaf (or a leaf behind a deletions filter) → (weight, value)."""
        key = id(m)
        found = self._postings.get(key)
        if found is not None:
            return found
        leaf = self._leaf_of(m)
        if leaf is None or leaf._byteids:
            raise Unsupported("leaf")
        allowed = self.allowed
        found = {}
        fieldname, tbytes = leaf.term()
        for ids, weights, values in self.postings.blocks(self.reader, fieldname, tbytes):
            hits = [i for i, d in enumerate(ids) if d in allowed]
            if not hits:
                continue
            if weights is None or isinstance(weights, float):
                weight = 1.0 if weights is None else weights
                for i in hits:
                    found[ids[i]] = (weight, values[i] if values else None)
            else:
                for i in hits:
                    found[ids[i]] = (weights[i], values[i] if values else None)
        if m is not leaf:
            ids, exclude = m._ids, m._exclude
            found = {d: p for d, p in found.items() if (d in ids) != exclude}
        self._postings[key] = found
        return found

    def _leaf_scores(self, leaf, wrapper) -> dict[int, float]:
        postings = self._postings_of(wrapper if wrapper is not None else leaf)
        if not postings:
            return {}
        scorer = leaf.scorer
        if not isinstance(scorer, WeightLengthScorer) or type(scorer).score is not WeightLengthScorer.score:
            raise Unsupported(type(scorer).__name__)
        lengths = self._lengths(leaf.term()[0])
        memo: dict[tuple[float, int], float] = {}
        score = scorer._score
        out = {}
        for docnum, (weight, _) in postings.items():
            lbyte = lengths[docnum] if lengths is not None else None
            key = (weight, lbyte)
            value = memo.get(key)
            if value is None:
                # = scorer.score(matcher): _score(weight, searcher.doc_field_length(docnum, field, 1))
                length = 1 if lengths is None else (byte_to_length(lbyte) if lbyte else None)
                value = memo[key] = score(weight, length)
            out[docnum] = value
        return out

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
