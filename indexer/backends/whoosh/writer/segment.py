"""Fast index writing: postings grouped by term in memory, written a term at a time.

Whoosh's ``SegmentWriter`` spends most of a build outside jieba: every
posting is a tuple pickled into a sorting pool, pickled again into a run file,
read back, merged, and written with a lookup of the document's field length
per posting, and the analyzers pass Token objects through generator chains.
:class:`FastSegmentWriter` writes a segment with the same content
(``W3Codec``: the same files, postings, term infos, lengths, stored fields
and columns; any Whoosh reader opens it) from postings kept grouped by term
in compact arrays (:mod:`.layers`), with Python work per term rather than per
posting (one block per term, :mod:`.codec`). It analyses the two text layers
with the engine's own term functions (:mod:`indexer.text.terms`): the word layer
through jieba, the bigram layer in NumPy over whole batches of passages. It also
writes the segment's text table (:mod:`indexer.backends.whoosh.text_tables`).
"""

from __future__ import annotations

from array import array
from collections import Counter

import numpy as np
from whoosh.codec.whoosh3 import W3Codec
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from indexer.backends.whoosh.schema import TEXT_TABLE_FIELDS
from indexer.backends.whoosh.text_tables import SegmentTexts, TextTableWriter, segment_path
from indexer.backends.whoosh.writer.codec import Counting, write_counts, write_term
from indexer.backends.whoosh.writer.layers import GRAM_LAYER, BigramStreams, TermStreams, direct_path


class FastSegmentWriter(SegmentWriter):
    """A ``SegmentWriter`` that keeps postings grouped by term and writes them block by block.

    The segment has the same content as ``SegmentWriter`` would write for the
    same documents (postings, term statistics, lengths, stored fields and
    columns; the per-document parts through Whoosh's own codec objects).
    Falls back to Whoosh's pool when segments are merged into it
    (``add_reader``) or a document carries boosts, which builds never do.
    Either way it also writes the segment's text table (indexer/backends/whoosh/text_tables.py).

    A term's postings in a text layer are an ``array('I')`` of (docnum,
    count) pairs; posting values are made when the segment is written.
    """

    def __init__(self, ix, **kwargs):
        # One file per part, not one compound file: whoosh-reloaded opens a part of a compound file by
        # copying it into memory (BufferFile wraps the mmap in BytesIO), so a searcher of a compound 100k
        # index spends ~1 s and ~600 MB on copies before its first query. Separate files are read in place.
        kwargs.setdefault("compound", False)
        super().__init__(ix, **kwargs)
        if type(self.codec) is not W3Codec:
            raise TypeError("FastSegmentWriter writes the W3 codec only")
        schema = self.schema
        self._direct = {}
        for name in schema.names():
            fieldobj = schema[name]
            path = direct_path(fieldobj) if fieldobj.indexed else None
            if path is not None:
                self._direct[name] = path
        self._streams = {name: BigramStreams() if path is GRAM_LAYER else TermStreams()
                         for name, path in self._direct.items()}
        self._texts = TextTableWriter(self.storage, self.newsegment, TEXT_TABLE_FIELDS)
        # fieldname → btext → [docnums, weights, values] for the general path
        self._general: dict[str, dict[bytes, list]] = {}
        # fieldname → length byte per docnum (scorable fields)
        self._scorable = [name for name in schema.names() if schema[name].scorable]
        self._lengths: dict[str, array] = {name: array("B") for name in self._scorable}
        # fieldname → (value, analysed) of the previous document: titles and sections repeat passage after passage
        self._repeat: dict[str, tuple] = {}
        self._pooled = False

    # -- adding -------------------------------------------------------------

    def add_document(self, **fields):
        self._check_state()
        if self._pooled or any(name.startswith("_") for name in fields):
            # Boosts and custom stored values: Whoosh's own path, postings into the pool.
            self._spill_to_pool()
            super().add_document(**fields)
            self._texts.add(fields)  # once the document is in: the table's rows are the segment's docnums
            return
        schema = self.schema
        perdocwriter = self.perdocwriter
        docnum = self.docnum
        fieldnames = sorted(fields)
        self._check_fields(schema, fieldnames)
        lengths = {}
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    path = self._direct.get(fieldname)
                    if path is not None and isinstance(value, str):
                        length = self._add_direct(fieldname, field, path, value, docnum)
                    else:
                        length = self._add_general(fieldname, field, value, docnum)
                lengths[fieldname] = length
                perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._texts.add(fields)
        for name in self._scorable:
            length = lengths.get(name)
            self._lengths[name].append(length_to_byte(length) if length else 0)
        self._added = True
        self.docnum += 1

    def _add_direct(self, fieldname, field, path, value, docnum) -> int:
        streams = self._streams[fieldname]
        if type(streams) is BigramStreams:
            return streams.add(docnum, value)
        previous = self._repeat.get(fieldname)
        if previous is not None and previous[0] == value:
            counts, length = previous[1]
        else:
            terms = path.terms(value)
            counts, length = Counter(terms).items(), len(terms)
            self._repeat[fieldname] = (value, (counts, length))
        get = streams.get
        for term, count in counts:
            stream = get(term)
            if stream is None:
                stream = streams[term] = array("I")
            stream.append(docnum)
            stream.append(count)
        return length

    def _add_general(self, fieldname, field, value, docnum) -> int:
        previous = self._repeat.get(fieldname)
        if previous is not None and previous[0] == value and type(previous[0]) is type(value):
            items = previous[1]  # doc_id, city, year… are the same for every passage of a document
        else:
            items = list(field.index(value))
            self._repeat[fieldname] = (value, items)
        terms = self._general.setdefault(fieldname, {})
        length = 0
        scorable = field.scorable
        for tbytes, freq, weight, vbytes in items:
            if scorable:
                length += freq
            entry = terms.get(tbytes)
            if entry is None:
                entry = terms[tbytes] = [array("I"), [], []]
            entry[0].append(docnum)
            entry[1].append(weight)
            entry[2].append(vbytes)
        return length

    # -- writing ------------------------------------------------------------

    @staticmethod
    def _decode(stream: array):
        """A term's pairs as docnums, weights (None: all 1.0) and posting values (empty: see TermCounts)."""
        counts = stream[1::2]
        weights = None if max(counts) == 1 else list(map(float, counts))
        return stream[0::2], weights, [b""] * len(counts)

    def _flush_segment(self):
        self._texts.close()
        if self._pooled:
            return super()._flush_segment()
        self.perdocwriter.close()
        fieldwriter = self.fieldwriter
        # The codec asks the postings and terms files for their position at every term: count instead.
        fieldwriter._postfile.file = Counting(fieldwriter._postfile.file)
        fieldwriter._tindex.dbfile.file = Counting(fieldwriter._tindex.dbfile.file)
        schema = self.schema
        names = sorted(set(self._general) | {n for n, s in self._streams.items() if s})
        for fieldname in names:
            fieldobj = schema[fieldname]
            lengths = self._lengths.get(fieldname)
            fieldwriter.start_field(fieldname, fieldobj)
            if fieldname in self._streams:
                streams = self._streams[fieldname]
                lengths_array = np.frombuffer(lengths, dtype=np.uint8)
                for term, stream in streams.sorted_streams():
                    write_counts(fieldwriter, term.encode("utf-8"), stream, lengths, lengths_array)
                streams.clear()
            else:
                general = self._general[fieldname]
                for tbytes in sorted(general):
                    docnums, weights, values = general[tbytes]
                    write_term(fieldwriter, tbytes, docnums, weights,
                                [v if v is not None else b"" for v in values], lengths)
                general.clear()
            fieldwriter.finish_field()
        fieldwriter.close()

    def _spill_to_pool(self) -> None:
        """From now on Whoosh's own pool: what is grouped here goes into it first."""
        if self._pooled:
            return
        self._pooled = True
        add = self.pool.add
        for fieldname, streams in self._streams.items():
            for term, stream in streams.sorted_streams():
                tbytes = term.encode("utf-8")
                docnums, weights, values = self._decode(stream)
                for docnum, weight, value in zip(docnums, weights or [1.0] * len(docnums), values):
                    add((fieldname, tbytes, docnum, weight, value))
            streams.clear()
        for fieldname, general in self._general.items():
            for tbytes, (docnums, weights, values) in general.items():
                for docnum, weight, value in zip(docnums, weights, values):
                    add((fieldname, tbytes, docnum, weight, value))
            general.clear()
        self._direct.clear()

    def add_reader(self, reader):
        self._spill_to_pool()
        self._copy_texts(reader)
        return super().add_reader(reader)

    def _copy_texts(self, reader) -> None:
        """The merged segment's texts, in the order ``add_reader`` numbers its live documents."""
        texts = SegmentTexts(segment_path(reader._storage.folder, reader._segment))
        try:
            for docnum in reader.all_doc_ids():
                self._texts.add_folded({name: texts.text(name, docnum) for name in TEXT_TABLE_FIELDS})
        finally:
            texts.close()

    def _close_segment(self):
        self._texts.close()
        return super()._close_segment()

    def finish_segment(self):
        """Write this writer's segment and return it, without a TOC (for a parent writer)."""
        return self._finalize_segment()
