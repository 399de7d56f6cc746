"""CommonCrawl stage throughput, side by side with datatrove on the same WARC files, one core each.

    python3 -m venv bench/.venv-peers && bench/.venv-peers/bin/pip install datatrove==0.10.1 trafilatura==2.3.1 \
        fasttext-numpy2-wheel==0.9.2 warcio==1.8.1 fasteners==0.20 nltk==3.10.4 faust-cchardet==3.2.0 \
        python-magic==0.4.27                                          # benchmark-only peers, never in requirements
    .venv/bin/python bench/commoncrawl.py --docs 2000 [--warc DIR]     # generated corpus unless --warc is given

(a) the stages both have: WARC read -> HTML to text -> fastText language ID -> Gopher quality rules;
    ours is the Beam job (`gopher_rules: true`, no line dedup, no LM, no classifier), datatrove's is
    WarcReader -> Trafilatura -> LanguageFilter (the same bundled lid.176.ftz) -> GopherQualityFilter.
(b) our whole CommonCrawl stage: line dedup, language ID, perplexity buckets, reference classifier.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PEERS = Path(__file__).resolve().parent / ".venv-peers" / "bin" / "python"


def datatrove_run(warc_dir: str, lid_path: str) -> dict:
    """Runs inside the peers' venv: datatrove's equivalent pipeline on one task."""
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import GopherQualityFilter, LanguageFilter
    from datatrove.pipeline.readers import WarcReader
    from fasttext.FastText import _FastText

    lang = LanguageFilter(languages=["en"], language_threshold=0.5)
    lang.model._model = _FastText(lid_path)  # instead of fetching it from a hub
    # What datatrove's executor does for one rank, without its deepcopy (a loaded fastText model cannot be copied).
    start = time.perf_counter()
    data = None
    for step in (WarcReader(warc_dir, glob_pattern="*.warc.gz"), Trafilatura(favour_precision=True), lang,
                 GopherQualityFilter()):
        data = step(data, rank=0, world_size=1)
    kept = sum(1 for _ in data)
    return {"seconds": time.perf_counter() - start, "kept": kept}


def ours(warc_dir: Path, run: Path, config: str) -> dict:
    from orchestration.curate import run_curation

    run.mkdir(parents=True, exist_ok=True)
    (run / "cc.yaml").write_text(config)
    start = time.perf_counter()
    stats = run_curation("commoncrawl", str(warc_dir), run, run / "cc.yaml")
    return {"seconds": time.perf_counter() - start, "read": stats["read"], "kept": stats["kept"],
            "dropped": stats["dropped"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000, help="generated Common Crawl pages (ignored with --warc)")
    ap.add_argument("--warc", help="a folder of .warc.gz files to use instead")
    ap.add_argument("--no-peers", action="store_true", help="run ours only")
    ap.add_argument("--datatrove", nargs=2, metavar=("WARC_DIR", "LID"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.datatrove:
        print(json.dumps(datatrove_run(*args.datatrove)))
        return

    from click.testing import CliRunner

    from curation.lang import bundled_model_path
    from orchestration.cli import main as cli
    from orchestration.samples import make_samples

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_samples(tmp / "samples", args.docs, seed=0)
        warcs = tmp / "warc"
        warcs.mkdir()
        for path in (Path(args.warc) if args.warc else tmp / "samples" / "commoncrawl").glob("*.warc.gz"):
            if not path.name.endswith(".wet.gz"):
                shutil.copy(path, warcs)
        rows = {}
        no_models = "commoncrawl:\n  perplexity_models: null\n  classifier_model: null\n"
        rows["ours (a)"] = ours(warcs, tmp / "a", no_models + "  gopher_rules: true\n  line_dedup_files: 0\n")
        enwiki = str(tmp / "samples" / "wikipedia" / "enwiki-20230401-pages-articles.xml.bz2")
        for command in (["lm", "train", "--wiki", enwiki, "--lang", "en", "--out", f"{tmp}/lm", "--vocab-size", "2000"],
                        ["lm", "cutoffs", "--model", f"{tmp}/lm", "--input", str(warcs)],
                        ["classifier", "train", "--wiki", enwiki, "--warc", str(warcs), "--out", f"{tmp}/ref.bin"]):
            result = CliRunner().invoke(cli, command)
            assert result.exit_code == 0, result.output
        full = f"commoncrawl:\n  perplexity_models: {{en: {tmp}/lm}}\n  classifier_model: {tmp}/ref.bin\n"
        rows["ours (b) whole stage"] = ours(warcs, tmp / "b", full)
        if PEERS.exists() and not args.no_peers:
            out = subprocess.run([str(PEERS), __file__, "--datatrove", str(warcs), bundled_model_path()],
                                 capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            rows["datatrove (a)"] = json.loads(out) | {"read": rows["ours (a)"]["read"]}
        elif not args.no_peers:
            print(f"datatrove not installed ({PEERS} missing): see the install command in this script's docstring")
        print(f"\n{'pipeline':<22}{'records':>9}{'kept':>7}{'seconds':>9}{'docs/s':>9}")
        for name, r in rows.items():
            print(f"{name:<22}{r['read']:>9,}{r['kept']:>7,}{r['seconds']:>9.1f}{r['read'] / r['seconds']:>9.0f}")
        if "datatrove (a)" in rows:
            ratio = rows["datatrove (a)"]["seconds"] / rows["ours (a)"]["seconds"]
            print(f"\nours (a) / datatrove (a): {ratio:.1f}x the documents per second")


if __name__ == "__main__":
    main()
