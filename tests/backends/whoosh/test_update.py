"""Incremental changes: add, update, remove, duplicates, several corpora, and never losing the index."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from indexer.backends.whoosh import generations
from indexer.backends.whoosh.build import build_index
from indexer.cli.commands import main
from indexer.backends.whoosh.engine import open_engine
from indexer.backends.whoosh.update import add_paths, update_index
from ingest_support import EXTRA_CORPUS, PROJECT_ROOT, cli_command, notice, run_cli, write_docx

SEED = PROJECT_ROOT / "corpus"


def run(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def doc_ids_for(engine, marker: str) -> list[str]:
    return sorted({h.doc_id for h in engine.search(f'"{marker}"', limit=50).hits})


def live(index_dir: Path) -> Path:
    return generations.current_generation(index_dir)


def records(index_dir: Path) -> dict[str, dict]:
    return generations.read_documents(live(index_dir))


@pytest.fixture
def small(tmp_path):
    """A three-document corpus and its index."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, city, topic in (("qingdao", "青岛", "养老服务"), ("yantai", "烟台", "殡葬改革"), ("weifang", "潍坊", "临时救助")):
        (corpus / f"{name}.txt").write_text(notice(city, topic, f"标记{name}"), encoding="utf-8")
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir)
    return corpus, index_dir


def test_update_reads_only_new_changed_and_deleted_files(small):
    corpus, index_dir = small
    engine = open_engine(index_dir)
    first = live(index_dir)

    nothing = update_index(index_dir)
    assert not nothing.changed and nothing.unchanged == 3 and nothing.generation == ""
    assert live(index_dir) == first  # no new generation for no change

    (corpus / "qingdao.txt").write_text(notice("青岛", "养老服务", "改后标记"), encoding="utf-8")
    (corpus / "weifang.txt").unlink()
    (corpus / "rizhao.txt").write_text(notice("日照", "儿童福利", "新增标记"), encoding="utf-8")
    os.utime(corpus / "yantai.txt")  # touched, same bytes: not re-read
    summary = update_index(index_dir)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (
        ["rizhao"], ["qingdao"], ["weifang"], 1)
    assert summary.documents == 3
    # the open engine follows the new generation
    assert doc_ids_for(engine, "标记qingdao") == [] and doc_ids_for(engine, "改后标记") == ["qingdao"]
    assert doc_ids_for(engine, "标记weifang") == [] and doc_ids_for(engine, "新增标记") == ["rizhao"]
    assert doc_ids_for(engine, "标记yantai") == ["yantai"]
    assert set(records(index_dir)) == {"qingdao", "yantai", "rizhao"}
    meta = generations.read_meta(live(index_dir))
    assert (meta["documents"], meta["passages"]) == (3, sum(r["passages"] for r in records(index_dir).values()))
    engine.close()


def test_an_edited_manifest_entry_re_reads_its_file(small):
    corpus, index_dir = small
    assert records(index_dir)["yantai"]["provenance"]["city"] == "inferred"
    (corpus / "manifest.toml").write_text('[[document]]\nfile = "yantai.txt"\ncity = "威海"\n', encoding="utf-8")
    summary = update_index(index_dir)
    assert summary.updated == ["yantai"] and summary.unchanged == 2
    record = records(index_dir)["yantai"]
    assert (record["city"], record["provenance"]["city"]) == ("威海", "manifest")
    assert open_engine(index_dir).search("殡葬", cities=["威海"], limit=0).total > 0


def test_add_remove_and_the_exclusion_that_remove_leaves(small, tmp_path, capsys):
    corpus, index_dir = small
    outside = tmp_path / "downloads"
    outside.mkdir()
    single = outside / "heze.txt"
    single.write_text(notice("菏泽", "社会组织", "单个文件标记"), encoding="utf-8")
    code, out, err = run(capsys, "add", single, "--index-dir", index_dir, "--quiet")
    assert code == 0 and out.startswith("添加完成：新增 1 篇") and "新增 heze" in err
    record = records(index_dir)["heze"]
    assert (record["path"], record["corpus"]) == (str(single), str(outside))
    meta = generations.read_meta(live(index_dir))
    assert meta["files"] == [str(single)] and str(outside) not in meta["corpora"]

    # the added file is tracked on its own: changed and deleted files are noticed by --update
    single.write_text(notice("菏泽", "社会组织", "单个文件改后"), encoding="utf-8")
    assert update_index(index_dir).updated == ["heze"]
    single.unlink()
    assert update_index(index_dir).removed == ["heze"]

    # a folder from outside becomes a tracked corpus
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "liaocheng.txt").write_text(notice("聊城", "残疾人福利", "文件夹标记"), encoding="utf-8")
    summary = add_paths(index_dir, [folder])
    assert summary.added == ["liaocheng"] and str(folder) in generations.read_meta(live(index_dir))["corpora"]
    (folder / "dezhou.txt").write_text(notice("德州", "慈善", "文件夹新增"), encoding="utf-8")
    assert update_index(index_dir).added == ["dezhou"]

    # remove: gone from search; still on disk, so --update must not bring it back; add does
    code, out, err = run(capsys, "remove", "yantai", "--index-dir", index_dir)
    assert code == 0 and "删除 1 篇" in out
    assert doc_ids_for(open_engine(index_dir), "标记yantai") == []
    assert update_index(index_dir).added == []
    assert "yantai" not in records(index_dir)
    assert add_paths(index_dir, [corpus / "yantai.txt"]).added == ["yantai"]
    assert records(index_dir)["yantai"]["corpus"] == str(corpus)

    code, out, err = run(capsys, "remove", "no-such-doc", "--index-dir", index_dir)
    assert code == 2 and "no-such-doc" in err and len(err.strip().splitlines()) == 1


def test_the_same_content_twice_is_indexed_once_and_reported(small, capsys):
    corpus, index_dir = small
    original = (corpus / "qingdao.txt").read_text(encoding="utf-8")
    (corpus / "copy-utf8.txt").write_text(original, encoding="utf-8")
    (corpus / "copy-gbk.txt").write_bytes(original.replace("\n", "\r\n\r\n").encode("gb18030"))
    write_docx(corpus / "copy-word.docx", [("", line) for line in original.splitlines()])
    code, out, err = run(capsys, "index", "--update", "--index-dir", index_dir, "--quiet")
    assert code == 0 and "新增 0 篇" in out and "其中重复 3 个" in out
    for name in ("copy-utf8.txt", "copy-gbk.txt", "copy-word.docx"):
        assert f"{name}：内容与已索引的 qingdao 相同" in err
    assert set(records(index_dir)) == {"qingdao", "yantai", "weifang"}
    assert doc_ids_for(open_engine(index_dir), "标记qingdao") == ["qingdao"]

    # with the original gone, one copy takes its place (once)
    (corpus / "qingdao.txt").unlink()
    summary = update_index(index_dir)
    assert summary.removed == ["qingdao"] and len(summary.added) == 1 and len(summary.duplicates) == 2
    assert len(doc_ids_for(open_engine(index_dir), "标记qingdao")) == 1

    # a full build reports the duplicate too
    rebuilt = build_index([corpus], index_dir)
    assert rebuilt.documents == 3 and len(rebuilt.duplicates) == 2


def test_several_corpora_each_document_remembers_its_own(tmp_path, capsys):
    first, second, third = (tmp_path / name for name in ("a", "b", "c"))
    for folder, city in ((first, "青岛"), (second, "烟台"), (third, "潍坊")):
        folder.mkdir()
        (folder / f"{folder.name}-doc.txt").write_text(notice(city, "养老服务", f"语料{folder.name}"), encoding="utf-8")
    extra = None
    if (EXTRA_CORPUS / "provincial-2026").is_dir():  # a real capture with its manifest, when present
        extra = tmp_path / "provincial"
        extra.mkdir()
        shutil.copy(EXTRA_CORPUS / "provincial-2026" / "2026-河北省政府工作报告.txt", extra)
        shutil.copy(EXTRA_CORPUS / "provincial-2026" / "manifest.toml", extra)
    index_dir = tmp_path / "index"
    args = ["index", "--corpus", first, "--corpus", second] + (["--corpus", extra] if extra else [])
    assert run(capsys, *args, "--index-dir", index_dir, "--quiet")[0] == 0
    code, out, _ = run(capsys, "index", "--update", "--corpus", third, "--index-dir", index_dir, "--quiet")
    assert code == 0 and "新增 1 篇" in out
    found = records(index_dir)
    assert {d: r["corpus"] for d, r in found.items() if d.endswith("-doc")} == {
        "a-doc": str(first), "b-doc": str(second), "c-doc": str(third)}
    corpora = generations.read_meta(live(index_dir))["corpora"]
    assert corpora[:2] == [str(first), str(second)] and corpora[-1] == str(third)
    if extra:
        report = found["2026-河北省政府工作报告"]
        assert report["corpus"] == str(extra)
        assert (report["title"], report["date"], report["city"], report["province"]) == (
            "2026年河北省政府工作报告", "2026-02-02", "", "河北省")
        assert {report["provenance"][k] for k in ("title", "date", "city", "doc_type")} == {"manifest"}
    # a missing corpus does not cost its documents
    shutil.rmtree(second)
    summary = update_index(index_dir)
    assert summary.removed == [] and "b-doc" in records(index_dir)
    assert any("语料目录不存在" in s.reason for s in summary.skipped)


def test_a_second_writer_is_told_the_index_is_busy(small, capsys):
    corpus, index_dir = small
    (corpus / "new.txt").write_text(notice("济宁", "低保", "忙碌标记"), encoding="utf-8")
    before = live(index_dir)
    with generations.write_lock(index_dir):
        for args in (("index", "--update", "--quiet"), ("add", corpus / "new.txt", "--quiet"), ("remove", "yantai")):
            code, out, err = run(capsys, *args, "--index-dir", index_dir)
            assert code == 2 and err.startswith("错误：") and "另一个进程" in err, (args, err)
            assert len(err.strip().splitlines()) == 1
        result = run_cli("add", corpus / "new.txt", "--index-dir", index_dir)  # a real second process
        assert result.returncode == 2 and "另一个进程" in result.stderr and "Traceback" not in result.stderr
    assert live(index_dir) == before
    assert add_paths(index_dir, [corpus / "new.txt"]).added == ["new"]


# -- kill -9 and readers during an update ------------------------------------------

def slow_batch(folder: Path, count: int) -> None:
    """``count`` distinct documents made from the seed texts: a few seconds of indexing."""
    sources = sorted(SEED.glob("*.txt"))
    for number in range(count):
        text = sources[number % len(sources)].read_text(encoding="utf-8")
        (folder / f"batch{number:03d}.txt").write_text(f"第{number}号批量测试文件，批量标记{number:03d}。\n{text}",
                                                      encoding="utf-8")


@pytest.mark.parametrize("command", ["update", "add"])
def test_kill_9_during_an_update_leaves_the_previous_index(small, tmp_path, command, kill_9_mid_write):
    corpus, index_dir = small
    batch = corpus / "batch" if command == "update" else tmp_path / "incoming"
    batch.mkdir()
    slow_batch(batch, 60)
    old = live(index_dir)
    engine = open_engine(index_dir)
    expected = [(h.doc_id, h.order) for h in engine.search("养老", limit=100).hits]
    args = ["index", "--update"] if command == "update" else ["add", str(batch)]
    abandoned = kill_9_mid_write(args + ["--index-dir", index_dir, "--quiet"], index_dir, settle=0.3)

    assert live(index_dir) == old
    assert abandoned and not any((g / generations.COMPLETE_MARKER).exists() for g in abandoned)
    assert [(h.doc_id, h.order) for h in engine.search("养老", limit=100).hits] == expected
    assert [(h.doc_id, h.order) for h in open_engine(index_dir).search("养老", limit=100).hits] == expected

    # the lock died with the process; the next run finishes the job and clears the leftover
    later = update_index(index_dir) if command == "update" else add_paths(index_dir, [batch])
    assert len(later.added) == 60
    assert not any(g.exists() for g in abandoned)
    assert doc_ids_for(engine, "批量标记059") == ["batch059"]
    engine.close()


def test_searches_answer_consistently_while_an_update_runs(small):
    corpus, index_dir = small
    slow_batch(corpus, 12)
    engine = open_engine(index_dir)
    before = engine.search("低保", limit=0).total
    process = subprocess.Popen(cli_command() + ["index", "--update", "--index-dir", str(index_dir), "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    totals = []
    while process.poll() is None:
        totals.append(engine.search("低保", limit=0).total)
        time.sleep(0.02)
    assert process.wait() == 0, process.stderr.read()
    after = engine.search("低保", limit=0).total
    assert after > before
    assert len(totals) > 5 and set(totals) <= {before, after}  # the old answer, then the new; nothing between
    engine.close()


def test_a_published_generation_that_cannot_be_opened_leaves_the_old_one_answering(small):
    corpus, index_dir = small
    engine = open_engine(index_dir)
    before = engine.search("低保", limit=0).total
    (corpus / "rizhao.txt").write_text(notice("日照", "儿童福利", "新增标记"), encoding="utf-8")
    update_index(index_dir)
    (live(index_dir) / generations.DOCUMENTS_FILE).write_text("[{", encoding="utf-8")  # damaged after publishing

    for _ in range(2):  # the failed generation is not reopened on every search
        assert engine.search("低保", limit=0).total == before
    assert any("仍在检索此前的索引" in warning for warning in engine.warnings)

    build_index([corpus], index_dir)  # the rebuild the message asks for
    assert engine.search("低保", limit=0).total > before  # a newer generation is opened again
    assert not any("仍在检索此前的索引" in warning for warning in engine.warnings)
    engine.close()


def test_facet_counts_after_updates_equal_filtered_totals(small):
    """Several segments and deleted passages: every bucket's count is what filtering by it finds."""
    corpus, index_dir = small
    (corpus / "qingdao.txt").write_text(notice("青岛", "养老服务", "改后标记"), encoding="utf-8")
    (corpus / "weifang.txt").unlink()
    (corpus / "rizhao.txt").write_text(notice("日照", "儿童福利", "新增标记"), encoding="utf-8")
    update_index(index_dir)
    engine = open_engine(index_dir)
    assert len(engine._searcher.reader().leaf_readers()) > 1 and engine._searcher.reader().has_deletions()
    response = engine.search("低保", limit=0)
    assert {b["value"] for b in response.facets["city"]} == {"青岛", "烟台", "日照"}
    for bucket in response.facets["city"]:
        assert engine.search("低保", cities=[bucket["value"]], limit=0).total == bucket["count"]
    assert sum(b["count"] for b in response.facets["year"]) == response.total
    engine.close()
