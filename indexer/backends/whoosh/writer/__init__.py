"""The index writer: :func:`open_writer` gives the build's writer (parallel once a build is large)."""

from indexer.backends.whoosh.writer.pool import ParallelWriter, WorkerError, default_procs, open_writer

__all__ = ["ParallelWriter", "WorkerError", "default_procs", "open_writer"]
