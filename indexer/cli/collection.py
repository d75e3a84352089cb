"""The collection-keeping commands of ``policy-search``: ``index --update``, ``add``, ``remove``, ``docs``.

Each prints one summary line on stdout and one line per file worth knowing
about on stderr (skipped with its reason, duplicate, note), so scripts can
read stdout and people can read both.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from indexer.api import (IndexMissing, IndexOutdated, UnknownDocuments, UserError, add_paths, build_index,
                         default_index_dir, display_path, indexed_documents, json_text, remove_documents,
                         update_index)

PROVENANCE_LABELS = {"manifest": "清单", "front-matter": "文件头", "inferred": "推断", "missing": "缺失"}


def run_update(args) -> int:
    """``index --update``: without an index yet and with ``--corpus``, a full build."""
    index_dir = args.index_dir or default_index_dir()
    missing = [str(c) for c in args.corpus or [] if not c.is_dir()]
    if missing:
        raise UserError(f"语料目录不存在：{'，'.join(missing)}")
    try:
        summary = update_index(index_dir, args.corpus, show_progress=not args.quiet, backend=args.backend)
    except IndexOutdated as error:
        raise UserError(str(error)) from None
    except IndexMissing:
        if not args.corpus:
            raise
        built = build_index(args.corpus, index_dir, show_progress=not args.quiet,
                            follow_links=getattr(args, "follow_links", False), backend=args.backend)
        print_skipped(built.skipped, built.notes)
        print(f"索引不存在，已新建：{built.documents} 篇文档，{built.passages} 个段落，{built.characters} 字，"
              f"用时 {built.seconds:.2f} 秒；跳过 {len(built.skipped)} 个文件。")
        return 0
    print_update(summary, "更新")
    return 0


def run_add(args) -> int:
    missing = [str(p) for p in args.paths if not (p.exists() or p.is_symlink())]
    if missing:
        raise UserError(f"找不到：{'，'.join(missing)}")
    if args.corpus is not None and not args.corpus.is_dir():
        raise UserError(f"语料目录不存在：{args.corpus}")
    try:
        summary = add_paths(args.index_dir or default_index_dir(), args.paths, corpus=args.corpus,
                            show_progress=not args.quiet, backend=args.backend)
    except IndexOutdated as error:
        raise UserError(str(error)) from None
    print_update(summary, "添加")
    return 0


def run_remove(args) -> int:
    try:
        summary = remove_documents(args.index_dir or default_index_dir(), args.doc_ids, backend=args.backend)
    except (IndexOutdated, UnknownDocuments) as error:
        raise UserError(str(error)) from None
    print_update(summary, "删除")
    return 0


def run_docs(args) -> int:
    documents = indexed_documents(args.index_dir or default_index_dir(), backend=args.backend)
    if args.json:
        sys.stdout.write(json_text(documents) + "\n")
        return 0
    for document in documents:
        print(document_line(document))
    print(f"共 {len(documents)} 篇文档。", file=sys.stderr)
    return 0


def document_line(document: dict) -> str:
    """id, title, city, date, type, passages and where each value came from, on one line."""
    provenance = document.get("provenance", {})

    def value(name: str, label: str, shown=None) -> str:
        shown = document.get(name) if shown is None else shown
        source = PROVENANCE_LABELS.get(provenance.get(name, ""), provenance.get(name, "?"))
        return f"{label}={shown or '—'}({source})"

    if document.get("date") or not document.get("year"):
        date = value("date", "日期")
    else:  # no date, but a year: show the year, with where it came from
        date = value("year", "日期", f"{document['year']}年")
    fields = [
        document["doc_id"],
        value("title", "标题", f"《{document.get('title', '')}》"),
        value("city", "城市"),
        date,
        value("doc_type", "类型"),
        f"段落={document.get('passages', 0)}",
        f"语料={_short_path(document.get('corpus', ''))}",
    ]
    if document.get("format"):
        fields.append(f"格式={document['format']}" + (f"/{document['encoding']}" if document.get("encoding") else ""))
    return "  ".join(fields)


def print_update(summary, verb: str) -> None:
    for doc_id in summary.added:
        print(f"新增 {doc_id}", file=sys.stderr)
    for doc_id in summary.updated:
        print(f"更新 {doc_id}", file=sys.stderr)
    for doc_id in summary.removed:
        print(f"删除 {doc_id}", file=sys.stderr)
    print_skipped(summary.skipped, summary.notes)
    if not summary.changed and not summary.generation:
        change = "没有变化"
    else:
        change = f"新增 {len(summary.added)} 篇，更新 {len(summary.updated)} 篇，删除 {len(summary.removed)} 篇"
    print(f"{verb}完成：{change}，未变 {summary.unchanged} 篇；索引现有 {summary.documents} 篇文档，"
          f"{summary.passages} 个段落；用时 {summary.seconds:.2f} 秒；跳过 {len(summary.skipped)} 个文件"
          f"（其中重复 {len(summary.duplicates)} 个）。")


def print_skipped(skipped, notes) -> None:
    for item in skipped:
        print(f"跳过 {display_path(item.path)}：{item.reason}", file=sys.stderr)
    for note in notes:
        print(f"注意 {note}", file=sys.stderr)


def _short_path(path: str) -> str:
    if not path:
        return "—"
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return display_path(relative if not relative.startswith("../../") else path)


def add_parsers(commands, index_dir_option) -> None:
    """Register ``add``, ``remove`` and ``docs`` on the CLI's subparsers."""
    add = commands.add_parser("add", help="把文件或文件夹加入索引（增量，不重建）")
    add.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="文件或文件夹")
    add.add_argument("--corpus", type=Path, default=None,
                     help="这些文件所属的语料目录（默认：包含它的已登记语料目录，否则文件夹本身或文件所在文件夹）")
    index_dir_option(add)
    add.add_argument("--quiet", action="store_true", help="不显示进度条")
    add.set_defaults(handler=run_add)

    remove = commands.add_parser("remove", help="从索引中删除文档（按文档编号，见 policy-search docs）")
    remove.add_argument("doc_ids", nargs="+", metavar="DOC_ID")
    index_dir_option(remove)
    remove.set_defaults(handler=run_remove)

    docs = commands.add_parser("docs", help="列出已索引的文档：编号、标题、城市、日期、类型、段落数及各项来源")
    docs.add_argument("--json", action="store_true", help="输出 JSON（documents.json 的全部字段）")
    index_dir_option(docs)
    docs.set_defaults(handler=run_docs)
