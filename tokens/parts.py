"""The encoded documents of a run: RUN/encode/<source>/<part>.arrow and RUN/encode/manifest.json.

Written by the encode stage (pipelines/encode.py), read by the mix. Each part is an Arrow IPC file with columns
`id` (the curated document id) and `tokens` (list<uint16>, or uint32 for vocabularies over 65536: the ids without
bos/eos), in the curated part's document order, memory-mapped when read. The manifest, written last, records the
tokenizer's sha256 and, per part, the curated file it came from (name and size) and its documents, tokens, chars
and text bytes, so that the mix can tell current tokens from stale ones.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
from pathlib import Path

import numpy as np

from llama_data import layout
from llama_data.files import atomic_write
from tokens.tokenizer import curated_parts


class StaleTokens(ValueError):
    """RUN/encode is missing, or was not encoded by this tokenizer from the curated parts there now."""


def tokens_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / layout.ENCODE


def token_dtype(vocab_size: int) -> str:
    return "uint16" if vocab_size <= 1 << 16 else "uint32"


def part_path(out_dir: str | Path, source: str, curated: str | Path) -> Path:
    """Where the encoded tokens of curated part `curated` of `source` go."""
    return Path(out_dir) / source / f"{Path(curated).stem}.arrow"


def write_part(path: Path, dtype: str, batches) -> tuple[int, int]:
    """Write an encoded part atomically from `batches` of (document ids: a pyarrow array, their encoded ids:
    lists of ints), one Arrow record batch each; return its documents and tokens."""
    import pyarrow as pa

    schema = pa.schema([("id", pa.string()), ("tokens", pa.list_(pa.from_numpy_dtype(np.dtype(dtype))))])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    docs = tokens = 0
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        for ids, encoded in batches:
            lengths = np.fromiter(map(len, encoded), np.int32, len(encoded))
            offsets = np.zeros(len(encoded) + 1, np.int32)
            np.cumsum(lengths, out=offsets[1:])
            flat = np.fromiter(itertools.chain.from_iterable(encoded), dtype, int(offsets[-1]))
            column = pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat))
            writer.write_batch(pa.record_batch([ids.cast(pa.string()), column], schema=schema))
            docs, tokens = docs + len(encoded), tokens + int(offsets[-1])
    os.replace(tmp, path)
    return docs, tokens


def write_manifest(out_dir: str | Path, model_sha256: str, dtype: str, parts: list[dict]):
    """RUN/encode/manifest.json listing `parts` (the encode stage's per-part records) in path order."""
    parts = sorted(parts, key=lambda p: p["path"])
    manifest = {"tokenizer_sha256": model_sha256, "dtype": dtype, "document": "ids without bos/eos",
                "parts": parts}
    atomic_write(Path(out_dir) / "manifest.json", (json.dumps(manifest, indent=1) + "\n").encode())


def manifest(run_dir: str | Path) -> dict | None:
    path = tokens_dir(run_dir) / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else None


def curated_inputs(run_dir: str | Path, sources) -> list[tuple[str, str]]:
    """(source, path) of every curated part of `sources`; an error naming the first source without any."""
    return [(s, str(p)) for s in sources for p in curated_parts(run_dir, s)]


def is_current(run_dir: str | Path, sources, model: bytes) -> bool:
    """Whether RUN/encode holds `sources` encoded by this tokenizer from the curated parts there now
    (a source without curated parts is an error, whatever RUN/encode holds)."""
    wanted = {(s, Path(p).name, os.path.getsize(p)) for s, p in curated_inputs(run_dir, sources)}
    encoded = manifest(run_dir)
    if encoded is None or encoded["tokenizer_sha256"] != hashlib.sha256(model).hexdigest():
        return False
    listed = {(p["source"], p["curated"], p["curated_bytes"]) for p in encoded["parts"]}
    return wanted <= listed and all((tokens_dir(run_dir) / p["path"]).is_file() for p in encoded["parts"])


def require_current(run_dir: str | Path, sources, model: bytes):
    """`is_current`, or StaleTokens naming the command that encodes them."""
    if not is_current(run_dir, sources, model):
        raise StaleTokens(f"{tokens_dir(run_dir)} is missing or stale (not encoded from the curated documents there "
                          f"now with this tokenizer); run `llama-data tokenizer encode --run {run_dir}` first")


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
