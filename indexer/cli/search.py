"""The search commands of ``policy-search``: search (one query or a batch), export, similar, figures, timeline."""

from __future__ import annotations

import html
import json
import sys
from collections.abc import Iterator

from indexer.api import QueryError, UserError, one_line


def run_search(args) -> int:
    if args.batch is None and args.query is None:
        raise UserError("请给出检索式，或用 --batch FILE 从文件读取（每行一个）。")
    if args.batch is not None and not args.batch.is_file() and str(args.batch) != "-":
        raise UserError(f"找不到检索式文件：{args.batch}")
    engine = _opened_engine(args)
    if args.batch is not None:
        return run_batch(engine, args)
    response = engine.search(args.query, limit=args.limit, offset=args.offset, **_filters(args))
    if args.json:
        _print_json(response.to_dict())
        return 0
    _print_response(response)
    return 0


def _print_response(response) -> None:
    """A search's answer for a terminal: notices, totals, facet counts, then each hit."""
    for notice in response.notices:
        print(f"提示：{notice}")
    if response.expansions:
        print(f"已同时搜索：{'、'.join(response.expansions)}")
    print(f"共 {response.total} 个段落，来自 {response.documents_total} 份文件（{response.took_ms:.1f} 毫秒）")
    for name, label in (("province", "地区"), ("city", "城市"), ("year", "年份")):
        buckets = "  ".join(f"{b['value']}({b['count']})" for b in response.facets[name])
        print(f"{label}：{buckets}")
    for hit in response.hits:
        place = hit.city or hit.province or hit.level
        print(f"\n[{hit.rank}] 《{hit.title}》 {place} · {hit.date or hit.year or ''} · {hit.source}  得分 {hit.score:.2f}")
        if hit.section:
            print("    " + " › ".join(hit.section))
        print("    " + _plain(hit.highlight))
        if response.group == "document" and hit.document_matches > 1:
            print(f"    （本文件另有 {hit.document_matches - 1} 段）")


def _opened_engine(args):
    from indexer.api import open_engine

    engine = open_engine(args.index_dir, backend=args.backend)
    for warning in engine.warnings:
        print(f"提示：{warning}", file=sys.stderr)
    return engine


def _filters(args) -> dict:
    """The filters of a command's arguments, as the engine's keyword arguments (with ``sort`` where it takes one)."""
    filters = dict(cities=args.city, years=args.year, doc_types=args.doc_type, exact=args.exact,
                   provinces=args.province, date_from=args.date_from, date_to=args.date_to)
    optional = {name: getattr(args, name) for name in ("sort", "group", "doc_ids") if hasattr(args, name)}
    return filters | optional


def _print_json(data) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


def run_export(args) -> int:
    from indexer.api import FORMATS, MAX_LIMIT, export

    fmt = args.format or next((name for name, f in FORMATS.items() if args.out.suffix.lower() == f.suffix), "md")
    engine = _opened_engine(args)
    hits = []
    while len(hits) < args.limit:  # a page at a time: the engine answers at most MAX_LIMIT per call
        page = engine.search(args.query, limit=min(MAX_LIMIT, args.limit - len(hits)), offset=len(hits),
                             **_filters(args)).hits
        hits += page
        if not page:
            break
    if not hits:
        raise UserError(f"没有找到与「{args.query}」匹配的段落，未写入文件。")
    data = export(hits, {h.doc_id: engine.document(h.doc_id) or {} for h in hits}, fmt, title=f"检索摘录：{args.query}")
    if str(args.out) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        try:
            args.out.write_bytes(data)
        except OSError as error:
            raise UserError(f"无法写入 {args.out}：{error.strerror or error}") from None
    documents = len({h.doc_id for h in hits})
    print(f"已导出 {len(hits)} 个段落（{documents} 篇文档，{FORMATS[fmt].label}）到 {args.out}", file=sys.stderr)
    return 0


def run_similar(args) -> int:
    from indexer.api import place_of

    response = _opened_engine(args).similar(args.doc_id, args.order, limit=args.limit)
    if args.json:
        _print_json(response.to_dict())
        return 0
    source = response.source
    print(f"《{source.title}》 {place_of(source)} · {source.date}  第 {source.order} 段")
    print("    " + _plain(source.snippet))
    print(f"依据的词：{'、'.join(response.terms) or '（无）'}")
    if response.copies:
        print(f"已排除含相同段落的文档：{'、'.join(response.copies)}")
    if not response.hits:
        print("没有找到相似段落。")
    for place, hits in response.places():
        print(f"\n【{place or '地区未注明'}】")
        for hit in hits:
            print(f"  [{hit.rank}] 《{hit.title}》 {hit.date}  {hit.doc_id} {hit.order}  得分 {hit.score:.2f}")
            print("      " + _plain(hit.snippet))
    return 0


def run_figures(args) -> int:
    response = _opened_engine(args).figures(args.query, limit=args.limit, **_filters(args))
    if args.json:
        _print_json(response.to_dict())
        return 0
    more = "（已达上限，--limit 可调大）" if response.truncated else ""
    print(f"共 {len(response.figures)} 个数字，出自 {response.passages} 个匹配段落中的 {response.passages_read} 个{more}")
    for row in response.figures:
        print(f"{row.measure or '—'}\t{row.figure}\t{row.place}\t{row.year or ''}\t{row.phrase}\t{row.doc_id}#{row.order}")
    return 0


def run_timeline(args) -> int:
    rows = _opened_engine(args).year_counts(args.query, **_filters(args))
    if args.json:
        _print_json(rows)
        return 0
    print("年份\t匹配段落\t段落总数\t每千段落")
    for row in rows:
        print(f"{row['year']}\t{row['matching']}\t{row['passages']}\t{row['per_thousand']:.1f}")
    return 0


def _plain(highlighted: str) -> str:
    """The engine's highlighted HTML for a terminal: marks as 【】, entities decoded."""
    return html.unescape(highlighted.replace("<mark>", "【").replace("</mark>", "】"))


def run_batch(engine, args) -> int:
    """One query per line, one process; a line that fails gives an object with ``error``, not a stop."""
    for number, query in enumerate(batch_lines(args.batch), start=1):
        if isinstance(query, str) and not query.strip():
            continue
        try:
            if isinstance(query, BatchLineError):
                raise query
            query = query.strip()
            response = engine.search(query, limit=args.limit, offset=args.offset, **_filters(args))
        except Exception as error:  # noqa: BLE001 - one bad line must not end the batch
            message = str(error) if isinstance(error, QueryError) else f"{type(error).__name__}: {error}"
            shown = query.shown if isinstance(query, BatchLineError) else query
            record = {"line": number, "query": shown, "error": message}
        else:
            if not args.json:
                print(f"{number}\t{response.total}\t{response.took_ms:.1f} ms\t{one_line(query)}")
                continue
            record = {"line": number, **response.to_dict()}
        if args.json:
            json.dump(record, sys.stdout, ensure_ascii=False)
            sys.stdout.write("\n")
        else:
            print(f"{number}\t错误：{record['error']}\t{one_line(record['query'])}")
        sys.stdout.flush()
    return 0


class BatchLineError(QueryError):
    """A batch line that cannot be decoded; the others are answered."""

    def __init__(self, message: str, shown: str):
        super().__init__(message)
        self.shown = shown


BATCH_SAMPLE = 1 << 16
_BATCH_ENCODINGS = ("utf", "gb", "big5", "cp950", "cp936", "hz")  # queries are Chinese text


def batch_lines(source) -> Iterator:
    """A batch file's lines, each decoded on its own with the encoding detected as for corpus files
    (charset-normalizer on the first 64 KiB; UTF-8 and GB18030 tried when a line does not fit it); a line
    nothing decodes is a :class:`BatchLineError` in its place. Standard input streams line by line."""
    from indexer.api import UnreadableFile, detect_encoding

    if str(source) == "-":
        handle, encoding = sys.stdin.buffer, "utf-8"
    else:
        handle = source.open("rb")
        sample = handle.read(BATCH_SAMPLE)
        try:
            encoding, _ = detect_encoding(sample, complete=len(sample) < BATCH_SAMPLE)
        except UnreadableFile:
            encoding = "utf-8"
        if not encoding.replace("-", "_").lower().startswith(_BATCH_ENCODINGS):
            encoding = "utf-8"  # a single-byte guess (cp1252 …) would turn a damaged line into mojibake
        handle.seek(0)
        if encoding.replace("-", "_").lower().startswith(("utf_16", "utf_32")):  # lines are not byte lines
            with handle:
                yield from handle.read().decode(encoding, errors="replace").lstrip("\ufeff").splitlines()
            return
    with handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            for candidate in dict.fromkeys(("utf-8", encoding, "gb18030")):
                try:
                    yield raw.decode(candidate)
                    break
                except (UnicodeDecodeError, LookupError):
                    continue
            else:
                shown = raw.decode("utf-8", errors="replace").strip()
                yield BatchLineError("这一行无法解码（不是 UTF-8 或 GB18030 文本），已跳过。", shown)
