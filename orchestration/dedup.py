"""`llama-data dedup`: exact, URL and MinHash-LSH near-duplicate removal across all curated sources at once."""
from __future__ import annotations

import json
import shutil
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
    from pipelines.io import expand_input

    for curated in (Path(input_path) / layout.CURATE / "curated", Path(input_path) / "curated"):
        if curated.is_dir():
            input_path = str(curated)
            break
    return [p for p in expand_input(input_path) if p.endswith(".parquet")]


def run_dedup(input_path: str, out_dir: Path, config_path: Path = DEFAULT_CONFIG, num_shards: int = 1,
              beam_args: tuple[str, ...] = ()) -> dict:
    from pipelines import dedup as job

    params = load_config(config_path, job.DedupParams)
    return run_on_documents(input_path, out_dir, lambda p, paths: job.build(p, params, paths, str(out_dir), num_shards),
                            job.temp_dir(str(out_dir)), beam_args)


def run_on_documents(input_path: str, out_dir: Path, build, temp_dir: str, beam_args: tuple[str, ...]) -> dict:
    """Run a stage over the Parquet documents at `input_path` (`build(pipeline, paths)` makes its job) into
    `out_dir`, which it owns: its curated/, rejects/ and stats.json are replaced. Returns the stats."""
    from pipelines.launch import run_job

    paths = input_files(input_path)
    if not paths:
        raise click.UsageError(f"--input {input_path}: no Parquet files found")
    for sub in ("curated", "rejects", ".tmp"):
        shutil.rmtree(out_dir / sub, ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "stats.json").unlink(missing_ok=True)
    run_job(lambda p: build(p, paths), beam_args, temp_dir)
    return json.loads((out_dir / "stats.json").read_text())


def print_summary(stats: dict, seconds: float, out_dir: Path, out=None) -> None:
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
    print(f"  -> {out_dir / 'curated'}/   rejects: {out_dir / 'rejects'}/   stats: {out_dir / 'stats.json'}",
          file=out)


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--out", "run_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Run directory; writes dedup/curated/<source>/, dedup/rejects/<source>/<reason>/, dedup/stats.json.")
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
    start = time.time()
    try:
        stats = run_dedup(input_path or str(run_dir), run_dir / layout.DEDUP, config_path, num_shards, beam_args)
        shutil.rmtree(run_dir / layout.DECONTAMINATE, ignore_errors=True)  # it was made from the documents replaced
    except ConfigError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    print_summary(stats, time.time() - start, run_dir / layout.DEDUP)
