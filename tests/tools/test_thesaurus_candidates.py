"""Thesaurus candidates from a corpus, and the sources every grown thesaurus entry cites."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest

from indexer.tools import thesaurus_candidates
from indexer.ingest.corpus import corpus_files
from indexer.ingest.readers import read_document

ROOT = Path(__file__).resolve().parents[2]
THESAURUS_PATH = ROOT / "dictionaries" / "thesaurus.toml"
CORPORA = [ROOT / "corpus", ROOT.parent / "shared" / "extra-corpus"]
_SPACE = re.compile(r"\s+")


def _sourced_entries() -> list[dict]:
    data = tomllib.loads(THESAURUS_PATH.read_text(encoding="utf-8"))
    return [entry for kind in data.values() for entry in kind if "sources" in entry]


def _documents() -> dict[str, str]:
    """doc id (file stem) → text without whitespace, over the corpora present here."""
    return {path.stem: _SPACE.sub("", read_document(path))
            for corpus in CORPORA if corpus.is_dir() for path in corpus_files(corpus)}


def test_grown_entries_cite_sources_for_every_term():
    entries = _sourced_entries()
    assert len(entries) >= 9
    for entry in entries:
        terms = entry.get("terms") or [entry["term"], *entry["to"]]
        assert entry["sources"], entry
        assert all(set(source) == {"doc", "quote"} for source in entry["sources"]), entry
        quoted = "".join(source["quote"] for source in entry["sources"])
        assert all(term in quoted for term in terms), f"every term is shown in use by a quote: {entry}"


def test_every_source_quote_is_in_its_document():
    documents = _documents()
    missing_corpus = not CORPORA[1].is_dir()
    if missing_corpus and os.environ.get("CI"):
        pytest.fail(f"{CORPORA[1]} is missing under CI")
    checked = 0
    for entry in _sourced_entries():
        for source in entry["sources"]:
            if source["doc"] not in documents and missing_corpus:
                continue  # an extra-corpus document; checked where ../shared is present
            assert source["doc"] in documents, source
            assert _SPACE.sub("", source["quote"]) in documents[source["doc"]], source
            checked += 1
    if missing_corpus:
        pytest.skip(f"{CORPORA[1]} is absent: only seed-corpus sources checked ({checked})")


def _passage(text: str) -> thesaurus_candidates.Passage:
    return thesaurus_candidates.Passage("doc", text, text)


def test_definitions_and_abbreviations_are_proposed_with_their_quote():
    passages = [
        _passage("全面推行长期护理保险制度（以下简称“长护险”），扩大试点范围。"),
        _passage("推进新型农村合作医疗制度试点。"),
        _passage("新型农村合作医疗覆盖8亿人。"),
        _passage("乡镇敬老院转型为区域养老服务中心。"),
        _passage("同时，乡镇敬老院转型为区域养老服务中心。"),
    ]
    words = {"新农合": "j", "新型农村合作医疗": "n", "长护险": "j"}
    found = {(c.method, c.terms): c for c in thesaurus_candidates.candidates(passages, words)}
    defined = found[("defined", ("长期护理保险制度", "长护险"))]
    assert "以下简称“长护险”" in defined.quote and defined.doc_id == "doc"
    assert found[("abbreviation", ("新农合", "新型农村合作医疗"))].count == 2
    assert found[("renamed", ("乡镇敬老院", "区域养老服务中心"))].count == 2
    # A renaming seen once is chance, not a candidate.
    assert not any(c.method == "renamed" and c.count < 2 for c in found.values())


def test_candidates_from_the_seed_corpus_quote_the_source_verbatim():
    passages = list(thesaurus_candidates.read_passages([ROOT / "corpus"]))
    found = thesaurus_candidates.candidates(passages, thesaurus_candidates.dictionary_words())
    assert found
    texts = {p.doc_id: "".join(q.text for q in passages if q.doc_id == p.doc_id) for p in passages}
    assert all(c.quote and c.quote in texts[c.doc_id] for c in found)
    assert thesaurus_candidates.format_candidates(found).count("\n") == len(found)
