"""Peak memory of a source's curation job (DirectRunner) as its input grows: the steps across documents (exact
dedup, StackExchange's question/answer join) group spill file names, not documents, so the peak should stay
about flat while the input grows.

    .venv/bin/python bench/curate_memory.py --sources c4 stackexchange --sizes 5000 40000

Inputs are the sample corpus's writers (`samples/`) at each size: C4 json.gz shards (5% exact copies planted) and
two sites' Posts.xml. Each size runs `llama-data curate`'s job in a fresh process, so its peak RSS is that run's
alone; the table gives the documents read and kept, wall seconds and peak RSS.
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
from random import Random

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def write_input(source: str, folder: Path, n: int) -> int:
    """The sample writer's input of `n` documents; returns the bytes written."""
    from samples.make import WRITERS

    folder.mkdir(parents=True)
    result = WRITERS[source](folder, n, Random(f"0/{source}"), lambda *_: None)
    return sum((folder / f).stat().st_size for f in result["files"])


def child(source: str, input_path: str, run: str) -> None:
    """Run the job and print its seconds, peak RSS and stats as JSON (the job's own process)."""
    from orchestration.curate import run_curation

    start = time.perf_counter()
    stats = run_curation(source, input_path, run)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "stats": stats}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", nargs="+", default=["c4", "stackexchange"])
    ap.add_argument("--sizes", type=int, nargs="+", default=[5_000, 40_000])
    ap.add_argument("--child", nargs=3, metavar=("SOURCE", "INPUT", "RUN"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    print("| source | documents written | input MB | read | kept | duplicates | seconds | peak RSS (MB) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for source in args.sources:
        for n in args.sizes:
            tmp = Path(tempfile.mkdtemp(prefix="curate-memory-"))
            try:
                size = write_input(source, tmp / "in", n)
                out = subprocess.run([sys.executable, __file__, "--child", source, str(tmp / "in"), str(tmp / "run")],
                                     capture_output=True, text=True, check=True)
                result = json.loads(out.stdout.strip().splitlines()[-1])
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            stats = result["stats"]
            print(f"| {source} | {n:,} | {size / 1e6:,.1f} | {stats['read']:,} | {stats['kept']:,} | "
                  f"{stats['dropped'].get('duplicate', 0):,} | {result['seconds']:,.1f} | "
                  f"{result['peak_rss_mb']:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
