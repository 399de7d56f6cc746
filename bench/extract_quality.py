"""Main-text extraction quality and speed (issue 16): ours, resiliparse alone and trafilatura side by side.

    python3 -m venv bench/.venv-peers && bench/.venv-peers/bin/pip install trafilatura==2.3.1 \
        lxml_html_clean==0.4.6 resiliparse==2.0.1     # benchmark-only peers, never in requirements
    .venv/bin/python bench/extract_eval_data.py       # the evaluation set, into bench/data/extract/
    bench/.venv-peers/bin/python bench/extract_quality.py [--split heldout|tune]

Columns, each over the pages of the split that have the ground truth it needs:
- P / R / F1: bag of words against the full main text (newspaper4k pages): lower-cased words (\\w+; a CJK,
  Thai or Burmese character is a word of its own), precision = shared words (counted with multiplicity) /
  extracted words, recall = shared / true words; the mean of the per-page values (an empty extraction has
  precision 1, recall 0).
- boilerplate removed: the share of pages (trafilatura's real-world pages) on which none of the page's
  known boilerplate strings (navigation, footer, share, comment and related-link texts the fixture asserts
  must not be extracted) is in the extracted text.
- main kept: the share of those pages' known main-text strings that are in the extracted text.
- docs/s: every page of the split extracted in this process, one core, CPU seconds of the faster of two passes.
trafilatura is called as datatrove's Trafilatura extractor calls it (favor_precision, no comments), with
its cross-page paragraph dedup off so that pages are judged alone; "trafilatura default" without
favor_precision for reference. Its boilerplate strings were written against trafilatura's own output.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORD = re.compile(r"[\u0e00-\u0e7f\u1000-\u109f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|\w+")


def words(text: str) -> Counter:
    return Counter(WORD.findall(text.lower()))


def prf(extracted: str, truth: str) -> tuple[float, float, float]:
    got, want = words(extracted), words(truth)
    shared = sum((got & want).values())
    precision = shared / sum(got.values()) if got else 1.0
    recall = shared / sum(want.values())
    return precision, recall, 2 * precision * recall / (precision + recall) if shared else 0.0


def extractors() -> dict:
    sys.path.insert(0, str(ROOT))
    import trafilatura
    from resiliparse.extract.html2text import extract_plain_text

    from curation.extract import html_to_text

    return {
        "ours": html_to_text,
        "resiliparse main_content": lambda html: extract_plain_text(
            html, preserve_formatting=True, main_content=True, list_bullets=False, alt_texts=False).strip(),
        "trafilatura (datatrove)": lambda html: trafilatura.extract(
            html, favor_precision=True, include_comments=False, deduplicate=False) or "",
        "trafilatura default": lambda html: trafilatura.extract(html, include_comments=False,
                                                                deduplicate=False) or "",
    }


def score(extract, pages: list[dict]) -> dict:
    seconds = float("inf")
    for _ in range(2):  # the faster pass: the first pays for warming caches
        start = time.process_time()
        texts = [extract(page["html"]) for page in pages]
        seconds = min(seconds, time.process_time() - start)
    full = [prf(text, page["text"]) for text, page in zip(texts, pages) if page["text"] is not None]
    marked = [(text, page) for text, page in zip(texts, pages) if page["without"]]
    with_strings = [s in text for text, page in zip(texts, pages) for s in page["with"]]
    return {"P": sum(p for p, _, _ in full) / len(full), "R": sum(r for _, r, _ in full) / len(full),
            "F1": sum(f for _, _, f in full) / len(full),
            "removed": sum(not any(s in text for s in page["without"]) for text, page in marked) / len(marked),
            "kept": sum(with_strings) / len(with_strings), "docs_s": len(pages) / seconds,
            "n_full": len(full), "n_marked": len(marked), "n": len(pages)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "bench" / "data" / "extract"))
    ap.add_argument("--split", default="heldout", choices=("heldout", "tune"))
    args = ap.parse_args()
    with open(Path(args.data) / f"{args.split}.jsonl", encoding="utf-8") as f:
        pages = [json.loads(line) for line in f]
    rows = {name: score(extract, pages) for name, extract in extractors().items()}
    first = next(iter(rows.values()))
    print(f"{args.split}: {first['n']} pages; P/R/F1 on {first['n_full']} with full main text, boilerplate "
          f"and main strings on {first['n_marked']}")
    print(f"{'extractor':<26}{'P':>7}{'R':>7}{'F1':>7}{'boilerplate removed':>21}{'main kept':>11}{'docs/s':>9}")
    for name, r in rows.items():
        print(f"{name:<26}{r['P']:>7.3f}{r['R']:>7.3f}{r['F1']:>7.3f}{r['removed']:>21.1%}{r['kept']:>11.1%}"
              f"{r['docs_s']:>9.0f}")


if __name__ == "__main__":
    main()
