"""Array aliases and small random helpers shared by the synthetic generator modules."""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

ObjArray = npt.NDArray[np.object_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
DayArray = npt.NDArray[np.datetime64]


def stream(seed: int, *tags: int) -> np.random.Generator:
    """An independent random stream per stage and tag.

    Keyed streams (instead of one shared generator) keep a stage's draws stable
    when another stage changes how many numbers it consumes.
    """
    return np.random.default_rng([seed, *tags])


def hits(rng: np.random.Generator, n: int, rate: float) -> BoolArray:
    """Mask of n Bernoulli(rate) draws, rate clipped to [0, 1]."""
    return rng.random(n) < min(max(rate, 0.0), 1.0)


@dataclass(frozen=True)
class Grouped:
    """Items grouped by owner: owner i holds values[start[i] : start[i] + count[i]]."""

    values: ObjArray
    tags: ObjArray  # one label per item (a role for accounts, "own"/"shared" for devices)
    shared: BoolArray  # item is shared with other members of the household
    start: IntArray
    count: IntArray

    @staticmethod
    def build(
        owner: IntArray, values: ObjArray, tags: ObjArray, shared: BoolArray, n_owners: int
    ) -> "Grouped":
        order = np.argsort(owner, kind="stable")
        count = np.bincount(owner, minlength=n_owners).astype(np.int64)
        start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
        return Grouped(values[order], tags[order], shared[order], start, count)

    def pick(self, owners: IntArray, u: npt.NDArray[np.float64]) -> IntArray:
        """Index of one item per owner chosen by uniform u in [0, 1); -1 if it holds none."""
        count = self.count[owners]
        idx = self.start[owners] + np.minimum((u * count).astype(np.int64), count - 1)
        return np.where(count > 0, idx, -1)

    def take(self, idx: IntArray, field: ObjArray | None = None) -> ObjArray:
        """Values at idx (from pick) with "" where idx is -1."""
        src = self.values if field is None else field
        out = np.full(len(idx), "", dtype=object)
        ok = idx >= 0
        out[ok] = src[idx[ok]]
        return out
