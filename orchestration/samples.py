"""`llama-data samples make`: the sample corpus (`samples/`) from the command line."""
from __future__ import annotations

from pathlib import Path

import click

from samples.make import make_samples


@click.group()
def samples():
    """Generate the bundled multi-source sample corpus."""


@samples.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder to create.")
@click.option("--docs", type=click.IntRange(min=1), default=400, show_default=True,
              help="Documents per source (pages, rows, code files, articles, books, papers, questions).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--force", is_flag=True, help="Replace OUT even if it already holds complete samples.")
def make(out: Path, docs: int, seed: int, force: bool):
    """Write a deterministic corpus in the real formats of the seven LLaMA sources."""
    try:
        counts = make_samples(out, docs, seed, force)
    except FileExistsError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{'source':<14}{'files':>8}{'documents':>12}{'MiB':>9}")
    for name, c in counts.items():
        click.echo(f"{name:<14}{c['files']:>8}{c['documents']:>12}{c['bytes'] / 2 ** 20:>9.2f}")
    total = {k: sum(c[k] for c in counts.values()) for k in ("files", "documents", "bytes")}
    click.echo(f"{'total':<14}{total['files']:>8}{total['documents']:>12}{total['bytes'] / 2 ** 20:>9.2f}")
    click.echo(f"wrote {out} (seed {seed}, {docs} documents per source)")
