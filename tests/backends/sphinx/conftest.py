"""Sphinx clusters for the tests: started in a temporary folder on free loopback ports, stopped at the end.

Without ``searchd`` the tests skip with the reason; under CI (``CI`` set) they fail, as ``.ci/run``
installs ``sphinxsearch``.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
from pathlib import Path

import pytest

from indexer import api

PROJECT_ROOT = Path(__file__).resolve().parents[3]
CORPUS_DIR = PROJECT_ROOT / "corpus"
EXTRA_CORPUS = PROJECT_ROOT.parent / "shared" / "extra-corpus"


def require_sphinx() -> None:
    missing = [tool for tool in ("searchd", "indexer", "indextool") if shutil.which(tool) is None]
    if missing:
        reason = f"Sphinx is not installed ({', '.join(missing)} missing: apt-get install sphinxsearch)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so the cluster tests must run)")
        pytest.skip(reason)


def free_ports(count: int) -> int:
    """A port such that it and the ``count - 1`` after it are free on loopback."""
    for _ in range(200):
        base = random.randrange(20000, 60000 - count)
        try:
            sockets = []
            for port in range(base, base + count):
                bound = socket.socket()
                sockets.append(bound)
                bound.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for bound in sockets:
                bound.close()
        return base
    raise RuntimeError("no free ports")


class RunningCluster:
    def __init__(self, directory: Path, shards: int = 2):
        require_sphinx()
        self.directory = directory
        port = free_ports(2 * shards + 1)
        api.cluster_start(directory, shards, port)
        self.address = f"sphinx://127.0.0.1:{port}"

    def engine(self):
        return api.open_engine(backend=self.address)

    def stop(self) -> None:
        api.cluster_stop(self.directory)


@pytest.fixture(scope="session")
def seed_cluster(tmp_path_factory):
    """A 2-shard cluster holding the seed corpus. Tests that change it (stop a shard, add, remove) put it back."""
    cluster = RunningCluster(tmp_path_factory.mktemp("seed-cluster") / "cluster")
    try:
        api.build_index([CORPUS_DIR], None, backend=cluster.address)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def collection_cluster(tmp_path_factory):
    """A 2-shard cluster holding the whole collection (the seed corpus and ../shared/extra-corpus). Read-only."""
    if not EXTRA_CORPUS.is_dir():
        pytest.skip("../shared/extra-corpus is missing")
    cluster = RunningCluster(tmp_path_factory.mktemp("collection-cluster") / "cluster")
    try:
        api.build_index([CORPUS_DIR, EXTRA_CORPUS], None, backend=cluster.address)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def collection_cluster_engine(collection_cluster):
    engine = collection_cluster.engine()
    yield engine
    engine.close()
