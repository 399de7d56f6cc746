"""`llama-data decontaminate`: drop the documents that share a long n-gram with an evaluation set.

The evaluation sets are local (or gs://, s3://) JSON-lines or Parquet files named in the config or with
`--benchmark NAME=PATH`; their n-gram index is built before the job, so a broken file stops the command with
exit status 2 before anything is written.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import click

from llama_data import layout
from llama_data.config import CONFIGS, ConfigError, check, load_config

DEFAULT_CONFIG = CONFIGS / "decontaminate.yaml"


@dataclass
class DecontaminateParams:
    benchmarks: dict[str, str] = field(default_factory=dict)  # name -> JSON-lines or Parquet file(s), path or glob
    ngram: int = 13  # GPT-3's and dolma's length: a shared 13-gram is a copy, not a common phrase
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> the fields holding text (default: all)

    def __post_init__(self):
        check(self.ngram >= 1, "ngram", "must be at least 1")
        unknown = [name for name in self.fields if name not in self.benchmarks]
        check(not unknown, "fields", f"names no benchmark {unknown[0] if unknown else ''!r}")


def load_params(path: Path) -> DecontaminateParams:
    """The config with its benchmark paths resolved against the config file's folder (gs://, s3:// as they are)."""
    params = load_config(path, DecontaminateParams)
    base = Path(path).resolve().parent
    params.benchmarks = {name: p if "://" in p else str(base / p) for name, p in params.benchmarks.items()}
    return params


def build_index(params: DecontaminateParams):
    """The n-gram index of every benchmark's examples; ConfigError naming the benchmark of a missing or broken
    file."""
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    from curation.decontaminate import Index
    from pipelines.io import expand_input
    from readers.evalsets import example_texts

    index = Index(params.ngram)
    for name, pattern in sorted(params.benchmarks.items()):
        paths = expand_input(pattern)
        if not paths:
            raise ConfigError(f"benchmark '{name}': no files found at {pattern}")
        try:
            for path in paths:
                with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
                    for text in example_texts(path, f, params.fields.get(name)):
                        index.add(name, text)
        except ValueError as e:
            raise ConfigError(f"benchmark '{name}': {e}") from None
    return index


def run_decontaminate(input_path: str, out_dir: str | Path, params: DecontaminateParams, num_shards: int = 1,
                      beam_args: tuple[str, ...] = ()) -> dict:
    """Decontaminate the Parquet documents at `input_path` (a folder or glob) into `out_dir`
    ({curated,rejects}/<source>/, stats.json); return the stats."""
    from orchestration.dedup import run_on_documents
    from pipelines import decontaminate as job
    from pipelines.launch import job_options

    job_options(beam_args)  # the evaluation sets may be on an object store too
    index = build_index(params)
    return run_on_documents(input_path, out_dir, lambda p, paths: job.build(p, index, paths, str(out_dir), num_shards),
                            job.temp_dir(str(out_dir)), beam_args)


def print_summary(stats: dict, seconds: float, out_dir: str, out=None) -> None:
    from pipelines.storage import join

    out = out or sys.stdout
    read = sum(s["read"] for s in stats["sources"].values())
    kept = sum(s["kept"] for s in stats["sources"].values())
    print(f"\ndecontaminate ({stats['ngram']}-grams): {read:,} documents read, {kept:,} kept, {read - kept:,} "
          f"contaminated in {seconds:.1f}s", file=out)
    for name, b in stats["benchmarks"].items():
        print(f"  {name:<20}{b['examples']:>9,} examples ({b['short']:,} shorter than an n-gram) "
              f"{b['contaminated']:>9,} documents dropped", file=out)
    print(f"  -> {join(out_dir, 'curated')}/   rejects: {join(out_dir, 'rejects')}/   "
          f"stats: {join(out_dir, 'stats.json')}", file=out)


def _benchmark(value: str) -> tuple[str, str]:
    name, sep, path = value.partition("=")
    if not sep or not name or not path:
        raise click.BadParameter(f"expected NAME=PATH, got {value!r}", param_hint="'--benchmark'")
    return name, path


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--out", "run_dir", required=True,
              help="Run directory (local, gs://, s3://); writes decontaminate/{curated,rejects}/<source>/ and "
                   "decontaminate/stats.json.")
@click.option("--input", "input_path", default=None,
              help="Parquet documents, folder or glob (local, gs://, s3://) "
                   "[default: the --out run's deduplicated documents].")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_CONFIG, show_default=True, help="Benchmarks and n-gram length (YAML).")
@click.option("--benchmark", "extra", multiple=True, metavar="NAME=PATH",
              help="An evaluation set (JSON lines or Parquet) added to the config's; repeatable.")
@click.option("--shards", "num_shards", type=click.IntRange(min=1), default=1, show_default=True,
              help="Output Parquet files per source (and per reject reason).")
@click.argument("beam_args", nargs=-1, type=click.UNPROCESSED)
def decontaminate(run_dir, input_path, config_path, extra, num_shards, beam_args):
    """Drop documents sharing an n-gram (13 words by default) with an evaluation set, with a Beam job."""
    from pipelines.storage import join

    start = time.time()
    try:
        params = load_params(config_path)
        params.benchmarks |= dict(map(_benchmark, extra))
        if not params.benchmarks:
            raise ConfigError(f"{config_path}: 'benchmarks' is empty; name evaluation sets there or with --benchmark")
        stats = run_decontaminate(input_path or join(run_dir, layout.DEDUP, "curated"),
                                  join(run_dir, layout.DECONTAMINATE), params, num_shards, beam_args)
    except ConfigError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    print_summary(stats, time.time() - start, join(run_dir, layout.DECONTAMINATE))
