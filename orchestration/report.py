"""`llama-data report RUN`: what a run produced, as a text summary and as RUN/report/index.html with plots.

The page is static (PNG plots beside it, no server, no JavaScript), so it can be opened from disk, archived with
the run or attached to a ticket. Each plot is drawn only from what the run wrote: stats, curated and rejected
Parquet, the dedup stats, the mix manifest and the trainer's metrics.jsonl; a missing input leaves a line
saying so.
"""
from __future__ import annotations

import html
import json
import math
from collections import Counter
from pathlib import Path

import click

from curation.schema import SOURCES
from llama_data import layout

MAX_DOCS = 100_000  # per source, read for the length / language / perplexity distributions


def stats_path(run_dir: Path) -> Path:
    return run_dir / layout.CURATE / "stats.json"


def summarize(run_dir: Path) -> str:
    path = stats_path(run_dir)
    if not path.exists():
        raise click.UsageError(f"{path} not found: run `llama-data curate` into {run_dir} first")
    stats = json.loads(path.read_text())
    lines = [f"run: {run_dir}", "", f"{'source':<14}{'files':>7}{'read':>10}{'kept':>10}{'kept MB':>9}  top drop reasons"]
    total_read = total_kept = 0
    for name in [n for n in SOURCES if n in stats]:
        s = stats[name]
        top = ", ".join(f"{r} {n:,}" for r, n in sorted(s["dropped"].items(), key=lambda kv: -kv[1])[:3])
        lines.append(f"{name:<14}{s['files']:>7,}{s['read']:>10,}{s['kept']:>10,}{s['kept_chars'] / 1e6:>9.2f}  {top}")
        total_read += s["read"]
        total_kept += s["kept"]
    lines.append(f"{'total':<14}{'':>7}{total_read:>10,}{total_kept:>10,}")
    pii = {n: s["pii"] for n, s in stats.items() if "pii" in s}
    found = ", ".join(f"{n} {p['documents']:,} documents ({p['emails']:,} e-mail, {p['ips']:,} IP addresses)"
                      for n, p in pii.items() if p["documents"])
    if pii:
        lines.append(f"pii scrubbed: {found or 'no e-mail or IP address found'} (in {', '.join(pii)})")
    dedup_stats = run_dir / layout.DEDUP / "stats.json"
    if dedup_stats.exists():
        by_source = json.loads(dedup_stats.read_text())["sources"]
        removed = {}
        for s in by_source.values():
            for reason, n in s["dropped"].items():
                removed[reason] = removed.get(reason, 0) + n
        kept = sum(s["kept"] for s in by_source.values())
        reasons = ", ".join(f"{r} {n:,}" for r, n in sorted(removed.items(), key=lambda kv: -kv[1])) or "none"
        lines.append(f"after dedup: {kept:,} kept ({reasons} removed)")
    decontaminated = run_dir / layout.DECONTAMINATE / "stats.json"
    if decontaminated.exists():
        d = json.loads(decontaminated.read_text())
        kept = sum(s["kept"] for s in d["sources"].values())
        found = ", ".join(f"{b} {v['contaminated']:,}" for b, v in d["benchmarks"].items())
        lines.append(f"after decontamination: {kept:,} kept (contaminated, by benchmark: {found})")
    manifest = run_dir / layout.MIX / "manifest.json"
    if manifest.exists():
        m = json.loads(manifest.read_text())
        rows = sum(s["rows"] for s in m["shards"])
        lines += ["", f"mixed: {len(m['shards'])} shards, {rows:,} sequences of {m['seq_len'] + 1} tokens "
                      f"({rows * m['seq_len']:,} training tokens) in {run_dir / layout.MIX}"]
        lines += [f"  {src:<14} share {r['share']:.3f}  epochs {r['epochs']:.2f}" for src, r in m["realised"].items()]
    tok = run_dir / layout.TOKENIZER / "tokenizer.model"
    if tok.exists():
        lines.append(f"tokenizer: {tok}")
    ckpts = sorted((run_dir / layout.TRAIN).glob("step-*"))
    if ckpts:
        lines.append(f"checkpoint: {ckpts[-1]}")
    return "\n".join(lines)


# ---- what the plots read ------------------------------------------------------------------------------------

def documents(folder: Path, limit: int = MAX_DOCS) -> tuple[list[int], list[dict]]:
    """Text lengths and parsed meta of up to `limit` documents of the Parquet files under `folder`."""
    import pyarrow.compute as pc

    from readers import documents as document_shards

    lengths, metas = [], []
    for part in sorted(folder.rglob("part-*.parquet")) if folder.is_dir() else []:
        for batch in document_shards.batches(part, ["text", "meta"]):
            lengths += pc.utf8_length(batch.column("text")).to_pylist()
            metas += [json.loads(m) for m in batch.column("meta").to_pylist()]
            if len(lengths) >= limit:
                return lengths[:limit], metas[:limit]
    return lengths, metas


def training_curves(metrics: Path) -> dict[str, dict[int, float]]:
    """{"loss": {step: value}, "eval_loss": {...}} from the trainer's OUT/metrics.jsonl, the exact values of its
    logged steps (steps skipped for a non-finite loss are left out); a resumed run's later value of a step
    replaces the earlier one."""
    curves = {"loss": {}, "eval_loss": {}}
    for line in metrics.read_text().splitlines() if metrics.exists() else []:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:  # a line cut short by a run killed while writing it
            continue
        for name, curve in curves.items():
            if record.get(name) is not None and not record.get("skipped"):
                curve[record["step"]] = record[name]
    return curves


def cluster_sizes(run_dir: Path, curate_dir: Path) -> Counter:
    """Duplicate cluster size -> clusters: the curation jobs' exact duplicates (rejects' `duplicate_of`) and
    the dedup stage's near-duplicate clusters."""
    from readers import documents as document_shards

    members = Counter()
    for part in sorted(curate_dir.glob("rejects/*/duplicate/part-*.parquet")):
        for batch in document_shards.batches(part, ["meta"]):
            for meta in batch.column("meta").to_pylist():
                members[json.loads(meta).get("duplicate_of")] += 1
    sizes = Counter(n + 1 for n in members.values())
    dedup = run_dir / layout.DEDUP / "stats.json"
    near = json.loads(dedup.read_text()).get("near") if dedup.exists() else None
    for size, count in ((near or {}).get("cluster_sizes") or {}).items():
        sizes[int(size)] += count
    return sizes


# ---- plots --------------------------------------------------------------------------------------------------

def _figure(rows: int = 1, cols: int = 1, size=(8, 4)):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(rows, cols, figsize=size, squeeze=False)


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_funnel(stats: dict, path: Path) -> None:
    names = [n for n in SOURCES if n in stats]
    cols = min(4, len(names))
    fig, axes = _figure(math.ceil(len(names) / cols), cols, (3.6 * cols, 2.8 * math.ceil(len(names) / cols)))
    for ax, name in zip(axes.flat, names):
        s = stats[name]
        steps, left = [("read", s["read"])], s["read"]
        for reason, n in sorted(s["dropped"].items(), key=lambda kv: -kv[1]):
            left -= n
            steps.append((f"- {reason}", left))
        labels, values = zip(*steps)
        ax.barh(range(len(values)), values, color=["#4c72b0"] + ["#dd8452"] * (len(values) - 1))
        ax.set_yticks(range(len(values)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(f"{name}: {s['kept']:,} of {s['read']:,} kept", fontsize=9)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    _save(fig, path)


def plot_drops(stats: dict, path: Path) -> None:
    rows = [(f"{name}: {reason}", n) for name in SOURCES if name in stats
            for reason, n in sorted(stats[name]["dropped"].items(), key=lambda kv: -kv[1])]
    fig, axes = _figure(size=(8, max(2.0, 0.25 * len(rows) + 1)))
    ax = axes[0, 0]
    ax.barh(range(len(rows)), [n for _, n in rows], color="#c44e52")
    ax.set_yticks(range(len(rows)), [label for label, _ in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("documents dropped")
    _save(fig, path)


def plot_lengths(lengths: dict[str, list[int]], path: Path) -> None:
    import numpy as np

    fig, axes = _figure()
    ax = axes[0, 0]
    top = max(max(v) for v in lengths.values() if v)
    bins = np.logspace(0, math.log10(top + 1) + 0.1, 40)
    for name, values in lengths.items():
        ax.hist(np.asarray(values) + 1, bins=bins, histtype="step", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("characters per kept document")
    ax.set_ylabel("documents")
    ax.legend(fontsize=8)
    _save(fig, path)


def plot_languages(languages: dict[str, Counter], path: Path) -> None:
    top = [lang for lang, _ in sum(languages.values(), Counter()).most_common(15)]
    fig, axes = _figure()
    ax = axes[0, 0]
    bottom = [0] * len(top)
    for name, counts in languages.items():
        values = [counts.get(lang, 0) for lang in top]
        ax.bar(top, values, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_ylabel("kept documents")
    ax.set_xlabel("language (meta.language)")
    ax.legend(fontsize=8)
    _save(fig, path)


def plot_perplexity(perplexity: dict[str, list[float]], path: Path) -> None:
    import numpy as np

    fig, axes = _figure()
    ax = axes[0, 0]
    values = [v for vs in perplexity.values() for v in vs]
    bins = np.logspace(math.log10(min(values)), math.log10(max(values)) + 0.01, 40)
    for name, vs in perplexity.items():
        ax.hist(vs, bins=bins, histtype="step", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("perplexity (meta.perplexity)")
    ax.set_ylabel("kept documents")
    ax.legend(fontsize=8)
    _save(fig, path)


def plot_clusters(sizes: Counter, path: Path) -> None:
    fig, axes = _figure()
    ax = axes[0, 0]
    xs = sorted(sizes)
    ax.bar([str(x) for x in xs], [sizes[x] for x in xs], color="#8172b3")
    ax.set_xlabel("documents per duplicate cluster")
    ax.set_ylabel("clusters")
    _save(fig, path)


def plot_mix(realised: dict, path: Path) -> None:
    import numpy as np

    names = list(realised)
    x = np.arange(len(names))
    fig, axes = _figure()
    ax = axes[0, 0]
    ax.bar(x - 0.2, [100 * realised[n]["target_share"] for n in names], 0.4, label="target")
    ax.bar(x + 0.2, [100 * realised[n]["share"] for n in names], 0.4, label="realised")
    ax.set_xticks(x, names, fontsize=8)
    ax.set_ylabel("% of training tokens")
    ax.legend()
    _save(fig, path)


def plot_training(curves: dict[str, dict[int, float]], path: Path) -> None:
    fig, axes = _figure()
    ax = axes[0, 0]
    for name, marker in (("loss", "-"), ("eval_loss", "o--")):
        if curves[name]:
            steps = sorted(curves[name])
            ax.plot(steps, [curves[name][s] for s in steps], marker, label=name.replace("_", " "))
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.legend()
    _save(fig, path)


# ---- the page -----------------------------------------------------------------------------------------------

def _table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6 if path.is_dir() else 0.0


def write_html(run_dir: Path) -> Path:
    """Draw every plot the run's outputs allow into RUN/report/ and write RUN/report/index.html."""
    out = run_dir / layout.REPORT
    out.mkdir(parents=True, exist_ok=True)
    stats = json.loads(stats_path(run_dir).read_text())
    curate_dir = stats_path(run_dir).parent
    sections, absent = [], []

    def figure(file: str, title: str, alt: str, draw, *args, note: str = ""):
        draw(*args, out / file)
        sections.append(f"<h2>{html.escape(title)}</h2>{note}"
                        f'<img src="{file}" alt="{html.escape(alt)}">')

    names = [n for n in SOURCES if n in stats]
    figure("funnel.png", "Per-source funnel", "documents left after each filter, per source", plot_funnel, stats,
           note=_table(["source", "files", "read", "kept", "kept MB of text"],
                       [[n, stats[n]["files"], f"{stats[n]['read']:,}", f"{stats[n]['kept']:,}",
                         f"{stats[n]['kept_chars'] / 1e6:.2f}"] for n in names]))
    if any(stats[n]["dropped"] for n in names):
        figure("drops.png", "Drop reasons", "documents dropped per source and reason", plot_drops, stats)
    else:
        absent.append("drop reasons: nothing was dropped")

    docs_dir = layout.documents(run_dir) if layout.documents(run_dir).is_dir() else curate_dir / "curated"
    lengths, languages, perplexity = {}, {}, {}
    for name in names:
        n_lengths, metas = documents(docs_dir / name)
        if n_lengths:
            lengths[name] = n_lengths
            languages[name] = Counter(m["language"] for m in metas if "language" in m)
            perplexity[name] = [m["perplexity"] for m in metas if isinstance(m.get("perplexity"), (int, float))
                                and m["perplexity"] > 0]
    if lengths:
        figure("lengths.png", "Document length", "histogram of kept document lengths per source", plot_lengths, lengths)
    else:
        absent.append(f"document lengths: no curated documents in {docs_dir}")
    languages = {n: c for n, c in languages.items() if c}
    if languages:
        figure("languages.png", "Languages", "kept documents per language and source", plot_languages, languages)
    else:
        absent.append("languages: no document carries meta.language")
    perplexity = {n: v for n, v in perplexity.items() if v}
    if perplexity:
        figure("perplexity.png", "Perplexity", "histogram of kept documents' perplexity per source",
               plot_perplexity, perplexity)
    else:
        absent.append("perplexity: no document carries meta.perplexity (no perplexity models in this run)")

    sizes = cluster_sizes(run_dir, curate_dir)
    if sizes:
        figure("dedup.png", "Duplicate clusters", "number of duplicate clusters by size", plot_clusters, sizes,
               note=f"<p>{sum(sizes.values()):,} clusters, {sum((k - 1) * v for k, v in sizes.items()):,} "
                    f"documents removed as duplicates of another.</p>")
    else:
        absent.append("duplicate clusters: no duplicates found")

    manifest = run_dir / layout.MIX / "manifest.json"
    if manifest.exists():
        m = json.loads(manifest.read_text())
        rows = [[s, f"{r['target_share']:.1%}", f"{r['share']:.1%}", f"{r['epochs']:.2f}",
                 f"{_mb(layout.documents(run_dir) / s):.2f} MB", f"{r['tokens']:,}"] for s, r in m["realised"].items()]
        figure("mix.png", "Mix: realised against target", "target and realised share of tokens per source",
               plot_mix, m["realised"], note=_table(
                   ["Dataset", "Sampling prop. (target)", "Sampling prop. (realised)", "Epochs", "Disk size",
                    "Tokens"], rows))
    else:
        absent.append(f"mix: no {manifest}")

    metrics = run_dir / layout.TRAIN / "metrics.jsonl"
    curves = training_curves(metrics)
    if curves["loss"]:
        last = max(curves["loss"])
        figure("training.png", "Training", "training loss and eval loss by optimizer step", plot_training, curves,
               note=f"<p>step {last}: loss {curves['loss'][last]:.4f}"
                    + (f", eval loss {curves['eval_loss'][max(curves['eval_loss'])]:.4f}" if curves["eval_loss"]
                       else "") + "</p>")
    else:
        absent.append(f"training: no training loss in {metrics}")

    page = ("<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>llama-data run {html.escape(run_dir.name)}</title><style>"
            "body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}"
            "img{max-width:100%;border:1px solid #ddd}table{border-collapse:collapse;margin:.5em 0}"
            "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style></head><body>"
            f"<h1>llama-data run: {html.escape(str(run_dir))}</h1>"
            + "".join(sections)
            + ("<h2>Not drawn</h2><ul>" + "".join(f"<li>{html.escape(a)}</li>" for a in absent) + "</ul>"
               if absent else "")
            + f"<pre>{html.escape(summarize(run_dir))}</pre></body></html>\n")
    index = out / "index.html"
    index.write_text(page)
    return index


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
def report(run_dir):
    """Print a run's per-source counts, drop reasons, mix and checkpoints, and write RUN/report/index.html."""
    click.echo(summarize(run_dir))
    index = write_html(run_dir)
    click.echo(f"\nreport: {index} ({len(list(index.parent.glob('*.png')))} plots)")
