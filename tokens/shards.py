"""The mix's output format: shard-NNNNN.arrow and eval-NNNNN.arrow token shards and their manifest.json.

A shard is an uncompressed Arrow IPC stream (the format of Hugging Face datasets' .arrow files: `Dataset.from_file`
reads only streams) with one column `tokens: fixed_size_list<uint16>[seq_len + 1]` (uint32 for vocabularies
over 65536); a row gives a training example as inputs = row[:-1], targets = row[1:]. manifest.json, written last,
lists the training shards under `shards` and the held-out ones under `eval_shards`, each with its rows, sha256 and
tokens per source, beside seq_len, vocab_size, dtype and the mix's plan. The mix writes them (tokens/mix.py), the
trainer reads them (`TokenShards`): rows straight out of the page cache (no copy, no load time), so every rank can
map every shard and the trainer's sampler alone decides who reads what.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa

from llama_data.files import atomic_write, file_sha256

MANIFEST = "manifest.json"
SPLITS = {"train": "shards", "eval": "eval_shards"}  # split -> its list in the manifest
KINDS = ("shard", "eval")  # file name prefixes of the training and the held-out shards


def shard_name(kind: str, index: int) -> str:
    return f"{kind}-{index:05d}.arrow"


def write_shard(path: Path, rows) -> str:
    """Write `rows` (n, seq_len + 1) atomically as an uncompressed Arrow IPC stream; return its sha256."""
    column = pa.FixedSizeListArray.from_arrays(pa.array(rows.reshape(-1)), rows.shape[1])
    table = pa.table({"tokens": column})
    tmp = path.with_name(f".{path.name}.tmp")
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    os.replace(tmp, path)
    return file_sha256(path)


def remove_manifest(out_dir: Path):
    """Mark `out_dir` incomplete while new shards are written."""
    (out_dir / MANIFEST).unlink(missing_ok=True)


def remove_stale_shards(out_dir: Path, written: set[str]):
    """Delete the shard files of an earlier mix that the new one did not write."""
    for kind in KINDS:
        for stale in out_dir.glob(f"{kind}-*.arrow"):
            if stale.name not in written:
                stale.unlink()


def write_manifest(out_dir: Path, manifest: dict):
    atomic_write(out_dir / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())


def read_manifest(data_dir: Path) -> dict:
    path = data_dir / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no manifest (is {data_dir} the output of the mix stage?)")
    return json.loads(path.read_text())


class TokenShards:
    """The rows of one split of `data_dir/manifest.json`, indexed 0..len-1 across all its shards."""

    def __init__(self, data_dir: str | Path, split: str = "train"):
        data_dir = Path(data_dir)
        manifest = read_manifest(data_dir)
        self.seq_len, self.vocab_size = manifest["seq_len"], manifest["vocab_size"]
        self.dtype = np.dtype(manifest.get("dtype", "uint16"))
        self.tokenizer_sha256 = manifest.get("tokenizer_sha256")  # of the tokenizer.model that made the tokens
        entries = manifest[SPLITS[split]]
        for entry in entries:
            if not (data_dir / entry["path"]).is_file():
                raise FileNotFoundError(f"{data_dir / MANIFEST} lists shard {entry['path']}, which is missing")
        if not entries:
            raise ValueError(f"{data_dir / MANIFEST}: no {split} shards listed under '{SPLITS[split]}'")
        # One (rows, seq_len + 1) view per record batch; _starts[k] is the global index of block k's row 0.
        self._blocks = [block for entry in entries for block in self._map(data_dir / entry["path"], entry["rows"])]
        self._starts = np.cumsum([0] + [len(b) for b in self._blocks])

    def _map(self, path: Path, rows: int) -> list[np.ndarray]:
        source = pa.memory_map(str(path), "r")
        try:  # the mix writes Arrow IPC streams; IPC files are read too
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
