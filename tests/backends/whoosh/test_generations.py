"""Reliability promises of issue 14: deterministic builds, writers that touch only indexes, damaged
generations that never replace good ones, paragraphs never lost by cleaning, odd values never silent."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ingest_support import PROJECT_ROOT, cli_command, notice, run_cli

_DUMP_PASSAGES = """
import json, sys
from pathlib import Path
from indexer.backends.whoosh.build import build_index
from indexer.backends.whoosh.engine import open_engine
build_index([Path(sys.argv[1])], Path(sys.argv[2]))
engine = open_engine(Path(sys.argv[2]))
print(json.dumps({d["doc_id"]: [p.passage for p in engine.passages(d["doc_id"])] for d in engine.documents()},
                 ensure_ascii=False, sort_keys=True))
engine.close()
"""


def _near_pairs_document(seed: int = 7, pairs: int = 30) -> str:
    """A notice whose body holds pairs of paragraphs a few characters apart (Jaccard near the 0.8 line)."""
    rng = random.Random(seed)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    lines = ["青岛市民政局关于做好养老服务工作的通知"]
    for _ in range(pairs):
        base = "".join(rng.choice(alphabet) for _ in range(60))
        variant = list(base)
        for position in rng.sample(range(60), 4):
            variant[position] = rng.choice(alphabet)
        lines += [base + "。", "".join(variant) + "。"]
    return "\n".join(lines) + "\n"


def test_two_builds_with_different_hash_seeds_give_identical_passages(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "near.txt").write_text(_near_pairs_document(), encoding="utf-8")
    (corpus / "notice.txt").write_text(notice("青岛", "养老服务", "确定性标记"), encoding="utf-8")
    dumps = []
    for seed in ("1", "2"):
        environment = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run([sys.executable, "-c", _DUMP_PASSAGES, str(corpus), str(tmp_path / f"idx{seed}")],
                                capture_output=True, text=True, encoding="utf-8", env=environment,
                                cwd=PROJECT_ROOT, timeout=120)
        assert result.returncode == 0, result.stderr
        dumps.append(json.loads(result.stdout.splitlines()[-1]))
    assert dumps[0] == dumps[1]


# -- writers touch only folders they made (issue 14, item 4) ------------------------------------------

def _foreign_folder(tmp_path: Path) -> Path:
    """A folder that is not an index but has a ``generations`` folder of someone else's files."""
    folder = tmp_path / "v"
    (folder / "generations" / "photos").mkdir(parents=True)
    (folder / "generations" / "photos" / "a.jpg").write_bytes(b"\xff\xd8 not ours to delete")
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    return folder


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_remove_on_a_folder_that_is_not_an_index_refuses_without_deleting(tmp_path):
    folder = _foreign_folder(tmp_path)
    before = _files(folder)
    result = run_cli("remove", "x", "--index-dir", folder)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "不是" in lines[0] and "索引" in lines[0], result.stderr
    assert _files(folder) == before


def test_update_through_the_environment_on_a_folder_that_is_not_an_index_refuses_without_deleting(tmp_path):
    folder = _foreign_folder(tmp_path)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(notice("青岛", "养老服务", "甲标记"), encoding="utf-8")
    before = _files(folder)
    environment = dict(os.environ, POLICY_SEARCH_INDEX=str(folder), PYTHONIOENCODING="utf-8")
    for arguments in (["index", "--update", "--corpus", str(corpus)], ["index", "--corpus", str(corpus)],
                      ["add", str(corpus / "a.txt")]):
        result = subprocess.run(cli_command() + arguments, capture_output=True, text=True, encoding="utf-8",
                                env=environment, timeout=120)
        assert result.returncode == 2, (arguments, result.stdout, result.stderr)
        assert "不是" in result.stderr and "Traceback" not in result.stderr
        assert _files(folder) == before, arguments


def test_a_new_index_carries_its_marker_and_stays_writable(tmp_path):
    from indexer.backends.whoosh import generations as store
    from indexer.backends.whoosh.build import build_index
    from indexer.backends.whoosh.update import update_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(notice("青岛", "养老服务", "乙标记"), encoding="utf-8")
    index_dir = tmp_path / "idx"
    build_index([corpus], index_dir)
    assert (index_dir / store.INDEX_MARKER).is_file()
    update_index(index_dir)
    build_index([corpus], index_dir)  # a rebuild over its own index


# -- no paragraph lost by cleaning (item 5) -----------------------------------------------------------

@pytest.mark.parametrize("heading", [
    "# 关于进一步加强和改进全市城乡社区养老服务设施规划建设运营管理工作的若干具体措施和保障办法",
    "一、关于进一步加强和改进全市城乡社区养老服务设施规划建设运营管理工作的若干具体措施和保障",
])
def test_a_long_heading_does_not_swallow_the_paragraph_after_it(heading):
    from indexer.ingest.passages import split_passages

    assert len(heading.lstrip("# ")) > 40
    paragraph = "各区市要把社区养老服务设施纳入城乡规划，独有标记词丙丁戊，确保新建小区配套建设养老服务用房。"
    text = f"青岛市民政局关于养老服务的通知\n{heading}\n{paragraph}\n二、其他事项\n本通知自发布之日起施行。\n"
    passages = split_passages(text, "青岛市民政局关于养老服务的通知")
    assert any("独有标记词丙丁戊" in p.text for p in passages), [p.text for p in passages]


# -- limits and odd values answered, never silent (items 3, 12) ---------------------------------------

def test_a_huge_limit_is_answered_with_a_notice(index_dir):
    result = run_cli("search", "养老", "--limit", "1000000000", "--index-dir", index_dir)
    assert result.returncode == 0, result.stderr
    assert "提示：" in result.stdout and "最多" in result.stdout


@pytest.mark.parametrize("arguments", [["--limit", "-1"], ["--offset", "-1"], ["--city", ""], ["--city", "  "]])
def test_negative_limits_and_an_empty_city_are_errors(index_dir, arguments):
    result = run_cli("search", "养老", *arguments, "--index-dir", index_dir)
    assert result.returncode == 2, (arguments, result.stdout)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误："), result.stderr


def test_the_api_refuses_negative_limits_and_empty_cities(engine):
    from indexer.query.parse import QueryError

    for kwargs in (dict(limit=-1), dict(offset=-1), dict(cities=[""])):
        with pytest.raises(QueryError):
            engine.search("养老", **kwargs)
    assert any("最多" in n for n in engine.search("养老", limit=10**9).notices)


def test_a_deep_offset_is_refused_at_once_with_a_message(engine, index_dir):
    import time

    from indexer.query.parse import QueryError
    from indexer.backends.whoosh.engine import MAX_RESULT_DEPTH

    started = time.perf_counter()
    with pytest.raises(QueryError, match="翻页"):
        engine.search("的", offset=1_000_000_000)
    assert time.perf_counter() - started < 1.0
    engine.search("的", offset=MAX_RESULT_DEPTH - 10, limit=10)  # the last page allowed answers
    result = run_cli("search", "的", "--offset", "1000000000", "--index-dir", index_dir)
    assert result.returncode == 2 and "翻页" in result.stderr


# -- a damaged generation never replaces a good one; disk full leaves nothing (item 8) ----------------

def _two_generations(tmp_path: Path) -> tuple[Path, Path]:
    from indexer.backends.whoosh.build import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(notice("青岛", "养老服务", "己标记"), encoding="utf-8")
    index_dir = tmp_path / "idx"
    build_index([corpus], index_dir)
    (corpus / "b.txt").write_text(notice("烟台", "儿童福利", "庚标记"), encoding="utf-8")
    build_index([corpus], index_dir)
    return corpus, index_dir


def test_a_damaged_meta_json_keeps_the_last_good_generation_with_a_warning(tmp_path):
    from indexer.backends.whoosh import generations as store
    from indexer.backends.whoosh.engine import open_engine

    _, index_dir = _two_generations(tmp_path)
    engine = open_engine(index_dir)
    assert engine.search("庚标记").hits
    (store.current_generation(index_dir) / store.COMPLETE_MARKER).write_text('{"schema_version": 3, "trunc', "utf-8")
    result = run_cli("search", "己标记", "--index-dir", index_dir)
    assert result.returncode == 0, result.stderr
    assert "损坏" in result.stdout + result.stderr and "Traceback" not in result.stderr
    assert "JSONDecodeError" not in result.stdout + result.stderr
    assert "己标记" in result.stdout
    fresh = open_engine(index_dir)
    assert any("损坏" in warning for warning in fresh.warnings)
    assert fresh.search("己标记").hits
    fresh.close()
    engine.close()


def test_a_published_generation_with_damaged_meta_leaves_an_open_engine_answering(tmp_path):
    from indexer.backends.whoosh import generations as store
    from indexer.backends.whoosh.build import build_index
    from indexer.backends.whoosh.engine import open_engine

    corpus, index_dir = _two_generations(tmp_path)
    engine = open_engine(index_dir)
    build_index([corpus], index_dir)
    (store.current_generation(index_dir) / store.COMPLETE_MARKER).write_bytes(b"\xff\xfe garbage")
    response = engine.search("庚标记")
    assert response.hits
    engine.close()


def test_files_reach_the_disk_before_a_generation_is_published(tmp_path, monkeypatch):
    from indexer.backends.whoosh import generations as store
    from indexer.backends.whoosh.build import build_index

    synced: set[str] = set()
    real_fsync = os.fsync

    def recording_fsync(fd):
        synced.add(os.readlink(f"/proc/self/fd/{fd}"))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(notice("青岛", "养老服务", "辛标记"), encoding="utf-8")
    build_index([corpus], tmp_path / "idx")
    generation = store.current_generation(tmp_path / "idx")
    files = {str(p) for p in generation.iterdir() if p.is_file()}
    assert files and files <= synced, sorted(files - synced)


def test_disk_full_leaves_no_partial_generation_and_says_so(tmp_path, monkeypatch):
    import errno

    from indexer.backends.whoosh import generations as store
    from indexer.backends.whoosh.build import build_index
    from indexer.backends.whoosh.engine import open_engine

    corpus, index_dir = _two_generations(tmp_path)
    live = store.current_generation(index_dir)
    generations = sorted(p.name for p in (index_dir / store.GENERATIONS).iterdir())

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "write_documents", full)
    with pytest.raises(store.BuildFailed, match="磁盘空间不足"):
        build_index([corpus], index_dir)
    assert sorted(p.name for p in (index_dir / store.GENERATIONS).iterdir()) == generations
    assert store.current_generation(index_dir) == live
    engine = open_engine(index_dir)
    assert engine.search("庚标记").hits
    engine.close()


# -- encodings at the edges (item 9) -------------------------------------------------------------------

def test_a_gbk_batch_file_is_answered_line_by_line(index_dir, tmp_path):
    batch = tmp_path / "queries.txt"
    batch.write_bytes("养老服务\n儿童福利\n".encode("gbk"))
    result = run_cli("search", "--batch", batch, "--json", "--index-dir", index_dir)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["query"] for r in records] == ["养老服务", "儿童福利"]
    assert all("error" not in r and r["total"] > 0 for r in records)


def test_one_undecodable_batch_line_is_reported_and_the_others_answered(index_dir, tmp_path):
    batch = tmp_path / "queries.txt"
    batch.write_bytes("养老服务\n".encode() + b"\xff\xfe\xfd\x80\xff\n" + "儿童福利\n".encode())
    result = run_cli("search", "--batch", batch, "--json", "--index-dir", index_dir)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 3
    assert records[0]["total"] > 0 and records[2]["total"] > 0
    assert "error" in records[1] and "解码" in records[1]["error"]


def test_a_lone_surrogate_in_an_api_query_is_a_query_error(engine):
    from indexer.query.parse import QueryError

    for kwargs in (dict(query="养老\ud800服务"), dict(query="养老", cities=["青岛\udc80"])):
        with pytest.raises(QueryError):
            engine.search(**kwargs)


# -- paths (item 11) -----------------------------------------------------------------------------------

def test_a_symlink_leaving_the_corpus_is_skipped_with_a_reason(tmp_path):
    from indexer.backends.whoosh.build import build_index

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(notice("烟台", "殡葬改革", "壬标记"), encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(notice("青岛", "养老服务", "癸标记"), encoding="utf-8")
    (corpus / "linked-folder").symlink_to(outside)
    (corpus / "linked-file.txt").symlink_to(outside / "secret.txt")
    summary = build_index([corpus], tmp_path / "idx")
    assert summary.documents == 1
    reasons = {Path(s.path).name: s.reason for s in summary.skipped}
    assert "语料目录之外" in reasons["linked-folder"] and "语料目录之外" in reasons["linked-file.txt"]
    followed = build_index([corpus], tmp_path / "idx2", follow_links=True)
    assert followed.documents == 2


def test_the_makefile_does_not_paste_the_index_path_into_code(tmp_path):
    import shutil as _shutil

    if _shutil.which("make") is None:
        pytest.skip("make is not installed")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    (venv / "bin" / "policy-search").write_text("#!/bin/sh\nexit 0\n")
    (venv / "bin" / "policy-search").chmod(0o755)
    (venv / ".installed").touch()
    marker = tmp_path / "code-ran"
    crafted = f"{tmp_path}/idx; touch {marker}; #"  # pasted into the recipe, this would run touch
    environment = dict(os.environ, POLICY_SEARCH_INDEX=crafted)
    subprocess.run(["make", "-s", "-C", str(PROJECT_ROOT), "index", f"VENV={venv}", f"BIN={venv / 'bin'}"],
                   capture_output=True, text=True, env=environment, timeout=60)
    assert not marker.exists()


# -- a run never ends with no index when the previous one existed (item 1) ----------------------------

def test_an_unexpected_error_in_one_file_during_a_rebuild_skips_that_file_and_publishes(tmp_path, monkeypatch):
    from indexer.ingest import feed as building
    from indexer.backends.whoosh import generations as store
    from indexer.backends.whoosh.build import build_index
    from indexer.backends.whoosh.engine import open_engine

    corpus, index_dir = _two_generations(tmp_path)
    real_load = building.load

    def failing_load(path, *args, **kwargs):
        if Path(path).name == "b.txt":
            raise RuntimeError("a reader's bug")
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(building, "load", failing_load)
    summary = build_index([corpus], index_dir)
    assert summary.documents == 1 and any(Path(s.path).name == "b.txt" for s in summary.skipped)
    engine = open_engine(index_dir)
    assert engine.search("己标记").hits
    engine.close()
    assert all((p / store.COMPLETE_MARKER).exists() for p in (index_dir / store.GENERATIONS).iterdir())


def test_a_rebuild_that_fails_outside_any_file_leaves_the_previous_index_live(tmp_path, monkeypatch):
    from indexer.backends.whoosh import generations as store
    from indexer.backends.whoosh.build import build_index
    from indexer.backends.whoosh.engine import open_engine

    corpus, index_dir = _two_generations(tmp_path)
    live = store.current_generation(index_dir)

    def broken(*args, **kwargs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(store, "write_documents", broken)
    with pytest.raises(RuntimeError):
        build_index([corpus], index_dir)
    assert store.current_generation(index_dir) == live
    assert all((p / store.COMPLETE_MARKER).exists() for p in (index_dir / store.GENERATIONS).iterdir())
    engine = open_engine(index_dir)
    assert engine.search("庚标记").hits
    engine.close()
