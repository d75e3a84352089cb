"""The Sphinx backend: the same engine over Manticore Search or Sphinx 2.2 (SphinxQL), sharded by province.

Our analysis makes the terms (``indexer/text/``), Sphinx stores them and answers ``MATCH()`` expressions
with ids, BM25F weights, totals and facet counts; everything a reader sees is computed in Python as for
Whoosh. ``cluster.py`` starts and stops local daemons, ``load.py`` fills the shards, ``match.py`` writes
a query plan as ``MATCH()``, ``client.py`` speaks SphinxQL, ``engine.py`` is the ``SearchBackend``.
An address is ``sphinx://HOST:PORT``, the front's SphinxQL port.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from indexer.errors import UserError

_ADDRESS = re.compile(r"^sphinx://([\w.\-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})/?$")


def parse_address(address: str) -> tuple[str, int]:
    found = _ADDRESS.match(address.strip())
    if not found or not 0 < int(found.group(2)) < 65536:
        raise UserError(f"后端地址应为 sphinx://主机:端口（如 sphinx://127.0.0.1:9306）：{address}")
    return found.group(1).strip("[]"), int(found.group(2))


def open_engine(address: str):
    from indexer.backends.sphinx.engine import SphinxEngine

    return SphinxEngine(*parse_address(address))


def cluster_at(address: str):
    """The cluster whose front answers at ``address``, from its folder on this machine (loading writes there)."""
    from indexer.backends.sphinx.client import Front
    from indexer.backends.sphinx.cluster import Cluster

    front = Front(*parse_address(address))
    try:
        rows = front.query("SELECT description FROM cluster LIMIT 1").rows
    finally:
        front.close()
    directory = json.loads(rows[0][0]).get("directory") if rows and rows[0][0] else None
    if not directory or not Path(directory).is_dir():
        raise UserError(f"{address} 的集群目录（{directory or '未知'}）不在本机：载入文件须在集群所在的机器上运行。")
    return Cluster.read(Path(directory))


def start_cluster(directory: Path, shards: int = 2, port: int | None = None) -> list[dict]:
    """The cluster in ``directory`` started; created there first (with empty shards) when it holds none."""
    from indexer.backends.sphinx.cluster import CLUSTER_FILE, DEFAULT_PORT, Cluster, require_sphinx
    from indexer.backends.sphinx.load import ensure_indexes

    require_sphinx()
    if (Path(directory) / CLUSTER_FILE).exists():
        cluster = Cluster.read(Path(directory))
        if port is not None and port != cluster.port:
            raise UserError(f"{directory} 中的集群使用端口 {cluster.port}，不是 {port}；换端口请用另一个目录。")
        if shards != len(cluster.shards):
            raise UserError(f"{directory} 中的集群有 {len(cluster.shards)} 个分片，不是 {shards}；换分片数请用另一个目录。")
    else:
        if Path(directory).exists() and any(Path(directory).iterdir()):
            raise UserError(f"{directory} 不是空目录，也不是集群目录：请换一个目录。")
        cluster = Cluster.create(Path(directory), shards, port or DEFAULT_PORT)
    busy = [daemon for daemon in cluster.daemons() if cluster.pid(daemon) is None and cluster.answering(daemon)]
    if busy:  # said before anything is written: the folder stays free for another port
        raise UserError(f"端口已被占用（{', '.join(str(cluster.sql_port(d)) for d in busy)}）：请用 --port 换一个端口。")
    cluster.directory.mkdir(parents=True, exist_ok=True)
    cluster.write_configs()
    cluster.write()
    ensure_indexes(cluster)
    cluster.start()
    return cluster.status()
