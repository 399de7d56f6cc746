"""`llama-data dedup`: exact, URL and MinHash-LSH near-duplicate removal across all curated sources at once."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from llama_data import layout
from llama_data.config import CONFIGS, ConfigError, load_config

DEFAULT_CONFIG = CONFIGS / "dedup.yaml"


def input_files(input_path: str) -> list[str]:
    """The Parquet documents of a run directory (RUN/curate/curated), of a curate stage's folder (its curated/),
    or of a folder or glob of Parquet files."""
    from pipelines import storage
    from pipelines.io import expand_input

    if not storage.is_glob(input_path):
        folders = (storage.join(input_path, layout.CURATE, "curated"), storage.join(input_path, "curated"))
        input_path = next((folder for folder in folders if storage.is_dir(folder)), input_path)
    return [p for p in expand_input(input_path) if p.endswith(".parquet")]


def run_dedup(input_path: str, out_dir: str | Path, config_path: Path = DEFAULT_CONFIG, num_shards: int = 1,
              beam_args: tuple[str, ...] = ()) -> dict:
    from pipelines import dedup as job

    params = load_config(config_path, job.DedupParams)
    return run_on_documents(input_path, out_dir, lambda p, paths: job.build(p, params, paths, str(out_dir), num_shards),
                            job.temp_dir(str(out_dir)), beam_args)


def run_on_documents(input_path: str, out_dir: str | Path, build, temp_dir: str, beam_args: tuple[str, ...]) -> dict:
    """Run a stage over the Parquet documents at `input_path` (`build(pipeline, paths)` makes its job) into
    `out_dir` (a local folder, gs:// or s3://), which it owns: its curated/, rejects/ and stats.json are replaced.
    Returns the stats."""
    from pipelines import storage
    from pipelines.launch import job_options, run_job

    job_options(beam_args)  # before any path is touched: an object store's endpoint and keys
    paths = input_files(input_path)
    if not paths:
        raise click.UsageError(f"--input {input_path}: no Parquet files found")
    for sub in ("curated", "rejects", ".tmp"):
        storage.remove_tree(storage.join(out_dir, sub))
    storage.remove(storage.join(out_dir, "stats.json"))
    run_job(lambda p: build(p, paths), beam_args, temp_dir)
    return json.loads(storage.read_text(storage.join(out_dir, "stats.json")))


def print_summary(stats: dict, seconds: float, out_dir: str, out=None) -> None:
    from pipelines.storage import join

    out = out or sys.stdout
    read = sum(s["read"] for s in stats["sources"].values())
    kept = sum(s["kept"] for s in stats["sources"].values())
    print(f"\ndedup: {read:,} documents read, {kept:,} kept, {read - kept:,} removed in {seconds:.1f}s", file=out)
    for name, s in stats["sources"].items():
        drops = ", ".join(f"{n:,} {reason}" for reason, n in sorted(s["dropped"].items())) or "nothing dropped"
        print(f"  {name:<14}{s['read']:>9,} read {s['kept']:>9,} kept   {drops}", file=out)
    near = stats.get("near")
    if near:
        sizes = ", ".join(f"{n:,}x{size}" for size, n in near["cluster_sizes"].items()) or "none"
        print(f"  near: {near['bands']} bands x {near['rows']} rows, {near['candidate_pairs']:,} candidate pairs, "
              f"{near.get('confirmed_pairs', near['candidate_pairs']):,} confirmed; clusters (count x size): {sizes}",
              file=out)
        if not near["converged"]:
            print(f"  warning: connected components not converged after {near['max_rounds']} rounds "
                  f"({near['unconverged_nodes']:,} nodes); raise max_rounds to remove every near duplicate",
                  file=out)
    print(f"  -> {join(out_dir, 'curated')}/   rejects: {join(out_dir, 'rejects')}/   "
          f"stats: {join(out_dir, 'stats.json')}", file=out)


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--out", "run_dir", required=True,
              help="Run directory (local, gs://, s3://); writes dedup/curated/<source>/, "
                   "dedup/rejects/<source>/<reason>/, dedup/stats.json.")
@click.option("--input", "input_path", default=None,
              help="Run directory (its curate/curated/), folder or glob of Parquet documents (local, gs://, s3://) "
                   "[default: the --out run's curated documents].")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_CONFIG, show_default=True, help="Dedup settings (YAML).")
@click.option("--shards", "num_shards", type=click.IntRange(min=1), default=1, show_default=True,
              help="Output Parquet files per source (and per reject reason).")
@click.argument("beam_args", nargs=-1, type=click.UNPROCESSED)
def dedup(run_dir, input_path, config_path, num_shards, beam_args):
    """Remove exact, URL and near duplicates within and across sources with a Beam job (DirectRunner unless
    Beam options such as --runner=... follow)."""
    from pipelines.storage import join, remove_tree

    start = time.time()
    try:
        stats = run_dedup(input_path or run_dir, join(run_dir, layout.DEDUP), config_path, num_shards, beam_args)
        remove_tree(join(run_dir, layout.DECONTAMINATE))  # it was made from the documents replaced
    except ConfigError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    print_summary(stats, time.time() - start, join(run_dir, layout.DEDUP))
