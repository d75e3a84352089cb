"""Shared fixtures: one real index of the seed corpus per session, the engine on it, and the CLI.

Fixture names other test files rely on: ``index_dir`` (a built index, never
modified by any test) and ``engine`` (a :class:`SearchEngine` opened on it).
Tests that rebuild or break an index use their own directories.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexer.backends.whoosh import generations as store
from indexer.backends.whoosh.build import build_index
from indexer.backends.whoosh.engine import open_engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = PROJECT_ROOT / "corpus"


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS_DIR


@pytest.fixture(scope="session")
def build_summary(tmp_path_factory):
    """The summary of the session's one real build of ``corpus/`` (into a temporary directory)."""
    path = tmp_path_factory.mktemp("index")
    summary = build_index([CORPUS_DIR], path)
    summary.index_dir = path
    return summary


@pytest.fixture(scope="session")
def index_dir(build_summary) -> Path:
    """A complete index of the seed corpus. Read-only for tests."""
    return build_summary.index_dir


@pytest.fixture(scope="session")
def engine(index_dir):
    engine = open_engine(index_dir)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def documents(engine) -> dict[str, dict]:
    """Indexed document metadata by doc_id."""
    return {doc["doc_id"]: doc for doc in engine.documents()}


@pytest.fixture(scope="session")
def doc_ids(documents) -> dict[str, str]:
    """The seed documents' ids by their three-digit prefix: {"000": "000_0719…", …}."""
    return {doc_id[:3]: doc_id for doc_id in documents}


@pytest.fixture(scope="session")
def indexed_passages(engine, documents) -> dict[str, list]:
    """Every indexed passage, read back from the index, by doc_id, in order."""
    return {doc_id: engine.passages(doc_id) for doc_id in documents}


EXTRA_CORPUS = PROJECT_ROOT.parent / "shared" / "extra-corpus"


@pytest.fixture(scope="session")
def collection_index_dir(tmp_path_factory) -> Path:
    """An index of the whole collection: the seed corpus and every folder of ../shared/extra-corpus.

    Built once per session (skips when the extra corpus is missing). Read-only for tests.
    """
    if not EXTRA_CORPUS.is_dir():
        pytest.skip("../shared/extra-corpus is missing")
    path = tmp_path_factory.mktemp("whole-collection") / "index"
    build_index([CORPUS_DIR, EXTRA_CORPUS], path)
    return path


@pytest.fixture(scope="session")
def collection_engine(collection_index_dir):
    """A :class:`SearchEngine` on :func:`collection_index_dir`."""
    engine = open_engine(collection_index_dir)
    yield engine
    engine.close()


@pytest.fixture
def cli(index_dir, capsys, monkeypatch):
    """Run ``policy-search`` in-process: ``cli("search", "养老", "--json")`` → CliResult.

    ``POLICY_SEARCH_INDEX`` points at the session index unless a test changes it.
    """
    from indexer.cli.commands import main

    monkeypatch.setenv("POLICY_SEARCH_INDEX", str(index_dir))

    def run(*args) -> CliResult:
        capsys.readouterr()
        try:
            code = main([str(arg) for arg in args])
        except SystemExit as exit_:  # argparse errors exit directly
            code = exit_.code if isinstance(exit_.code, int) else 1
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


def _cli_command() -> list[str]:
    for candidate in (Path(sys.executable).parent / "policy-search", PROJECT_ROOT / ".venv" / "bin" / "policy-search"):
        if candidate.exists():
            return [str(candidate)]
    return [sys.executable, "-m", "indexer.cli.commands"]


@pytest.fixture(scope="session")
def cli_process(index_dir):
    """Run the installed ``policy-search`` as a real process (for the few tests that need one).

    ``cli_process("search", "养老", env={...})``; the environment is inherited,
    with ``POLICY_SEARCH_INDEX`` set to the session index unless ``env`` says otherwise.
    """

    def run(*args, env: dict | None = None, timeout: float = 60, cwd: Path = PROJECT_ROOT) -> CliResult:
        environment = dict(os.environ)
        environment["POLICY_SEARCH_INDEX"] = str(index_dir)
        environment["PYTHONIOENCODING"] = "utf-8"
        environment.pop("POLICY_SEARCH_DEBUG", None)
        for key, value in (env or {}).items():
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value
        completed = subprocess.run(_cli_command() + [str(arg) for arg in args], capture_output=True,
                                   text=True, encoding="utf-8", env=environment, cwd=cwd, timeout=timeout)
        return CliResult(completed.returncode, completed.stdout, completed.stderr)

    run.command = _cli_command()
    return run


@pytest.fixture(scope="session")
def kill_9_mid_write():
    """Run a writing ``policy-search`` command, SIGKILL it once it has begun a new generation.

    ``kill_9_mid_write(["index", ...], index_dir, settle=0.5)`` returns the
    generations the killed process left behind.
    """

    def run(args: list, index_dir: Path, settle: float, timeout: float = 60) -> set[Path]:
        def generations() -> set[Path]:
            return set((index_dir / store.GENERATIONS).iterdir())

        before = generations()
        process = subprocess.Popen(_cli_command() + [str(arg) for arg in args], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, env=dict(os.environ, PYTHONIOENCODING="utf-8"))
        try:
            deadline = time.monotonic() + timeout
            while not (generations() - before):
                assert process.poll() is None, "the writer ended before it could be interrupted"
                assert time.monotonic() < deadline, "the writer never started a new generation"
                time.sleep(0.01)
            time.sleep(settle)  # into the documents, far from done
            assert process.poll() is None, "the writer finished before it could be interrupted"
            os.kill(process.pid, signal.SIGKILL)
            assert process.wait(timeout=10) == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        return generations() - before

    return run
