"""`llama-data curate`: one source's Beam curation job into RUN/curate/{curated,rejects}/<source>/."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from curation.schema import SOURCES
from llama_data import layout
from llama_data.config import CONFIGS, ConfigError, from_dict, read_yaml

DEFAULT_CONFIG = CONFIGS / "curation.yaml"


def load_params(config_path: Path, source):
    """The source's thresholds from the `<source>:` section of the curation config (defaults if absent)."""
    return _section(read_curation_config(config_path), config_path, source.name, source.params)


def load_filters(config_path: Path):
    """The `filters:` section of the curation config (URL blocklist and PII scrubbing per source)."""
    from curation.filters import Filters

    return _section(read_curation_config(config_path), config_path, "filters", Filters)


def read_curation_config(config_path: Path) -> dict:
    """The curation config as a mapping of source -> thresholds, plus `limits` and `filters`; unknown keys are
    refused."""
    raw = read_yaml(config_path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_path}: top level must be a mapping of source -> thresholds")
    unknown = sorted(set(raw) - set(SOURCES) - {"limits", "filters"})
    if unknown:
        raise ConfigError(f"{config_path}: unknown key '{unknown[0]}' (known: limits, filters, {', '.join(SOURCES)})")
    return raw


def _section(raw: dict, config_path: Path, key: str, cls):
    return from_dict(cls, raw.get(key) or {}, str(config_path), f"{key}.")


def merge_stats(run_dir: str) -> dict:
    """RUN/curate/stats.json: the per-source stats files gathered into one, written atomically."""
    from pipelines import storage
    from pipelines.io import write_json

    stats = {}
    for part in storage.match(storage.join(run_dir, "stats", "*.json")):
        stats[storage.basename(part).removesuffix(".json")] = json.loads(storage.read_text(part))
    write_json(storage.join(run_dir, "stats.json"), stats)
    return stats


def run_curation(source_name: str, input_path: str, run_dir: str | Path, config_path: Path = DEFAULT_CONFIG,
                 num_shards: int = 1, beam_args: tuple[str, ...] = ()) -> dict:
    """Curate one source into `run_dir` (a local folder, gs:// or s3://) with a Beam job; return its stats."""
    from curation.filters import Filters
    from pipelines import curate as job
    from pipelines import storage
    from pipelines.io import expand_input
    from pipelines.launch import job_options, run_job
    from pipelines.registry import get_source
    from readers.limits import Limits

    job_options(beam_args)  # before any path is touched: an object store's endpoint and keys
    run_dir = str(run_dir)
    source = get_source(source_name)
    config = read_curation_config(config_path)
    params = _section(config, config_path, source.name, source.params)
    file_limits = _section(config, config_path, "limits", Limits)
    filters = _section(config, config_path, "filters", Filters)
    paths = expand_input(input_path)
    if source.units is not None:
        paths = source.units(input_path, paths)
    if not paths:
        raise click.UsageError(f"--input {input_path}: no files found")
    for sub in ("curated", "rejects", ".tmp"):  # a curation run owns its source's outputs: rerun replaces them
        storage.remove_tree(storage.join(run_dir, sub, source_name))
    storage.remove(storage.join(run_dir, "stats", f"{source_name}.json"))

    run_job(lambda p: job.build(p, source, params, paths, run_dir, num_shards, file_limits, filters), beam_args,
            job.temp_dir(run_dir, source_name))
    return merge_stats(run_dir)[source_name]


def print_summary(stats: dict, seconds: float, run_dir: str, out=None) -> None:
    from pipelines.storage import join

    out = out or sys.stdout  # looked up at call time, so click's test runner captures it
    name = stats["source"]
    print(f"\n{name}: {stats['files']} files, {stats['read']:,} documents read, {stats['kept']:,} kept "
          f"({stats['kept_chars']:,} chars) in {seconds:.1f}s", file=out)
    for reason, n in sorted(stats["dropped"].items(), key=lambda kv: -kv[1]):
        print(f"  dropped {n:>8,}  {reason}", file=out)
    print(f"  -> {join(run_dir, 'curated', name)}/   rejects: {join(run_dir, 'rejects', name)}/", file=out)


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--source", type=click.Choice(SOURCES), required=True, help="Which source's job to run.")
@click.option("--input", "input_path", required=True, help="File, directory or glob (local, gs://, s3://).")
@click.option("--out", "run_dir", required=True,
              help="Run directory (local, gs://, s3://); writes curate/curated/<source>/, curate/rejects/<source>/ "
                   "and curate/stats.json.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_CONFIG, show_default=True, help="Per-source thresholds (YAML).")
@click.option("--shards", "num_shards", type=click.IntRange(min=1), default=1, show_default=True,
              help="Output Parquet files per source (and per reject reason).")
@click.argument("beam_args", nargs=-1, type=click.UNPROCESSED)
def curate(source, input_path, run_dir, config_path, num_shards, beam_args):
    """Curate one source with a Beam job (DirectRunner unless Beam options such as --runner=... follow)."""
    from pipelines.storage import join

    start = time.time()
    try:
        stats = run_curation(source, input_path, join(run_dir, layout.CURATE), config_path, num_shards, beam_args)
    except ConfigError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    print_summary(stats, time.time() - start, join(run_dir, layout.CURATE))
