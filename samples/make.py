"""`make_samples`: every source's writer into one folder with a manifest, swapped in whole when complete."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from random import Random

from samples import arxiv, books, c4, commoncrawl, github, stackexchange, wikipedia

WRITERS = {"commoncrawl": commoncrawl.write, "c4": c4.write, "github": github.write, "wikipedia": wikipedia.write,
           "books": books.write, "arxiv": arxiv.write, "stackexchange": stackexchange.write}


def make_samples(out: Path, docs: int, seed: int, force: bool = False) -> dict:
    """Write the corpus into a temp folder beside `out`, rename it to `out`, then mark it `.complete`.

    Returns {source: {"files", "documents", "bytes"}}. Each source draws from its own seeded generator, so
    a change in one source leaves the others' bytes alone.
    """
    from tqdm import tqdm

    out = Path(out)
    if out.exists() and not force:
        if (out / ".complete").exists():
            raise FileExistsError(f"{out} already holds complete samples; pass --force to regenerate them")
        if any(out.iterdir()):
            raise FileExistsError(f"{out} exists and is not a complete samples folder; pass --force to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        sources = {}
        for name, write in WRITERS.items():
            (tmp / name).mkdir()
            with tqdm(total=docs, desc=f"{name:>13}", unit="doc", leave=False) as bar:
                cited = {"cited": sources["commoncrawl"]["cited_by_wikipedia"]} if name == "wikipedia" else {}
                result = write(tmp / name, docs, Random(f"{seed}/{name}"), bar.update, **cited)
            result["files"] = [f"{name}/{f}" for f in result["files"]]
            result["bytes"] = sum((tmp / f).stat().st_size for f in result["files"])
            sources[name] = result
        manifest = {"seed": seed, "docs": docs, "sources": sources}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    (out / ".complete").write_text(f"seed {seed} docs {docs}\n")
    return {name: {k: len(r["files"]) if k == "files" else r[k] for k in ("files", "documents", "bytes")}
            for name, r in sources.items()}
