"""Metadata (manifest, front-matter, inference with provenance) and bad files (reported, never fatal)."""

from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys

import pytest

from indexer.backends.whoosh import generations
from indexer.backends.whoosh.build import build_index
from indexer.cli.commands import main
from indexer.ingest.corpus import load
from indexer.ingest.front_matter import checked_values, parse_front_matter
from indexer.ingest.metadata import Inference, infer_title
from indexer.ingest.places import infer_city
from indexer.backends.whoosh.engine import open_engine
from indexer.backends.whoosh.update import update_index
from ingest_support import PROJECT_ROOT, notice, write_big_text


def run(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# -- inference -----------------------------------------------------------------

def test_title_skips_page_chrome_and_breadcrumbs():
    captured = ("网易首页 > 网易号 > 正文\n下载\n打印\n全屏\n【字号：\n加大\n】\n"
                "您的位置:\n首页\n>\n青岛要闻\n青岛要闻\n"
                "青岛市民政局关于提高城乡低保标准的通知\n来源：青岛日报\n时间：2025-06-01\n各区民政局：\n正文。")
    assert infer_title(captured, "fallback") == "青岛市民政局关于提高城乡低保标准的通知"


def test_title_under_a_cover_letter_salutation_and_none_in_a_bare_speech():
    cover = "各区、市人民政府，市政府各部门：\n现将实施方案印发给你们，请认真贯彻执行。\n青岛市民政事业高质量发展实施方案(2025—2027年)\n一、总体要求"
    assert infer_title(cover, "x") == "青岛市民政事业高质量发展实施方案(2025—2027年)"
    speech = "各位代表：\n现在，我代表国务院向大会作政府工作报告，请予审议。\n过去五年的回顾\n五年来成就巨大。"
    assert infer_title(speech, "1983-国务院政府工作报告") == "1983-国务院政府工作报告"  # a section heading is no title


@pytest.mark.parametrize("text, date", [
    ("某某通知\n成文日期：2025年5月28日\n……2025年12月1日起施行。", "2025-05-28"),  # labelled wins
    ("某某通知\n正文提到2026年1月1日起施行。\n青岛市民政局\n2025年5月28日\n", "2025-05-28"),  # signature line
    ("回顾2023年3月1日和2024年11月5日的两次会议。", ""),  # dates merely mentioned are not the document's
    ("某某报告\n——2017年3月5日在第十二届全国人民代表大会第五次会议上\n各位代表：", "2017-03-05"),  # delivery line
    ("某某报告\n——2025年1月16日省长 李乐成在辽宁省第十四届人民代表大会第三次会议上的讲话\n正文。", "2025-01-16"),
    ("2026年02月10日 07时41分 四川日报\n分享：\n各位代表：", "2026-02-10"),  # a page's dateline
    ("下载\n时间：2026-02-09\n——2026年2月3日在大会上", "2026-02-09"),  # a page's publication time
    ("没有日期的文本。", ""),
])
def test_date_inference(text, date):
    inference = Inference()
    inference.feed_text(text)
    assert inference.date() == date


def test_city_from_full_names_and_districts_not_from_ordinary_words():
    assert infer_city("关于养老服务的通知", "崂山区、市南区和黄岛区的养老服务中心已经建成。")[0] == "青岛"
    assert infer_city("关于养老服务的通知", "青岛市养老服务中心，青岛养老服务，青岛市民政局。")[0] == "青岛"
    assert infer_city("工作总结", "我们在中山公园举办活动，东方红歌声嘹亮。") == ("", "")


@pytest.mark.parametrize("title, body, doc_type", [
    ("烟台市民政局关于做好殡葬服务的通知", "正文", "政策文件"),
    ("养老服务体系建设实施方案(2025—2027年)", "正文", "政策文件"),
    ("关于加强社会组织管理的意见", "正文", "政策文件"),
    ("青岛低保标准全省最高", "本报讯 记者 张三 日前从市民政局获悉", "新闻报道"),
    ("婚姻登记处地址一览", "市南区婚姻登记处位于香港中路。", "其他"),
])
def test_document_type_from_the_title(tmp_path, title, body, doc_type):
    path = tmp_path / "doc.txt"
    path.write_text(f"{title}\n{body}。城乡低保标准每人每月提高到1000元，养老服务中心覆盖全部街道。\n", encoding="utf-8")
    document = load(path, tmp_path).document
    assert (document.title, document.doc_type) == (title, doc_type)
    assert document.provenance["doc_type"] == "inferred"


# -- front-matter and manifest -------------------------------------------------

YAML_DOC = ("---\n标题: 临沂市特困人员供养工作指引\ncity: 临沂\n日期: 2024年7月9日\nsource: \"临沂市民政局\"\n"
            "authors: [王五, 赵六]\n---\n" + notice("青岛", "特困供养", "文件头标记"))
TOML_DOC = ('+++\ntitle = "德州市慈善工作要点"\ncity = "德州"\ndate = 2023-03-15\ndoc_type = "工作要点"\n+++\n'
            + notice("青岛", "慈善", "TOML标记"))


def test_yaml_front_matter_overrides_inference(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text(YAML_DOC, encoding="utf-8")
    loaded = load(path, tmp_path)
    document = loaded.document
    assert (document.title, document.city, document.province, document.date, document.year) == (
        "临沂市特困人员供养工作指引", "临沂", "山东省", "2024-07-09", 2024)
    assert document.source == "临沂市民政局" and document.authors == ["王五", "赵六"]
    assert {k: document.provenance[k] for k in ("title", "city", "date", "source", "doc_type")} == {
        "title": "front-matter", "city": "front-matter", "date": "front-matter", "source": "front-matter",
        "doc_type": "inferred"}
    texts = [p.text for p in loaded.passages()]
    assert not any("city:" in t or "标题:" in t or t == "---" for t in texts)  # the block is not body text
    assert any("文件头标记" in t for t in texts)


def test_toml_front_matter(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text(TOML_DOC, encoding="utf-8")
    document = load(path, tmp_path).document
    assert (document.title, document.city, document.date, document.doc_type) == ("德州市慈善工作要点", "德州", "2023-03-15", "工作要点")
    assert document.provenance["doc_type"] == "front-matter"


def test_an_unclosed_dash_line_is_not_front_matter(tmp_path):
    path = tmp_path / "dash.txt"
    path.write_text("---\n" + notice("潍坊", "低保", "无文件头标记"), encoding="utf-8")
    document = load(path, tmp_path).document
    assert document.title == "潍坊市民政局关于做好低保工作的通知"
    assert "front-matter" not in document.provenance.values()


def test_front_matter_parser_keys_and_values():
    fields, notices = checked_values(
        parse_front_matter("---", ["类型: 通知", "年份: 2021", "作者: 张三、李四", "unknown: x", "# comment: no"]), "文件头")
    assert (fields, notices) == ({"doc_type": "通知", "year": 2021, "authors": ["张三", "李四"]}, [])


def test_manifest_wins_over_front_matter_and_provincial_city_stays_empty(tmp_path):
    (tmp_path / "guide.md").write_text(YAML_DOC, encoding="utf-8")
    (tmp_path / "manifest.toml").write_text(
        '[[document]]\nfile = "guide.md"\ntitle = "清单中的标题"\nregion_level = "provincial"\nprovince = "山东省"\n'
        'city = ""\nyear = 2024\n', encoding="utf-8")
    index_dir = tmp_path / "index"
    build_index([tmp_path], index_dir)
    record = generations.read_documents(generations.current_generation(index_dir))["guide"]
    assert (record["title"], record["city"], record["province"]) == ("清单中的标题", "", "山东省")
    assert record["provenance"]["title"] == record["provenance"]["city"] == "manifest"
    assert (record["date"], record["provenance"]["date"]) == ("2024-07-09", "front-matter")


def test_docs_lists_every_document_with_where_each_value_came_from(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "guide.md").write_text(YAML_DOC, encoding="utf-8")
    (corpus / "plain.txt").write_text(notice("烟台", "临时救助", "推断标记", date="2025年5月28日"), encoding="utf-8")
    (corpus / "seed.txt").write_text(notice("济南", "养老服务", "清单标记"), encoding="utf-8")
    (corpus / "manifest.toml").write_text('[[document]]\nfile = "seed.txt"\ncity = "青岛"\ndate = "2025-01-02"\n',
                                          encoding="utf-8")
    index_dir = tmp_path / "index"
    assert run(capsys, "index", "--corpus", corpus, "--index-dir", index_dir, "--quiet")[0] == 0
    code, out, err = run(capsys, "docs", "--index-dir", index_dir)
    assert code == 0
    lines = {line.split("  ")[0]: line for line in out.strip().splitlines()}
    assert set(lines) == {"guide", "plain", "seed"}
    assert "城市=青岛(清单)" in lines["seed"] and "日期=2025-01-02(清单)" in lines["seed"]
    assert "城市=烟台(推断)" in lines["plain"] and "日期=2025-05-28(推断)" in lines["plain"]
    assert "类型=政策文件(推断)" in lines["plain"] and "标题=《烟台市民政局关于做好临时救助工作的通知》(推断)" in lines["plain"]
    assert "城市=临沂(文件头)" in lines["guide"] and "段落=" in lines["guide"]
    code, out, _ = run(capsys, "docs", "--index-dir", index_dir, "--json")
    records = {d["doc_id"]: d for d in json.loads(out)}
    assert records["seed"]["corpus"] == str(corpus) and records["plain"]["provenance"]["city"] == "inferred"


# -- bad files -----------------------------------------------------------------

def make_bad_files(corpus):
    """Every kind of bad file next to the good ones; returns {file name: words its reason must contain}."""
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "blank.txt").write_bytes(b"  \n\n\t \n")
    (corpus / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    (corpus / "garbage.txt").write_bytes(bytes((i * 37 + 11) % 256 or 1 for i in range(6000)))
    (corpus / "english.txt").write_text("Minutes of the meeting. Nothing here is in Chinese.\n" * 40, encoding="utf-8")
    os.symlink("loop-b.txt", corpus / "loop-a.txt")
    os.symlink("loop-a.txt", corpus / "loop-b.txt")
    os.symlink("nowhere.txt", corpus / "dangling.txt")
    (corpus / "sub").mkdir()
    os.symlink("..", corpus / "sub" / "up")  # a folder loop
    os.mkfifo(corpus / "pipe.txt")
    (corpus / "locked.txt").write_text(notice("泰安", "低保", "上锁标记"), encoding="utf-8")
    os.chmod(corpus / "locked.txt", 0)
    (corpus / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0 old word")
    (corpus / "README.md").write_text("这是语料说明，不是文档。" * 5, encoding="utf-8")  # passed over silently
    return {
        "empty.txt": "空文件", "blank.txt": "空文件", "image.txt": "二进制", "garbage.txt": "无法解码",
        "english.txt": "没有中文", "loop-a.txt": "符号链接循环", "loop-b.txt": "符号链接循环",
        "dangling.txt": "不存在", "up": "符号链接循环", "pipe.txt": "不是普通文件", "locked.txt": "没有读取权限",
        "old.doc": ".docx",
    }


@pytest.fixture
def unreadable(monkeypatch):
    """Tests run as root, who reads a chmod-000 file anyway: opening ``locked.txt`` fails as it would for a user."""
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if str(file).endswith("locked.txt"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)


def reasons(skipped) -> dict[str, str]:
    return {os.path.basename(s.path): s.reason for s in skipped}


def test_bad_files_are_reported_and_nothing_indexed_is_lost(tmp_path, unreadable):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good-1.txt").write_text(notice("青岛", "养老服务", "完好标记一"), encoding="utf-8")
    (corpus / "good-2.txt").write_text(notice("烟台", "殡葬改革", "完好标记二"), encoding="utf-8")
    index_dir = tmp_path / "index"
    first = build_index([corpus], index_dir)
    assert first.documents == 2 and first.skipped == []
    before = generations.read_documents(generations.current_generation(index_dir))

    expected = make_bad_files(corpus)
    summary = update_index(index_dir)  # the run completes
    got = reasons(summary.skipped)
    assert set(got) == set(expected), got
    for name, words in expected.items():
        assert words in got[name], (name, got[name])
    assert (summary.added, summary.removed, summary.unchanged) == ([], [], 2)
    engine = open_engine(index_dir)
    for marker, doc_id in (("完好标记一", "good-1"), ("完好标记二", "good-2")):
        assert [h.doc_id for h in engine.search(f'"{marker}"').hits] == [doc_id]
    assert generations.read_documents(generations.current_generation(index_dir)) == before

    rebuilt = build_index([corpus], index_dir)  # a full build with the bad files completes too
    assert rebuilt.documents == 2 and set(reasons(rebuilt.skipped)) == set(expected)
    engine.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod-000 file; covered by the monkeypatched test")
def test_chmod_000_file_is_reported(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(notice("青岛", "养老服务", "完好标记"), encoding="utf-8")
    (corpus / "locked.txt").write_text(notice("泰安", "低保", "上锁标记"), encoding="utf-8")
    os.chmod(corpus / "locked.txt", 0)
    summary = build_index([corpus], tmp_path / "index")
    assert summary.documents == 1 and "没有读取权限" in reasons(summary.skipped)["locked.txt"]


def test_a_file_that_turns_bad_keeps_its_indexed_version(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "doc.txt").write_text(notice("青岛", "养老服务", "旧版标记"), encoding="utf-8")
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir)
    (corpus / "doc.txt").write_bytes(bytes((i * 37 + 11) % 256 or 1 for i in range(6000)))
    summary = update_index(index_dir)
    assert "保留此前索引的版本" in reasons(summary.skipped)["doc.txt"]
    assert summary.updated == [] and summary.removed == []
    assert [h.doc_id for h in open_engine(index_dir).search('"旧版标记"').hits] == ["doc"]


def test_a_file_whose_new_version_cleans_to_nothing_keeps_its_passages(tmp_path):
    """The new version reads fine but has no passage: the old passages must stay searchable, and must still
    be there after the file is restored (same bytes as the kept record, so the next update skips it)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    original = notice("青岛", "养老服务", "保留标记")
    (corpus / "doc.txt").write_text(original, encoding="utf-8")
    (corpus / "other.txt").write_text(notice("烟台", "殡葬改革", "旁证标记"), encoding="utf-8")
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir)
    (corpus / "doc.txt").write_text("来源：青岛市民政局网站\n作者：青岛市民政局办公室\n", encoding="utf-8")
    summary = update_index(index_dir)
    assert "保留此前索引的版本" in reasons(summary.skipped)["doc.txt"]
    assert [h.doc_id for h in open_engine(index_dir).search('"保留标记"').hits] == ["doc"]
    (corpus / "doc.txt").write_text(original, encoding="utf-8")
    assert update_index(index_dir).changed is False
    assert [h.doc_id for h in open_engine(index_dir).search('"保留标记"').hits] == ["doc"]


def test_a_few_corrupted_bytes_are_replaced_and_noted(tmp_path):
    path = tmp_path / "gb.txt"
    data = (notice("青岛", "养老服务", "替换标记") * 3).encode("gb18030")
    path.write_bytes(data[:200] + b"\xff" + data[200:])
    loaded = load(path, tmp_path)
    assert loaded.document.encoding == "gb18030"
    assert any("替换标记" in p.text for p in loaded.passages())
    assert loaded.notes and "无法" in loaded.notes[0]


# -- a 50 MB file ----------------------------------------------------------------

PEAK_SCRIPT = """
import resource, sys
from indexer.cli.commands import main
code = main(sys.argv[1:])
print("PEAK_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "EXIT", code)
"""


def peak_rss_mb(*args) -> tuple[float, subprocess.CompletedProcess]:
    completed = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, *map(str, args)], capture_output=True, text=True,
                               encoding="utf-8", cwd=PROJECT_ROOT, timeout=600)
    line = next(line for line in completed.stdout.splitlines() if line.startswith("PEAK_KB"))
    assert line.endswith("EXIT 0"), completed.stderr
    return int(line.split()[1]) / 1024, completed


def test_a_50_mb_text_file_is_indexed_in_bounded_memory(tmp_path):
    """Streamed twice (metadata, then passages): peak memory barely moves although the file is 50 MB.

    A reader that held the file would add at least its decoded text (~35 MB
    as a Python str) plus its lines; the bound below is well under that.
    """
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "small.txt").write_text(notice("青岛", "养老服务", "小文件标记"), encoding="utf-8")
    big = tmp_path / "big.txt"
    size = write_big_text(big, 50 * 1024 * 1024, "# 青岛市养老服务统计汇编\n开头标记：甲乙丙丁戊己庚辛。\n",
                          "\n结尾标记：子丑寅卯辰巳午未。\n")
    assert size >= 50 * 1024 * 1024
    index_dir = tmp_path / "index"
    baseline, _ = peak_rss_mb("index", "--corpus", corpus, "--index-dir", index_dir, "--quiet")
    peak, completed = peak_rss_mb("add", big, "--index-dir", index_dir, "--quiet")
    print(f"\n50 MB file: peak RSS {peak:.0f} MB (small-corpus build {baseline:.0f} MB)")
    assert peak - baseline < 30, (peak, baseline)
    engine = open_engine(index_dir)
    assert [h.doc_id for h in engine.search('"结尾标记"').hits] == ["big"]  # read to the very end
    assert [h.doc_id for h in engine.search('"小文件标记"').hits] == ["small"]
    record = engine.document("big")
    assert record["title"] == "青岛市养老服务统计汇编" and record["characters"] > 0
    engine.close()
