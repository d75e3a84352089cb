"""A cluster's life: started and stopped by the commands, loaded, changed, a shard down and back, a failed
load, bad addresses — each with a message, never a traceback, and the data searchable throughout."""

from __future__ import annotations

import os
import subprocess
import sys

import psutil
import pytest

from indexer import api
from indexer.backends.sphinx import load
from indexer.backends.sphinx.cluster import Cluster

from sphinx_support import CORPUS_DIR, PROJECT_ROOT, RunningCluster, free_ports, require_sphinx

QUERY = "养老"


def run_cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "indexer.cli", *args], capture_output=True, text=True, timeout=300,
                          cwd=PROJECT_ROOT, env={**os.environ, **(env or {})})


def test_start_load_search_and_stop_leave_no_daemon(tmp_path):
    require_sphinx()
    directory = tmp_path / "cluster"
    port = free_ports(5)
    started = run_cli("cluster", "start", "--dir", str(directory), "--port", str(port))
    try:
        _start_load_search_and_stop(directory, port, started)
    finally:
        api.cluster_stop(directory)


def _start_load_search_and_stop(directory, port, started):
    assert started.returncode == 0, started.stderr
    assert started.stdout.count("服务中") == 3 and f"sphinx://127.0.0.1:{port}" in started.stderr
    address = f"sphinx://127.0.0.1:{port}"
    loaded = run_cli("index", "--corpus", str(CORPUS_DIR), "--backend", address, "--quiet")
    assert loaded.returncode == 0 and "5 篇文档" in loaded.stdout, loaded.stderr
    found = run_cli("search", QUERY, "--json", env={"POLICY_SEARCH_BACKEND": address})
    assert found.returncode == 0 and '"total"' in found.stdout
    listed = run_cli("docs", "--backend", address)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 5
    cluster = Cluster.read(directory)
    pids = [cluster.pid(daemon) for daemon in cluster.daemons()]
    assert all(pids)
    stopped = run_cli("cluster", "stop", "--dir", str(directory))
    assert stopped.returncode == 0 and "已停止" in stopped.stdout
    assert not any(_alive(pid) for pid in pids)
    assert not _daemons_of(directory)  # nothing restarted them either
    assert not any(cluster.answering(daemon) for daemon in cluster.daemons())
    down = run_cli("search", QUERY, "--backend", address)
    assert down.returncode != 0 and "cluster start" in down.stderr and "Traceback" not in down.stderr


def _daemons_of(directory) -> list[int]:
    """Every running process started with a config of this cluster."""
    return [process.pid for process in psutil.process_iter(["cmdline", "status"])
            if process.info["status"] != psutil.STATUS_ZOMBIE
            and any(str(directory) in part for part in process.info["cmdline"] or [])]


def _alive(pid: int) -> bool:
    """Running: an exited process not yet reaped by its parent is not."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_a_shard_down_gives_a_partial_labelled_answer_then_full_again(seed_cluster):
    engine = seed_cluster.engine()
    full = engine.search(QUERY)
    assert full.total and not full.partial
    cluster = Cluster.read(seed_cluster.directory)
    provincial = cluster.shards[1]
    subprocess.run(["searchd", "--config", str(cluster.config_path(provincial.name)), "--stopwait"], capture_output=True)
    try:
        partial = engine.search(QUERY)
        assert partial.partial == [provincial.describe()] and provincial.name in partial.notices[-1]
        assert partial.total < full.total
        assert all(hit.province == "" or hit.level == "全国" for hit in partial.hits)
    finally:
        cluster.start()
    again = engine.search(QUERY)
    assert not again.partial and again.total == full.total
    engine.close()


def test_a_failed_load_leaves_the_previous_data_searchable(seed_cluster, tmp_path, monkeypatch):
    engine = seed_cluster.engine()
    before = engine.search(QUERY)
    real_run = load._run

    def failing(command, what):
        if command[0] == "indextool" and "--buildidf" in command:
            raise api.BuildFailed("全局 IDF 建立失败（模拟）")
        return real_run(command, what)

    monkeypatch.setattr(load, "_run", failing)
    with pytest.raises(api.BuildFailed):
        api.remove_documents(None, [before.hits[0].doc_id], backend=seed_cluster.address)
    monkeypatch.undo()
    after = engine.search(QUERY)
    assert (after.total, [h.passage for h in after.hits]) == (before.total, [h.passage for h in before.hits])
    assert not list(seed_cluster.directory.rglob("*.new*"))
    engine.close()


def test_remove_and_add_change_what_readers_find(seed_cluster):
    engine = seed_cluster.engine()
    before = engine.search(QUERY)
    doc_id = before.hits[0].doc_id
    record = engine.document(doc_id)
    removed = api.remove_documents(None, [doc_id], backend=seed_cluster.address)
    assert removed.removed == [doc_id] and removed.documents == 4
    gone = engine.search(QUERY)
    assert gone.total == before.total - before.hits[0].document_matches and doc_id not in {h.doc_id for h in gone.hits}
    assert engine.document(doc_id) is None
    added = api.add_paths(None, [record["path"]], corpus=CORPUS_DIR, backend=seed_cluster.address)
    assert len(added.added) == 1 and added.documents == 5
    back = engine.search(QUERY)
    assert back.total == before.total and [h.passage for h in back.hits] == [h.passage for h in before.hits]
    with pytest.raises(api.UnknownDocuments):
        api.remove_documents(None, ["no-such-document"], backend=seed_cluster.address)
    engine.close()


def test_bad_addresses_and_a_missing_front_get_a_message():
    for address in ("sphinx://", "sphinx://127.0.0.1", "sphinx://127.0.0.1:99999", "mysql://127.0.0.1:9306", "sphinx://a b:1"):
        with pytest.raises(api.UserError, match="sphinx://主机:端口"):
            api.open_engine(backend=address)
    port = free_ports(1)
    with pytest.raises(api.IndexMissing, match="cluster start"):
        api.open_engine(backend=f"sphinx://127.0.0.1:{port}")
    result = run_cli("search", QUERY, "--backend", "sphinx://nowhere")
    assert result.returncode == 2 and "Traceback" not in result.stderr and "sphinx://主机:端口" in result.stderr


def test_a_cluster_loaded_in_another_row_format_asks_for_a_reload(seed_cluster, monkeypatch):
    from indexer.backends.sphinx import engine

    monkeypatch.setattr(engine, "DATA_FORMAT", engine.DATA_FORMAT + 1)
    with pytest.raises(api.IndexMissing, match="重新载入"):
        api.open_engine(backend=seed_cluster.address)


def test_a_second_start_reuses_the_cluster_and_a_busy_port_is_refused(seed_cluster, tmp_path):
    cluster = Cluster.read(seed_cluster.directory)
    rows = api.cluster_start(seed_cluster.directory, 2, cluster.port)  # already running: nothing restarted
    assert all(row["answering"] for row in rows)
    with pytest.raises(api.UserError, match="端口已被占用"):
        api.cluster_start(tmp_path / "other", 2, cluster.port)
    assert not (tmp_path / "other").exists()  # nothing written: the folder can take another port
    with pytest.raises(api.UserError, match="分片"):
        api.cluster_start(seed_cluster.directory, 3, cluster.port)


def test_queries_with_syntax_characters_are_searched_safely(seed_cluster):
    engine = seed_cluster.engine()
    for query in ('养老 "', "养老 @title", "(养老 | 低保)", "养老 MAYBE 低保", "养老^2 ~3 $", "'; DROP", "养老\\"):
        response = engine.search(query)
        assert response.total >= 0
    assert engine.search('"养老服务" -"青岛"').total == engine.search('"养老服务" -青岛').total
    engine.close()


def test_a_cluster_of_three_shards_answers_as_one_of_two(seed_cluster, tmp_path):
    three = RunningCluster(tmp_path / "three", shards=3)
    try:
        api.build_index([CORPUS_DIR], None, backend=three.address)
        ours, theirs = seed_cluster.engine(), three.engine()
        for query in ("养老", "低保 标准", '"社会救助"'):
            a, b = ours.search(query), theirs.search(query)
            assert (a.total, a.facets, [h.passage for h in a.hits]) == (b.total, b.facets, [h.passage for h in b.hits])
        ours.close()
        theirs.close()
    finally:
        three.stop()


def test_update_reloads_the_tracked_corpora_whole(seed_cluster):
    engine = seed_cluster.engine()
    before = engine.search(QUERY)
    summary = api.update_index(None, backend=seed_cluster.address)
    assert (summary.added, summary.removed, summary.unchanged, summary.documents) == ([], [], 5, 5)
    after = engine.search(QUERY)
    assert (after.total, [h.passage for h in after.hits]) == (before.total, [h.passage for h in before.hits])
    engine.close()


def test_the_bench_measures_the_cluster_beside_whoosh_and_finds_the_same_totals(tmp_path):
    from indexer.tools import bench

    require_sphinx()
    report = bench.run([300], tmp_path, corpus_dirs=[CORPUS_DIR], rounds=1, cold_runs=1, log=lambda message: None,
                       cluster=True)
    sphinx = report["sizes"][0]["sphinx"]
    assert sphinx["query"]["count"] == sphinx["totals"]["queries"] == report["sizes"][0]["queries_per_round"]
    assert sphinx["totals"]["equal"] == sphinx["totals"]["queries"], sphinx["totals"]["differing"]
    assert set(sphinx["daemons_rss_mb"]) == {"shard_0", "shard_1", "front"}
    assert "queries whose total equals ours" in report["markdown"]
    assert not list(tmp_path.glob("cluster-*"))  # the bench's cluster stopped and removed
