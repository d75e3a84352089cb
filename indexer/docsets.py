"""The set of passages a query matches, by set algebra over posting lists instead of matcher by matcher.

``Searcher.docs_for_query`` walks Whoosh's matcher tree one document at a
time in Python: for a common word in 100k passages that is most of a query's
time. The facets and the ranking tiers only need the *set*, so here each leaf
(term, phrase, prefix) becomes a set of docnums read a posting block at a time
(ids decoded with ``itertools.accumulate``), and the boolean structure becomes
set operations in C. The result is exactly ``set(searcher.docs_for_query(q))``
(tests compare them on the engine's queries); a query type not handled here
falls back to Whoosh.

A :class:`Postings` object holds what one query has decoded (each term's
blocks, docnum sets, phrase matches), so the ranking (:mod:`indexer.topscores`)
reads no posting block twice. It lives for one query: nothing is cached across
queries.
"""

from __future__ import annotations

from itertools import accumulate
from pickle import loads

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.query import qcore
from whoosh.system import pack_uint

_INT_SIZE = 4
_SINGLE_LIMIT = 4096


def _single_positions() -> dict[bytes, int]:
    """Posting value of a term at one position → that position (decoding most values without unpickling)."""
    from pickle import dumps

    return {pack_uint(1) + dumps([pos], 2): pos for pos in range(_SINGLE_LIMIT)}


_SINGLES = _single_positions()


def positions(value: bytes) -> set[int]:
    """The positions in a ``Positions`` posting value."""
    single = _SINGLES.get(value)
    if single is not None:
        return {single}
    return set(accumulate(loads(value[_INT_SIZE:])))


class Postings:
    """Posting blocks, docnum sets and phrase matches decoded during one query, per segment reader."""

    def __init__(self):
        self._blocks: dict[tuple, list] = {}
        self._docs: dict[tuple, frozenset] = {}
        self.phrases: dict[tuple, set[int]] = {}

    def blocks(self, reader, fieldname: str, tbytes: bytes) -> list[tuple[list[int], object, tuple]]:
        """(ids, weights as stored, values) per block of a term's postings (deleted documents included)."""
        key = (id(reader), fieldname, tbytes)
        found = self._blocks.get(key)
        if found is None:
            found = self._blocks[key] = list(_read_blocks(reader, fieldname, tbytes))
        return found

    def docs(self, reader, fieldname: str, tbytes: bytes, deleted=frozenset()) -> frozenset:
        key = (id(reader), fieldname, tbytes)
        found = self._docs.get(key)
        if found is None:
            ids: set[int] = set()
            for block_ids, _, _ in self.blocks(reader, fieldname, tbytes):
                ids.update(block_ids)
            found = self._docs[key] = frozenset(ids - deleted if deleted else ids)
        return found


def _read_blocks(reader, fieldname: str, tbytes: bytes):
    format_ = reader.schema[fieldname].format
    matcher = reader._terms.matcher(fieldname, tbytes, format_)
    if type(matcher) is not W3LeafMatcher or matcher._byteids:
        ids, weights, values = [], [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            values.append(matcher.value())
            matcher.next()
        yield ids, tuple(weights), tuple(values)
        return
    while True:
        matcher._read_data()
        data = matcher._data
        yield list(accumulate(data[0])), data[1], data[2]
        if matcher._lastblock:
            return
        matcher._goto(matcher._nextoffset)


def matching_docnums(searcher, query: wq.Query, postings: Postings | None = None) -> set[int]:
    """``set(searcher.docs_for_query(query))``, computed per segment with sets."""
    postings = postings if postings is not None else Postings()
    if searcher.subsearchers:
        found: set[int] = set()
        for subsearcher, offset in searcher.subsearchers:
            docs = _SegmentDocs(subsearcher.reader(), postings).docs(query)
            found.update(map(offset.__add__, docs) if offset else docs)
        return found
    return _SegmentDocs(searcher.reader(), postings).docs(query)


class _SegmentDocs:
    """Docnum sets of queries within one segment (deleted documents excluded, as Whoosh's matchers do)."""

    def __init__(self, reader, postings: Postings):
        self.reader = reader
        self.schema = reader.schema
        self.postings = postings
        self._deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()

    def docs(self, query) -> set[int]:
        if query is qcore.NullQuery or isinstance(query, qcore._NullQuery):
            return set()
        kind = type(query)
        if kind is wq.Term:
            return set(self._term(query.fieldname, query.text))
        if kind is wq.And:
            return self._intersection(query.subqueries)
        if kind is wq.Or:
            found: set[int] = set()
            for sub in query.subqueries:
                found |= self.docs(sub)
            return found
        if kind is wq.AndMaybe:
            return self.docs(query.a)
        if kind is wq.Require:
            return self._intersection([query.a, query.b])
        if kind is wq.AndNot:
            found = self.docs(query.a)
            return found - self.docs(query.b) if found else found
        if kind is wq.Phrase:
            return self._phrase(query)
        if kind is wq.Prefix:
            return self._prefix(query)
        return set(query.docs(_SingleSearcher(self.reader)))

    def _intersection(self, queries) -> set[int]:
        if not queries:
            return set()
        found = None
        for sub in queries:
            docs = self.docs(sub)
            found = docs if found is None else found & docs
            if not found:
                return set()
        return found

    # -- leaves ---------------------------------------------------------------

    def _tbytes(self, fieldname: str, text):
        try:
            return self.schema[fieldname].to_bytes(text)
        except ValueError:
            return None

    def _term(self, fieldname: str, text) -> frozenset:
        if fieldname not in self.schema:
            return frozenset()
        tbytes = self._tbytes(fieldname, text)
        if tbytes is None or (fieldname, tbytes) not in self.reader:
            return frozenset()
        return self.postings.docs(self.reader, fieldname, tbytes, self._deleted)

    def _phrase(self, query: wq.Phrase) -> set[int]:
        """Documents with the words at consecutive positions (``SpanNear2``, slop 1, ordered)."""
        fieldname = query.fieldname
        if fieldname not in self.schema:
            return set()
        field = self.schema[fieldname]
        if not field.format or not field.format.supports("positions") or query.slop != 1:
            return set(query.docs(_SingleSearcher(self.reader)))  # Whoosh's own answer (or its QueryError)
        words = []
        for word in query.words:
            tbytes = self._tbytes(fieldname, word)
            if tbytes is None or (fieldname, tbytes) not in self.reader:
                return set()
            words.append(tbytes)
        return set(phrase_docs(self.reader, self.postings, fieldname, words, self._deleted))

    def _prefix(self, query: wq.Prefix) -> set[int]:
        fieldname = query.fieldname
        if fieldname not in self.schema:
            return set()
        found: set[int] = set()
        for tbytes in self.reader.expand_prefix(fieldname, query.text):
            found |= self._term(fieldname, tbytes)
        return found


def phrase_docs(reader, postings: Postings, fieldname: str, words: list[bytes], deleted=frozenset()) -> set[int]:
    """Docnums of a segment where ``words`` (all in the segment) stand at consecutive positions."""
    key = (id(reader), fieldname, tuple(words))
    found = postings.phrases.get(key)
    if found is not None:
        return found
    candidates = None
    for word in sorted(set(words), key=lambda w: len(postings.docs(reader, fieldname, w, deleted))):
        docs = postings.docs(reader, fieldname, word, deleted)
        candidates = set(docs) if candidates is None else candidates & docs
        if not candidates:
            break
    if candidates and len(words) > 1:
        where = {word: _positions_in(postings.blocks(reader, fieldname, word), candidates) for word in set(words)}
        matched = set()
        for docnum in candidates:
            starts = where[words[0]][docnum]
            for offset in range(1, len(words)):
                following = where[words[offset]][docnum]
                starts = {p for p in starts if p + offset in following}
                if not starts:
                    break
            else:
                matched.add(docnum)
        candidates = matched
    found = postings.phrases[key] = candidates or set()
    return found


def _positions_in(blocks, candidates: set[int]) -> dict[int, set[int]]:
    """Positions of a term in each candidate document, from its decoded blocks."""
    found: dict[int, set[int]] = {}
    for ids, _, values in blocks:
        common = candidates.intersection(ids)
        if common:
            value_of = dict(zip(ids, values))
            for docnum in common:
                found[docnum] = positions(value_of[docnum])
    return found


class _SingleSearcher:
    """What ``Query.docs`` needs of a searcher, for one segment's reader (the fallback path)."""

    def __init__(self, reader):
        from whoosh.searching import Searcher

        self._searcher = Searcher(reader, fromindex=None, closereader=False)

    def __getattr__(self, name):
        return getattr(self._searcher, name)
