"""Building: generations swapped in atomically, interrupted builds harmless, one writer at a time."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from indexer.ingest import feed
from indexer.backends.whoosh import generations as store
from indexer.backends.whoosh.build import build_index
from indexer.backends.whoosh.engine import open_engine
from indexer.backends.whoosh.generations import IndexBusy, current_generation, read_meta, write_lock

QUERY = "养老"


def generations(index_dir: Path) -> set[Path]:
    root = index_dir / store.GENERATIONS
    return set(root.iterdir()) if root.is_dir() else set()


def complete(path: Path) -> bool:
    return (path / store.COMPLETE_MARKER).exists()


@pytest.fixture(scope="module")
def template(tmp_path_factory, corpus_dir):
    index_dir = tmp_path_factory.mktemp("template") / "index"
    return index_dir, build_index([corpus_dir], index_dir)


@pytest.fixture
def built(template, tmp_path):
    """A fresh copy of a seed-corpus index in its own directory (tests here change it)."""
    source, summary = template
    index_dir = tmp_path / "index"
    shutil.copytree(source, index_dir, symlinks=True)
    return index_dir, summary


@pytest.fixture
def big_corpus(tmp_path, corpus_dir):
    """60 distinct documents (the seed texts with a line of their own), slow enough to interrupt."""
    target = tmp_path / "big-corpus"
    target.mkdir()
    sources = sorted(corpus_dir.glob("*.txt"))
    for number in range(60):
        text = sources[number % len(sources)].read_text(encoding="utf-8")
        (target / f"copy{number:03d}.txt").write_text(f"{text}\n\n测试副本第{number}号，用于中断重建测试。\n",
                                                      encoding="utf-8")
    return target


def test_build_publishes_a_complete_generation(built, corpus_dir):
    index_dir, summary = built
    live = current_generation(index_dir)
    assert (index_dir / store.CURRENT).is_symlink()
    assert not os.path.isabs(os.readlink(index_dir / store.CURRENT))  # the index directory can move
    assert live.parent == (index_dir / store.GENERATIONS).resolve()
    assert live.name == summary.generation
    meta = read_meta(live)
    assert (meta["documents"], meta["passages"], meta["characters"]) == (
        summary.documents, summary.passages, summary.characters)
    assert summary.documents == len(list(corpus_dir.glob("*.txt")))
    assert summary.passages > 100 and summary.characters > 10_000 and summary.seconds > 0
    assert generations(index_dir) == {live}


def test_index_directory_can_be_moved(built, tmp_path):
    index_dir, _ = built
    moved = tmp_path / "moved"
    shutil.move(str(index_dir), moved)
    assert open_engine(moved).search(QUERY).total > 0


def test_rebuild_swaps_and_keeps_one_predecessor(built, corpus_dir, tmp_path):
    index_dir, _ = built
    engine = open_engine(index_dir)
    before = engine.search(QUERY, limit=0)
    assert len(before.facets["city"]) >= 3
    first = current_generation(index_dir)

    only_yantai = tmp_path / "yantai"
    only_yantai.mkdir()
    for path in corpus_dir.glob("003_*"):
        shutil.copy(path, only_yantai / path.name)
    shutil.copy(corpus_dir / "manifest.toml", only_yantai / "manifest.toml")
    build_index([only_yantai], index_dir)
    second = current_generation(index_dir)
    assert second != first
    # an engine opened before the rebuild follows the new generation
    after = engine.search(QUERY, limit=0)
    assert [b["value"] for b in after.facets["city"]] == ["烟台"]
    assert engine.generation == second
    assert generations(index_dir) == {first, second}

    build_index([corpus_dir], index_dir)
    third = current_generation(index_dir)
    assert generations(index_dir) == {second, third}  # the live one and its predecessor
    assert engine.search(QUERY, limit=0).total == before.total
    engine.close()


def test_exception_during_rebuild_leaves_the_old_index(built, corpus_dir, monkeypatch):
    index_dir, summary = built
    old = current_generation(index_dir)
    engine = open_engine(index_dir)
    expected = engine.search(QUERY, limit=100)

    calls = []
    real = feed.passage_fields

    def failing(document):
        calls.append(document.doc_id)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device (simulated)")
        return real(document)

    monkeypatch.setattr(feed, "passage_fields", failing)
    with pytest.raises(store.BuildFailed, match="磁盘空间不足"):  # one line, and the unfinished generation gone
        build_index([corpus_dir], index_dir)
    monkeypatch.undo()

    assert len(calls) == 3
    assert current_generation(index_dir) == old
    abandoned = generations(index_dir) - {old}
    assert all(complete(path) for path in abandoned)
    # the open engine and a freshly opened one both still search the old, complete index
    for searcher in (engine, open_engine(index_dir)):
        response = searcher.search(QUERY, limit=100)
        assert response.total == expected.total
        assert [(h.doc_id, h.order) for h in response.hits] == [(h.doc_id, h.order) for h in expected.hits]
    # the lock was released: a later build succeeds and prunes the abandoned generation
    later = build_index([corpus_dir], index_dir)
    assert later.passages == summary.passages
    assert not any(path.exists() for path in abandoned)
    assert current_generation(index_dir) != old
    assert engine.search(QUERY).total == expected.total
    engine.close()


def test_killed_rebuild_leaves_the_old_index(built, big_corpus, kill_9_mid_write, corpus_dir):
    """kill -9 a real `policy-search index` mid-way: the previous index stays live and searchable."""
    index_dir, summary = built
    old = current_generation(index_dir)
    expected_total = open_engine(index_dir).search(QUERY, limit=0).total

    abandoned = kill_9_mid_write(["index", "--corpus", big_corpus, "--index-dir", index_dir, "--quiet"],
                                 index_dir, settle=0.5)
    assert current_generation(index_dir) == old
    assert abandoned and not any(complete(path) for path in abandoned)
    assert open_engine(index_dir).search(QUERY, limit=0).total == expected_total

    # the dead writer's lock died with it; the next build succeeds and prunes what it left
    later = build_index([corpus_dir], index_dir)
    assert later.passages == summary.passages
    assert not any(path.exists() for path in abandoned)
    assert generations(index_dir) == {old, current_generation(index_dir)}


def test_second_writer_gets_index_busy(built, corpus_dir):
    index_dir, _ = built
    old = current_generation(index_dir)
    with write_lock(index_dir):
        with pytest.raises(IndexBusy) as busy:
            with write_lock(index_dir):
                pass  # pragma: no cover
        assert "另一个进程" in str(busy.value)
        with pytest.raises(IndexBusy):
            build_index([corpus_dir], index_dir)
        # the refused build touched nothing
        assert current_generation(index_dir) == old
        assert generations(index_dir) == {old}
        # readers are not blocked by a writer
        assert open_engine(index_dir).search(QUERY).total > 0
    with write_lock(index_dir):  # released again
        pass


def test_second_writer_process_is_refused_in_one_line(built, cli_process):
    index_dir, _ = built
    with write_lock(index_dir):
        result = cli_process("index", "--index-dir", index_dir, "--quiet")
    assert result.code == 2
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 1 and result.err_lines[0].startswith("错误：")
    assert "另一个进程" in result.err


def test_opening_an_unbuilt_index_says_how_to_build_one(tmp_path):
    with pytest.raises(store.IndexMissing) as missing:
        open_engine(tmp_path / "empty")
    assert "policy-search index" in str(missing.value)


def _mark_older_format(generation: Path) -> None:
    """Schema 1 kept word positions and no text tables: its phrases cannot be checked."""
    import json

    meta_path = generation / store.COMPLETE_MARKER
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["schema_version"] = 1
    meta_path.write_text(json.dumps(meta), encoding="utf-8")


def _drop_text_tables(generation: Path) -> None:
    for table in generation.glob("*.ptx"):
        table.unlink()


def _overstate_text_table_count(generation: Path) -> None:
    """The header claims more passages than the table holds offsets for."""
    import re

    for table in generation.glob("*.ptx"):
        data = table.read_bytes()
        table.write_bytes(re.sub(rb'"documents": (\d+)', lambda m: b'"documents": ' + m[1] + b"9", data))


def _scramble_text_table_offsets(generation: Path) -> None:
    """Both magic markers intact, offsets no longer in order."""
    import struct

    for table in generation.glob("*.ptx"):
        data = bytearray(table.read_bytes())
        position, size = struct.unpack_from("<QQ", data, len(data) - 20)
        start = position + size
        data[start + 8:start + 16] = struct.pack("<Q", 2 ** 40)
        table.write_bytes(bytes(data))


def _truncate_documents_list(generation: Path) -> None:
    path = generation / store.DOCUMENTS_FILE
    path.write_bytes(path.read_bytes()[:100])


@pytest.mark.parametrize("damage", [_mark_older_format, _drop_text_tables, _overstate_text_table_count,
                                    _scramble_text_table_offsets, _truncate_documents_list])
def test_an_index_that_cannot_be_searched_gives_a_one_line_rebuild_message(built, cli_process, damage):
    index_dir, _ = built
    damage(current_generation(index_dir))
    with pytest.raises(store.IndexMissing) as missing:
        open_engine(index_dir)
    assert "重建" in str(missing.value)
    result = cli_process("search", '"养老服务"', "--index-dir", index_dir)
    assert result.code != 0 and "Traceback" not in result.err
    assert len(result.err_lines) == 1 and "policy-search index" in result.err


def test_incomplete_generation_is_not_opened(built):
    index_dir, _ = built
    (current_generation(index_dir) / store.COMPLETE_MARKER).unlink()
    with pytest.raises(store.IndexMissing):
        open_engine(index_dir)


def _failing_worker_writes(monkeypatch, failure):
    """Builds go parallel from 40 passages on, and a worker process fails on its first passage."""
    from indexer.backends.whoosh import writer
    from indexer.backends.whoosh.writer import segment

    parent = os.getpid()
    real_add = segment.FastSegmentWriter.add_document

    def add_document(self, **fields):
        if os.getpid() != parent:
            failure()
        return real_add(self, **fields)

    monkeypatch.setattr(segment.FastSegmentWriter, "add_document", add_document)
    monkeypatch.setattr(writer, "open_writer",
                        lambda index, **kwargs: writer.ParallelWriter(index, procs=2, batch=20, parallel_min=40))


def _disk_full():
    raise OSError(28, "No space left on device")


def _killed():
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("failure, expected", [(_disk_full, "OSError: [Errno 28] No space left on device"),
                                               (_killed, "被信号 SIGKILL 终止")])
def test_a_failing_worker_process_gives_one_line_and_keeps_the_index(built, corpus_dir, monkeypatch, capsys,
                                                                      failure, expected):
    from indexer.cli.commands import main

    index_dir, _ = built
    old = current_generation(index_dir)
    _failing_worker_writes(monkeypatch, failure)
    capsys.readouterr()
    code = main(["index", "--corpus", str(corpus_dir), "--index-dir", str(index_dir)])
    err_lines = [line for line in capsys.readouterr().err.splitlines() if line.strip() and "建立索引" not in line]
    assert code != 0 and len(err_lines) == 1, err_lines  # (tqdm's progress bar left out)
    assert "原索引不变" in err_lines[0] and "工作进程" in err_lines[0] and expected in err_lines[0]
    assert "Traceback" not in err_lines[0] and "内部错误" not in err_lines[0]
    assert current_generation(index_dir) == old


def test_a_worker_traceback_is_shown_with_the_debug_switch(built, corpus_dir, monkeypatch, capsys):
    from indexer.cli.commands import main

    index_dir, _ = built
    _failing_worker_writes(monkeypatch, _disk_full)
    monkeypatch.setenv("POLICY_SEARCH_DEBUG", "1")
    capsys.readouterr()
    assert main(["index", "--corpus", str(corpus_dir), "--index-dir", str(index_dir)]) != 0
    err = capsys.readouterr().err
    assert "RemoteTraceback" in err and "in _worker" in err and "No space left on device" in err


def test_an_index_of_an_empty_corpus_answers_with_nothing(tmp_path, cli_process):
    """Every file skipped (or none at all) still gives an index the engine, the CLI and the app can open."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "blank.txt").write_text("\n  \n", encoding="utf-8")
    summary = build_index([corpus], tmp_path / "index")
    assert summary.documents == 0 and summary.skipped
    engine = open_engine(tmp_path / "index")
    response = engine.search("养老服务", cities=["青岛"])
    assert response.total == 0 and response.hits == [] and not response.relaxed
    assert engine.overview()["documents"] == 0 and engine.city_year_counts("养老服务") == []
    result = cli_process("search", "养老服务", "--json", "--index-dir", tmp_path / "index")
    assert result.code == 0 and "Traceback" not in result.err and '"total": 0' in result.out
