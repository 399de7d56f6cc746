"""Mix throughput: `llama-data mix` on generated encoded documents, tokens written per second per core.

    .venv/bin/python bench/mix_throughput.py --mb 20 [--epochs 2] [--buckets 8] [--repeat 3] [-- BEAM OPTIONS]

Writes about MB of generated web pages as curated Parquet parts of a temporary run, trains a 2000-piece tokenizer
on them and encodes them (the encode stage), then times the mix command whole (plan, count, scatter, sort, pack,
manifest) with one source drawn `--epochs` times, in about `--buckets` shuffle buckets, best of `--repeat`. Beam
options after `--` pass to the mix (e.g. `--direct_num_workers=2 --direct_running_mode=multi_processing`);
tokens/s per core divides by the cores the options give the job (1 unless `--cores`); the best is recorded as the
mix stage's per-core rate in bench/results/stages.json, which `llama-data plan` reads.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml
from click.testing import CliRunner

from encode_throughput import write_pages
from orchestration.tokens_cli import encode_curated, mix
from results_file import record_stage
from tokens.tokenizer import train


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=20)
    ap.add_argument("--epochs", type=float, default=2)
    ap.add_argument("--buckets", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cores", type=int, default=1)
    ap.add_argument("beam_args", nargs="*")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp)
        texts = write_pages(run, args.mb)
        train(run, {"commoncrawl": 1.0}, 2000, sample_chars=int(min(args.mb, 5) * 1e6), seed=0)
        encoded = encode_curated(run)
        available = sum(p["tokens"] + 2 * p["documents"] for p in encoded["parts"])
        budget = int(args.epochs * available)
        config = run / "mix.yaml"
        config.write_text(yaml.safe_dump({"weights": {"commoncrawl": 1}, "tokens": budget, "seq_len": 2048,
                                          "shard_rows": 1024, "eval_fraction": 0.005,
                                          "shuffle_bucket_tokens": -(-budget // args.buckets)}))
        print(f"{len(texts):,} documents, {available:,} tokens in {len(encoded['parts'])} parts; "
              f"mixing {budget:,} tokens", flush=True)
        seconds = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = CliRunner().invoke(mix, ["--weights", str(config), "--run", str(run), "--out", str(run / "mix"),
                                              *args.beam_args])
            seconds.append(time.perf_counter() - start)
            if result.exit_code:
                sys.exit(result.output)
        manifest = json.loads((run / "mix" / "manifest.json").read_text())
        tokens = sum(s["rows"] for s in manifest["shards"] + manifest["eval_shards"]) * 2049
        best, median = min(seconds), sorted(seconds)[len(seconds) // 2]
        print(f"{tokens:,} tokens written in {manifest['shuffle_buckets']} buckets; best {best:.2f} s, median "
              f"{median:.2f} s; {tokens / best / args.cores / 1e6:.2f}M tokens/s per core (best)")
        command = " ".join(["bench/mix_throughput.py", *sys.argv[1:]])
        record_stage("mix", round(tokens / best / args.cores), "tokens/s", command,
                     tokens=tokens, cores=args.cores, seconds=round(best, 2))


if __name__ == "__main__":
    main()
