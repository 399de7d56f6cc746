"""Curation throughput per source on the generated corpus (DirectRunner, one process).

    .venv/bin/python bench/curate_throughput.py --docs 2000 [--sources c4,books]

Prints one row per source: input size, documents read and kept, seconds, documents/s and input MB/s.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from curation.schema import SOURCES
from orchestration.curate import run_curation
from orchestration.samples import make_samples


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sources", default=",".join(SOURCES))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "samples"
        make_samples(corpus, args.docs, args.seed)
        print(f"\n{'source':<14}{'input MB':>9}{'read':>9}{'kept':>9}{'seconds':>9}{'docs/s':>9}{'MB/s':>7}")
        for name in args.sources.split(","):
            mb = sum(p.stat().st_size for p in (corpus / name).rglob("*") if p.is_file()) / 1e6
            start = time.perf_counter()
            stats = run_curation(name, str(corpus / name), Path(tmp) / "run")
            s = time.perf_counter() - start
            print(f"{name:<14}{mb:>9.2f}{stats['read']:>9,}{stats['kept']:>9,}{s:>9.1f}"
                  f"{stats['read'] / s:>9.0f}{mb / s:>7.2f}", flush=True)


if __name__ == "__main__":
    main()
