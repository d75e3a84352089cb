"""A local cluster: shard daemons and a distributed front on loopback, their configs, starting and stopping.

A cluster folder holds ``cluster.json`` (ports, shards and the provinces each holds), one config per
daemon (``shard_N.conf``, ``front.conf``), and the shards' data (``data/``, written by
:mod:`indexer.backends.sphinx.load`). Each shard's ``searchd`` serves two plain indexes, ``passages`` and
``documents``; the front serves the distributed ``passages`` and ``documents`` over the shards (agents
speak Sphinx's binary protocol on each shard's API port) and a one-row ``cluster`` index describing the
cluster, so a client that knows only the front's address can name a shard that does not answer.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from indexer.backends.sphinx.match import CHARSET_TABLE, TEXT_FIELDS
from indexer.errors import UserError

CLUSTER_FILE = "cluster.json"
MARKER = "policy-search-cluster"
DEFAULT_PORT = 9306
START_TIMEOUT = 30.0
# The national documents' shard (and of documents with no province): shard 0.
NATIONAL_SHARD = 0

# The passages' attributes, in their column order after the text fields (name, tsvpipe type).
# A ranked fetch reads copy_key (verbatim copies fold on it), doc_id and passage_order, and the stored text
# only of the passages it keeps. The facets other than year hold codes (keys.value_code): Sphinx 2.2 groups
# and filters integers several times faster than strings.
PASSAGE_ATTRIBUTES = (("doc_key", "bigint"), ("passage_order", "uint"), ("city", "bigint"), ("province", "bigint"),
                      ("doc_type", "bigint"), ("year", "uint"), ("date_first", "bigint"), ("date_last", "bigint"),
                      ("copy_key", "bigint"), ("doc_id", "string"), ("stored", "json"))
DOCUMENT_ATTRIBUTES = (("province", "string"), ("city", "string"), ("year", "uint"), ("record", "json"))
# The layout of the shards' rows: a cluster loaded with another is reloaded before it is searched.
DATA_FORMAT = 2
# Provinces named when a shard is described to a reader.
SHOWN_PROVINCES = 4
# A row every table holds so that an empty shard is still an index (Sphinx cannot build one of no rows).
PLACEHOLDER_ID = 1


@dataclass
class Shard:
    number: int
    sql_port: int
    api_port: int
    provinces: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"shard_{self.number}"

    def describe(self) -> str:
        """The shard as a reader is told about it: its name and what it holds."""
        if self.number == NATIONAL_SHARD:
            held = "全国及未标省份的文件"
        elif len(self.provinces) > SHOWN_PROVINCES:
            held = f"{'、'.join(self.provinces[:SHOWN_PROVINCES])}等 {len(self.provinces)} 个省份"
        else:
            held = "、".join(self.provinces) or "暂无文件"
        return f"{self.name}（{held}）"


@dataclass
class Cluster:
    directory: Path
    port: int
    shards: list[Shard]
    corpora: list[str] = field(default_factory=list)
    host: str = "127.0.0.1"
    # What the last load left in the cluster.
    documents: int = 0
    passages: int = 0
    characters: int = 0
    built_at: str = ""
    # Each coded facet's values in the collection (a reader turns the codes it is given back into them).
    facet_values: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def create(cls, directory: Path, shards: int, port: int) -> Cluster:
        if shards < 2:
            raise UserError("分片数至少为 2：全国文件一片，各省文件至少一片。")
        return cls(Path(directory).resolve(), port,
                   [Shard(n, port + 1 + 2 * n, port + 2 + 2 * n) for n in range(shards)])

    @classmethod
    def read(cls, directory: Path) -> Cluster:
        path = Path(directory) / CLUSTER_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError(f"{directory} 不是集群目录（没有 {CLUSTER_FILE}）：请先运行 policy-search cluster start。") from None
        except (OSError, ValueError) as error:
            raise UserError(f"无法读取集群配置 {path}：{error}") from None
        if data.get("marker") != MARKER:
            raise UserError(f"{path} 不是本程序的集群配置。")
        return cls(Path(data["directory"]), data["port"], [Shard(**s) for s in data["shards"]],
                   data.get("corpora", []), data.get("host", "127.0.0.1"), data.get("documents", 0),
                   data.get("passages", 0), data.get("characters", 0), data.get("built_at", ""),
                   data.get("facet_values", {}))

    def describe(self) -> dict:
        """What ``cluster.json`` and the front's ``cluster`` index hold."""
        return {"marker": MARKER, "directory": str(self.directory), "port": self.port, "host": self.host,
                "shards": [asdict(s) for s in self.shards], "corpora": self.corpora, "documents": self.documents,
                "passages": self.passages, "characters": self.characters, "built_at": self.built_at,
                "facet_values": self.facet_values, "format": DATA_FORMAT}

    def write(self) -> None:
        write_atomically(self.directory / CLUSTER_FILE, json.dumps(self.describe(), ensure_ascii=False, indent=1))

    # -- where things are -------------------------------------------------------

    def data_file(self, shard: Shard, table: str) -> Path:
        return self.directory / "data" / f"{shard.name}.{table}.tsv"

    def index_path(self, daemon: str, table: str) -> Path:
        return self.directory / daemon / table

    def config_path(self, daemon: str, building: bool = False) -> Path:
        return self.directory / f"{daemon}{'.build' if building else ''}.conf"

    def daemons(self) -> list[str]:
        return [shard.name for shard in self.shards] + ["front"]

    def shard_for(self, province: str) -> Shard:
        """The shard a document of ``province`` goes to: national ones to shard 0; a province keeps its shard,
        a new one goes to the shard holding fewest provinces."""
        from indexer.ingest.places import NATIONAL

        if not province or province == NATIONAL:
            return self.shards[NATIONAL_SHARD]
        for shard in self.shards[1:]:
            if province in shard.provinces:
                return shard
        smallest = min(self.shards[1:], key=lambda s: (len(s.provinces), s.number))
        smallest.provinces.append(province)
        return smallest

    # -- configs -----------------------------------------------------------------

    def write_configs(self) -> None:
        for folder in ["data", *self.daemons()]:
            (self.directory / folder).mkdir(parents=True, exist_ok=True)
        for shard in self.shards:
            for building in (False, True):
                write_atomically(self.config_path(shard.name, building), self._shard_config(shard, building))
        for building in (False, True):
            write_atomically(self.config_path("front", building), self._front_config(building))

    def _daemon_section(self, daemon: str, listens: list[str]) -> str:
        folder = self.directory / daemon
        lines = [f"listen = {listen}" for listen in listens] + [
            f"pid_file = {folder / 'searchd.pid'}", f"log = {folder / 'searchd.log'}",
            f"query_log = {folder / 'query.log'}", "binlog_path =", "workers = threads", "seamless_rotate = 1",
            "preopen_indexes = 1", "unlink_old = 1", "max_filter_values = 100000", "listen_backlog = 64",
            "read_timeout = 30", "client_timeout = 60",
            # One process per daemon, the one in its pid file: stopping it stops the daemon (a watchdog
            # would restart a killed one).
            "watchdog = 0"]
        # No subtree_docs_cache / subtree_hits_cache: Sphinx 2.2.11 takes a keyword's cached matches in one set
        # of fields for its matches in another (at a million passages, (@(a,b,c) w) ((@(a,b) w) | …) counted as
        # if the OR were implied: 11,462 passages instead of 6,735; right once the caches were off).
        return "searchd {\n" + "".join(f"  {line}\n" for line in lines) + "}\n"

    def _shard_config(self, shard: Shard, building: bool) -> str:
        suffix = ".new" if building else ""
        passages = _source("passages_source", self.data_file(shard, "passages").with_suffix(".tsv" + suffix),
                           TEXT_FIELDS, PASSAGE_ATTRIBUTES)
        documents = _source("documents_source", self.data_file(shard, "documents").with_suffix(".tsv" + suffix),
                            ("title",), DOCUMENT_ATTRIBUTES)
        settings = ["dict = keywords", "min_word_len = 1", "min_prefix_len = 1", f"charset_table = {CHARSET_TABLE}",
                    "index_field_lengths = 1", "docinfo = extern"]
        text = passages + documents
        for table, source, extra in (("passages", "passages_source", [f"global_idf = {self.directory / 'global.idf'}"]),
                                     ("documents", "documents_source", [])):
            lines = [f"source = {source}", f"path = {self.index_path(shard.name, table)}{suffix}"] + settings + extra
            text += f"index {table} {{\n" + "".join(f"  {line}\n" for line in lines) + "}\n"
        return text + self._daemon_section(shard.name, [f"{self.host}:{shard.api_port}",
                                                        f"{self.host}:{shard.sql_port}:mysql41"])

    def _front_config(self, building: bool) -> str:
        suffix = ".new" if building else ""
        text = _source("cluster_source", self.directory / "data" / f"cluster.tsv{suffix}", ("name",),
                       (("description", "json"),))
        text += (f"index cluster {{\n  source = cluster_source\n  path = {self.index_path('front', 'cluster')}{suffix}\n"
                 f"  dict = keywords\n}}\n")
        for table in ("passages", "documents"):
            agents = "".join(f"  agent = {self.host}:{shard.api_port}:{table}\n" for shard in self.shards)
            text += (f"index {table} {{\n  type = distributed\n{agents}  agent_connect_timeout = 500\n"
                     f"  agent_query_timeout = 20000\n}}\n")
        return text + self._daemon_section("front", [f"{self.host}:{self.port}:mysql41"])

    # -- daemons -----------------------------------------------------------------

    def pid(self, daemon: str) -> int | None:
        """The daemon's process id when it is running (an exited daemon nobody has reaped yet is not)."""
        import psutil

        try:
            pid = int((self.directory / daemon / "searchd.pid").read_text().strip())
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return None
        except (OSError, ValueError, psutil.Error):
            return None
        return pid

    def start(self) -> None:
        for daemon in self.daemons():
            if self.pid(daemon) is None:
                self.start_daemon(daemon)
        for daemon in self.daemons():
            self.wait_until_answering(daemon)

    def start_daemon(self, daemon: str) -> None:
        (self.directory / daemon).mkdir(exist_ok=True)
        _run(["searchd", "--config", str(self.config_path(daemon))], f"启动 {daemon}")

    def sql_port(self, daemon: str) -> int:
        return self.port if daemon == "front" else next(s.sql_port for s in self.shards if s.name == daemon)

    def answering(self, daemon: str) -> bool:
        try:
            with socket.create_connection((self.host, self.sql_port(daemon)), timeout=0.5) as connection:
                return bool(connection.recv(1))  # the MySQL greeting: the daemon is serving
        except OSError:
            return False

    def wait_until_answering(self, daemon: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not self.answering(daemon):
            if time.monotonic() > deadline:
                log = self.directory / daemon / "searchd.log"
                tail = log.read_text(errors="replace").splitlines()[-3:] if log.exists() else []
                raise UserError(f"{daemon} 在 {START_TIMEOUT:.0f} 秒内没有开始服务（端口 {self.sql_port(daemon)}）："
                                + " / ".join(tail))
            time.sleep(0.05)

    def stop(self) -> list[str]:
        """Stop every daemon (the front first); the ones that were running."""
        stopped = []
        for daemon in reversed(self.daemons()):
            pid = self.pid(daemon)
            if pid is None:
                continue
            subprocess.run(["searchd", "--config", str(self.config_path(daemon)), "--stopwait"],
                           capture_output=True, timeout=60)
            deadline = time.monotonic() + 10
            while self.pid(daemon) is not None and time.monotonic() < deadline:
                time.sleep(0.05)
            if self.pid(daemon) is not None:
                os.kill(pid, signal.SIGKILL)
            stopped.append(daemon)
        return stopped

    def status(self) -> list[dict]:
        rows = []
        for daemon in self.daemons():
            shard = next((s for s in self.shards if s.name == daemon), None)
            rows.append({"daemon": daemon, "port": self.sql_port(daemon), "pid": self.pid(daemon),
                         "answering": self.answering(daemon),
                         "holds": shard.describe() if shard else "分布式前端"})
        return rows


def _source(name: str, tsv: Path, fields: tuple[str, ...], attributes: tuple[tuple[str, str], ...]) -> str:
    lines = ["type = tsvpipe", f"tsvpipe_command = cat {tsv}"] + [f"tsvpipe_field = {f}" for f in fields] + [
        f"tsvpipe_attr_{kind} = {attribute}" for attribute, kind in attributes]
    return f"source {name} {{\n" + "".join(f"  {line}\n" for line in lines) + "}\n"


def _run(command: list[str], what: str) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError:
        raise UserError(f"找不到 {command[0]}：请安装 Sphinx（apt-get install sphinxsearch）。") from None
    if result.returncode != 0:
        lines = [line for line in (result.stdout + result.stderr).splitlines() if "ERROR" in line or "FATAL" in line]
        raise UserError(f"{what}失败：" + " / ".join(lines[-3:] or [f"退出码 {result.returncode}"]))


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def require_sphinx() -> None:
    missing = [tool for tool in ("searchd", "indexer", "indextool") if shutil.which(tool) is None]
    if missing:
        raise UserError(f"找不到 {'、'.join(missing)}：请安装 Sphinx（apt-get install sphinxsearch）或 Manticore Search。")

