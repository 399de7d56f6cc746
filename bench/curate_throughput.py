"""Curation throughput per source on the generated corpus (DirectRunner, one process), and where the time goes.

    .venv/bin/python bench/curate_throughput.py --docs 2000 [--sources c4,books]

Prints one row per source: input size, documents read and kept, seconds, documents/s and input MB/s of the Beam
job; then a per-stage profile of the same input outside Beam, one stage at a time in this process: read (open,
decompress, parse into documents), assemble (StackExchange: threads from posts), curate (the source's curator;
its models loaded beforehand), write (Parquet of the kept documents), and which stage is the slowest.
Each measured source's row replaces its entry in bench/results/curate_throughput.json, the per-core rates
`llama-data plan` reads.
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from curation.schema import DOC_SCHEMA, SOURCES, to_row
from orchestration.curate import DEFAULT_CONFIG, load_params, run_curation
from pipelines.io import expand_input
from pipelines.registry import get_source
from readers.limits import Limits
from results_file import RESULTS, record
from samples.make import make_samples


def _read_all(source, input_path: str) -> list[dict]:
    units = expand_input(input_path)
    units = source.units(input_path, units) if source.units else units
    rows = []
    for unit in units:
        if unit.endswith("/"):
            rows += source.read(unit, None, Limits())
        else:
            with FileSystems.open(unit, compression_type=CompressionTypes.UNCOMPRESSED) as f:
                rows += source.read(unit, f, Limits())
    return rows


def _assemble_stackexchange(records: list[dict]) -> list[dict]:
    """What pipelines.stackexchange.Assemble does in Beam, in memory: the same functions, grouped by a dict."""
    from curation.sources import stackexchange as se
    from pipelines.stackexchange import _by_question, _site_of

    posts = [r for r in records if "reason" not in r]
    by_question, per_site = defaultdict(list), defaultdict(int)
    for post in posts:
        key, _ = _by_question(post)
        by_question[key].append(post)
        per_site[_site_of(post)] += 1
    ranks = se.site_ranks(list(per_site.items()))
    threads = [t for group in by_question.values() for t in se.assemble(group)]
    return ([r for r in records if "reason" in r]
            + [t if "reason" in t else se.with_site_rank(t, ranks) for t in threads])


def profile(name: str, input_path: str) -> dict[str, float]:
    """Seconds per stage for one source's input."""
    source = get_source(name)
    curator = source.make_curator(load_params(DEFAULT_CONFIG, source))
    seconds = {}
    start = time.perf_counter()
    records = _read_all(source, input_path)
    seconds["read"] = time.perf_counter() - start
    if source.assemble is not None:
        start = time.perf_counter()
        records = _assemble_stackexchange(records)
        seconds["assemble"] = time.perf_counter() - start
    start = time.perf_counter()
    judged = [r if "reason" in r else curator(r) for r in records]
    seconds["curate"] = time.perf_counter() - start
    start = time.perf_counter()
    kept = sorted((to_row(r) for r in judged if "reason" not in r), key=lambda r: r["id"])
    pq.write_table(pa.Table.from_pylist(kept, schema=DOC_SCHEMA), io.BytesIO(), compression="zstd")
    seconds["write"] = time.perf_counter() - start
    return seconds


RESULTS_FILE = RESULTS / "curate_throughput.json"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sources", default=",".join(SOURCES))
    args = ap.parse_args()
    names = args.sources.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "samples"
        make_samples(corpus, args.docs, args.seed)
        rows = {}
        print(f"\n{'source':<14}{'input MB':>9}{'read':>9}{'kept':>9}{'seconds':>9}{'docs/s':>9}{'MB/s':>7}")
        for name in names:
            mb = sum(p.stat().st_size for p in (corpus / name).rglob("*") if p.is_file()) / 1e6
            start = time.perf_counter()
            stats = run_curation(name, str(corpus / name), Path(tmp) / "run")
            s = time.perf_counter() - start
            print(f"{name:<14}{mb:>9.2f}{stats['read']:>9,}{stats['kept']:>9,}{s:>9.1f}"
                  f"{stats['read'] / s:>9.0f}{mb / s:>7.2f}", flush=True)
            rows[name] = {"input_mb": round(mb, 2), "read": stats["read"], "kept": stats["kept"],
                          "seconds": round(s, 1), "docs_per_s": round(stats["read"] / s), "mb_per_s": round(mb / s, 2)}
        record(RESULTS_FILE, rows, " ".join(["bench/curate_throughput.py", *sys.argv[1:]]))
        print(f"\n{'source':<14}{'read s':>9}{'assemble s':>11}{'curate s':>9}{'write s':>9}  slowest stage")
        for name in names:
            seconds = profile(name, str(corpus / name))
            slowest = max(seconds, key=seconds.get)
            print(f"{name:<14}{seconds['read']:>9.2f}{seconds.get('assemble', 0):>11.2f}{seconds['curate']:>9.2f}"
                  f"{seconds['write']:>9.2f}  {slowest} ({seconds[slowest] / sum(seconds.values()):.0%})", flush=True)


if __name__ == "__main__":
    main()
