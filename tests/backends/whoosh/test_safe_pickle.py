"""An index's pickles name the schema's classes; one written before the package was laid out in folders
(``indexer.analysis``, ``indexer.fields``) still opens, and nothing else is admitted."""

from __future__ import annotations

import pickle

import pytest

from indexer.backends.whoosh import safe_pickle
from indexer.backends.whoosh.analyzers import bigram_analyzer, chinese_analyzer
from indexer.backends.whoosh.schema import TermCounts


@pytest.mark.parametrize("make", [chinese_analyzer, bigram_analyzer], ids=["words", "bigrams"])
def test_analyzers_pickled_under_their_old_module_still_load(make):
    data = pickle.dumps(make(), protocol=2)  # protocol 2 names each class as "module\nname"
    old = data.replace(b"indexer.backends.whoosh.analyzers", b"indexer.analysis")
    assert b"indexer.analysis\n" in old and b"indexer.backends" not in old
    assert safe_pickle.loads(old) == make()
    assert safe_pickle.loads(data) == make()


def test_the_term_counts_format_pickled_under_its_old_module_still_loads():
    data = pickle.dumps(TermCounts(field_boost=1.5), protocol=2)
    old = data.replace(b"indexer.backends.whoosh.schema", b"indexer.fields")
    assert b"indexer.fields\n" in old
    loaded = safe_pickle.loads(old)
    assert type(loaded) is TermCounts and loaded.field_boost == 1.5


def test_a_name_outside_the_index_is_refused_under_any_module():
    data = pickle.dumps(chinese_analyzer(), protocol=2).replace(b"indexer.backends.whoosh.analyzers\nJiebaTokenizer",
                                                                b"indexer.analysis\nsegmenter")
    with pytest.raises(safe_pickle.UnsafeIndex):
        safe_pickle.loads(data)
