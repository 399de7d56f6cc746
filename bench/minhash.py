"""MinHash signature throughput (docs/s on one core) against datasketch and rensa, and near-dedup quality on
pairs planted at controlled Jaccard levels.

Every implementation runs pinned to one core (this process and the rensa subprocess it starts, with Rayon,
OpenMP and BLAS held to one thread) and is timed in CPU seconds of its process, so that other jobs on a
shared machine slow the wall clock but not the ratios within one run.

    .venv/bin/python bench/minhash.py --docs 2000 --runs 3
    # rensa, a benchmark-only peer, lives in its own venv:
    python3 -m venv bench/.venv-peers && bench/.venv-peers/bin/pip install rensa numpy
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

for _var in ("RAYON_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"                                      # before numpy loads; inherited by rensa

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from curation.minhash import MinHasher, estimated_jaccard, jaccard, shingle_set  # noqa: E402

VOCAB = [f"{w}{i}" for i, w in enumerate(["data", "model", "river", "stone", "light", "quiet"] * 1000)]


def make_doc(rng: random.Random, chars: int = 2000) -> str:
    words, n = [], 0
    while n < chars:
        w = rng.choice(VOCAB)
        words.append(w)
        n += len(w) + 1
    return " ".join(words)


def grams(text: str, n: int = 5) -> list[bytes]:
    w = text.lower().split()
    return [" ".join(w[i:i + n]).encode() for i in range(max(1, len(w) - n + 1))]


def bench_ours(docs, num_perm):
    hasher = MinHasher(num_perm=num_perm)
    hasher.signatures(docs[:256])                               # first-call allocations
    start = time.process_time()
    for i in range(0, len(docs), 256):
        hasher.signatures(docs[i:i + 256])
    return len(docs) / (time.process_time() - start)


def bench_datasketch(docs, num_perm):
    from datasketch import MinHash

    start = time.process_time()
    for d in docs:
        m = MinHash(num_perm=num_perm)
        for g in grams(d):
            m.update(g)
    per_doc = len(docs) / (time.process_time() - start)
    start = time.process_time()
    MinHash.bulk([grams(d) for d in docs], num_perm=num_perm)
    return per_doc, len(docs) / (time.process_time() - start)


RENSA = """
import json, sys, time
from rensa import RMinHash
docs = json.load(sys.stdin)
start = time.process_time()
for d in docs:
    w = d.lower().split()
    m = RMinHash(num_perm=%d, seed=1)
    m.update([" ".join(w[i:i + 5]) for i in range(len(w) - 4)])
    m.digest()
print(len(docs) / (time.process_time() - start))
"""


def bench_rensa(docs, num_perm):
    python = Path(__file__).parent / ".venv-peers" / "bin" / "python"
    if not python.exists():
        return None
    out = subprocess.run([str(python), "-c", RENSA % num_perm], input=json.dumps(docs), capture_output=True,
                         text=True, check=True)
    return float(out.stdout)


def quality(rng, threshold, num_perm, pairs_per_level=200):
    """Pairs planted at Jaccard levels around the threshold; LSH candidates confirmed by exact Jaccard."""
    hasher = MinHasher.for_threshold(threshold, num_perm, fp_weight=0.1, fn_weight=0.9)
    rows = []
    for level in np.round(np.arange(threshold - 0.2, threshold + 0.16, 0.05), 2):
        found = 0
        for _ in range(pairs_per_level):
            a = make_doc(rng).split()
            k = 0
            b = list(a)
            while True:  # replace single words until the exact Jaccard falls to the level
                b[rng.randrange(len(b))] = f"z{k}"
                k += 1
                if jaccard(shingle_set(" ".join(a)), shingle_set(" ".join(b))) <= level + 0.005:
                    break
            sa, sb = (" ".join(a), " ".join(b))
            sig = hasher.signatures([sa, sb])
            bands = hasher.band_hashes(sig)
            candidate = bool((bands[0] == bands[1]).any())
            found += candidate and jaccard(shingle_set(sa), shingle_set(sb)) >= threshold
        rows.append((float(level), found / pairs_per_level))
    return hasher, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--threshold", type=float, default=0.7)
    ap.add_argument("--pairs", type=int, default=100)
    ap.add_argument("--runs", type=int, default=1, help="throughput rows, each with its own ratio")
    ap.add_argument("--estimate-pairs", type=int, default=1000)
    ap.add_argument("--core", type=int, default=0)
    args = ap.parse_args()
    os.sched_setaffinity(0, {args.core})
    rng = random.Random(0)
    docs = [make_doc(rng) for _ in range(args.docs)]
    print(f"signatures, {args.docs} docs of 2000 chars, {args.num_perm} permutations, word 5-grams, "
          f"core {args.core} only, docs per CPU second")
    print("| run | llama-data | rensa | datasketch per-doc | datasketch bulk | llama-data / rensa |")
    print("|---:|---:|---:|---:|---:|---:|")
    for run in range(1, args.runs + 1):
        ours = bench_ours(docs, args.num_perm)
        ds_doc, ds_bulk = bench_datasketch(docs, args.num_perm)
        rensa = bench_rensa(docs, args.num_perm)
        ratio = f"{ours / rensa:.2f}x" if rensa else "rensa not installed"
        print(f"| {run} | {ours:,.0f} | {rensa or 0:,.0f} | {ds_doc:,.0f} | {ds_bulk:,.0f} | {ratio} |", flush=True)
    # Estimate error against the exact Jaccard, ours and datasketch's, on the same pairs.
    from datasketch import MinHash
    hasher, err_ours, err_ds, diff = MinHasher(num_perm=args.num_perm), [], [], []
    for _ in range(args.estimate_pairs):
        a = docs[rng.randrange(len(docs))].split()
        b = [w if rng.random() > rng.random() * 0.1 else "q" for w in a]
        sa, sb = " ".join(a), " ".join(b)
        exact = jaccard(shingle_set(sa), shingle_set(sb))
        sig = hasher.signatures([sa, sb])
        m = MinHash.bulk([grams(sa), grams(sb)], num_perm=args.num_perm)
        err_ours.append(estimated_jaccard(sig[0], sig[1]) - exact)
        err_ds.append(m[0].jaccard(m[1]) - exact)
        diff.append(estimated_jaccard(sig[0], sig[1]) - m[0].jaccard(m[1]))
    print(f"\nestimate vs exact Jaccard, {args.estimate_pairs} pairs: MAE ours {np.mean(np.abs(err_ours)):.4f} (bias "
          f"{np.mean(err_ours):+.4f}), datasketch {np.mean(np.abs(err_ds)):.4f} (bias {np.mean(err_ds):+.4f}); "
          f"mean |ours - datasketch| {np.mean(np.abs(diff)):.4f}, mean difference {np.mean(diff):+.4f}")
    hasher, rows = quality(rng, args.threshold, args.num_perm, args.pairs)
    print(f"\nquality at threshold {args.threshold}: {hasher.bands} bands x {hasher.rows} rows, "
          f"{args.pairs} planted pairs per level (found = LSH candidate and exact Jaccard >= threshold)")
    print("| planted Jaccard | found |\n|---:|---:|")
    for level, share in rows:
        print(f"| {level:.2f} | {share:.3f} |")


if __name__ == "__main__":
    main()
