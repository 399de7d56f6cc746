"""Token shards from the mix stage, memory-mapped, and a deterministic resumable order over their rows.

A shard is an Arrow IPC file with one column `tokens: fixed_size_list<uint16>[seq_len + 1]`; a row gives a
training example as inputs = row[:-1], targets = row[1:]. Rows are read straight out of the page cache
(no copy, no load time), so every rank can map every shard and the sampler alone decides who reads what.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa

SPLITS = {"train": "shards", "eval": "eval_shards"}


class TokenShards:
    """The rows of one split of `data_dir/manifest.json`, indexed 0..len-1 across all its shards."""

    def __init__(self, data_dir: str | Path, split: str = "train"):
        data_dir = Path(data_dir)
        manifest_path = data_dir / "manifest.json"
        if not manifest_path.is_file():
            raise FileNotFoundError(f"{manifest_path}: no manifest (is {data_dir} the output of the mix stage?)")
        manifest = json.loads(manifest_path.read_text())
        self.seq_len, self.vocab_size = manifest["seq_len"], manifest["vocab_size"]
        self.dtype = np.dtype(manifest.get("dtype", "uint16"))
        self.tokenizer_sha256 = manifest.get("tokenizer_sha256")  # of the tokenizer.model that made the tokens
        entries = manifest[SPLITS[split]]
        for entry in entries:
            if not (data_dir / entry["path"]).is_file():
                raise FileNotFoundError(f"{manifest_path} lists shard {entry['path']}, which is missing")
        if not entries:
            raise ValueError(f"{manifest_path}: no {split} shards listed under '{SPLITS[split]}'")
        # One (rows, seq_len + 1) view per record batch; _starts[k] is the global index of block k's row 0.
        self._blocks = [block for entry in entries for block in self._map(data_dir / entry["path"], entry["rows"])]
        self._starts = np.cumsum([0] + [len(b) for b in self._blocks])

    def _map(self, path: Path, rows: int) -> list[np.ndarray]:
        source = pa.memory_map(str(path), "r")
        try:  # the mix writes Arrow IPC streams (the format of Hugging Face datasets); IPC files are read too
            reader = pa.ipc.open_stream(source)
        except pa.ArrowInvalid:
            reader = pa.ipc.open_file(source)
        field = reader.schema.field("tokens") if "tokens" in reader.schema.names else None
        expected = pa.list_(pa.from_numpy_dtype(self.dtype), self.seq_len + 1)
        if field is None or field.type != expected:
            raise ValueError(f"{path}: expected a column 'tokens' of {expected}, got schema {reader.schema}")
        blocks = []
        for tokens in reader.read_all().column("tokens").chunks:
            flat = tokens.flatten().to_numpy(zero_copy_only=True)  # a view of the mapped file
            blocks.append(flat.reshape(len(tokens), self.seq_len + 1))
        if sum(len(block) for block in blocks) != rows:
            raise ValueError(f"{path}: manifest says {rows} rows, file has {sum(len(b) for b in blocks)}")
        return blocks

    def __len__(self) -> int:
        return int(self._starts[-1])

    def __getitem__(self, i: int) -> np.ndarray:
        if not 0 <= i < len(self):
            raise IndexError(f"row {i} out of range for {len(self)} rows")
        k = int(np.searchsorted(self._starts, i, side="right")) - 1
        return self._blocks[k][i - self._starts[k]]

    def batch(self, indices) -> np.ndarray:
        """Rows `indices` stacked into a (len(indices), seq_len + 1) array (the one copy, into the batch)."""
        return np.stack([self[int(i)] for i in indices])


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
