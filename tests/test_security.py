"""Security promises of issue 14: an index is data, never code; paths and names cannot be turned against the user."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from indexer.backends.whoosh import generations
from tests.ingest_support import run_cli


class _RunsACommand:
    """Pickles as a call of os.system: what a planted index would hold."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _copy_index(index_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy, symlinks=True)
    return copy


def test_an_index_whose_schema_pickle_would_run_a_command_is_refused(index_dir, tmp_path):
    from whoosh import index as whoosh_index
    from whoosh.filedb.filestore import FileStorage

    copy = _copy_index(index_dir, tmp_path)
    generation = generations.current_generation(copy)
    storage = FileStorage(str(generation))
    toc = whoosh_index.TOC.read(storage, "MAIN")
    marker = tmp_path / "command-ran"
    toc.schema._fields["passage"].planted = _RunsACommand(marker)  # pickled into _MAIN_*.toc with the schema
    for old in generation.glob("_MAIN_*.toc"):
        old.unlink()
    toc.write(storage, "MAIN")
    result = run_cli("search", "养老服务", "--index-dir", copy)
    assert not marker.exists(), "the planted pickle ran a command"
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "拒绝" in lines[0] and "posix.system" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_posting_blocks_and_stored_fields_are_read_with_the_restricted_unpickler(tmp_path):
    import whoosh.codec.whoosh3
    import whoosh.columns
    import whoosh.filedb.structfile

    from indexer.backends.whoosh import evaluate
    from indexer.backends.whoosh import safe_pickle

    marker = tmp_path / "command-ran"
    planted = pickle.dumps(_RunsACommand(marker), 2)
    for loads in (evaluate.loads, whoosh.codec.whoosh3.loads, whoosh.columns.loads):
        with pytest.raises(safe_pickle.UnsafeIndex):
            loads(planted)
    import io
    with pytest.raises(safe_pickle.UnsafeIndex):
        whoosh.filedb.structfile.load_pickle(io.BytesIO(planted))
    assert not marker.exists()


def test_a_docx_zip_bomb_is_skipped_with_a_reason(tmp_path, monkeypatch):
    from indexer.ingest import readers
    from indexer.backends.whoosh.build import build_index
    from tests.ingest_support import notice, write_docx

    monkeypatch.setattr(readers.base, "MAX_UNPACKED_BYTES", 1024 * 1024)  # a modest bomb against a lowered limit
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(notice("青岛", "养老服务", "子标记"), encoding="utf-8")
    write_docx(corpus / "bomb.docx", [("Title", "青岛市民政局通知"), ("", "养老服务" * 400_000)])
    assert (corpus / "bomb.docx").stat().st_size < 200_000
    summary = build_index([corpus], tmp_path / "idx")
    reasons = {Path(s.path).name: s.reason for s in summary.skipped}
    assert "压缩炸弹" in reasons.get("bomb.docx", ""), reasons
    assert summary.documents == 1


def test_jieba_cache_lives_in_a_private_per_user_folder(tmp_path, monkeypatch):
    from indexer.text import jieba_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = jieba_cache.private_cache_dir()
    assert folder == tmp_path / "cache" / "policy-search"
    assert folder.stat().st_mode & 0o777 == 0o700
    folder.chmod(0o777)  # someone opened it up: no longer ours alone, so a fresh private folder is used
    other = jieba_cache.private_cache_dir()
    assert other != folder and other.stat().st_mode & 0o077 == 0
    shutil.rmtree(other)


def test_a_planted_or_shared_jieba_cache_file_is_not_trusted(tmp_path):
    import jieba

    from indexer.text import segmentation
    from indexer.text import jieba_cache

    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)

    def tokenizer():
        fresh = jieba.Tokenizer()
        fresh.tmp_dir = str(folder)
        return fresh

    reference = tokenizer()
    reference.initialize()
    reference.load_userdict(str(segmentation.USER_DICTIONARY))
    segmentation.save_cached(reference, segmentation.USER_DICTIONARY, jieba_cache.user_words(segmentation.USER_DICTIONARY))
    (cache_file,) = folder.glob("policy-search-*.jieba")
    assert segmentation.load_cached(tokenizer(), segmentation.USER_DICTIONARY)
    cache_file.chmod(0o666)  # writable by anyone: it could have been swapped
    assert not segmentation.load_cached(tokenizer(), segmentation.USER_DICTIONARY)
    cache_file.chmod(0o600)
    folder.chmod(0o777)  # the file is ours, but anyone could replace it through the folder
    assert not segmentation.load_cached(tokenizer(), segmentation.USER_DICTIONARY)


def test_word_and_pdf_files_that_take_too_long_to_parse_are_skipped_with_a_reason(tmp_path, monkeypatch):
    from indexer.ingest import readers
    from indexer.backends.whoosh.build import build_index
    from tests.ingest_support import make_pdf, notice, write_docx

    monkeypatch.setattr(readers.base, "MAX_PARSE_SECONDS", -1.0)  # every file is already over its time
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(notice("青岛", "养老服务", "子标记"), encoding="utf-8")
    write_docx(corpus / "slow.docx", [("Title", "青岛市民政局通知"), ("", "养老服务补贴发放。")])
    (corpus / "slow.pdf").write_bytes(make_pdf([["青岛市民政局通知", "养老服务补贴发放。"]]))
    summary = build_index([corpus], tmp_path / "idx")
    reasons = {Path(s.path).name: s.reason for s in summary.skipped}
    assert "解析超时" in reasons.get("slow.docx", "") and "解析超时" in reasons.get("slow.pdf", ""), reasons
    assert summary.documents == 1
