"""CommonCrawl stage throughput, side by side with datatrove on the same WARC files, one core each.

    python3 -m venv bench/.venv-peers && bench/.venv-peers/bin/pip install datatrove==0.10.1 trafilatura==2.3.1 \
        lxml_html_clean==0.4.6 spacy==3.8.18 fasttext-numpy2-wheel==0.9.2 warcio==1.8.1 fasteners==0.20 \
        nltk==3.10.4 faust-cchardet==3.2.0 python-magic==0.4.27    # benchmark-only peers, never in requirements
    .venv/bin/python bench/commoncrawl.py --docs 2500 [--warc DIR] [--cpu 0]

(a) the stages both have: WARC read -> HTML to text -> fastText language ID -> Gopher quality rules;
    ours is the Beam job (`gopher_rules: true`, no line dedup, no LM, no classifier), datatrove's is
    WarcReader -> Trafilatura -> LanguageFilter (the same bundled lid.176.ftz) -> GopherQualityFilter.
(b) our whole CommonCrawl stage: line dedup, language ID, perplexity buckets, reference classifier.

Every pipeline runs in its own process pinned to one core (`--cpu`), on the generated corpus's WARC files
(`--docs` per source; WET files left out) or on `--warc DIR`; peak RSS is that process's (and its children's).
datatrove runs offline: its language model is the bundled file, and its English word tokenizer (for the Gopher
rules) is spaCy's blank "en" tokenizer, rule-based and shipped in the spacy wheel; trafilatura needs
lxml_html_clean, without which every extraction fails and times out. datatrove's extractor drops paragraphs it has
seen before by default, so on copied pages it keeps few; `--trafilatura-dedup off` turns that off (same time).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / ".venv-peers" / "bin" / "python"


def peak_rss_mb() -> float:
    """This process's peak RSS plus its largest child's (datatrove extracts in a child process), in MB."""
    return sum(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


def datatrove_run(warc_dir: str, lid_path: str, deduplicate: str) -> dict:
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
    extract = Trafilatura(favour_precision=True, deduplicate=deduplicate == "on")
    for step in (WarcReader(warc_dir, glob_pattern="*.warc.gz"), extract, lang, GopherQualityFilter()):
        data = step(data, rank=0, world_size=1)
    kept = sum(1 for _ in data)
    return {"seconds": time.perf_counter() - start, "kept": kept, "rss_mb": peak_rss_mb()}


def ours_run(warc_dir: str, run: str, config: str) -> dict:
    """Our Beam job (DirectRunner, one worker) in this process; seconds include pipeline construction, not the
    import of Beam and the job's modules (datatrove's run imports its modules before its clock starts too)."""
    sys.path.insert(0, str(ROOT))
    import pipelines.curate  # noqa: F401
    from orchestration.curate import run_curation

    start = time.perf_counter()
    stats = run_curation("commoncrawl", warc_dir, Path(run), Path(config))
    return {"seconds": time.perf_counter() - start, "read": stats["read"], "kept": stats["kept"],
            "rss_mb": peak_rss_mb()}


def child(python: Path | str, *args: str) -> dict:
    out = subprocess.run([str(python), __file__, *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{' '.join(args[:1])} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2500, help="generated documents per source (WARC pages: 80%%)")
    ap.add_argument("--warc", help="a folder of .warc.gz files to use instead of the generated ones")
    ap.add_argument("--cpu", type=int, default=0, help="the core every pipeline is pinned to")
    ap.add_argument("--no-peers", action="store_true", help="run ours only")
    ap.add_argument("--no-whole", action="store_true", help="skip (b), the whole stage")
    ap.add_argument("--trafilatura-dedup", choices=("on", "off"), default="on",
                    help="datatrove's default (on) drops paragraphs its extractor has seen before, so on copied "
                         "pages its later steps see little text; off: every page costs what a new page costs")
    ap.add_argument("--datatrove", nargs=3, metavar=("WARC_DIR", "LID", "DEDUP"), help=argparse.SUPPRESS)
    ap.add_argument("--ours", nargs=3, metavar=("WARC_DIR", "RUN", "CONFIG"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.datatrove or args.ours:
        print(json.dumps(datatrove_run(*args.datatrove) if args.datatrove else ours_run(*args.ours)))
        return
    os.sched_setaffinity(0, {args.cpu})  # inherited by every child process
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    sys.path.insert(0, str(ROOT))

    from click.testing import CliRunner

    from curation.lang import bundled_model_path
    from orchestration.cli import main as cli
    from samples.make import make_samples

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not (args.warc and args.no_whole):
            make_samples(tmp / "samples", args.docs, seed=0)
        warcs = tmp / "warc"
        warcs.mkdir()
        for path in (Path(args.warc) if args.warc else tmp / "samples" / "commoncrawl").glob("*.warc.gz"):
            if not path.name.endswith(".wet.gz"):
                shutil.copy(path, warcs)
        mb = sum(p.stat().st_size for p in warcs.iterdir()) / 1e6
        rows = {}
        no_models = "commoncrawl:\n  perplexity_models: null\n  classifier_model: null\n"
        (tmp / "a.yaml").write_text(no_models + "  gopher_rules: true\n  line_dedup_files: 0\n")
        rows["ours (a) Beam"] = child(sys.executable, "--ours", str(warcs), str(tmp / "a"), str(tmp / "a.yaml"))
        if PEERS.exists() and not args.no_peers:
            rows["datatrove (a)"] = child(PEERS, "--datatrove", str(warcs), bundled_model_path(),
                                          args.trafilatura_dedup)
            rows["datatrove (a)"]["read"] = rows["ours (a) Beam"]["read"]
        elif not args.no_peers:
            print(f"datatrove not installed ({PEERS} missing): see the install command in this script's docstring")
        if not args.no_whole:
            enwiki = str(tmp / "samples" / "wikipedia" / "enwiki-20230401-pages-articles.xml.bz2")
            for command in (["lm", "train", "--wiki", enwiki, "--lang", "en", "--out", f"{tmp}/lm",
                             "--vocab-size", "2000"],
                            ["lm", "cutoffs", "--model", f"{tmp}/lm", "--input", str(warcs)],
                            ["classifier", "train", "--wiki", enwiki, "--warc", str(warcs), "--out", f"{tmp}/ref.bin"]):
                result = CliRunner().invoke(cli, command)
                assert result.exit_code == 0, result.output
            (tmp / "b.yaml").write_text(f"commoncrawl:\n  perplexity_models: {{en: {tmp}/lm}}\n"
                                        f"  classifier_model: {tmp}/ref.bin\n")
            rows["ours (b) whole stage"] = child(sys.executable, "--ours", str(warcs), str(tmp / "b"),
                                                 str(tmp / "b.yaml"))
        print(f"\n{mb:.1f} MB of WARC, one core (cpu {args.cpu}) per pipeline")
        print(f"{'pipeline':<22}{'records':>9}{'kept':>7}{'seconds':>9}{'docs/s':>9}{'peak RSS MB':>13}")
        for name, r in rows.items():
            print(f"{name:<22}{r['read']:>9,}{r['kept']:>7,}{r['seconds']:>9.1f}{r['read'] / r['seconds']:>9.0f}"
                  f"{r['rss_mb']:>13.0f}")
        if "datatrove (a)" in rows:
            ratio = rows["datatrove (a)"]["seconds"] / rows["ours (a) Beam"]["seconds"]
            print(f"\nours (a) / datatrove (a): {ratio:.1f}x the documents per second")


if __name__ == "__main__":
    main()
