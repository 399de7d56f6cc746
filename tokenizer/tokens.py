"""The encoded documents of a run: RUN/tokens/<source>/<part>.arrow and RUN/tokens/manifest.json.

Written by the encode stage (pipelines/encode.py), read by the mix. Each part is an Arrow IPC file with columns
`id` (the curated document id) and `tokens` (list<uint16>, or uint32 for vocabularies over 65536: the ids without
bos/eos), memory-mapped when read. The manifest records the tokenizer's sha256 and, per part, the curated file it
came from (name and size) and its documents, tokens, chars and text bytes.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np


def tokens_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / "tokens"


def token_dtype(vocab_size: int) -> str:
    return "uint16" if vocab_size <= 1 << 16 else "uint32"


def manifest(run_dir: str | Path) -> dict | None:
    path = tokens_dir(run_dir) / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else None


def curated_inputs(run_dir: str | Path, sources) -> list[tuple[str, str]]:
    """(source, path) of every curated part of `sources`; an error naming the first source without any."""
    from tokenizer.train import curated_parts

    return [(s, str(p)) for s in sources for p in curated_parts(run_dir, s)]


def is_current(run_dir: str | Path, sources, model: bytes) -> bool:
    """Whether RUN/tokens holds `sources` encoded by this tokenizer from the curated parts there now."""
    encoded = manifest(run_dir)
    if encoded is None or encoded["tokenizer_sha256"] != hashlib.sha256(model).hexdigest():
        return False
    listed = {(p["source"], p["curated"], p["curated_bytes"]) for p in encoded["parts"]}
    wanted = {(s, Path(p).name, os.path.getsize(p)) for s, p in curated_inputs(run_dir, sources)}
    return wanted <= listed and all((tokens_dir(run_dir) / p["path"]).is_file() for p in encoded["parts"])


def summarize(encoded: dict) -> dict[str, dict]:
    """Per source of a tokens manifest, in source order: parts, documents, tokens, chars and text bytes."""
    from curation.schema import SOURCES

    totals = {}
    for part in encoded["parts"]:
        t = totals.setdefault(part["source"], {"parts": 0, "documents": 0, "tokens": 0, "chars": 0, "text_bytes": 0})
        t["parts"] += 1
        for key in ("documents", "tokens", "chars", "text_bytes"):
            t[key] += part[key]
    return {s: totals[s] for s in SOURCES if s in totals}


def encoded_parts(run_dir: str | Path, sources) -> dict[str, list[Path]]:
    """The encoded part files of each of `sources`, in a stable order."""
    parts = manifest(run_dir)["parts"]
    return {s: [tokens_dir(run_dir) / p["path"] for p in parts if p["source"] == s] for s in sources}


def read_part(path: Path):
    """The record batches of an encoded part, memory-mapped, as (id64, offsets, ids): 64 bits of each document
    id, each document's offsets into `ids`, and the ids (a view of the file)."""
    import pyarrow as pa

    reader = pa.ipc.open_file(pa.memory_map(str(path)))
    for b in range(reader.num_record_batches):
        batch = reader.get_batch(b)
        tokens = batch.column("tokens")
        id64 = np.array([int(i[:16], 16) for i in batch.column("id").to_pylist()], np.uint64)
        yield id64, tokens.offsets.to_numpy().astype(np.int64), tokens.values.to_numpy(zero_copy_only=True)
