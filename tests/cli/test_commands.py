"""The ``policy-search`` command line: the JSON contract, filters, the index location, errors without tracebacks."""

from __future__ import annotations

import re

import pytest

from indexer.config import INDEX_ENV_VAR, PROJECT_ROOT, default_index_dir
from indexer.text.script import to_simplified
from indexer.backends.whoosh.generations import current_generation, read_meta

HIT_TYPES = {"rank": int, "score": (int, float), "doc_id": str, "title": str, "city": str, "year": int,
             "date": str, "source": str, "section": list, "passage": str, "highlight": str, "citation": str}
SUMMARY = re.compile(r"完成：(\d+) 篇文档，(\d+) 个段落，(\d+) 字，用时 ([\d.]+) 秒；跳过 (\d+) 个文件。")


def fold(text: str) -> str:
    return to_simplified(text).lower()


def assert_contract(data: dict, query: str):
    assert {"query", "total", "facets", "hits"} <= set(data)
    assert data["query"] == query
    assert isinstance(data["total"], int) and not isinstance(data["total"], bool)
    assert {"city", "year"} <= set(data["facets"])
    for name in ("city", "year"):
        for bucket in data["facets"][name]:
            assert set(bucket) == {"value", "count"}
            assert isinstance(bucket["value"], int if name == "year" else str)
            assert isinstance(bucket["count"], int)
    for position, hit in enumerate(data["hits"]):
        assert set(HIT_TYPES) <= set(hit)
        for name, kind in HIT_TYPES.items():
            assert isinstance(hit[name], kind) and not isinstance(hit[name], bool), name
        assert all(isinstance(heading, str) for heading in hit["section"])
        assert hit["rank"] == data["hits"][0]["rank"] + position


def one_line_error(result):
    assert result.code == 2, (result.code, result.err)
    assert "Traceback" not in result.err + result.out
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith("错误：")
    assert re.search(r"[\u4e00-\u9fff]", result.err_lines[0][3:])


# -- search --json ------------------------------------------------------------------

def test_search_json_matches_the_contract_and_the_api(cli, engine):
    result = cli("search", "养老服务", "--json", "--limit", "7")
    assert result.code == 0, result.err
    data = result.json()
    assert_contract(data, "养老服务")
    api = engine.search("养老服务", limit=7)
    assert data["total"] == api.total
    assert len(data["hits"]) == 7
    assert [(h["doc_id"], h["passage"]) for h in data["hits"]] == [(h.doc_id, h.passage) for h in api.hits]
    assert data["facets"]["city"] == [{"value": b["value"], "count": b["count"]} for b in api.facets["city"]]
    assert result.out.count("\n") == 1  # one JSON object on one line


def test_json_keeps_chinese_readable(cli):
    result = cli("search", "养老服务", "--json", "--limit", "1")
    assert "养老服务" in result.out or "養老服務" in result.out


def test_traditional_query_returns_at_least_four_documents(cli):
    data = cli("search", "養老服務", "--json", "--limit", "100").json()
    assert_contract(data, "養老服務")
    assert len({hit["doc_id"] for hit in data["hits"]}) >= 4


def test_city_filter_returns_only_that_city(cli):
    data = cli("search", "养老", "--city", "烟台", "--json", "--limit", "100").json()
    assert data["hits"]
    assert {hit["city"] for hit in data["hits"]} == {"烟台"}
    unfiltered = cli("search", "养老", "--json", "--limit", "0").json()
    assert data["total"] == next(b["count"] for b in unfiltered["facets"]["city"] if b["value"] == "烟台")


def test_several_cities_and_years(cli):
    data = cli("search", "养老", "--city", "烟台", "--city", "聊城", "--year", "2025", "--year", "2026",
               "--json", "--limit", "100").json()
    assert data["hits"]
    assert {hit["city"] for hit in data["hits"]} <= {"烟台", "聊城"}
    assert {hit["year"] for hit in data["hits"]} <= {2025, 2026}
    # disjunctive: the city facet ignores the city selection but honours the year selection
    by_year = cli("search", "养老", "--year", "2025", "--year", "2026", "--json", "--limit", "0").json()
    assert data["facets"]["city"] == by_year["facets"]["city"]


@pytest.mark.parametrize("query", ["特朗普", "孙俪", "翁帆"])
def test_chrome_words_return_no_hit(cli, query):
    data = cli("search", query, "--json").json()
    assert data["total"] == 0 and data["hits"] == []


def test_offset_pages(cli):
    first = cli("search", "养老", "--json", "--limit", "4").json()
    second = cli("search", "养老", "--json", "--limit", "4", "--offset", "4").json()
    both = cli("search", "养老", "--json", "--limit", "8").json()
    assert [h["rank"] for h in second["hits"]] == [5, 6, 7, 8]
    assert [(h["doc_id"], h["passage"]) for h in first["hits"] + second["hits"]] == \
           [(h["doc_id"], h["passage"]) for h in both["hits"]]


def test_text_output(cli):
    result = cli("search", "养老服务", "--limit", "2")
    assert result.code == 0
    assert re.search(r"共 \d+ 个段落", result.out)
    assert "城市：" in result.out and "年份：" in result.out
    assert "【养老服务】" in result.out or "【養老服務】" in result.out
    assert "<mark>" not in result.out and "[1]" in result.out and "[3]" not in result.out


# -- malformed queries ---------------------------------------------------------------------

UNSEARCHABLE = {"lone minus": "-", "only punctuation": "，。！？", "empty": "", "blank": "   ",
                "only exclusions": "-养老 -青岛", "stray field alone": "title:", "empty quotes": '""'}


@pytest.mark.parametrize("query", UNSEARCHABLE.values(), ids=UNSEARCHABLE.keys())
@pytest.mark.parametrize("as_json", [False, True])
def test_unsearchable_query_is_one_line_exit_2(cli, query, as_json):
    result = cli("search", query, *(["--json"] if as_json else []))
    one_line_error(result)
    assert result.out == ""


@pytest.mark.parametrize("query", ["-养老", '-"城市低保"'])
def test_single_exclusion_argument_is_one_line_exit_2(cli, query):
    one_line_error(cli("search", query))


def test_single_exclusion_after_double_dash(cli):
    one_line_error(cli("search", "--", "-养老"))


REPAIRED = {"unbalanced quote": '"养老服务', "ten thousand chars": "养老 " * 3400, "stray field": "title:养老",
            "lone minus among words": "养老 -", "huge single word": "养" * 10_000}


@pytest.mark.parametrize("query", REPAIRED.values(), ids=REPAIRED.keys())
def test_repaired_query_exits_0_with_a_notice(cli, query):
    result = cli("search", query, "--limit", "3")
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    assert "提示：" in result.out
    data = cli("search", query, "--json", "--limit", "3").json()
    assert data["notices"]
    assert_contract(data, query)


def test_bad_year_is_a_usage_error(cli):
    result = cli("search", "养老", "--year", "二〇二五")
    assert result.code == 2
    assert "Traceback" not in result.err
    assert "年份应为数字" in result.err


def test_no_command_prints_help(cli):
    result = cli()
    assert result.code == 2
    assert "policy-search" in result.out


# -- where the index is ----------------------------------------------------------------------

def test_default_index_dir(monkeypatch, tmp_path):
    monkeypatch.delenv(INDEX_ENV_VAR, raising=False)
    assert default_index_dir() == PROJECT_ROOT / "index"
    monkeypatch.setenv(INDEX_ENV_VAR, str(tmp_path))
    assert default_index_dir() == tmp_path


def test_search_honours_the_environment_variable(cli, monkeypatch, tmp_path, index_dir):
    empty = tmp_path / "no-index-here"
    monkeypatch.setenv(INDEX_ENV_VAR, str(empty))
    result = cli("search", "养老")
    one_line_error(result)
    assert str(empty) in result.err
    # --index-dir wins over the variable
    assert cli("search", "养老", "--index-dir", index_dir).code == 0
    monkeypatch.setenv(INDEX_ENV_VAR, str(index_dir))
    assert cli("search", "养老", "--json").json()["total"] > 0


def test_missing_index_is_one_line(cli, tmp_path):
    result = cli("search", "养老", "--index-dir", tmp_path / "absent")
    one_line_error(result)
    assert "policy-search index" in result.err


# -- index ---------------------------------------------------------------------------------------

def test_index_prints_a_summary_line(cli, corpus_dir, tmp_path, build_summary):
    target = tmp_path / "idx"
    result = cli("index", "--corpus", corpus_dir, "--index-dir", target)
    assert result.code == 0, result.err
    lines = result.out.strip().splitlines()
    assert len(lines) == 1
    match = SUMMARY.fullmatch(lines[0])
    assert match, lines[0]
    documents, passages, characters, _, skipped = match.groups()
    meta = read_meta(current_generation(target))
    assert int(documents) == meta["documents"] == len(list(corpus_dir.glob("*.txt")))
    assert int(passages) == meta["passages"] == build_summary.passages
    assert int(characters) == meta["characters"] == build_summary.characters
    assert int(skipped) == 0
    assert "建立索引" in result.err  # the progress bar


def test_index_quiet_has_no_progress_bar(cli, corpus_dir, tmp_path):
    result = cli("index", "--corpus", corpus_dir, "--index-dir", tmp_path / "idx", "--quiet")
    assert result.code == 0
    assert result.err == ""
    assert SUMMARY.fullmatch(result.out.strip())


def test_index_uses_the_environment_variable(cli, corpus_dir, tmp_path, monkeypatch):
    target = tmp_path / "from-env"
    monkeypatch.setenv(INDEX_ENV_VAR, str(target))
    assert cli("index", "--corpus", corpus_dir, "--quiet").code == 0
    assert (target / "current").exists()
    assert cli("search", "养老", "--json").json()["total"] > 0


def test_index_missing_corpus_is_one_line(cli, tmp_path):
    result = cli("index", "--corpus", tmp_path / "nowhere", "--index-dir", tmp_path / "idx")
    one_line_error(result)
    assert not (tmp_path / "idx" / "current").exists()


def test_index_counts_skipped_files(cli, corpus_dir, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    source = next(corpus_dir.glob("003_*.txt"))
    (corpus / source.name).write_bytes(source.read_bytes())
    (corpus / "copy.txt").write_bytes(source.read_bytes())  # same content: skipped as a duplicate
    result = cli("index", "--corpus", corpus, "--index-dir", tmp_path / "idx", "--quiet")
    assert result.code == 0
    documents, _, _, _, skipped = SUMMARY.fullmatch(result.out.strip()).groups()
    assert (int(documents), int(skipped)) == (1, 1)
    assert "跳过" in result.err


# -- a real process ------------------------------------------------------------------------------

def test_console_script_search_json(cli_process, engine):
    result = cli_process("search", "養老服務", "--json", "--limit", "100")
    assert result.code == 0, result.err
    data = result.json()
    assert_contract(data, "養老服務")
    assert data["total"] == engine.search("養老服務", limit=0).total
    assert len({hit["doc_id"] for hit in data["hits"]}) >= 4


def test_console_script_errors_without_traceback(cli_process, tmp_path):
    result = cli_process("search", "，。！？")
    one_line_error(result)
    result = cli_process("search", "养老", env={INDEX_ENV_VAR: str(tmp_path / "none")})
    one_line_error(result)
    assert str(tmp_path / "none") in result.err


def test_console_script_uses_the_environment_variable(cli_process, index_dir):
    result = cli_process("search", "养老", "--city", "烟台", "--json", env={INDEX_ENV_VAR: str(index_dir)})
    assert result.code == 0
    data = result.json()
    assert data["hits"] and {hit["city"] for hit in data["hits"]} == {"烟台"}
