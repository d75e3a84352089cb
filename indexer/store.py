"""Where an index lives on disk, and how a new one replaces the old without a gap.

``INDEX_DIR/current`` is a symlink to one complete generation under
``INDEX_DIR/generations/``. A build writes a new generation beside the live
one and swaps the symlink with an atomic rename, so a reader sees either the
old index or the new one, and an interrupted build leaves the old one live.
One writer at a time holds ``INDEX_DIR/write.lock``.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from indexer.names import json_text

CURRENT = "current"
GENERATIONS = "generations"
LOCK_FILE = "write.lock"
COMPLETE_MARKER = "meta.json"
DOCUMENTS_FILE = "documents.json"


class IndexMissing(Exception):
    """No complete index at the given place; the message says how to build one."""


class IndexBusy(Exception):
    """Another process is writing this index."""


class BuildFailed(Exception):
    """A build or update stopped on an error no file can be blamed for; the live generation is untouched."""


def current_generation(index_dir: Path) -> Path:
    link = index_dir / CURRENT
    if not link.exists():
        raise IndexMissing(f"索引不存在：{index_dir}。请先运行 policy-search index 建立索引。")
    target = link.resolve()
    if not (target / COMPLETE_MARKER).exists():
        raise IndexMissing(f"索引不完整：{target}。请重新运行 policy-search index。")
    return target


def new_generation(index_dir: Path) -> Path:
    # Names sort by creation time (prune keeps the newest), also for builds less than a second apart.
    now = time.time_ns()
    stamp = time.strftime('%Y%m%dT%H%M%S', time.localtime(now // 10**9))
    path = index_dir / GENERATIONS / f"{stamp}-{now % 10**9:09d}-{os.getpid()}"
    path.mkdir(parents=True)
    return path


def clone_generation(index_dir: Path, live: Path) -> Path:
    """A new, incomplete generation holding a copy of the live one's index files, for an update to change.

    Files are copied, not linked: Whoosh may rewrite a file in the new
    generation, and the live one must not change under its readers. The copy
    has no completion marker until :func:`publish`.
    """
    generation = new_generation(index_dir)
    for path in live.iterdir():
        if path.is_file() and path.name not in (COMPLETE_MARKER, DOCUMENTS_FILE) and not path.name.endswith("WRITELOCK"):
            shutil.copy2(path, generation / path.name)
    return generation


def publish(index_dir: Path, generation: Path, meta: dict) -> None:
    """Mark a generation complete and make it the live one in a single rename."""
    (generation / COMPLETE_MARKER).write_text(json_text(meta, indent=2), encoding="utf-8")
    _fsync_dir(generation)
    temporary_link = index_dir / f".{CURRENT}.{os.getpid()}"
    if temporary_link.is_symlink():
        temporary_link.unlink()
    temporary_link.symlink_to(generation.relative_to(index_dir))
    os.replace(temporary_link, index_dir / CURRENT)
    _fsync_dir(index_dir)


def prune(index_dir: Path, keep: int = 2) -> None:
    """Remove old and abandoned generations, keeping the live one and its predecessor.

    The predecessor stays for readers that opened it just before a swap.
    """
    root = index_dir / GENERATIONS
    if not root.is_dir():
        return
    live = (index_dir / CURRENT).resolve() if (index_dir / CURRENT).exists() else None
    complete = sorted((p for p in root.iterdir() if (p / COMPLETE_MARKER).exists()), key=lambda p: p.name)
    keepers = {p for p in complete[-keep:]} | ({live} if live else set())
    for path in root.iterdir():
        if path not in keepers:
            shutil.rmtree(path, ignore_errors=True)


def read_meta(generation: Path) -> dict:
    return json.loads((generation / COMPLETE_MARKER).read_text(encoding="utf-8"))


def read_documents(generation: Path) -> dict[str, dict]:
    path = generation / DOCUMENTS_FILE
    if not path.exists():
        return {}
    try:
        return {doc["doc_id"]: doc for doc in json.loads(path.read_text(encoding="utf-8"))}
    except (ValueError, KeyError, TypeError) as error:  # UnicodeDecodeError is a ValueError
        raise IndexMissing(f"索引的文档清单 {DOCUMENTS_FILE} 已损坏，请运行 policy-search index 重建。") from error


def write_documents(generation: Path, documents: list[dict]) -> None:
    (generation / DOCUMENTS_FILE).write_text(json_text(documents), encoding="utf-8")


def live_generation(index_dir: Path) -> Path | None:
    """The live generation, or None when there is no complete index yet."""
    try:
        return current_generation(index_dir)
    except IndexMissing:
        return None


@contextmanager
def write_lock(index_dir: Path):
    """Exclusive right to change this index; a second writer gets IndexBusy at once."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_FILE, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise IndexBusy(f"索引正在被另一个进程更新：{index_dir}。请稍后再试。") from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
