"""``policy-search``: build the index and search it from a terminal or a script."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from indexer.api import (DEFAULT_CORPUS_DIR, BuildFailed, IndexBusy, IndexMissing, NotAnIndex, QueryError, UserError,
                         default_index_dir)
from indexer.cli.search import run_export, run_figures, run_search, run_similar, run_timeline

EXIT_USAGE = 2
QUERY_COMMANDS = ("search", "figures", "timeline", "export")  # commands whose first argument is a query
FORMAT_CHOICES = ("md", "docx", "csv", "ris")  # indexer.engine.export.FORMATS, named here so --help needs no import


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_protect_exclusion_query(sys.argv[1:] if argv is None else argv))
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.handler(args) or 0
    except (UserError, QueryError, IndexMissing, IndexBusy, NotAnIndex) as error:
        print(f"错误：{error}", file=sys.stderr)
        return EXIT_USAGE
    except BuildFailed as error:
        if os.environ.get("POLICY_SEARCH_DEBUG"):
            traceback.print_exc()
        print(f"错误：索引未更新，原索引不变。{error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("POLICY_SEARCH_DEBUG"):
            traceback.print_exc()
        print(f"内部错误：{type(error).__name__}: {error}（设置 POLICY_SEARCH_DEBUG=1 查看详情）", file=sys.stderr)
        return 1


def _protect_exclusion_query(argv: list[str]) -> list[str]:
    """``search -养老``: a query may start with the exclusion sign, which argparse takes for an option.

    Such an argument (a dash not followed by an ASCII option name) moves behind ``--``.
    """
    if not argv or argv[0] not in QUERY_COMMANDS or "--" in argv:
        return argv
    is_query = [len(a) > 1 and a[0] == "-" and not (a[1].isascii() and (a[1].isalnum() or a[1] == "-")) for a in argv]
    if not any(is_query):
        return argv
    return [a for a, q in zip(argv, is_query) if not q] + ["--"] + [a for a, q in zip(argv, is_query) if q]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policy-search", description="民政政策检索：建立索引并检索政策文本段落。")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    index = commands.add_parser("index", help="从语料目录建立索引")
    index.add_argument("--corpus", action="append", type=Path, help="语料目录，可重复（默认 corpus/）")
    _index_dir_option(index)
    index.add_argument("--quiet", action="store_true", help="不显示进度条")
    index.add_argument("--follow-links", action="store_true",
                       help="也读取指向语料目录之外的符号链接（默认跳过并报告）")
    index.add_argument("--update", action="store_true",
                       help="增量更新：只读新增、改动、删除的文件（按内容哈希），并登记 --corpus 给出的新语料目录")
    index.set_defaults(handler=run_index)

    from indexer.cli.collection import add_parsers
    add_parsers(commands, _index_dir_option)
    _cluster_parsers(commands)

    search = commands.add_parser("search", help="检索段落")
    search.add_argument("query", nargs="?", help='检索式：空格分隔的词都要出现；"短语"；-排除；A OR B')
    search.add_argument("--batch", type=Path, metavar="FILE",
                        help="每行一个检索式，在一个进程里逐个检索；配合 --json 每行输出一个带 took_ms 的 JSON 对象")
    _filter_options(search)
    _sort_option(search)
    search.add_argument("--group", choices=("passage", "document"), default="passage",
                        help="passage：每个段落一条（默认）；document：每份文件只列最相关的段落，并注明本文件另有几段")
    search.add_argument("--doc", dest="doc_ids", action="append", default=[], metavar="DOC_ID",
                        help="只看该文件的段落（文件编号见 docs），可重复")
    search.add_argument("--limit", type=int, default=10)
    search.add_argument("--offset", type=int, default=0)
    search.add_argument("--json", action="store_true", help="输出 JSON")
    _index_dir_option(search)
    search.set_defaults(handler=run_search)

    figures = commands.add_parser("figures", help="匹配段落中检索词附近的数字（数值、单位、所指、地区、年份、出处）")
    figures.add_argument("query", help="检索式，语法同 search")
    _filter_options(figures)
    figures.add_argument("--limit", type=int, default=500, help="最多输出的数字条数（默认 500）")
    figures.add_argument("--json", action="store_true", help="输出 JSON")
    _index_dir_option(figures)
    figures.set_defaults(handler=run_figures)

    timeline = commands.add_parser("timeline", help="各年份文档提到检索词的频度：每千个段落中的匹配段落数")
    timeline.add_argument("query", help="检索式，语法同 search")
    _filter_options(timeline)
    timeline.add_argument("--json", action="store_true", help="输出 JSON")
    _index_dir_option(timeline)
    timeline.set_defaults(handler=run_timeline)
    export = commands.add_parser("export", help="把检索结果连同引文和参考文献导出为 Markdown、Word、CSV 或 RIS")
    export.add_argument("query", help="检索式，同 search")
    _filter_options(export)
    _sort_option(export)
    export.add_argument("--limit", type=int, default=20, help="导出前 N 个段落（默认 20）")
    export.add_argument("--format", choices=sorted(FORMAT_CHOICES), default=None,
                        help="md、docx、csv 或 ris（默认按 --out 的扩展名，否则 md）")
    export.add_argument("--out", type=Path, required=True, help="输出文件；- 表示标准输出")
    _index_dir_option(export)
    export.set_defaults(handler=run_export)

    similar = commands.add_parser("similar", help="相似段落：其他地方、其他年份讲同一举措的段落（按地区分组）")
    similar.add_argument("doc_id", help="段落所在文档的编号（见 search --json 的 doc_id）")
    similar.add_argument("order", type=int, help="段落在文档中的序号（见 search --json 的 order）")
    similar.add_argument("--limit", type=int, default=10)
    similar.add_argument("--json", action="store_true", help="输出 JSON")
    _index_dir_option(similar)
    similar.set_defaults(handler=run_similar)

    evaluate = commands.add_parser("eval", help="在标注查询上评测检索质量（nDCG@10、召回率@10、MRR）")
    evaluate.add_argument("file", type=Path, help="标注查询文件（TOML）")
    evaluate.add_argument("--baseline", action="store_true", help="同时评测朴素基线（jieba ChineseAnalyzer + Whoosh 默认设置，AND 与 OR；字二元组 AND）")
    evaluate.add_argument("--exact", action="store_true", help="不使用同义词扩展")
    _index_dir_option(evaluate)
    evaluate.set_defaults(handler=run_eval)

    thesaurus_candidates = commands.add_parser("thesaurus-candidates",
                                     help="从语料中提出同义词表候选（简称定义、简称与全称、改称、共现），每条附出处原文")
    thesaurus_candidates.add_argument("--corpus", action="append", type=Path, required=True, help="语料目录，可重复")
    thesaurus_candidates.add_argument("--min-count", type=int, default=2, help="至少几个段落支持（默认 2）")
    thesaurus_candidates.add_argument("--out", type=Path, help="写入文件（制表符分隔）；默认标准输出")
    thesaurus_candidates.set_defaults(handler=run_thesaurus_candidates)

    bench = commands.add_parser("bench", help="性能基准：建索引吞吐、查询延迟、冷启动、内存（与纯 jieba 分词对比）")
    bench.add_argument("--sizes", default="10000,100000", help="合成语料的段落数，逗号分隔（默认 10000,100000）")
    bench.add_argument("--million", action="store_true", help="再测 1,000,000 个段落")
    bench.add_argument("--baseline", action="store_true", help="同时测朴素基线（jieba ChineseAnalyzer + Whoosh 默认设置）")
    bench.add_argument("--cluster", action="store_true",
                       help="同时测 Sphinx 集群后端（2 个分片，本机回环地址；含各守护进程内存和 8 个并发客户端）")
    bench.add_argument("--out", type=Path, default=Path("benchmarks/out"), help="结果目录（latest.json、latest.md）")
    bench.add_argument("--corpus", action="append", type=Path, help="抽样的语料目录，可重复（默认 corpus/ 和 ../shared/extra-corpus/*）")
    bench.add_argument("--rounds", type=int, default=3, help="查询组合重复的轮数（默认 3）")
    bench.add_argument("--seed", type=int, default=6)
    bench.set_defaults(handler=run_bench)

    analyze = commands.add_parser("analyze", help="显示一段文字的分词结果")
    analyze.add_argument("text")
    analyze.add_argument("--mode", choices=["query", "index"], default="query")
    analyze.set_defaults(handler=run_analyze)
    return parser


def _filter_options(parser: argparse.ArgumentParser) -> None:
    """The filters every command over a search's matches takes, as ``search`` does."""
    parser.add_argument("--province", action="append", default=[],
                        help="只看该省份（含其下各市的文件；“全国”为全国性文件），可重复")
    parser.add_argument("--city", action="append", default=[], help="只看该城市，可重复")
    parser.add_argument("--year", action="append", default=[], type=_year, help="只看该年份，可重复")
    parser.add_argument("--type", dest="doc_type", action="append", default=[], help="只看该文档类型，可重复")
    parser.add_argument("--from", dest="date_from", default=None, metavar="年份或日期",
                        help="只看此时间及以后的文件（如 1990、2025-05、2025-05-28）")
    parser.add_argument("--to", dest="date_to", default=None, metavar="年份或日期", help="只看此时间及以前的文件")
    parser.add_argument("--exact", action="store_true", help="只按输入的词检索，不做同义词扩展")


def _sort_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sort", choices=("relevance", "date"), default="relevance",
                        help="relevance：按相关度（默认）；date：按日期从新到旧，无日期的排在最后")


def _index_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index-dir", type=Path, default=None,
                        help="索引目录（默认 $POLICY_SEARCH_INDEX 或项目根目录下的 index/）")
    parser.add_argument("--backend", default=None, metavar="sphinx://主机:端口",
                        help="改用 Sphinx/Manticore 集群（其前端的 SphinxQL 地址；默认 $POLICY_SEARCH_BACKEND，未设时用本地索引）")


def _cluster_parsers(commands) -> None:
    cluster = commands.add_parser("cluster", help="本机的 Sphinx 集群：启动、状态、停止（各分片一个 searchd，外加分布式前端）")
    actions = cluster.add_subparsers(dest="action", required=True)
    start = actions.add_parser("start", help="写配置并启动各分片和前端（仅监听 127.0.0.1）")
    start.add_argument("--shards", type=int, default=2, help="分片数（默认 2：全国文件一片，各省文件按省分到其余分片）")
    for action in (start, actions.add_parser("status", help="各守护进程是否在服务"),
                   actions.add_parser("stop", help="停止集群的全部守护进程")):
        action.add_argument("--dir", type=Path, default=Path("cluster"), help="集群目录（默认 cluster/）")
        action.set_defaults(handler=run_cluster)
    start.add_argument("--port", type=int, default=None, help="前端的 SphinxQL 端口（默认 9306；分片用其后的端口）")


def run_cluster(args) -> int:
    from indexer.api import cluster_start, cluster_status, cluster_stop

    if args.action == "stop":
        stopped = cluster_stop(args.dir)
        print(f"已停止：{'、'.join(stopped)}。" if stopped else "集群没有在运行。")
        return 0
    rows = cluster_start(args.dir, args.shards, args.port) if args.action == "start" else cluster_status(args.dir)
    for row in rows:
        state = "服务中" if row["answering"] else "未响应"
        print(f"{row['daemon']}\t127.0.0.1:{row['port']}\t{state}\t{row['holds']}")
    front = next(row for row in rows if row["daemon"] == "front")
    print(f"检索地址：sphinx://127.0.0.1:{front['port']}（--backend 或 POLICY_SEARCH_BACKEND）", file=sys.stderr)
    return 0 if all(row["answering"] for row in rows) else 1


def _year(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"年份应为数字：{value}") from None


def run_index(args) -> int:
    from indexer.api import build_index
    from indexer.cli.collection import print_skipped

    if args.update:
        from indexer.cli.collection import run_update
        return run_update(args)
    corpora = args.corpus or [DEFAULT_CORPUS_DIR]
    missing = [str(c) for c in corpora if not c.is_dir()]
    if missing:
        raise UserError(f"语料目录不存在：{'，'.join(missing)}")
    summary = build_index(corpora, args.index_dir or default_index_dir(), show_progress=not args.quiet,
                          follow_links=args.follow_links, backend=args.backend)
    print_skipped(summary.skipped, summary.notes)
    print(f"完成：{summary.documents} 篇文档，{summary.passages} 个段落，{summary.characters} 字，"
          f"用时 {summary.seconds:.2f} 秒；跳过 {len(summary.skipped)} 个文件。")
    return 0


def run_bench(args) -> int:
    from indexer.tools import bench

    try:
        sizes = bench.parse_sizes(args.sizes)
    except ValueError as error:
        raise UserError(f"--sizes 无效：{error}") from None
    if args.million and bench.MILLION not in sizes:
        sizes.append(bench.MILLION)
    missing = [str(c) for c in args.corpus or [] if not c.is_dir()]
    if missing:
        raise UserError(f"语料目录不存在：{'，'.join(missing)}")
    report = bench.run(sizes, args.out, baseline=args.baseline, corpus_dirs=args.corpus, seed=args.seed,
                       rounds=max(1, args.rounds), log=lambda message: print(message, file=sys.stderr),
                       cluster=args.cluster)
    print(report["markdown"])
    if args.out is not None:
        print(f"结果已写入 {args.out / 'latest.json'} 和 {args.out / 'latest.md'}", file=sys.stderr)
    return 0


def run_eval(args) -> int:
    from indexer.tools import evaluation
    from indexer.api import open_engine

    if not args.file.is_file():
        raise UserError(f"找不到标注文件：{args.file}")
    judged = evaluation.load_judgments(args.file)
    engine = open_engine(args.index_dir, backend=args.backend)
    columns = {"ours": evaluation.evaluate(judged, evaluation.engine_run(engine, exact=args.exact))}
    if args.baseline:
        corpora = engine.corpora
        baselines = evaluation.naive_baselines(corpora)
        try:
            for name, run in baselines.runs().items():
                columns[name] = evaluation.evaluate(judged, run)
        finally:
            baselines.close()
    print(evaluation.table(judged, columns))
    if any(item.kind for item in judged):
        print()
        print(evaluation.kind_table(judged, columns))
    return 0


def run_thesaurus_candidates(args) -> int:
    from indexer.tools import thesaurus_candidates

    missing = [str(c) for c in args.corpus if not c.is_dir()]
    if missing:
        raise UserError(f"语料目录不存在：{'，'.join(missing)}")
    passages = list(thesaurus_candidates.read_passages(args.corpus))
    found = thesaurus_candidates.candidates(passages, thesaurus_candidates.dictionary_words(), min_count=max(1, args.min_count))
    text = thesaurus_candidates.format_candidates(found) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"{len(found)} 条候选已写入 {args.out}", file=sys.stderr)
    return 0


def run_analyze(args) -> int:
    from indexer.api import analyze

    print(" | ".join(analyze(args.text, mode=args.mode)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
