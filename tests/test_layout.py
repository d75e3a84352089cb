"""The shape of the package: no import cycles, Whoosh and jieba each behind one folder or module."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "indexer"


def _module_name(path: Path) -> str:
    parts = ("indexer",) + path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Each module of ``indexer`` and the modules of ``indexer`` it imports anywhere (function bodies too)."""
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            graph[name].update(t for t in targets if t in modules and t != name and t != "indexer")
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_package():
    graph = import_graph()
    assert len(graph) > 30 and graph["indexer.cli.commands"]
    assert cycles(graph) == []


def _imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found


def test_whoosh_is_imported_only_by_its_backend():
    backend = PACKAGE / "backends" / "whoosh"
    importers = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py") if "whoosh" in _imports_of(path)}
    assert importers and all(name.startswith("backends/whoosh/") for name in importers), importers
    assert "backends/whoosh/__init__.py" in importers and len(importers) > 5
    assert backend.is_dir()


def test_the_sphinx_backend_speaks_sphinxql_in_one_module_and_stands_beside_whoosh():
    importers = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py") if "pymysql" in _imports_of(path)}
    assert importers == {"backends/sphinx/client.py"}, importers
    graph = import_graph()
    crossing = {(name, target) for name, targets in graph.items() for target in targets
                if {name.split(".")[2:3] == ["sphinx"] and target.startswith("indexer.backends.whoosh"),
                    name.split(".")[2:3] == ["whoosh"] and target.startswith("indexer.backends.sphinx")} & {True}
                and name.startswith("indexer.backends.")}
    assert not crossing, crossing


JIEBA_PRIVATE = re.compile(r"\.(FREQ|re_han_default|re_skip_default|initialized|check_initialized)\b")


def test_jieba_and_its_internals_stay_in_the_text_folder():
    importers = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py") if "jieba" in _imports_of(path)}
    # the naive baselines use jieba's own Whoosh analyzer, on purpose
    assert importers == {"text/segmentation.py", "text/jieba_cache.py", "backends/whoosh/baselines.py"}, importers
    private = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")
               if JIEBA_PRIVATE.search(path.read_text(encoding="utf-8"))}
    assert private == {"text/segmentation.py"}, private


@pytest.mark.parametrize("setup, module, said", [
    ("import jieba; jieba.__version__ = '0.43.0'", "indexer.text.segmentation", "jieba 0.43.0"),
    ("import whoosh; whoosh.__version__ = (2, 8, 0)", "indexer.backends.whoosh", "Whoosh 2.8.0"),
], ids=["jieba", "whoosh"])
def test_another_version_of_a_library_whose_internals_we_use_is_refused_on_import(setup, module, said):
    code = f"{setup}\nimport {module}"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "ImportError" in result.stderr and said in result.stderr, result.stderr
    fine = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60)
    assert fine.returncode == 0, fine.stderr
