"""The app on a cluster (``POLICY_SEARCH_BACKEND``): the same page as on the embedded index — results,
facets, a filter from the URL — and a shard that does not answer is said on the page."""

from __future__ import annotations

import subprocess
from pathlib import Path

from streamlit.testing.v1 import AppTest

from indexer.backends.sphinx.cluster import Cluster

APP = Path(__file__).resolve().parents[3] / "search_app" / "app.py"


def _run(monkeypatch, address: str, **params) -> AppTest:
    monkeypatch.setenv("POLICY_SEARCH_BACKEND", address)
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _cards(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith('<div class="hit" ')]


def test_the_page_on_a_cluster_shows_what_the_engine_answers(seed_cluster, monkeypatch):
    engine = seed_cluster.engine()
    expected = engine.search("低保", cities=["烟台"])
    at = _run(monkeypatch, seed_cluster.address, q="低保", city=["烟台"])
    shown = _cards(at)
    assert shown and len(shown) == min(10, expected.total)
    assert all("烟台" in card for card in shown)
    summary = next(m.value for m in at.markdown if m.value.startswith('<div class="summary">'))
    assert str(expected.total) in summary
    cluster = Cluster.read(seed_cluster.directory)
    provincial = cluster.shards[1]
    subprocess.run(["searchd", "--config", str(cluster.config_path(provincial.name)), "--stopwait"], capture_output=True)
    try:
        at = _run(monkeypatch, seed_cluster.address, q="低保")
        said = " ".join(str(getattr(element, "value", "")) for element in [*at.markdown, *at.caption, *at.info, *at.warning])
        assert provincial.name in said.replace("\\", "") and "部分分片未响应" in said
    finally:
        cluster.start()
    engine.close()
