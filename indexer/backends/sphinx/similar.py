"""Similar passages over the cluster: :mod:`indexer.engine.telling` with the collection's frequencies from
Sphinx (``SHOW META`` of one query over the passage's words), searched as one OR query."""

from __future__ import annotations

import math

from indexer.backends.sphinx.keys import copy_key, document_key, passage_key
from indexer.backends.sphinx.match import expression, keyword, written
from indexer.engine import telling
from indexer.engine.ranking import DuplicateFolder, fold_best
from indexer.records import SimilarResponse
from indexer.text.terms import match_form

K1 = 1.2  # BM25's saturation (the length norm is the passage's own: the words compete within it)


def similar_passages(engine, stored: dict, limit: int, read) -> SimilarResponse:
    """Passages like ``stored`` from other documents (``engine``: a :class:`SphinxEngine` under its lock;
    ``read``: an empty :class:`~indexer.backends.sphinx.engine.ReadPassages`)."""
    total = max(1, int(engine._description.get("passages", 1)))

    known: dict[str, int] = {}

    def frequencies(words: list[str]) -> dict[str, int]:
        known.update(document_frequencies(engine, words))
        return known

    def weight(word: str, tf: int) -> float:
        df = known.get(word, 0)
        return math.log(1 + (total - df + 0.5) / (df + 0.5)) * tf * (K1 + 1) / (tf + K1)

    terms = telling.telling_terms(stored["passage"], frequencies, weight)
    match = written(expression(telling.query(terms)), ranked=True)
    own = (passage_key(stored["doc_id"], stored["order"]), 0.0, copy_key(stored["passage"]), 0, stored["doc_id"],
           stored["order"])
    read.fields[own[0]], read.folded[own[2]] = stored, match_form(stored["passage"])

    def fold(left_out: list[str]) -> DuplicateFolder:
        """The passage kept first, so its near copies fold into it; then the best of other documents."""
        folder = DuplicateFolder()
        folder.add(folder.fresh(engine._candidates([own], 0.0, read)), until=1)
        if match:
            conditions = f" AND doc_key NOT IN ({', '.join(str(document_key(d)) for d in left_out)})"
            fold_best(folder, lambda start, stop: engine._candidates(engine._fetch(match, conditions, start, stop), 0.0,
                                                                     read), limit + 1, [])
        return folder

    folder = fold([stored["doc_id"]])
    copies = sorted({read[d]["doc_id"] for d in folder.kept[0].duplicates} - {stored["doc_id"]})
    if copies:  # a reprint of the passage's document is left out like the document itself
        folder = fold([stored["doc_id"], *copies])
    needles = [match_form(t.text) for t in terms]
    source, *others = engine._hits(folder.kept, read, None, -1, needles=needles)
    return SimilarResponse(source=source, terms=[t.text for t in terms], hits=others, copies=copies)


def document_frequencies(engine, words: list[str]) -> dict[str, int]:
    """Each word's passages in the whole collection, from the per-keyword statistics of one query."""
    if not words:
        return {}
    match = " | ".join(f"(@content {keyword(word)})" for word in words)
    answer = engine._front.query("SELECT id FROM passages WHERE MATCH(%s) LIMIT 1 OPTION global_idf=1", (match,),
                                 meta=True)
    by_keyword = answer.keywords
    return {word: by_keyword.get(keyword(word), 0) for word in words}
