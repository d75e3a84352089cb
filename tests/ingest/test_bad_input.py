"""One bad file, manifest value or file name never stops a build, an update or an add.

Each case is a real corpus folder with one good file beside the bad one: the
bad thing is reported (``跳过 …：原因`` or a notice that a value was ignored),
the good file is indexed, and a previous index survives.
"""

from __future__ import annotations

import os

import pytest

from indexer.backends.whoosh import generations
from indexer.backends.whoosh.build import build_index
from indexer.cli.commands import main
from indexer.backends.whoosh.update import add_paths, update_index
from ingest_support import notice


def corpus_with(tmp_path, name: str = "bad.txt", text: str | None = None, manifest: bytes | None = None):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(notice("青岛", "低保", "好文件标记"), encoding="utf-8")
    if text is not None:
        (corpus / name).write_text(text, encoding="utf-8")
    if manifest is not None:
        (corpus / "manifest.toml").write_bytes(manifest)
    return corpus


def build(capsys, corpus, index_dir):
    capsys.readouterr()
    code = main(["index", "--quiet", "--corpus", str(corpus), "--index-dir", str(index_dir)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "内部错误" not in err
    return generations.read_documents(generations.current_generation(index_dir)), err


def test_front_matter_date_that_is_not_a_date_is_ignored_with_a_notice(tmp_path, capsys):
    corpus = corpus_with(tmp_path, text="---\ndate: 待定\n城市: 济南\n---\n" + notice("济南", "养老", "待定标记"))
    documents, err = build(capsys, corpus, tmp_path / "index")
    assert documents["bad"]["city"] == "济南"  # the block's other values still count
    assert documents["bad"]["provenance"]["date"] == "inferred" and documents["bad"]["date"] == "2025-03-18"
    assert "注意" in err and "date 值「待定」无法识别，已忽略" in err


@pytest.mark.parametrize("entry, field, expected, provenance", [
    ("date = 2025-05-01", "date", "2025-05-01", "manifest"),  # an unquoted TOML date is a date
    ('date = "2025年5月1日"', "date", "2025-05-01", "manifest"),
    ('year = "二〇二五"', "year", 2025, "manifest"),
    ("title = 12345", "title", "12345", "manifest"),
    ('title = "第一行\\n跳过 /etc/shadow：伪造"', "title", "第一行 跳过 /etc/shadow：伪造", "manifest"),
])
def test_manifest_values_in_any_reasonable_shape_are_used(tmp_path, capsys, entry, field, expected, provenance):
    manifest = f'[[document]]\nfile = "bad.txt"\n{entry}\n'.encode()
    corpus = corpus_with(tmp_path, text=notice("济南", "养老", "清单标记"), manifest=manifest)
    documents, _ = build(capsys, corpus, tmp_path / "index")
    assert documents["bad"][field] == expected
    assert documents["bad"]["provenance"][field] == provenance


@pytest.mark.parametrize("entry", ['year = "明年"', "date = true", "title = [1, 2]", 'authors = {name = "x"}',
                                   "year = 99999"])
def test_manifest_values_that_mean_nothing_are_ignored_with_a_notice(tmp_path, capsys, entry):
    manifest = f'[[document]]\nfile = "bad.txt"\n{entry}\ncity = "济南"\n'.encode()
    corpus = corpus_with(tmp_path, text=notice("济南", "养老", "清单标记"), manifest=manifest)
    documents, err = build(capsys, corpus, tmp_path / "index")
    assert documents["bad"]["provenance"]["city"] == "manifest"
    field = entry.split()[0]
    assert documents["bad"]["provenance"][field] != "manifest"
    assert f"清单中的 {field} 值" in err and "已忽略" in err


def test_a_manifest_whose_document_is_not_a_table_is_reported_and_the_files_indexed(tmp_path, capsys):
    corpus = corpus_with(tmp_path, text=notice("济南", "养老", "清单标记"), manifest=b"document = 5\n")
    documents, err = build(capsys, corpus, tmp_path / "index")
    assert set(documents) == {"bad", "good"}
    assert "跳过" in err and "manifest.toml：清单格式不对" in err


def test_a_manifest_saved_in_gb18030_is_read_with_a_notice(tmp_path, capsys):
    manifest = '[[document]]\nfile = "bad.txt"\ntitle = "济南市养老服务通知"\n'.encode("gb18030")
    corpus = corpus_with(tmp_path, text=notice("济南", "养老", "清单标记"), manifest=manifest)
    documents, err = build(capsys, corpus, tmp_path / "index")
    assert documents["bad"]["title"] == "济南市养老服务通知"
    assert "清单不是 UTF-8 编码，已按 gb18030 读取" in err


def test_a_gbk_file_name_is_indexed_under_its_readable_name(tmp_path, capsys):
    corpus = corpus_with(tmp_path)
    with open(os.path.join(os.fsencode(corpus), "济南养老.txt".encode("gbk")), "w", encoding="utf-8") as handle:
        handle.write(notice("济南", "养老", "文件名标记"))
    documents, err = build(capsys, corpus, tmp_path / "index")
    assert "济南养老" in documents
    assert os.path.exists(documents["济南养老"]["path"])  # the stored path still opens the file
    assert "文件名「济南养老.txt」不是 UTF-8 编码，已按 GB18030 读出" in err
    # The next update finds the file unchanged, and docs prints it.
    summary = update_index(tmp_path / "index")
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == ([], [], [], 2)
    assert main(["docs", "--index-dir", str(tmp_path / "index")]) == 0
    assert "济南养老" in capsys.readouterr().out


def test_a_newline_in_a_file_name_cannot_forge_report_lines(tmp_path, capsys):
    corpus = corpus_with(tmp_path)
    (corpus / "x\n跳过 ∕etc∕shadow：伪造.doc").write_bytes(b"old word file")
    (corpus / "y\n跳过 伪造.txt").write_text(notice("济南", "养老", "换行标记"), encoding="utf-8")
    documents, err = build(capsys, corpus, tmp_path / "index")
    lines = err.splitlines()
    assert not any(line.startswith("跳过 ∕etc") or line.startswith("跳过 伪造") for line in lines)
    assert any(line.startswith("跳过 ") and "x\\n跳过 ∕etc∕shadow：伪造.doc：" in line for line in lines)
    assert "y\\n跳过 伪造" in documents  # the id is one line too


def test_a_bad_file_added_to_a_live_index_leaves_it_working(tmp_path, capsys):
    corpus = corpus_with(tmp_path)
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir)
    bad = corpus / "bad.txt"
    bad.write_text("---\ndate: 待定\nyear: 二〇二五年度\n---\n" + notice("济南", "养老", "后加标记"), encoding="utf-8")
    (corpus / "manifest.toml").write_text('[[document]]\nfile = "good.txt"\ntitle = 12345\n', encoding="utf-8")
    summary = update_index(index_dir)
    assert (sorted(summary.added), summary.updated) == (["bad"], ["good"])
    documents = generations.read_documents(generations.current_generation(index_dir))
    assert documents["bad"]["year"] == 2025 and documents["good"]["title"] == "12345"
    (corpus / "manifest.toml").write_bytes(b"document = 5\n")
    summary = add_paths(index_dir, [corpus])
    assert any("清单格式不对" in s.reason for s in summary.skipped)
    assert generations.current_generation(index_dir).exists()
