"""`llama-data report RUN`: what a run produced, on one screen."""
from __future__ import annotations

import json
from pathlib import Path

import click

from curation.schema import SOURCES


def summarize(run_dir: Path) -> str:
    stats_path = run_dir / "stats.json"
    if not stats_path.exists():
        raise click.UsageError(f"{stats_path} not found: run `llama-data curate` into {run_dir} first")
    stats = json.loads(stats_path.read_text())
    lines = [f"run: {run_dir}", "", f"{'source':<14}{'files':>7}{'read':>10}{'kept':>10}{'kept MB':>9}  top drop reasons"]
    total_read = total_kept = 0
    for name in [n for n in SOURCES if n in stats]:
        s = stats[name]
        top = ", ".join(f"{r} {n:,}" for r, n in sorted(s["dropped"].items(), key=lambda kv: -kv[1])[:3])
        lines.append(f"{name:<14}{s['files']:>7,}{s['read']:>10,}{s['kept']:>10,}{s['kept_chars'] / 1e6:>9.2f}  {top}")
        total_read += s["read"]
        total_kept += s["kept"]
    lines.append(f"{'total':<14}{'':>7}{total_read:>10,}{total_kept:>10,}")
    manifest = run_dir / "mixed" / "manifest.json"
    if manifest.exists():
        m = json.loads(manifest.read_text())
        rows = sum(s["rows"] for s in m["shards"])
        lines += ["", f"mixed: {len(m['shards'])} shards, {rows:,} sequences of {m['seq_len'] + 1} tokens "
                      f"({rows * m['seq_len']:,} training tokens) in {run_dir / 'mixed'}"]
        lines += [f"  {src:<14} share {r['share']:.3f}  epochs {r['epochs']:.2f}" for src, r in m["realised"].items()]
    tok = run_dir / "tokenizer" / "tokenizer.model"
    if tok.exists():
        lines.append(f"tokenizer: {tok}")
    ckpts = sorted((run_dir / "checkpoints").glob("step-*")) if (run_dir / "checkpoints").exists() else []
    if ckpts:
        lines.append(f"checkpoint: {ckpts[-1]}")
    return "\n".join(lines)


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
def report(run_dir):
    """Print a run's per-source counts, drop reasons, mix and checkpoints."""
    click.echo(summarize(run_dir))
