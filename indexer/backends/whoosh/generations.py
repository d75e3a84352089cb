"""Where an index lives on disk, and how a new one replaces the old without a gap.

``INDEX_DIR/current`` is a symlink to one complete generation under
``INDEX_DIR/generations/``. A build writes a new generation beside the live
one and swaps the symlink with an atomic rename, so a reader sees either the
old index or the new one, and an interrupted build leaves the old one live.
One writer at a time holds ``INDEX_DIR/write.lock``. ``INDEX_DIR/policy-search-index``
marks a folder this program made: a writer changes nothing in a folder without it
(except an empty or new one, which it then marks).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from indexer.names import json_text
from indexer.errors import BuildFailed, IndexBusy, IndexMissing, NotAnIndex  # noqa: F401 (re-exported)

CURRENT = "current"
GENERATIONS = "generations"
LOCK_FILE = "write.lock"
COMPLETE_MARKER = "meta.json"
DOCUMENTS_FILE = "documents.json"
INDEX_MARKER = "policy-search-index"
_MARKER_TEXT = "此文件夹是 policy-search 的索引，由程序建立和改写，请勿放入其他文件。\n"


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
    """Mark a generation complete and make it the live one in a single rename.

    Every file of the generation reaches the disk before the completion marker
    is written, and the marker before the rename: a crash or power cut leaves
    either the old generation live or a complete new one, never a new one with
    files still in the page cache.
    """
    for path in generation.iterdir():
        if path.is_file():
            _fsync_dir(path)
    _write_synced(generation / COMPLETE_MARKER, json_text(meta, indent=2))
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
    if not root.is_dir() or not (index_dir / INDEX_MARKER).is_file():
        return  # never in a folder that is not ours
    live = (index_dir / CURRENT).resolve() if (index_dir / CURRENT).exists() else None
    complete = sorted((p for p in root.iterdir() if (p / COMPLETE_MARKER).exists()), key=lambda p: p.name)
    keepers = {p for p in complete[-keep:]} | ({live} if live else set())
    for path in root.iterdir():
        if path not in keepers:
            shutil.rmtree(path, ignore_errors=True)


def read_meta(generation: Path) -> dict:
    """A generation's metadata; a damaged or unreadable file raises :class:`IndexMissing` with a message."""
    try:
        meta = json.loads((generation / COMPLETE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise IndexMissing(f"索引 {generation.name} 的 {COMPLETE_MARKER} 已损坏或无法读取，"
                           "请运行 policy-search index 重建。") from error
    if not isinstance(meta, dict):
        raise IndexMissing(f"索引 {generation.name} 的 {COMPLETE_MARKER} 已损坏，请运行 policy-search index 重建。")
    return meta


def previous_good_generation(index_dir: Path, damaged: Path) -> Path | None:
    """The newest complete generation other than ``damaged`` whose metadata reads, for a reader to fall back on."""
    root = index_dir / GENERATIONS
    if not root.is_dir():
        return None
    for path in sorted((p for p in root.iterdir() if p != damaged and (p / COMPLETE_MARKER).exists()),
                       key=lambda p: p.name, reverse=True):
        try:
            read_meta(path)
        except IndexMissing:
            continue
        return path
    return None


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
    """Exclusive right to change this index; a second writer gets IndexBusy at once.

    Only in a folder this program made (see :func:`claim`): any other raises
    :class:`NotAnIndex` before anything in it is touched.
    """
    claim(index_dir)
    with open(index_dir / LOCK_FILE, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise IndexBusy(f"索引正在被另一个进程更新：{index_dir}。请稍后再试。") from error
        try:
            yield
        except BaseException as error:
            _discard_incomplete(index_dir)
            if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise BuildFailed("磁盘空间不足，未完成的新索引已删除；请腾出空间后再试。") from error
            raise
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _discard_incomplete(index_dir: Path) -> None:
    """Remove generations without a completion marker (the failed writer's own; we hold the lock)."""
    root = index_dir / GENERATIONS
    if not root.is_dir() or not (index_dir / INDEX_MARKER).is_file():
        return
    for path in root.iterdir():
        if path.is_dir() and not (path / COMPLETE_MARKER).exists():
            shutil.rmtree(path, ignore_errors=True)


def claim(index_dir: Path) -> None:
    """Make sure ``index_dir`` is an index folder of ours, marking it if it is new or empty.

    An index made before the marker existed (``current`` linking into
    ``generations/`` and nothing else beside them) is marked too.
    """
    marker = index_dir / INDEX_MARKER
    if marker.is_file():
        return
    if index_dir.exists() and not index_dir.is_dir():
        raise NotAnIndex(f"{index_dir} 不是文件夹，不能用作索引位置。")
    index_dir.mkdir(parents=True, exist_ok=True)
    names = {entry.name for entry in index_dir.iterdir()}
    ours = {CURRENT, GENERATIONS, LOCK_FILE}
    earlier_index = (index_dir / CURRENT).is_symlink() and all(
        name in ours or name.startswith(f".{CURRENT}.") for name in names)
    if names and not earlier_index:
        raise NotAnIndex(f"{index_dir} 不是本程序建立的索引文件夹（没有 {INDEX_MARKER} 标记），拒绝写入，"
                         "其中的文件没有改动；请指定一个新的或空的文件夹。")
    _write_synced(marker, _MARKER_TEXT)


def _write_synced(path: Path, text: str) -> None:
    """Write a file and flush it to the disk before it is relied on."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    """Flush a file, or a folder's entries, to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def segment_count(index_dir: Path) -> int:
    """How many Whoosh segments an index (or a generation) has: one per build worker, more after updates."""
    from whoosh import index as whoosh_index

    return len(whoosh_index.open_dir(str(index_dir))._segments())
