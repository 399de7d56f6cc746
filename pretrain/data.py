"""The trainer's view of the mix: its shards (read by tokens/shards.py's `TokenShards`, memory-mapped) and a
deterministic resumable order over their rows."""
from __future__ import annotations

import numpy as np


class Sampler:
    """Row indices for one data-parallel rank, in micro-batches, reproducible from (seed, position).

    Each epoch is a permutation of all rows drawn from (seed, epoch). A step takes the next
    world_size * batch_size rows of it and rank r keeps every world_size-th one starting at r, so ranks
    are disjoint and together cover the epoch; an incomplete tail (fewer than world_size * batch_size rows)
    is skipped. The position {"epoch": e, "index": i} means rows perm_e[:i] are consumed; it is the same
    on every rank, so one copy in the checkpoint resumes all of them.
    """

    def __init__(self, num_rows: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1):
        if num_rows < batch_size * world_size:
            raise ValueError(f"{num_rows} rows cannot fill one step of {world_size} ranks x {batch_size} rows")
        self.num_rows, self.batch_size, self.seed = num_rows, batch_size, seed
        self.rank, self.world_size = rank, world_size
        self.epoch, self.index = 0, 0
        self._perm = self._permutation(0)

    def _permutation(self, epoch: int) -> np.ndarray:
        return np.random.default_rng([self.seed, epoch]).permutation(self.num_rows)

    def next_batch(self) -> np.ndarray:
        step = self.batch_size * self.world_size
        if self.index + step > self.num_rows:
            self.epoch, self.index = self.epoch + 1, 0
            self._perm = self._permutation(self.epoch)
        rows = self._perm[self.index + self.rank : self.index + step : self.world_size]
        self.index += step
        return rows

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "index": self.index}

    def load_state_dict(self, state: dict):
        self.epoch, self.index = int(state["epoch"]), int(state["index"])
        self._perm = self._permutation(self.epoch)
