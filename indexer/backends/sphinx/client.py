"""SphinxQL over PyMySQL: one connection to the front, a query's rows, facets and meta, and which shards
did not answer.

What Sphinx 2.2 and Manticore both accept, with the quirks met here: FACET results come as further
result sets, totals from ``SHOW META`` on the same connection, every query carries a ``LIMIT`` and
``max_matches``; a shard that does not answer shows as a warning naming its agent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pymysql
from pymysql.constants import CLIENT

from indexer.errors import IndexMissing, UserError

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 60  # above the front's agent_query_timeout: a shard that hangs fails its answer, not the reader
_AGENT = re.compile(r"agent\s+([\w.\-]+:\d+)")


class BackendUnavailable(UserError):
    """The cluster's front does not answer."""


@dataclass
class Statement:
    """One statement of a batch: its SQL with ``%s`` for ``args``, and how many FACET clauses it has."""

    sql: str
    args: tuple = ()
    facets: int = 0


@dataclass
class Answer:
    rows: list[tuple]
    facets: list[list[tuple]] = field(default_factory=list)
    # Shard agents ("host:port") that did not answer.
    missing: set[str] = field(default_factory=set)
    # Each keyword of the query and the passages holding it (the whole collection's, through the front).
    keywords: dict[str, int] = field(default_factory=dict)


class Front:
    """A SphinxQL connection to the cluster's front (or to a shard, for a search's counts), reopened once when
    it was lost."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self._connection = None

    def _connect(self):
        try:
            return pymysql.connect(host=self.host, port=self.port, connect_timeout=CONNECT_TIMEOUT,
                                   read_timeout=READ_TIMEOUT, autocommit=True, charset="utf8",
                                   client_flag=CLIENT.MULTI_STATEMENTS)
        except pymysql.err.OperationalError as error:
            raise IndexMissing(f"集群前端 {self.host}:{self.port} 没有响应（{error.args[-1]}）："
                               "请先运行 policy-search cluster start，或检查地址。") from None

    def query(self, sql: str, args: tuple | list = (), meta: bool = False) -> Answer:
        return self._run(lambda: self._query(sql, args, meta))

    def batch(self, statements: list[Statement]) -> list[Answer]:
        """The statements sent in one round trip (Sphinx evaluates a full-text query the batch repeats once);
        the shards that did not answer are on the first answer."""
        return self._run(lambda: self._batch(statements))

    def _run(self, work):
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = self._connect()
            try:
                return work()
            except (pymysql.err.OperationalError, pymysql.err.InterfaceError) as error:
                self.close()
                if attempt == 2 or not _lost(error):
                    raise BackendUnavailable(f"集群前端 {self.host}:{self.port} 查询失败：{_message(error)}") from None
            except pymysql.err.ProgrammingError as error:
                raise BackendUnavailable(f"集群无法执行查询：{_message(error)}") from None
        raise AssertionError("unreachable")

    def _query(self, sql: str, args, meta: bool) -> Answer:
        with self._connection.cursor() as cursor:
            cursor.execute(sql, args or None)
            answer = Answer(list(cursor.fetchall()))
            while cursor.nextset():
                answer.facets.append(list(cursor.fetchall()))
            if meta:
                cursor.execute("SHOW META")
                values = {}
                for name, value in cursor.fetchall():
                    values[name] = value
                answer.missing = set(_AGENT.findall(values.get("warning", "")))
                for name, value in values.items():
                    if name.startswith("keyword["):
                        number = name[len("keyword["):-1]
                        answer.keywords[value] = answer.keywords.get(value, 0) + int(values.get(f"docs[{number}]", 0))
        return answer

    def _batch(self, statements: list[Statement]) -> list[Answer]:
        with self._connection.cursor() as cursor:
            text = ";\n".join(cursor.mogrify(s.sql, s.args or None) for s in statements)
            cursor.execute(text + ";\nSHOW META")
            results = [list(cursor.fetchall())]
            while cursor.nextset():
                results.append(list(cursor.fetchall()))
        answers, position = [], 0
        for statement in statements:
            answers.append(Answer(results[position], facets=results[position + 1:position + 1 + statement.facets]))
            position += 1 + statement.facets
        meta = dict(results[position]) if position < len(results) else {}
        answers[0].missing = set(_AGENT.findall(meta.get("warning", "")))
        return answers

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # noqa: BLE001 - a connection already broken closes as it can
                pass
            self._connection = None


def _lost(error: Exception) -> bool:
    """A connection that broke (the front restarted, a timeout): worth one reconnection."""
    code = error.args[0] if error.args else 0
    return code in (0, 2006, 2013, 2003) or isinstance(error, pymysql.err.InterfaceError)


def _message(error: Exception) -> str:
    return str(error.args[-1] if error.args else error).rstrip("\x00").strip()


def quote(value: str) -> str:
    """A string literal for SphinxQL (filters and attributes; ``MATCH()`` text goes as a bound parameter)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"
