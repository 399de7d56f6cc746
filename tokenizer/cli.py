"""`llama-data tokenizer ...`: train the SentencePiece model of a run and encode its documents with it."""
from __future__ import annotations

from pathlib import Path

import click

from llama_data.config import CONFIGS


@click.group()
def tokenizer():
    """Train and inspect the run's SentencePiece BPE tokenizer."""


@tokenizer.command()
@click.option("--run", "run_dir", required=True, type=click.Path(file_okay=False), help="Run directory (reads curated/).")
@click.option("--vocab-size", default=32000, show_default=True, help="Number of pieces, as in LLaMA.")
@click.option("--sample-chars", default=100_000_000, show_default=True,
              help="Characters to train on, drawn from the sources in mix proportions.")
@click.option("--seed", default=0, show_default=True, help="Seed of the document sample.")
@click.option("--weights", default=str(CONFIGS / "mix.yaml"), show_default=True, type=click.Path(dir_okay=False),
              help="Mix config whose weights set each source's share of the sample.")
def train(run_dir, vocab_size, sample_chars, seed, weights):
    """Train SentencePiece BPE on a mix-weighted sample of RUN/curated; write RUN/tokenizer/tokenizer.model."""
    from llama_data.config import ConfigError, load_config
    from orchestration.mix import MixConfig
    from tokenizer.train import train as train_tokenizer

    try:
        config = load_config(weights, MixConfig)
    except ConfigError as e:
        raise click.BadParameter(str(e), param_hint="'--weights'") from None
    try:
        summary = train_tokenizer(run_dir, config.weights, vocab_size, sample_chars, seed)
    except (FileNotFoundError, ValueError) as e:
        raise click.ClickException(str(e)) from None

    click.echo(f"wrote {summary['path']}: {summary['vocab_size']} pieces in {summary['seconds']:.1f}s")
    click.echo(f"{'source':<14}{'documents':>10}{'chars':>16}")
    for source, chars in summary["chars"].items():
        click.echo(f"{source:<14}{summary['documents'][source]:>10,}{chars:>16,}")


@tokenizer.command(context_settings={"ignore_unknown_options": True})
@click.option("--run", "run_dir", required=True, type=click.Path(file_okay=False),
              help="Run directory (reads curated/ and tokenizer/, writes tokens/).")
@click.argument("beam_args", nargs=-1, type=click.UNPROCESSED)
def encode(run_dir, beam_args):
    """Encode RUN/curated into RUN/tokens with a Beam job (DirectRunner unless Beam options follow).

    `llama-data mix` runs this itself when RUN/tokens is missing or stale."""
    import time

    from curation.schema import SOURCES
    from pipelines.encode import run_encode

    start = time.time()
    sources = [s for s in SOURCES if (Path(run_dir) / "curated" / s).is_dir()]
    if not sources:
        raise click.ClickException(f"no curated sources in {Path(run_dir) / 'curated'}; run `llama-data curate` first")
    try:
        manifest = run_encode(run_dir, sources, beam_args)
    except (FileNotFoundError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    print_encoded(manifest, time.time() - start)


def print_encoded(manifest: dict, seconds: float):
    from tokenizer.tokens import summarize

    totals = summarize(manifest)
    mb = sum(t["text_bytes"] for t in totals.values()) / 1e6
    click.echo(f"encoded {mb:,.1f} MB of text in {seconds:.1f}s ({mb / max(seconds, 1e-9):.2f} MB/s), "
               f"{manifest['dtype']} ids")
    click.echo(f"{'source':<14}{'parts':>6}{'documents':>11}{'tokens':>14}{'chars/token':>12}")
    for source, t in totals.items():
        click.echo(f"{source:<14}{t['parts']:>6}{t['documents']:>11,}{t['tokens']:>14,}"
                   f"{t['chars'] / max(t['tokens'], 1):>12.2f}")
