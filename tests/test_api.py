"""The engine contract: what the app and the CLI may use, and that they use nothing else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from indexer import api

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _indexer_imports(path: Path) -> set[str]:
    """Every ``indexer`` module a file imports, at any depth of the file (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "indexer":
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "indexer")
    return found


def test_the_opened_engine_keeps_the_contract(engine):
    assert isinstance(engine, api.SearchBackend)
    opened = api.open_engine(engine.index_dir)
    try:
        assert isinstance(opened, api.SearchBackend)
        assert opened.search("养老服务", limit=3).hits == engine.search("养老服务", limit=3).hits
    finally:
        opened.close()


@pytest.mark.parametrize("path", sorted((PROJECT_ROOT / "search_app").glob("*.py")), ids=lambda p: p.name)
def test_the_app_imports_only_the_public_api(path):
    assert _indexer_imports(path) <= {"indexer.api"}


@pytest.mark.parametrize("path", sorted((PROJECT_ROOT / "indexer" / "cli").glob("*.py")), ids=lambda p: p.name)
def test_the_cli_imports_the_engine_only_through_the_public_api(path):
    imported = _indexer_imports(path)
    assert imported, "a CLI module that imports nothing of the engine"
    outside = {name for name in imported
               if name not in ("indexer.api", "indexer.tools") and not name.startswith("indexer.cli")}
    assert outside == set()


@pytest.mark.parametrize("query, shape", [
    ("养老服务", api.QueryShape(required=1, phrases=False, excluded=False)),
    ("养老 服务 补贴", api.QueryShape(required=3, phrases=False, excluded=False)),
    ("海葬 OR 婚姻登记", api.QueryShape(required=1, phrases=False, excluded=False)),
    ('"城市低保" 标准', api.QueryShape(required=2, phrases=True, excluded=False)),
    ("“城市低保”", api.QueryShape(required=1, phrases=True, excluded=False)),
    ("养老 -殡葬", api.QueryShape(required=1, phrases=False, excluded=True)),
])
def test_the_engine_says_how_it_reads_a_query(query, shape):
    assert api.describe_query(query) == shape


@pytest.mark.parametrize("query", ["", "   ", "-殡葬", "！？"])
def test_a_query_that_cannot_be_searched_has_no_shape(query):
    assert api.describe_query(query) is None


def test_documents_by_region_and_year_come_from_the_engine(engine):
    for region in ("province", "city"):
        rows = engine.document_region_year_counts(region)
        assert sum(r["count"] for r in rows) == len(engine.documents())
    assert sorted((r["region"], r["year"], r["count"]) for r in engine.document_region_year_counts("city")) == [
        ("烟台", 2025, 1), ("聊城", 2026, 1), ("青岛", 2024, 1), ("青岛", 2025, 2)]  # the seed corpus's five documents
    assert {r["region"] for r in engine.document_region_year_counts()} == {"山东省"}
    with pytest.raises(api.QueryError):
        engine.document_region_year_counts("county")


def test_national_documents_count_under_national(collection_engine):
    rows = collection_engine.document_region_year_counts()
    national = sum(r["count"] for r in rows if r["region"] == api.NATIONAL)
    assert national == sum(d.get("level") == api.NATIONAL for d in collection_engine.documents()) > 40


def test_the_tracked_corpora_come_from_the_engine(engine, corpus_dir):
    assert engine.corpora == [corpus_dir.resolve()]


def test_export_formats_are_public():
    assert set(api.FORMATS) == {"md", "docx", "csv", "ris"}
    assert callable(api.export)
    with pytest.raises(AttributeError):
        api.no_such_name  # noqa: B018
