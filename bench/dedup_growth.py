"""How the Beam dedup job (`llama-data dedup`: exact, URL and MinHash-LSH near duplicates, DirectRunner) grows
with the number of documents: wall time, docs/s and peak RSS per size, and the ratio of time to linear growth.

    .venv/bin/python bench/dedup_growth.py --sizes 10000 100000 300000

Documents are synthetic (random words of a 20,000-word vocabulary, `--words` per document) written as curated
Parquet, 10,000 to a file. After the first 100, of every 100 documents 2 are exact copies (spacing and case
changed) of an earlier one, 1 another text at the http spelling of an earlier https URL, and 10 near copies
of an earlier one (a run of 3 words replaced: 7 of ~200 shingles, Jaccard about 0.93). Each size runs the
job in a fresh process, so its peak RSS is that run's alone; the script checks that exactly the planted copies
were removed. The last (largest) size's curated MB/s (text bytes over wall seconds; one DirectRunner process is
one core) is recorded as the dedup stage's per-core rate in bench/results/stages.json, which `llama-data plan` reads.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from results_file import record_stage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PER_FILE = 10_000
WINDOW = 10_000  # copies are made of the last WINDOW originals (bounded memory at any size)


def write_corpus(folder: Path, n: int, words: int, seed: int = 0) -> tuple[dict, int]:
    """`n` documents in Parquet shards; returns how many copies of each kind were planted, and the text bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from curation.schema import DOC_SCHEMA, make_doc, to_row

    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(20_000)], dtype=object)
    planted = {"exact_duplicate": 0, "url_duplicate": 0, "near_duplicate": 0}
    texts, urls = [], []  # the last WINDOW originals that copies are made of, and URLs that are reused
    text_bytes = 0

    def fresh() -> str:
        return " ".join(vocab[rng.integers(0, len(vocab), words)])

    folder.mkdir(parents=True)
    for start in range(0, n, PER_FILE):
        rows = []
        for i in range(start, min(n, start + PER_FILE)):
            roll, kind = i % 100, None
            text, url = fresh(), f"https://site{i}.example/"
            if i < 100 or roll >= 13:
                if roll == 13:
                    urls.append(url)  # a page whose URL a later document reuses
                else:
                    texts.append(text)
            elif roll < 2:
                text, url, kind = texts[rng.integers(len(texts))].upper().replace(" ", "  "), url, "exact_duplicate"
            elif roll == 2:
                url, kind = urls[rng.integers(len(urls))].replace("https://", "http://"), "url_duplicate"
            else:
                ws = texts[rng.integers(len(texts))].split(" ")
                at = rng.integers(0, words - 3)
                ws[at:at + 3] = [f"x{i}", f"y{i}", f"z{i}"]
                text, kind = " ".join(ws), "near_duplicate"
            if kind:
                planted[kind] += 1
            text_bytes += len(text.encode())
            rows.append(to_row(make_doc("commoncrawl", str(i), text, url)))
        del texts[:-WINDOW], urls[:-WINDOW]
        pq.write_table(pa.Table.from_pylist(rows, schema=DOC_SCHEMA), folder / f"part-{start // PER_FILE:05d}.parquet")
    return planted, text_bytes


def child(run: str, out: str) -> None:
    """Run the job and print its seconds, peak RSS and stats as JSON (the job's own process)."""
    from orchestration.dedup import run_dedup

    start = time.perf_counter()
    stats = run_dedup(run, Path(out))
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "stats": stats}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--words", type=int, default=200)
    ap.add_argument("--child", nargs=2, metavar=("RUN", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"| documents | seconds | docs/s | peak RSS (MB) | time / linear from {args.sizes[0]:,} | removed |")
    print("|---:|---:|---:|---:|---:|---|")
    base = None
    for n in args.sizes:
        tmp = Path(tempfile.mkdtemp(prefix="dedup-growth-"))
        try:
            planted, text_bytes = write_corpus(tmp / "run" / "curated" / "commoncrawl", n, args.words)
            out = subprocess.run([sys.executable, __file__, "--child", str(tmp / "run"), str(tmp / "out")],
                                 capture_output=True, text=True, check=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        dropped = result["stats"]["sources"]["commoncrawl"]["dropped"]
        assert dropped == {k: v for k, v in planted.items() if v}, (dropped, planted)
        seconds = result["seconds"]
        base = base or seconds / n
        removed = ", ".join(f"{v:,} {k.split('_')[0]}" for k, v in sorted(dropped.items()))
        print(f"| {n:,} | {seconds:,.1f} | {n / seconds:,.0f} | {result['peak_rss_mb']:,.0f} | "
              f"{seconds / (base * n):.2f} | {removed} (all planted) |", flush=True)
    mb = text_bytes / 1e6
    record_stage("dedup", round(mb / seconds, 3), "curated MB/s", " ".join(["bench/dedup_growth.py", *sys.argv[1:]]),
                 documents=n, curated_mb=round(mb, 1), seconds=round(seconds, 1))


if __name__ == "__main__":
    main()
