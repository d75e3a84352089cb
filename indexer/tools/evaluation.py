"""Relevance evaluation on judged queries: nDCG@10, recall@10 and MRR, beside naive baselines.

Judgments are substrings (see ``shared/eval/dev-queries.toml``): a returned
passage is relevant when it contains one of the query's substrings, whitespace
removed on both sides, and each substring counts once. The baselines are the
pairings people start from, built from the same corpus in the same run over raw
paragraphs with Whoosh's defaults: jieba's own ``ChineseAnalyzer`` with the
query's words all required (AND) or any of them (OR), and character bigrams
with every bigram required.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from indexer.tools.thesaurus_candidates import read_passages

CUTOFF = 10
_SPACE = re.compile(r"\s+")


@dataclass
class Judged:
    id: str
    query: str
    relevant: list[str]
    # How the query is typed (single, unspaced, traditional, clause …): means are also given per kind.
    kind: str = ""


@dataclass
class Scores:
    ndcg: float
    recall: float
    mrr: float


def load_judgments(path: Path) -> list[Judged]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return [Judged(q["id"], q["q"], list(q["relevant"]), q.get("kind", "")) for q in data.get("query", [])]


def score(passages: list[str], relevant: list[str], cutoff: int = CUTOFF) -> Scores:
    """Binary-gain nDCG, recall and reciprocal rank of a ranked list of passage texts."""
    wanted = [_SPACE.sub("", s) for s in relevant]
    credited: set[int] = set()
    dcg, first = 0.0, 0.0
    for rank, passage in enumerate(passages[:cutoff], start=1):
        text = _SPACE.sub("", passage)
        new = [i for i, s in enumerate(wanted) if i not in credited and s in text]
        if new:
            credited.update(new)
            dcg += 1 / math.log2(rank + 1)
            first = first or 1 / rank
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(wanted), cutoff) + 1))
    return Scores(ndcg=dcg / ideal if ideal else 0.0, recall=len(credited) / len(wanted) if wanted else 0.0, mrr=first)


def evaluate(judged: list[Judged], run: Callable[[str], list[str]]) -> list[Scores]:
    return [score(run(item.query), item.relevant) for item in judged]


def means(scores: list[Scores]) -> Scores:
    n = len(scores) or 1
    return Scores(sum(s.ndcg for s in scores) / n, sum(s.recall for s in scores) / n, sum(s.mrr for s in scores) / n)


def engine_run(engine, exact: bool = False) -> Callable[[str], list[str]]:
    def run(query: str) -> list[str]:
        return [hit.passage for hit in engine.search(query, limit=CUTOFF, exact=exact).hits]
    return run


def naive_baselines(corpus_dirs: list[Path]):
    """The naive pairings (Whoosh with jieba's ChineseAnalyzer) over the corpora's raw paragraphs."""
    from indexer.backends.whoosh.baselines import NaiveBaselines

    return NaiveBaselines(paragraph.text for paragraph in read_passages(corpus_dirs))


def table(judged: list[Judged], columns: dict[str, list[Scores]]) -> str:
    """A markdown table: one row per query, then the means."""
    names = list(columns)
    header = "| id | query | " + " | ".join(f"{n} nDCG@10 | {n} R@10 | {n} MRR" for n in names) + " |"
    rule = "|" + "---|" * (2 + 3 * len(names))
    rows = [header, rule]
    for i, item in enumerate(judged):
        cells = " | ".join(f"{columns[n][i].ndcg:.3f} | {columns[n][i].recall:.3f} | {columns[n][i].mrr:.3f}" for n in names)
        rows.append(f"| {item.id} | {item.query} | {cells} |")
    averages = " | ".join(
        f"**{m.ndcg:.3f}** | **{m.recall:.3f}** | **{m.mrr:.3f}**" for m in (means(columns[n]) for n in names))
    rows.append(f"| | **mean** | {averages} |")
    return "\n".join(rows)


def kind_table(judged: list[Judged], columns: dict[str, list[Scores]]) -> str:
    """A markdown table of the means per query kind (in the order kinds first appear), then overall."""
    names = list(columns)
    kinds = list(dict.fromkeys(item.kind or "—" for item in judged))
    header = "| kind | queries | " + " | ".join(f"{n} nDCG@10 | {n} R@10 | {n} MRR" for n in names) + " |"
    rows = [header, "|" + "---|" * (2 + 3 * len(names))]
    for kind in kinds + [None]:
        picked = [i for i, item in enumerate(judged) if kind is None or (item.kind or "—") == kind]
        cells = []
        for n in names:
            m = means([columns[n][i] for i in picked])
            cells.append(f"{m.ndcg:.3f} | {m.recall:.3f} | {m.mrr:.3f}")
        label = "**all**" if kind is None else kind
        rows.append(f"| {label} | {len(picked)} | " + " | ".join(cells) + " |")
    return "\n".join(rows)
