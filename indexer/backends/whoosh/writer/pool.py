"""The build's writer on every core: batches of passages handed to forked worker processes, one segment each.

:class:`ParallelWriter` is what builds and updates use (:func:`open_writer`):
a :class:`FastSegmentWriter` that, once a build reaches ``PARALLEL_MIN_DOCS``
passages, hands batches round-robin to one worker process per core (forked:
jieba's dictionary is shared, not reloaded), each writing its own segment.
The index then has one segment per worker; the order of documents is
deterministic. Deletions and merges of existing segments (incremental
updates) stay in the calling process, through Whoosh's own pool.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import traceback

from indexer.backends.whoosh.writer.segment import FastSegmentWriter
from indexer.errors import BuildFailed
from indexer.text.segmentation import segmenter

# Passages a build must reach before worker processes start (below, one process is faster).
PARALLEL_MIN_DOCS = 2_000
# Passages per message to a worker.
BATCH_DOCS = 200
# Messages waiting per worker (bounds the memory of the hand-over).
QUEUE_BATCHES = 8
# A worker starts a new segment after this many passages: bounds a worker's memory (~300 MB at 50k
# passages); 100k passages on 2 cores stay 2 segments, 1M become ~17.
SEGMENT_DOCS = 60_000


def open_writer(index, procs: int | None = None, **kwargs) -> "ParallelWriter":
    """The writer for a build: parallel once the build is large enough, one process below that."""
    return ParallelWriter(index, procs=procs, **kwargs)


def default_procs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class WorkerError(BuildFailed):
    """An indexing worker process failed; the message is one line, the worker's traceback is its cause."""


class RemoteTraceback(Exception):
    """A traceback formatted in another process (shown by ``POLICY_SEARCH_DEBUG=1``)."""

    def __str__(self) -> str:
        return self.args[0]


class ParallelWriter(FastSegmentWriter):
    """A build's writer: in-process for small builds, worker processes (one segment each) for large ones."""

    def __init__(self, ix, procs: int | None = None, batch: int = BATCH_DOCS,
                 parallel_min: int = PARALLEL_MIN_DOCS, **kwargs):
        super().__init__(ix, **kwargs)
        self._ix = ix
        self.procs = default_procs() if procs is None else max(1, procs)
        self.batch = max(1, batch)
        self.parallel_min = parallel_min
        self._buffer: list[dict] = []
        self._workers: list = []
        self._queues: list = []
        self._results = None
        self._next = 0

    def add_document(self, **fields):
        if self._pooled or self.procs < 2 or any(name.startswith("_") for name in fields):
            self._drain_in_process()
            return super().add_document(**fields)
        self._buffer.append(fields)
        if self._workers:
            if len(self._buffer) >= self.batch:
                self._send()
        elif len(self._buffer) >= self.parallel_min:
            self._start_workers()
            while len(self._buffer) >= self.batch:
                self._send()

    def _drain_in_process(self) -> None:
        if self._buffer and not self._workers:
            buffered, self._buffer = self._buffer, []
            for fields in buffered:
                FastSegmentWriter.add_document(self, **fields)

    def _start_workers(self) -> None:
        segmenter()  # loaded once here, shared by the forked workers
        context = multiprocessing.get_context("fork")
        self._results = context.Queue()
        for number in range(self.procs):
            jobs = context.Queue(QUEUE_BATCHES)
            worker = context.Process(target=_worker, args=(self._ix, jobs, self._results, number, os.getpid()),
                                     daemon=True)
            worker.start()
            self._workers.append(worker)
            self._queues.append(jobs)

    def _send(self) -> None:
        batch, self._buffer = self._buffer[:self.batch], self._buffer[self.batch:]
        self._put(self._next, batch)
        self._next = (self._next + 1) % len(self._workers)

    def _put(self, number: int, batch) -> None:
        jobs, worker = self._queues[number], self._workers[number]
        while True:
            try:
                jobs.put(batch, timeout=1.0)
                return
            except queue.Full:
                if not worker.is_alive():
                    self._raise_worker_error()

    def _raise_worker_error(self):
        try:
            while True:
                kind, number, payload = self._results.get_nowait()
                if kind == "error":
                    self._raise_reported(number, payload)
        except queue.Empty:
            pass
        code = next((w.exitcode for w in self._workers if w.exitcode not in (0, None)), None)
        self._stop_workers()
        if code is None:
            raise WorkerError("工作进程意外退出")
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:  # a real-time signal has no name
                name = str(-code)
            how = f"被信号 {name} 终止" + ("，常见原因是内存不足" if code == -signal.SIGKILL else "")
        else:
            how = f"退出码 {code}"
        raise WorkerError(f"工作进程意外退出（{how}）")

    def _raise_reported(self, number: int, payload: tuple[str, str]):
        """A worker's own report of its exception: one line, with its traceback as the cause."""
        summary, details = payload
        self._stop_workers()
        raise WorkerError(f"工作进程 {number} 出错：{summary}") from RemoteTraceback(details)

    def _collect(self) -> list:
        """Finish the workers; their segments in worker order."""
        while self._buffer:
            self._send()
        for number in range(len(self._workers)):
            self._put(number, None)
        segments: dict[int, list] = {}
        while len(segments) < len(self._workers):
            try:
                kind, number, payload = self._results.get(timeout=1.0)
            except queue.Empty:
                if any(not w.is_alive() and w.exitcode not in (0, None) for w in self._workers):
                    self._raise_worker_error()
                continue
            if kind == "error":
                self._raise_reported(number, payload)
            segments[number] = payload
        for worker in self._workers:
            worker.join()
        return [segment for number in sorted(segments) for segment in segments[number]]

    def _stop_workers(self) -> None:
        for worker in self._workers:
            if worker.is_alive():
                worker.terminate()
        for worker in self._workers:
            worker.join()
        self._workers = []

    def commit(self, mergetype=None, optimize=None, merge=None):
        if not self._workers:
            self._drain_in_process()
            return super().commit(mergetype=mergetype, optimize=optimize, merge=merge)
        self._check_state()
        try:
            worker_segments = self._collect()
        except BaseException:
            self.cancel()
            raise
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments + worker_segments)
        self._finish()

    def cancel(self):
        self._buffer = []
        self._stop_workers()
        if not self.is_closed:
            super().cancel()


def _worker(ix, jobs, results, number: int, parent: int) -> None:
    """A worker process: batches of passages into its own segment(s) until told to finish."""
    _die_with_parent()
    try:
        segments = []
        writer = FastSegmentWriter(ix, _lk=False)
        while True:
            try:
                batch = jobs.get(timeout=1.0)
            except queue.Empty:
                if os.getppid() != parent:  # the build was killed: nothing will come
                    os._exit(1)
                continue
            if batch is None:
                break
            for fields in batch:
                writer.add_document(**fields)
            if writer.doc_count() >= SEGMENT_DOCS:
                segments.append(writer.finish_segment())
                writer = FastSegmentWriter(ix, _lk=False)
        if writer._added:
            segments.append(writer.finish_segment())
        else:
            writer._close_segment()
        results.put(("done", number, segments))
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which raises it
        results.put(("error", number, (f"{type(error).__name__}: {error}", traceback.format_exc())))
        results.close()
        results.join_thread()
        os._exit(1)


def _die_with_parent() -> None:
    """Linux: this worker gets SIGKILL when the build process dies, however it dies."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux: the getppid() check remains
        pass
