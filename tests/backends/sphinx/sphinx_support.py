"""Helpers for the cluster tests: a running cluster on free loopback ports, and the check for Sphinx."""

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
