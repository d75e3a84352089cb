"""The ``policy-search`` command: searching (:mod:`.commands`) and keeping a collection (:mod:`.collection`)."""

from indexer.cli.commands import main

__all__ = ["main"]
