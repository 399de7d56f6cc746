"""Scale: the dedup and curation jobs on a local Dask cluster against the DirectRunner, on the same input, at
growing sizes: wall time, documents/s per core, peak RSS per worker, and whether both wrote the same bytes.

    .venv/bin/python bench/scale.py --job dedup --sizes 30000 100000 300000 1000000
    .venv/bin/python bench/scale.py --job curate --sizes 30000 100000

dedup: bench/dedup_growth.py's corpus (synthetic 200-word documents, 13% planted copies, 10,000 to a Parquet
file), `llama-data dedup` with the default config. curate: the generated CommonCrawl WARCs (samples/), the
CommonCrawl curation job with the default config less the perplexity LM and the quality classifier (trained
models: `make crawl-shards` makes them).
Each size and runner runs in a fresh process. The DirectRunner is one process (one core); its peak RSS is that
process's. The Dask cluster is a scheduler in the job's process and WORKERS worker processes of one thread each,
with a memory limit per worker (`--memory-limit`); a worker's peak RSS is its own process's, read by the worker
when the job has ended (a worker restarted by its nanny would be reported, not hidden). Per core: the DirectRunner's
time x 1 core, Dask's x WORKERS cores; `dask/direct` is the ratio of time per core (1.0: as fast per core).
CPU s: user + system CPU seconds of the job, for Dask its workers' and this process's (scheduler and client):
the work done, which other load on a shared machine does not inflate as it does the wall time of parallel workers.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
WORKERS = 2


def make_input(job: str, folder: Path, n: int) -> Path:
    if job == "dedup":
        from dedup_growth import write_corpus

        write_corpus(folder / "run" / "curate" / "curated" / "commoncrawl", n, 200)
        return folder / "run"
    from random import Random

    from orchestration.curate import DEFAULT_CONFIG
    from samples.make import WRITERS

    (folder / "warcs").mkdir(parents=True)
    WRITERS["commoncrawl"](folder / "warcs", n, Random("0/commoncrawl"), lambda *_: None)
    config = yaml.safe_load(DEFAULT_CONFIG.read_text())
    config["commoncrawl"] |= {"perplexity_models": None, "classifier_model": None}  # models need `make crawl-shards`
    (folder / "curation.yaml").write_text(yaml.safe_dump(config))
    return folder / "warcs"


def run_job(job: str, input_path: str, out: str, beam_args: tuple[str, ...]) -> dict:
    if job == "dedup":
        from orchestration.dedup import run_dedup

        stats = run_dedup(input_path, Path(out) / "dedup", beam_args=beam_args)
        return {"read": sum(s["read"] for s in stats["sources"].values()),
                "kept": sum(s["kept"] for s in stats["sources"].values())}
    from orchestration.curate import run_curation

    stats = run_curation("commoncrawl", input_path, out, Path(input_path).parent / "curation.yaml", beam_args=beam_args)
    return {"read": stats["read"], "kept": stats["kept"]}


def cpu_seconds() -> float:
    """User and system CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(job: str, runner: str, input_path: str, out: str, memory_limit: str) -> None:
    """One job in this process; prints seconds, CPU seconds, peak RSS per process and counts as JSON."""
    cpu = cpu_seconds()
    if runner == "direct":
        start = time.perf_counter()
        counts = run_job(job, input_path, out, ())
        seconds = time.perf_counter() - start
        cpu = cpu_seconds() - cpu
        rss = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]
    else:
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            pids = client.run(lambda: __import__("os").getpid())
            workers_cpu = client.run(cpu_seconds)
            cpu, start = cpu_seconds(), time.perf_counter()
            counts = run_job(job, input_path, out, ("--runner=orchestration.runners.DaskRunner",
                                                    f"--dask_client_address={cluster.scheduler_address}"))
            seconds = time.perf_counter() - start
            cpu = cpu_seconds() - cpu + sum(seconds_now - workers_cpu.get(w, 0.0)
                                            for w, seconds_now in client.run(cpu_seconds).items())
            peaks = client.run(lambda: __import__("resource").getrusage(
                __import__("resource").RUSAGE_SELF).ru_maxrss / 1024)
            rss = [peaks[w] for w in sorted(peaks)]
            counts["restarted_workers"] = len(set(pids) ^ set(peaks))
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rss_mb": rss, **counts}))


def digest(folder: Path) -> str:
    """One hash of every output file's relative path and bytes (stats files too)."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "/." not in f"/{p.relative_to(folder)}"):
        h.update(str(path.relative_to(folder)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--job", choices=["dedup", "curate"], default="dedup")
    ap.add_argument("--sizes", type=int, nargs="+", default=[30_000, 100_000])
    ap.add_argument("--memory-limit", default="4GB", help="per Dask worker")
    ap.add_argument("--runners", nargs="+", default=["direct", "dask"])
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"{args.job}: DirectRunner (1 process) vs local Dask cluster ({WORKERS} workers x 1 thread, "
          f"memory limit {args.memory_limit} each)", flush=True)
    print("| documents | runner | seconds | docs/s per core | peak RSS per worker (MB) | dask/direct per core | "
          "CPU s | dask/direct CPU | same bytes |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for n in args.sizes:
        tmp = Path(tempfile.mkdtemp(prefix="scale-", dir=ROOT / "runs" if (ROOT / "runs").is_dir() else None))
        try:
            started = time.perf_counter()
            input_path = make_input(args.job, tmp / "input", n)
            print(f"  ({n:,} documents written in {time.perf_counter() - started:.0f}s)", file=sys.stderr, flush=True)
            results, digests = {}, {}
            for runner in args.runners:
                out = tmp / runner
                proc = subprocess.run([sys.executable, __file__, "--child", args.job, runner, str(input_path),
                                       str(out), args.memory_limit], capture_output=True, text=True)
                if proc.returncode:
                    print(f"| {n:,} | {runner} | failed: {proc.stderr.strip().splitlines()[-1][:200]} |||||||",
                          flush=True)
                    continue
                results[runner] = r = json.loads(proc.stdout.strip().splitlines()[-1])
                digests[runner] = digest(out)
                cores = 1 if runner == "direct" else WORKERS
                ratio = (f"{r['seconds'] * cores / results['direct']['seconds']:.2f}"
                         if runner != "direct" and "direct" in results else "")
                cpu_ratio = (f"{r['cpu_seconds'] / results['direct']['cpu_seconds']:.2f}"
                             if runner != "direct" and "direct" in results else "")
                same = ("yes" if digests[runner] == digests.get("direct") else "NO") if runner != "direct" else ""
                restarted = f" ({r['restarted_workers']} restarted)" if r.get("restarted_workers") else ""
                print(f"| {n:,} | {runner} | {r['seconds']:,.1f} | {r['read'] / r['seconds'] / cores:,.0f} | "
                      f"{' / '.join(f'{m:,.0f}' for m in r['rss_mb'])}{restarted} | {ratio} | {r['cpu_seconds']:,.1f} | "
                      f"{cpu_ratio} | {same} |", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
