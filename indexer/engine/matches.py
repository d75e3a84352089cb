"""A query's matches over a whole index, as arrays: what a backend's evaluation hands to the ranking."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Matches:
    """A query's matches over the whole index: which passages, and each one's score (0 elsewhere)."""

    mask: np.ndarray
    scores: np.ndarray

    def docnums(self) -> np.ndarray:
        return np.flatnonzero(self.mask)
