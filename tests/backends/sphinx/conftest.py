"""Sphinx clusters for the tests: started in a temporary folder on free loopback ports, stopped at the end.

Without ``searchd`` the tests skip with the reason; under CI (``CI`` set) they fail, as ``.ci/run``
installs ``sphinxsearch``.
"""

from __future__ import annotations

import pytest

from indexer import api
from sphinx_support import CORPUS_DIR, EXTRA_CORPUS, RunningCluster


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
