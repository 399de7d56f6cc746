"""`llama-data tokenizer ...` and `llama-data mix`: train the run's SentencePiece model, encode its documents
with it (an explicit step: the mix only reads current tokens), and mix them into training shards."""
from __future__ import annotations

import time
from pathlib import Path

import click

from llama_data import layout
from llama_data.config import CONFIGS, ConfigError, load_config

WARN_EPOCHS = 4.0  # the paper repeats no source more than ~2.4 times; far beyond that a model starts to memorise


@click.group()
def tokenizer():
    """Train and inspect the run's SentencePiece BPE tokenizer."""


@tokenizer.command()
@click.option("--run", "run_dir", required=True, type=click.Path(file_okay=False), help="Run directory (reads its final documents).")
@click.option("--vocab-size", default=32000, show_default=True, help="Number of pieces, as in LLaMA.")
@click.option("--sample-chars", default=100_000_000, show_default=True,
              help="Characters to train on, drawn from the sources in mix proportions.")
@click.option("--seed", default=0, show_default=True, help="Seed of the document sample.")
@click.option("--weights", default=str(CONFIGS / "mix.yaml"), show_default=True, type=click.Path(dir_okay=False),
              help="Mix config whose weights set each source's share of the sample.")
def train(run_dir, vocab_size, sample_chars, seed, weights):
    """Train SentencePiece BPE on a mix-weighted sample of the final documents (RUN/dedup/curated, or RUN/decontaminate/curated where that stage ran); write RUN/tokenizer/."""
    from tokens.mix import MixConfig
    from tokens.tokenizer import train as train_tokenizer

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
              help="Run directory (reads its final documents and tokenizer/, writes encode/).")
@click.argument("beam_args", nargs=-1, type=click.UNPROCESSED)
def encode(run_dir, beam_args):
    """Encode the final documents (RUN/dedup/curated, or RUN/decontaminate/curated where that stage ran) into RUN/encode with a Beam job
    (DirectRunner unless Beam options follow).

    `llama-data mix` reads RUN/encode and refuses to start while it is missing or stale."""
    start = time.time()
    try:
        manifest = encode_curated(run_dir, beam_args)
    except (FileNotFoundError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    print_encoded(manifest, time.time() - start)


def encode_curated(run_dir: str | Path, beam_args: tuple[str, ...] = ()) -> dict:
    """Encode every curated source of RUN (the `encode` command, and the encode stage of `llama-data run`);
    return the tokens manifest."""
    from curation.schema import SOURCES
    from pipelines.encode import run_encode

    sources = [s for s in SOURCES if (layout.documents(run_dir) / s).is_dir()]
    if not sources:
        raise FileNotFoundError(f"no documents in {layout.documents(run_dir)}; run `llama-data curate` and "
                                f"`llama-data dedup` first")
    return run_encode(run_dir, sources, beam_args)


def encode_stage(run_dir: Path, beam_args: list[str]) -> str:
    """The encode stage of `llama-data run`: `encode_curated` on the run's runner; its one-line summary."""
    from tokens.parts import summarize

    totals = summarize(encode_curated(run_dir, tuple(beam_args)))
    return (f"{sum(t['documents'] for t in totals.values()):,} documents, "
            f"{sum(t['tokens'] for t in totals.values()):,} tokens in {sum(t['parts'] for t in totals.values())} parts")


def print_encoded(manifest: dict, seconds: float):
    from tokens.parts import summarize

    totals = summarize(manifest)
    mb = sum(t["text_bytes"] for t in totals.values()) / 1e6
    click.echo(f"encoded {mb:,.1f} MB of text in {seconds:.1f}s ({mb / max(seconds, 1e-9):.2f} MB/s), "
               f"{manifest['dtype']} ids")
    click.echo(f"{'source':<14}{'parts':>6}{'documents':>11}{'tokens':>14}{'chars/token':>12}")
    for source, t in totals.items():
        click.echo(f"{source:<14}{t['parts']:>6}{t['documents']:>11,}{t['tokens']:>14,}"
                   f"{t['chars'] / max(t['tokens'], 1):>12.2f}")


def dry_run_available(config, run_dir: str | None) -> dict[str, int]:
    """Tokens per source for a plan without touching data: the config's `available_tokens`, else what the
    run's encode stage counted (documents as bos ids eos)."""
    from tokens.parts import manifest, summarize

    if config.available_tokens:
        return {s: int(n) for s, n in config.available_tokens.items()}
    encoded = manifest(run_dir) if run_dir else None
    if encoded is None:
        raise click.UsageError("--dry-run needs `available_tokens` in the mix config, or --run RUN with encoded "
                               "tokens (`llama-data tokenizer encode --run RUN`)")
    totals = summarize(encoded)
    return {s: t["tokens"] + 2 * t["documents"] for s, t in totals.items()}


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--weights", "config_path", default=str(CONFIGS / "mix.yaml"), show_default=True,
              type=click.Path(dir_okay=False), help="Mix config: source weights, token budget, seq_len, seed.")
@click.option("--run", "run_dir", default=None, type=click.Path(file_okay=False),
              help="Run directory (reads tokenizer/ and the encode/ of `llama-data tokenizer encode`).")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False), help="Output [default: RUN/mix].")
@click.option("--dry-run", is_flag=True, help="Print the plan (tokens available, to draw, epochs) and stop.")
@click.argument("beam_args", nargs=-1, type=click.UNPROCESSED)
def mix(config_path, run_dir, out_dir, dry_run, beam_args):
    """Plan, draw, shuffle and pack RUN's encoded documents into Arrow token shards and a manifest, with Beam jobs
    (DirectRunner unless Beam options follow)."""
    from tokens.mix import MixConfig, format_plan, plan
    from tokens.parts import StaleTokens

    try:
        config = load_config(config_path, MixConfig)
    except ConfigError as e:
        raise click.BadParameter(str(e), param_hint="'--weights'") from None
    if dry_run:
        try:
            click.echo(format_plan(plan(config, dry_run_available(config, run_dir)), config))
        except ValueError as e:
            raise click.ClickException(str(e)) from None
        return
    if run_dir is None:
        raise click.UsageError("Missing option '--run' (needed unless --dry-run).")
    from pipelines.mix import run_mix

    out_dir = Path(out_dir or Path(run_dir) / layout.MIX)
    start = time.time()
    try:
        manifest = run_mix(config, run_dir, out_dir, beam_args, log=click.echo)
    except StaleTokens as e:
        raise click.UsageError(str(e)) from None
    except (FileNotFoundError, ValueError) as e:
        raise click.ClickException(str(e)) from None

    rows = sum(s["rows"] for s in manifest["shards"])
    eval_rows = sum(s["rows"] for s in manifest["eval_shards"])
    click.echo(f"wrote {len(manifest['shards'])} shards ({rows:,} rows) + {len(manifest['eval_shards'])} eval shards "
               f"({eval_rows:,} rows) of {config.seq_len + 1} {manifest['dtype']} tokens to {out_dir} "
               f"in {time.time() - start:.1f}s")
    click.echo(f"{'source':<14}{'target':>8}{'realised':>10}{'tokens':>16}{'epochs':>8}{'documents':>11}")
    for source, r in manifest["realised"].items():
        click.echo(f"{source:<14}{r['target_share']:>8.2%}{r['share']:>10.2%}{r['tokens']:>16,}{r['epochs']:>8.2f}"
                   f"{r['documents']:>11,}")
        if r["epochs"] > WARN_EPOCHS:
            click.echo(f"warning: '{source}' is repeated {r['epochs']:.1f} times (more than {WARN_EPOCHS:g}): "
                       f"the budget is larger than its data supports", err=True)
