"""`llama-data tokenizer ...`: train the SentencePiece model of a run."""
from __future__ import annotations

import click

from orchestration.config import CONFIGS


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
    from orchestration.config import ConfigError, load_config
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
