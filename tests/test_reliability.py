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

from tests.ingest_support import PROJECT_ROOT, notice

_DUMP_PASSAGES = """
import json, sys
from pathlib import Path
from indexer.building import build_index
from indexer.searching import open_engine
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
