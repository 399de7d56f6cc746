"""`llama-data plan --tokens 1.4e12`: what a run of that size needs, before it is started.

Per source: the tokens the mix asks for, the unique tokens behind them at the paper's epochs, the curated text
that holds them at the paper's bytes per token (Table 1: disk size over unique tokens), and the raw input that
yields that text at the measured keep rate; then disk, shard counts and core-hours per stage from per-core rates
that bench/ scripts measure: curation (bench/curate_throughput.py into bench/results/curate_throughput.json, MB/s of
raw input per source) and dedup, encode and mix (bench/results/stages.json: MB/s of curated text, tokens/s encoded,
tokens/s written to the mix).
The keep rate of the benchmark corpus stands in for that of real data until `--run RUN` (a curated run on real
data) gives a measured one.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import click

from llama_data.config import CONFIGS, ConfigError, load_config

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results"
RATES = RESULTS / "curate_throughput.json"
STAGES = RESULTS / "stages.json"
# stage -> (unit of its rate, the script that measures it into STAGES)
STAGE_RATES = {"dedup": ("curated MB/s", "bench/dedup_growth.py --sizes 20000"),
               "encode": ("tokens/s", "bench/encode_throughput.py --mb 5"),
               "mix": ("tokens/s", "bench/mix_throughput.py --mb 5 --epochs 20 --buckets 16")}
PAPER_TOKENS = 1.4e12
# LLaMA Table 1: sampling proportion, epochs and disk size (GB) of each source for 1.4T tokens.
TABLE1 = {
    "commoncrawl": (0.670, 1.10, 3300), "c4": (0.150, 1.06, 783), "github": (0.045, 0.64, 328),
    "wikipedia": (0.045, 2.45, 83), "books": (0.045, 2.23, 85), "arxiv": (0.025, 1.06, 92),
    "stackexchange": (0.020, 1.03, 78),
}
PAPER_TOKENS_PER_GPU_S = 380  # §2.4: the 65B model on 2048 A100-80GB GPUs


def benchmark_rates(path: Path = RATES) -> dict[str, dict]:
    """source -> {"mb_per_s", "keep"} from the curation benchmark's results (one DirectRunner process = one core)."""
    results = json.loads(path.read_text())
    missing = [s for s in TABLE1 if s not in results]
    if missing:
        raise click.ClickException(f"{path}: no curation throughput for {', '.join(missing)}; "
                                   f"run bench/curate_throughput.py --sources {','.join(missing)}")
    return {s: {"mb_per_s": r["mb_per_s"], "keep": r["kept"] / r["read"]} for s, r in results.items()}


def stage_rates(path: Path = STAGES) -> dict[str, float]:
    """stage -> per-core rate in its STAGE_RATES unit, from the stage benchmarks' results."""
    results = json.loads(path.read_text()) if path.exists() else {}
    for stage, (unit, script) in STAGE_RATES.items():
        if results.get(stage, {}).get("unit") != unit:
            raise click.ClickException(f"{path}: no {stage} throughput in {unit}; run {script}")
    return {stage: results[stage]["rate"] for stage in STAGE_RATES}


def run_keep_rates(run_dir: Path) -> dict[str, float]:
    """Measured kept text bytes per raw input byte of a curated run (its input listings are in RUN/.done)."""
    stats = json.loads((run_dir / "curate" / "stats.json").read_text())
    rates = {}
    for source, s in stats.items():
        marker = run_dir / ".done" / f"curate.{source}.json"
        listing = json.loads(marker.read_text())["params"]["input"] if marker.exists() else None
        if listing:
            rates[source] = s["kept_chars"] / max(1, sum(size for _, size, _ in listing))
    return rates


def plan_rows(tokens: float, weights: dict[str, float], seq_len: int, shard_rows: int, shard_mb: float,
              rates: dict[str, dict], keep: dict[str, float]) -> list[dict]:
    rows = []
    for source, weight in weights.items():
        prop, epochs, disk_gb = TABLE1[source]
        bytes_per_token = disk_gb * 1e9 / (prop * PAPER_TOKENS / epochs)
        want = weight * tokens
        curated = want / epochs * bytes_per_token
        keep_rate = keep.get(source, rates[source]["keep"])
        raw = curated / keep_rate
        rows.append({"source": source, "tokens": want, "epochs": epochs, "unique_tokens": want / epochs,
                     "curated_bytes": curated, "raw_bytes": raw, "keep": keep_rate, "measured_keep": source in keep,
                     "curate_core_hours": raw / 1e6 / rates[source]["mb_per_s"] / 3600,
                     "curated_shards": math.ceil(curated / (shard_mb * 1e6))})
    return rows


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:,.1f} {unit}"
        n /= 1000


@click.command()
@click.option("--tokens", type=float, required=True, help="Training tokens, e.g. 1.4e12 (the paper's 65B run).")
@click.option("--mix", "mix_path", default=str(CONFIGS / "mix.yaml"), show_default=True,
              type=click.Path(dir_okay=False), help="Mix config: weights, seq_len, shard_rows.")
@click.option("--run", "run_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="A `llama-data run` on real data whose measured keep rates replace the benchmark's.")
@click.option("--shard-mb", default=256.0, show_default=True, help="Target size of a curated Parquet shard.")
def plan(tokens, mix_path, run_dir, shard_mb):
    """Estimate raw input, core-hours, disk and shards per stage for a token budget."""
    from tokens.mix import MixConfig

    try:
        mix = load_config(mix_path, MixConfig)
    except ConfigError as e:
        raise click.BadParameter(str(e), param_hint="'--mix'") from None
    keep = run_keep_rates(run_dir) if run_dir else {}
    rows = plan_rows(tokens, mix.weights, mix.seq_len, mix.shard_rows, shard_mb, benchmark_rates(), keep)
    rates = stage_rates()

    click.echo(f"plan for {tokens:.3g} training tokens (mix {mix_path}; rates from {RATES.name}, {STAGES.name}"
               f"{f' and {run_dir}' if keep else ''})\n")
    click.echo(f"{'source':<14}{'tokens':>10}{'epochs':>7}{'curated':>12}{'keep':>8}{'raw input':>12}"
               f"{'core-h':>10}{'shards':>8}")
    for r in rows:
        click.echo(f"{r['source']:<14}{r['tokens'] / 1e9:>9.1f}B{r['epochs']:>7.2f}{_size(r['curated_bytes']):>12}"
                   f"{r['keep']:>7.0%}{'*' if r['measured_keep'] else ' '}{_size(r['raw_bytes']):>12}"
                   f"{r['curate_core_hours']:>10,.0f}{r['curated_shards']:>8,}")
    raw = sum(r["raw_bytes"] for r in rows)
    curated = sum(r["curated_bytes"] for r in rows)
    unique = sum(r["unique_tokens"] for r in rows)
    hours = {"curate": sum(r["curate_core_hours"] for r in rows),
             "dedup": curated / 1e6 / rates["dedup"] / 3600,
             "encode": unique / rates["encode"] / 3600,
             "mix": tokens / rates["mix"] / 3600}
    seqs = tokens / (mix.seq_len + 1)
    token_bytes = 2  # uint16 ids: LLaMA's 32,000-piece vocabulary is under 65,536
    click.echo(f"\n{'stage':<12}{'disk':>12}{'shards':>10}{'core-h':>12}  compute")
    click.echo(f"{'raw input':<12}{_size(raw):>12}")
    click.echo(f"{'curate':<12}{_size(curated):>12}{sum(r['curated_shards'] for r in rows):>10,}"
               f"{hours['curate']:>12,.0f}  {_size(raw)} of raw input at each source's MB/s per core")
    click.echo(f"{'dedup':<12}{_size(curated):>12}{'':>10}{hours['dedup']:>12,.0f}  {_size(curated)} of curated "
               f"text at {rates['dedup']:g} MB/s per core")
    click.echo(f"{'encode':<12}{_size(unique * token_bytes):>12}{'':>10}{hours['encode']:>12,.0f}  "
               f"{unique / 1e9:,.0f}B unique tokens at {rates['encode']:,.0f} tokens/s per core")
    click.echo(f"{'mix':<12}{_size(tokens * token_bytes):>12}{math.ceil(seqs / mix.shard_rows):>10,}"
               f"{hours['mix']:>12,.0f}  {tokens / 1e9:,.0f}B tokens at {rates['mix']:,.0f} tokens/s per core; "
               f"{seqs:,.0f} rows of {mix.seq_len + 1}, {mix.shard_rows:,} per shard")
    click.echo(f"{'data total':<12}{'':>22}{sum(hours.values()):>12,.0f}  core-hours before training")
    click.echo(f"{'train':<12}{'':>34}  {tokens / PAPER_TOKENS_PER_GPU_S / 3600:,.0f} A100-80GB GPU-hours "
               f"for the 65B model at the paper's {PAPER_TOKENS_PER_GPU_S} tokens/s/GPU")
    if not keep:
        click.echo("\nkeep rates are the benchmark corpus's documents kept / read; pass --run RUN (a run on real "
                   "data) for measured bytes kept / bytes read (marked *).")
