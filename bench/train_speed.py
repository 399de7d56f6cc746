"""CPU training throughput of `deepspeed pretrain/run.py` for the tiny and ~100M configurations.

    .venv/bin/python bench/train_speed.py [--configs tiny 100m] [--ranks 1 2] [--steps 4] [--seq-len 256]

Each run is the real command (`deepspeed --num_gpus R pretrain/run.py --config configs/train/NAME.yaml`) on
random-token shards with a 32000-token vocabulary, the config's model, micro-batch and optimiser, and the
batch cut to one micro-batch per rank (no accumulation) and `--steps` steps so that it ends in minutes.
tokens/s is the median over the steps after the first (which pays one-off allocation), from
OUT/metrics.jsonl; the final checkpoint write is not in it.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import yaml

ROOT = Path(__file__).resolve().parents[1]
VOCAB = 32000


def write_shards(out: Path, seq_len: int, rows: int = 512):
    """A mix-stage output of random tokens (throughput does not depend on their values)."""
    out.mkdir(parents=True)
    rng = np.random.default_rng(0)
    entries = {}
    for split, name, n in (("shards", "shard-00000.arrow", rows), ("eval_shards", "eval-00000.arrow", 16)):
        values = pa.array(rng.integers(0, VOCAB, n * (seq_len + 1)).astype(np.uint16), type=pa.uint16())
        table = pa.table({"tokens": pa.FixedSizeListArray.from_arrays(values, seq_len + 1)})
        with pa.ipc.new_file(str(out / name), table.schema) as writer:
            writer.write_table(table)
        entries[split] = [{"path": name, "rows": n, "sha256": "-"}]
    (out / "manifest.json").write_text(json.dumps({"seq_len": seq_len, "vocab_size": VOCAB, "dtype": "uint16",
                                                   **entries}))


def run(name: str, ranks: int, steps: int, data: Path, tmp: Path) -> dict:
    config = yaml.safe_load((ROOT / "configs/train" / f"{name}.yaml").read_text())
    seq_len = json.loads((data / "manifest.json").read_text())["seq_len"]
    config.update(max_steps=steps, batch_tokens=config["micro_batch_size"] * seq_len * ranks, warmup_steps=1,
                  checkpoint_every=0, eval_every=0, log_every=1, keep_last=1)
    path = tmp / f"{name}-{ranks}.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp / f"out-{name}-{ranks}"
    cmd = [str(Path(sys.executable).parent / "deepspeed"), "--num_gpus", str(ranks), "pretrain/run.py",
           "--config", str(path), "--data", str(data), "--out", str(out)]
    t0 = time.time()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "DS_ACCELERATOR": "cpu", "OMP_NUM_THREADS": str(max(1, os.cpu_count() // ranks))})
    if done.returncode:
        sys.exit(f"{name} on {ranks} rank(s) failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    rates = [json.loads(line)["tokens_per_s"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    params = next(line for line in done.stdout.splitlines() if "parameters" in line).split(":")[1].split()[0]
    return dict(name=name, ranks=ranks, params=params, mb=config["micro_batch_size"], seq=seq_len,
                tokens_per_s=statistics.median(rates[1:]), wall=time.time() - t0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=["tiny", "100m"])
    parser.add_argument("--ranks", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--seq-len", type=int, default=256)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "mixed"
        write_shards(data, args.seq_len)
        for name in args.configs:
            for ranks in args.ranks:
                print(f"{name} on {ranks} rank(s), {args.steps} steps ...", flush=True)
                rows.append(run(name, ranks, args.steps, data, Path(tmp)))
                print(f"  {rows[-1]['tokens_per_s']:,.0f} tokens/s ({rows[-1]['wall']:.0f} s with startup)", flush=True)
    print(f"\n{os.cpu_count()} CPU cores, fp32, ZeRO-3 on gloo, vocab {VOCAB}, seq {args.seq_len}")
    print("| config | params | ranks | micro-batch x seq | tokens/s | seconds/step | wall s (incl. startup) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        tokens_per_step = r["mb"] * r["seq"] * r["ranks"]
        print(f"| {r['name']} | {r['params']} | {r['ranks']} | {r['mb']} x {r['seq']} | {r['tokens_per_s']:,.0f} | "
              f"{tokens_per_step / r['tokens_per_s']:.2f} | {r['wall']:.0f} |")


if __name__ == "__main__":
    main()
