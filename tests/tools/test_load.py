"""The load test (``make load``, ``benchmarks/load.py``) kept from rotting: one reader, one search, on the seed index."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

LOAD = Path(__file__).resolve().parents[2] / "benchmarks" / "load.py"


def test_one_reader_loads_the_app_and_gets_an_answer(index_dir, tmp_path):
    if not shutil.which("/usr/bin/chromium"):
        pytest.skip("Chromium is not installed: apt-get install -y chromium fonts-noto-cjk")
    spec = importlib.util.spec_from_file_location("load", LOAD)
    load = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(load)
    report = load.load(str(index_dir), None, readers=1, searches=1, timeout_s=90, log_path=tmp_path / "app.log")
    assert report["errors"] == []
    assert report["first_load"]["n"] == 1 and report["search"]["n"] == 1
    assert 0 < report["search"]["p95_s"] < 90
    assert "| search | 1 |" in load.markdown(report)
