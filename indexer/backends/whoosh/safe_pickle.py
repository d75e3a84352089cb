"""The one place an index's pickles are read: only the classes an index is made of, nothing that runs code.

Whoosh keeps the schema (fields, formats, analyzers) and the list of segments
as pickles in ``_MAIN_*.toc``, and posting blocks, term infos and stored
fields as pickles in the segment files; ``indexer/backends/whoosh/evaluate.py`` reads the
posting blocks too. A pickle can name any importable callable and call it, so
an index folder from elsewhere could run a command when it is opened. Every
one of those reads goes through :func:`loads` / :func:`load` here, whose
unpickler admits only the (module, name) pairs in ``ALLOWED`` — the classes
of this project's schema, Whoosh's segment and posting types, and the few
builtins their pickles use — and refuses anything else with
:class:`UnsafeIndex` before it is called. :func:`install` points Whoosh's
readers at these functions; it runs when this module is imported.
"""

from __future__ import annotations

import io
import pickle

from indexer.backends.whoosh.generations import IndexMissing

ALLOWED: frozenset[tuple[str, str]] = frozenset({
    # builtins and the standard library's reconstructors (protocol 2 names ``int`` as ``__builtin__.long``)
    ("builtins", "int"), ("__builtin__", "long"), ("builtins", "set"), ("builtins", "frozenset"),
    ("array", "array"), ("array", "_array_reconstructor"), ("collections", "defaultdict"),
    ("_codecs", "encode"), ("builtins", "bytes"), ("__builtin__", "bytes"),  # bytes under protocol 2
    # Whoosh: the schema's fields, formats, analyzers and columns, the segments
    ("whoosh.fields", "Schema"), ("whoosh.fields", "ID"), ("whoosh.fields", "NUMERIC"),
    ("whoosh.fields", "STORED"), ("whoosh.fields", "TEXT"), ("whoosh.formats", "Existence"),
    ("whoosh.formats", "Frequency"), ("whoosh.formats", "Positions"),
    ("whoosh.analysis.analyzers", "CompositeAnalyzer"), ("whoosh.analysis.tokenizers", "IDTokenizer"),
    ("whoosh.analysis.filters", "LowercaseFilter"), ("whoosh.analysis.filters", "StopFilter"),
    ("whoosh.columns", "NumericColumn"), ("whoosh.columns", "VarBytesColumn"),
    ("whoosh.codec.whoosh3", "W3Codec"), ("whoosh.codec.whoosh3", "W3Segment"),
    # this project's schema (indexer/backends/whoosh/schema.py, indexer/backends/whoosh/analyzers.py)
    ("indexer.backends.whoosh.schema", "TermCounts"), ("indexer.backends.whoosh.analyzers", "BigramTokenizer"),
    ("indexer.backends.whoosh.analyzers", "JiebaTokenizer"), ("indexer.backends.whoosh.analyzers", "SubwordFilter"),
})


# The same classes where an index written before the package was laid out in folders names them.
MOVED: dict[tuple[str, str], tuple[str, str]] = {
    ("indexer.fields", "TermCounts"): ("indexer.backends.whoosh.schema", "TermCounts"),
    **{("indexer.analysis", name): ("indexer.backends.whoosh.analyzers", name)
       for name in ("BigramTokenizer", "JiebaTokenizer", "SubwordFilter")},
}


class UnsafeIndex(IndexMissing):
    """An index file holds a pickle naming something an index is not made of; nothing of it was run."""


class _IndexUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        module, name = MOVED.get((module, name), (module, name))
        if (module, name) not in ALLOWED:
            raise UnsafeIndex(
                f"索引文件中含有不属于索引的内容（{module}.{name}），已拒绝打开，没有执行其中任何内容。"
                "这个索引不是本程序建立的，或已被改动；请用 policy-search index 重新建立。")
        return super().find_class(module, name)


def loads(data: bytes, *args, **kwargs):
    """``pickle.loads`` that admits only the classes of an index."""
    return _IndexUnpickler(io.BytesIO(data)).load()


def load(file, *args, **kwargs):
    """``pickle.load`` that admits only the classes of an index."""
    return _IndexUnpickler(file).load()


class _PickleModule:
    """Stands for the ``pickle`` module where Whoosh reads the schema: writing as before, reading restricted."""

    dumps = staticmethod(pickle.dumps)
    dump = staticmethod(pickle.dump)
    loads = staticmethod(loads)
    load = staticmethod(load)
    Unpickler = _IndexUnpickler

    def __getattr__(self, name):
        return getattr(pickle, name)


def install() -> None:
    """Point every pickle read of Whoosh's index readers at the restricted unpickler."""
    import whoosh.codec.whoosh3
    import whoosh.columns
    import whoosh.filedb.fileindex
    import whoosh.filedb.structfile
    import whoosh.index
    import whoosh.legacy

    whoosh.index.pickle = _PickleModule()  # the TOC's schema
    whoosh.filedb.fileindex.pickle = _PickleModule()
    whoosh.filedb.structfile.load_pickle = load  # segments list, block infos, hash-table extras
    whoosh.codec.whoosh3.loads = loads  # posting blocks, inlined postings
    whoosh.columns.loads = loads  # stored fields
    whoosh.index.toc_loaders.clear()  # the pre-2.5 TOC format unpickles with its own class renaming
    whoosh.legacy.toc_loaders.clear()


install()
