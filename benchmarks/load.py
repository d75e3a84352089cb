"""Load test: N concurrent readers (Chromium tabs driven by Playwright) against one app on loopback.

    python benchmarks/load.py --index-dir IDX [--readers 30] [--searches 3] [--out benchmarks/results]
    make load                 # the same, on $(INDEX_DIR), 30 readers × 3 searches

Starts ``streamlit run search_app/app.py`` on a free 127.0.0.1 port (or uses ``--url``), opens one
Chromium (``/usr/bin/chromium``) with one browser context per reader, and lets every reader at once:
open the app (first load: until the search box is shown), then type a query and press Enter, a few
times (search: from Enter until the new query's result cards are shown and the app's run is over).
Reports p50/p95/max of both, errors, and the CPU seconds the server and the browser used, since on a
small machine the browsers' own rendering competes with the app for the same cores. Bounded: every step
has a timeout and a reader that times out is counted as an error, not waited for.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "search_app" / "app.py"
CHROMIUM = "/usr/bin/chromium"
# Queries that all have results on the seed corpus and on the whole collection; readers take them in turn.
QUERIES = ["低保", "养老服务", "临时救助", "儿童福利", "残疾人", "社会组织", "殡葬", "婚姻登记", "特困人员", "养老床位"]
SEARCH_BOX = "输入检索词后按回车"
DONE = """(query) => {
    const params = new URLSearchParams(location.search);
    const app = document.querySelector('[data-testid="stApp"]');
    return params.get('q') === query && app && app.dataset.testScriptState === 'notRunning'
        && document.querySelectorAll('.hit .hit-meta').length > 0;
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def app_server(index_dir: str, log_path: Path):
    """``streamlit run`` on loopback serving ``index_dir``; yields (base URL, the server's process)."""
    port = _free_port()
    env = dict(os.environ, POLICY_SEARCH_INDEX=index_dir, PYTHONUNBUFFERED="1")
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {process.returncode}; see {log_path}")
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                        if answer.read().decode().strip() == "ok":
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not answer within 90 s; see {log_path}")
                time.sleep(0.3)
            yield base, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children so far."""
    try:
        root = psutil.Process(pid)
        total = 0.0
        for process in [root, *root.children(recursive=True)]:
            try:
                times = process.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return 0.0


def _browser_cpu() -> float:
    """CPU seconds of this machine's Chromium processes started by this script (children of this process)."""
    me = psutil.Process()
    total = 0.0
    for process in me.children(recursive=True):
        try:
            if "chrom" in process.name() or "headless_shell" in process.name():
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            pass
    return total


async def reader(browser, base: str, number: int, searches: int, timeout_ms: float, result: dict) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    context.set_default_timeout(timeout_ms)  # fill and press wait for the box as long as the other steps
    page = await context.new_page()
    try:
        started = time.perf_counter()
        await page.goto(base, timeout=timeout_ms)
        box = page.get_by_placeholder(SEARCH_BOX)
        await box.wait_for(timeout=timeout_ms)
        result["first_load"].append(time.perf_counter() - started)
        print(f"reader {number}: first load {result['first_load'][-1]:.1f} s", file=sys.stderr, flush=True)
        for turn in range(searches):
            query = QUERIES[(number * searches + turn) % len(QUERIES)]
            await box.fill(query)
            started = time.perf_counter()
            await box.press("Enter")
            await page.wait_for_function(DONE, arg=query, timeout=timeout_ms, polling=100)
            result["search"].append(time.perf_counter() - started)
            print(f"reader {number}: {query} {result['search'][-1]:.1f} s", file=sys.stderr, flush=True)
    except Exception as error:  # a timeout or a crashed tab is a failed reader, counted and reported
        result["errors"].append(f"reader {number}: {type(error).__name__}: {str(error).splitlines()[0][:160]}")
    finally:
        await context.close()


async def run_readers(base: str, readers: int, searches: int, timeout_ms: float, chromium: str) -> dict:
    from playwright.async_api import async_playwright

    result = {"first_load": [], "search": [], "errors": []}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium)
        try:
            await asyncio.gather(*(reader(browser, base, n, searches, timeout_ms, result) for n in range(readers)))
            result["browser_cpu_s"] = _browser_cpu()
        finally:
            await browser.close()
    return result


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50_s": _round(percentile(values, 50)), "p95_s": _round(percentile(values, 95)),
            "max_s": _round(max(values) if values else None),
            "mean_s": _round(statistics.fmean(values) if values else None)}


def _round(value):
    return None if value is None else round(value, 2)


def load(index_dir: str | None, url: str | None, readers: int, searches: int, timeout_s: float,
         chromium: str = CHROMIUM, log_path: Path | None = None) -> dict:
    log_path = log_path or Path("/tmp") / f"policy-search-load-{os.getpid()}.log"

    def measured(base: str, server_pid: int | None) -> dict:
        server_before = _tree_cpu(server_pid) if server_pid else 0.0
        started = time.perf_counter()
        result = asyncio.run(run_readers(base, readers, searches, timeout_s * 1000, chromium))
        wall = time.perf_counter() - started
        return {
            "readers": readers, "searches_per_reader": searches, "cores": os.cpu_count(),
            "wall_s": round(wall, 1), "first_load": summary(result["first_load"]), "search": summary(result["search"]),
            "errors": result["errors"],
            "server_cpu_s": round(_tree_cpu(server_pid) - server_before, 1) if server_pid else None,
            "browser_cpu_s": round(result.get("browser_cpu_s", 0.0), 1),
            "load_average_1m": round(os.getloadavg()[0], 2),
        }

    if url:
        return measured(url, None)
    with app_server(index_dir, log_path) as (base, process):
        return measured(base, process.pid)


def markdown(report: dict) -> str:
    fl, se = report["first_load"], report["search"]
    return "\n".join([
        f"# Load test: {report['readers']} readers × {report['searches_per_reader']} searches, one app, "
        f"{report['cores']} cores",
        "",
        "| | n | p50 | p95 | max |",
        "|---|---|---|---|---|",
        f"| first load | {fl['n']} | {fl['p50_s']} s | {fl['p95_s']} s | {fl['max_s']} s |",
        f"| search | {se['n']} | {se['p50_s']} s | {se['p95_s']} s | {se['max_s']} s |",
        "",
        f"Wall {report['wall_s']} s; CPU: server {report['server_cpu_s']} s, browsers {report['browser_cpu_s']} s; "
        f"errors {len(report['errors'])}.",
        *[f"- {error}" for error in report["errors"]],
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="并发读者压测（Playwright + Chromium，仅本机回环地址）")
    parser.add_argument("--index-dir", default=os.environ.get("POLICY_SEARCH_INDEX", "index"))
    parser.add_argument("--url", help="已运行的应用地址（默认自行启动一个）")
    parser.add_argument("--readers", type=int, default=30)
    parser.add_argument("--searches", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300, help="每一步的超时（秒）")
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--out", help="结果目录（写 load-latest.json 与 load-latest.md）")
    args = parser.parse_args(argv)
    if args.url and not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        parser.error("只压测本机回环地址上的应用")
    if not 1 <= args.readers <= 60 or not 1 <= args.searches <= 10:
        parser.error("--readers 取 1–60，--searches 取 1–10")
    report = load(args.index_dir, args.url, args.readers, args.searches, args.timeout, args.chromium)
    text = markdown(report)
    print(text)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "load-latest.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (out / "load-latest.md").write_text(text, encoding="utf-8")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
