"""`llama-data mix`: curated documents -> shuffled fixed-length token rows in the paper's proportions.

Each document is encoded as `bos text eos` (ids 1 ... 2), so every document in a packed row starts the way a
prompt does at inference. Source s gets `weight_s * tokens` of the budget, rounded to whole rows of `seq_len + 1`
tokens (the inputs plus the targets shifted by one). A source is read as an endless stream of epochs, each a fresh
seeded permutation of its documents, cut where its rows are full: a source with fewer tokens than its target is
repeated (epochs > 1, as the paper does for Books and Wikipedia), one with more is subsampled (epochs < 1);
epochs = tokens used / tokens available. Rows are packed per source, then all rows are shuffled together with the
seed; the first `eval_fraction` of them become eval shards. Encoded tokens wait in temporary files, so memory holds
one offset per document of one source, not the documents.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import click

from orchestration.config import CONFIGS, ConfigError, check, load_config

WARN_EPOCHS = 4.0  # the paper repeats no source more than ~2.4 times; far beyond that a model starts to memorise


@dataclass
class MixConfig:
    weights: dict[str, float] = field(default_factory=dict)  # source -> weight, normalised to sum 1
    tokens: float = 1.4e12  # total token budget
    seq_len: int = 2048
    seed: int = 0
    shard_rows: int = 65536  # rows per shard file
    eval_fraction: float = 0.005  # share of rows held out for evaluation (at least one row when > 0)

    def __post_init__(self):
        from curation.schema import SOURCES

        check(bool(self.weights), "weights", "must give at least one source a weight")
        for source, weight in self.weights.items():
            check(source in SOURCES, f"weights.{source}", f"is not a source (known: {', '.join(SOURCES)})")
            check(weight > 0, f"weights.{source}", f"must be positive, got {weight}")
        total = sum(self.weights.values())
        self.weights = {s: self.weights[s] / total for s in SOURCES if s in self.weights}
        check(self.tokens >= 1, "tokens", f"must be at least 1, got {self.tokens}")
        check(self.seq_len >= 1, "seq_len", f"must be at least 1, got {self.seq_len}")
        check(self.shard_rows >= 1, "shard_rows", f"must be at least 1, got {self.shard_rows}")
        check(0 <= self.eval_fraction < 1, "eval_fraction", f"must be in [0, 1), got {self.eval_fraction}")


def encode_source(sp, parts: list[Path], path: Path, dtype):
    """Encode every document of a source as bos + text + eos into the flat token file `path`.
    Returns the document offsets into that file (one more than the documents)."""
    import numpy as np
    import pyarrow.parquet as pq
    from tqdm import tqdm

    from tokenizer.train import BOS_ID, EOS_ID

    files = [pq.ParquetFile(p) for p in parts]
    lengths = []
    with open(path, "wb") as out, tqdm(total=sum(f.metadata.num_rows for f in files), unit="doc",
                                       desc=f"encode {parts[0].parent.name}", leave=False) as bar:
        for f in files:
            for batch in f.iter_batches(columns=["text"]):
                for ids in sp.encode(batch.column("text").to_pylist()):
                    np.array([BOS_ID, *ids, EOS_ID], dtype).tofile(out)
                    lengths.append(len(ids) + 2)
                bar.update(batch.num_rows)
    return np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])


def take_epochs(tokens, offsets, need: int, rng, out) -> int:
    """Append the first `need` tokens of an endless stream of seeded epochs over the documents to file `out`.
    Returns how many documents were used (repeats counted, the one cut at the end too)."""
    taken = used = 0
    while taken < need:
        for d in rng.permutation(len(offsets) - 1):
            doc = tokens[offsets[d]:offsets[d + 1]][:need - taken]
            doc.tofile(out)
            taken += len(doc)
            used += 1
            if taken == need:
                break
    return used


def write_shard(path: Path, rows) -> str:
    """Write `rows` (n, seq_len + 1) as an uncompressed Arrow IPC file atomically; return its sha256."""
    import pyarrow as pa

    column = pa.FixedSizeListArray.from_arrays(pa.array(rows.reshape(-1)), rows.shape[1])
    table = pa.table({"tokens": column})
    tmp = path.with_name(f".{path.name}.tmp")
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    os.replace(tmp, path)
    return file_sha256(path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def build_mix(config: MixConfig, run_dir: str | Path, out_dir: str | Path) -> dict:
    """Encode, select, pack, shuffle and shard RUN/curated into `out_dir`; return the manifest (written last)."""
    import numpy as np
    from tqdm import tqdm

    from curation.schema import SOURCES
    from tokenizer.train import curated_parts, load, model_path

    sp = load(run_dir)  # missing tokenizer or curated data fails before anything is written
    parts = {s: curated_parts(run_dir, s) for s in config.weights}
    out_dir = Path(out_dir)
    row_len = config.seq_len + 1
    dtype = np.uint16 if len(sp) < 65536 else np.uint32
    target_rows = {s: max(1, round(w * config.tokens / row_len)) for s, w in config.weights.items()}
    total_rows = sum(target_rows.values())
    n_eval = math.ceil(config.eval_fraction * total_rows) if config.eval_fraction > 0 else 0
    if n_eval >= total_rows:
        raise ValueError(f"a budget of {config.tokens:g} tokens makes {total_rows} rows of {row_len}: "
                         f"none left for training after {n_eval} eval rows; raise tokens")

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "manifest.json").unlink(missing_ok=True)  # the folder is incomplete until the new manifest
    tmp = out_dir / ".tmp-mix"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()

    realised = {}
    with open(tmp / "rows.bin", "wb") as rows_file:  # all sources' rows, one after another, in SOURCES order
        for source, n_rows in target_rows.items():
            offsets = encode_source(sp, parts[source], tmp / f"{source}.tokens", dtype)
            available = int(offsets[-1])
            if available == 0:
                raise ValueError(f"the curated data of '{source}' has no documents")
            tokens = np.memmap(tmp / f"{source}.tokens", dtype, mode="r")
            rng = np.random.default_rng([config.seed, SOURCES.index(source)])
            used = take_epochs(tokens, offsets, n_rows * row_len, rng, rows_file)
            del tokens
            (tmp / f"{source}.tokens").unlink()
            realised[source] = {"tokens": n_rows * row_len, "documents": used,
                                "epochs": round(n_rows * row_len / available, 4),
                                "share": round(n_rows / total_rows, 6),
                                "target_share": round(config.weights[source], 6),
                                "available_tokens": available, "available_documents": len(offsets) - 1}

    rows = np.memmap(tmp / "rows.bin", dtype, mode="r", shape=(total_rows, row_len))
    source_ends = np.cumsum(list(target_rows.values()))  # row i belongs to source searchsorted(ends, i, "right")
    order = np.random.default_rng(config.seed).permutation(total_rows)

    shards = {"eval": [], "shard": []}
    for kind, indices in (("eval", order[:n_eval]), ("shard", order[n_eval:])):
        for k, start in enumerate(tqdm(range(0, len(indices), config.shard_rows), desc=f"write {kind}", leave=False)):
            chunk = indices[start:start + config.shard_rows]
            name = f"{kind}-{k:05d}.arrow"
            counts = np.bincount(np.searchsorted(source_ends, chunk, "right"), minlength=len(target_rows)) * row_len
            shards[kind].append({"path": name, "rows": len(chunk), "sha256": write_shard(out_dir / name, rows[chunk]),
                                 "sources": {s: int(n) for s, n in zip(target_rows, counts) if n}})
    del rows
    shutil.rmtree(tmp)
    written = {s["path"] for s in shards["eval"] + shards["shard"]}
    for stale in [*out_dir.glob("shard-*.arrow"), *out_dir.glob("eval-*.arrow")]:
        if stale.name not in written:
            stale.unlink()

    manifest = {"seq_len": config.seq_len, "vocab_size": len(sp), "dtype": np.dtype(dtype).name,
                "seed": config.seed, "tokenizer_sha256": file_sha256(model_path(run_dir)),
                "document": "bos text eos", "bos_id": sp.bos_id(), "eos_id": sp.eos_id(),
                "weights": config.weights, "budget_tokens": int(config.tokens), "realised": realised,
                "shards": shards["shard"], "eval_shards": shards["eval"]}
    tmp_manifest = out_dir / ".manifest.json.tmp"
    tmp_manifest.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp_manifest, out_dir / "manifest.json")
    return manifest


@click.command()
@click.option("--weights", "config_path", default=str(CONFIGS / "mix.yaml"), show_default=True,
              type=click.Path(dir_okay=False), help="Mix config: source weights, token budget, seq_len, seed.")
@click.option("--run", "run_dir", required=True, type=click.Path(file_okay=False),
              help="Run directory (reads curated/ and tokenizer/).")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False), help="Output [default: RUN/mixed].")
def mix(config_path, run_dir, out_dir):
    """Tokenize, mix, pack and shuffle RUN/curated into Arrow token shards and a manifest."""
    try:
        config = load_config(config_path, MixConfig)
    except ConfigError as e:
        raise click.BadParameter(str(e), param_hint="'--weights'") from None
    out_dir = Path(out_dir or Path(run_dir) / "mixed")
    try:
        manifest = build_mix(config, run_dir, out_dir)
    except (FileNotFoundError, ValueError) as e:
        raise click.ClickException(str(e)) from None

    rows = sum(s["rows"] for s in manifest["shards"] + manifest["eval_shards"])
    click.echo(f"wrote {len(manifest['shards'])} shards + {len(manifest['eval_shards'])} eval shards "
               f"({rows:,} rows of {config.seq_len + 1} tokens, {manifest['dtype']}) to {out_dir}")
    click.echo(f"{'source':<14}{'target':>8}{'realised':>10}{'tokens':>16}{'epochs':>8}")
    for source, r in manifest["realised"].items():
        click.echo(f"{source:<14}{r['target_share']:>8.2%}{r['share']:>10.2%}{r['tokens']:>16,}{r['epochs']:>8.2f}")
        if r["epochs"] > WARN_EPOCHS:
            click.echo(f"warning: '{source}' is repeated {r['epochs']:.1f} times (more than {WARN_EPOCHS:g}): "
                       f"the budget is larger than its data supports", err=True)
