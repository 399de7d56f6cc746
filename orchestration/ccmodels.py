"""The models the CommonCrawl stage needs, as CCNet and LLaMA built them:

    llama-data lm train --wiki DUMP --lang en --out models/lm/en         SentencePiece + 5-gram LM of Wikipedia
    llama-data lm cutoffs --model models/lm/en --input CC_SAMPLE         30th/60th percentile perplexities
    llama-data classifier train --wiki DUMP --warc WARCS --out models/classifier/en.bin
                                                                         pages Wikipedia cites vs random pages
"""
from __future__ import annotations

import bz2
import hashlib
import io
import json
import os
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import click

from llama_data.files import atomic_write



def _open(path: str, decompress: bool = False):
    """The raw bytes of a file through Beam's filesystems (bz2 undone when asked: the readers undo it)."""
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    f = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
    return bz2.open(f) if decompress and path.endswith(".bz2") else f


def _inputs(patterns) -> list[str]:
    from pipelines.io import expand_input

    paths = [p for pattern in patterns for p in expand_input(pattern)]
    if not paths:
        raise click.UsageError(f"no files found in {', '.join(patterns)}")
    return paths


def _wiki_paragraphs(dumps: list[str], lang: str, max_chars: int):
    """The paragraphs of a dump's articles in `lang`, as the wikipedia source cleans them."""
    from readers import mediawiki
    from readers.limits import Limits

    chars = 0
    for path in dumps:
        with _open(path) as f:
            for doc in mediawiki.read(path, f, Limits()):
                if "reason" in doc or doc["meta"]["language"] != lang:
                    continue
                for line in doc["text"].split("\n"):
                    if line.strip():
                        yield line
                        chars += len(line)
                if chars >= max_chars:
                    return


# ------------------------------------------------------------------------------------------ lm
@click.group()
def lm():
    """CCNet's perplexity model: train it on Wikipedia, compute its bucket cut-offs."""


@lm.command("train")
@click.option("--wiki", "dumps", multiple=True, required=True, help="pages-articles dump(s) (.xml or .xml.bz2).")
@click.option("--lang", required=True, help="Language of the articles to train on (e.g. en).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Model directory.")
@click.option("--vocab-size", type=click.IntRange(min=100), default=16000, show_default=True,
              help="SentencePiece pieces (CCNet: 65536 on a whole Wikipedia).")
@click.option("--order", type=click.IntRange(2, 7), default=5, show_default=True)
@click.option("--max-chars", type=click.IntRange(min=1), default=50_000_000, show_default=True,
              help="Wikipedia text to read; the estimator holds its n-gram counts in memory.")
def lm_train(dumps, lang, out, vocab_size, order, max_chars):
    """Train SentencePiece and a modified Kneser-Ney n-gram LM (ARPA) on Wikipedia paragraphs."""
    start = time.time()
    info = train_lm(dumps, lang, out, vocab_size, order, max_chars)
    print(f"\n{lang} LM: {info['paragraphs']:,} paragraphs, {info['pieces']:,} pieces, {info['vocab_size']:,} "
          f"SentencePiece pieces, n-grams per order {info['ngrams']} in {time.time() - start:.1f}s -> {out}/\n"
          f"next: llama-data lm cutoffs --model {out} --input CC_SAMPLE")


def train_lm(dumps, lang: str, out: Path, vocab_size: int = 16000, order: int = 5,
             max_chars: int = 50_000_000) -> dict:
    """`lm train`: OUT/sp.model, OUT/lm.arpa and OUT/info.json (returned)."""
    import kenlm
    import sentencepiece as spm
    from tqdm import tqdm

    from curation.perplexity import LM_MODEL, SP_MODEL, estimate, normalize, write_arpa

    out.mkdir(parents=True, exist_ok=True)
    lines = [normalize(p) for p in tqdm(_wiki_paragraphs(_inputs(dumps), lang, max_chars), desc="paragraphs",
                                        unit="para", file=sys.stderr)]
    lines = [line for line in lines if line]
    if not lines:
        raise click.UsageError(f"no '{lang}' articles in {', '.join(dumps)}")
    model = io.BytesIO()  # written in memory: a model_prefix path would be stored in the model, run to run apart
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, vocab_size=vocab_size, model_type="unigram",
        hard_vocab_limit=False, character_coverage=0.9999, num_threads=1, minloglevel=2)
    atomic_write(out / SP_MODEL, model.getvalue())
    sp = spm.SentencePieceProcessor(model_file=str(out / SP_MODEL))
    pieces = [sp.encode(line, out_type=str) for line in tqdm(lines, desc="encode", unit="para", file=sys.stderr)]
    print(f"estimating a {order}-gram model on {sum(map(len, pieces)):,} pieces", file=sys.stderr)
    logprobs, backoffs = estimate(pieces, order)
    tmp = out / (LM_MODEL + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        write_arpa(logprobs, backoffs, f)
    os.replace(tmp, out / LM_MODEL)
    model = kenlm.Model(str(out / LM_MODEL))  # what the curation job will load
    info = {"lang": lang, "order": model.order, "vocab_size": sp.get_piece_size(), "paragraphs": len(lines),
            "pieces": sum(map(len, pieces)), "ngrams": [len(p) for p in logprobs], "wiki": list(dumps)}
    atomic_write(out / "info.json", json.dumps(info, indent=1).encode())
    return info


def _sample_texts(paths: list[str], lang: str, sample: int) -> list[str]:
    """Up to `sample` page texts in `lang`: from Parquet documents as they are, or from WARC/WET pages after
    line dedup across the sample and the minimum length, as the curation job would see them."""
    import numpy as np

    from curation import linededup
    from curation.lang import LanguageId
    from pipelines.commoncrawl import CommonCrawlParams
    from readers import documents, warc
    from readers.limits import Limits

    texts = []
    for path in paths:
        if path.endswith(".parquet"):
            with _open(path) as f:
                texts += documents.read_texts(f)
        else:
            with _open(path) as f:
                texts += [d["text"] for d in warc.read(path, f, Limits()) if "reason" not in d and d["text"]]
        if len(texts) >= sample:
            break
    texts = texts[:sample]
    if not any(path.endswith(".parquet") for path in paths):
        counts = {}
        for text in texts:
            for h in linededup.doc_line_hashes(text):
                counts[h] = counts.get(h, 0) + 1
        dup = np.sort(np.array([h for h, n in counts.items() if n >= 2], np.int64))
        params = CommonCrawlParams(perplexity_models=None, classifier_model=None)
        lang_id = LanguageId()
        texts = [t for t in (linededup.remove_lines(t, dup)[0] for t in texts) if len(t) >= params.min_chars]
        texts = [t for t in texts if lang_id(t[:params.lang_prefix_chars])[0] == lang]
    return texts


@lm.command("cutoffs")
@click.option("--model", "model_dir", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True)
@click.option("--input", "inputs", multiple=True, required=True,
              help="Documents to sample: Parquet (a curated run) or WARC/WET files; path, folder or glob.")
@click.option("--sample", type=click.IntRange(min=2), default=10000, show_default=True, help="Documents to use.")
def lm_cutoffs(model_dir, inputs, sample):
    """Write the head/middle/tail perplexity cut-offs (30th and 60th percentiles) into MODEL/cutoffs.json."""
    start = time.time()
    result = compute_cutoffs(model_dir, inputs, sample)
    print(f"\n{result['lang']}: {result['documents']:,} documents, head < {result['head']}, middle < "
          f"{result['middle']}, tail from there in {time.time() - start:.1f}s -> {model_dir / 'cutoffs.json'}")


def compute_cutoffs(model_dir: Path, inputs, sample: int = 10000) -> dict:
    """`lm cutoffs`: MODEL/cutoffs.json (returned)."""
    from tqdm import tqdm

    from curation.perplexity import CUTOFFS, LM_MODEL, PERCENTILES, SP_MODEL, Perplexity, cutoffs

    lang = json.loads((model_dir / "info.json").read_text())["lang"]
    texts = _sample_texts(_inputs(inputs), lang, sample)
    if len(texts) < 2:
        raise click.UsageError(f"{len(texts)} '{lang}' documents in {', '.join(inputs)}: need at least 2")
    scorer = Perplexity(str(model_dir / SP_MODEL), str(model_dir / LM_MODEL))
    ppl = [scorer(t) for t in tqdm(texts, desc="perplexity", unit="doc", file=sys.stderr)]
    head, middle = cutoffs(ppl, PERCENTILES)
    result = {"head": head, "middle": middle, "percentiles": list(PERCENTILES), "documents": len(ppl),
              "input": list(inputs)}
    atomic_write(model_dir / CUTOFFS, json.dumps(result, indent=1).encode())
    return result | {"lang": lang}


# ------------------------------------------------------------------------------------------ classifier
def _wikitexts(path: str):
    """The raw wikitext of every page of a dump, streamed (each page cleared once read)."""
    with _open(path, decompress=True) as f:
        for _, elem in ET.iterparse(f, events=("end",)):
            tag = elem.tag.rpartition("}")[2]
            if tag == "text":
                yield elem.text or ""
            elif tag == "page":
                elem.clear()


def _pages(warcs: list[str], lang: str):
    """(url, text) of the WARC/WET pages in `lang` with at least some text."""
    from curation.lang import LanguageId
    from readers import warc
    from readers.limits import Limits

    lang_id = LanguageId()
    for path in warcs:
        with _open(path) as f:
            for d in warc.read(path, f, Limits()):
                if "reason" not in d and len(d["text"]) >= 100 and lang_id(d["text"][:4000])[0] == lang:
                    yield d["id"], d["url"], d["text"]


def _rank(seed: int, doc_id: str) -> str:
    return hashlib.blake2b(f"{seed}:{doc_id}".encode(), digest_size=8).hexdigest()


@click.group()
def classifier():
    """LLaMA's reference classifier: pages cited by Wikipedia against random Common Crawl pages."""


@classifier.command("train")
@click.option("--wiki", "dumps", multiple=True, required=True, help="pages-articles dump(s) whose <ref> URLs count.")
@click.option("--warc", "warcs", multiple=True, required=True, help="WARC/WET files, folders or globs.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="fastText model (.bin).")
@click.option("--lang", default="en", show_default=True, help="Only pages in this language are used.")
@click.option("--epoch", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def classifier_train(dumps, warcs, out, lang, epoch, seed):
    """Train fastText on cited pages (positives) vs as many random pages; report held-out precision/recall."""
    start = time.time()
    r = train_classifier(dumps, warcs, out, lang, epoch, seed)
    print(f"\nclassifier: {r['positives']:,} cited pages found (of {r['cited_urls']:,} cited URLs) vs "
          f"{r['negatives']:,} random pages; held out {r['held_out']}: precision {r['precision']:.3f}, recall "
          f"{r['recall']:.3f} (p(wiki) >= 0.5) in {time.time() - start:.1f}s -> {out}")


def train_classifier(dumps, warcs, out: Path, lang: str = "en", epoch: int = 10, seed: int = 0) -> dict:
    """`classifier train`: OUT (fastText) and its held-out report OUT.json (returned)."""
    import fasttext
    from tqdm import tqdm

    from curation.quality import OTHER, WIKI, RefClassifier, classifier_line, ref_urls
    from curation.urls import reference_key

    cited = set()
    for path in _inputs(dumps):
        for wikitext in tqdm(_wikitexts(path), desc=f"refs {Path(path).name}", unit="page", file=sys.stderr):
            cited.update(reference_key(u) for u in ref_urls(wikitext))
    warcs = _inputs(warcs)
    positives, others = {}, []
    for doc_id, url, text in tqdm(_pages(warcs, lang), desc="pages", unit="page", file=sys.stderr):
        if reference_key(url) in cited:
            positives[doc_id] = text
        else:
            others.append((_rank(seed, doc_id), doc_id))
    if len(positives) < 2:
        raise click.UsageError(f"{len(positives)} of the {len(cited):,} URLs cited in <ref>s are pages in the WARCs: "
                               "need at least 2 (crawl the cited URLs into a WARC first)")
    chosen = {doc_id for _, doc_id in sorted(others)[:len(positives)]}
    negatives = {doc_id: text for doc_id, _, text in _pages(warcs, lang) if doc_id in chosen}
    rows = [(WIKI, i, t) for i, t in positives.items()] + [(OTHER, i, t) for i, t in negatives.items()]
    held_out = [(label, t) for label, i, t in rows if int(_rank(seed + 1, i), 16) % 5 == 0]
    train = [(label, t) for label, i, t in rows if int(_rank(seed + 1, i), 16) % 5 != 0]
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "train.txt"
        data.write_text("".join(f"{label} {classifier_line(t)}\n" for label, t in sorted(train, key=lambda r: r[1])))
        # 2^18 hashed bigram buckets: fastText's default 2M makes a model of hundreds of MB for two labels
        model = fasttext.train_supervised(str(data), epoch=epoch, wordNgrams=2, bucket=1 << 18, thread=1,
                                          seed=seed, verbose=0)
        model.save_model(str(Path(tmp) / "model.bin"))
        os.replace(Path(tmp) / "model.bin", out)
    scorer = RefClassifier(str(out))
    predicted = [(label, scorer(t) >= 0.5) for label, t in held_out]
    tp = sum(label == WIKI and p for label, p in predicted)
    precision = tp / max(1, sum(p for _, p in predicted))
    recall = tp / max(1, sum(label == WIKI for label, _ in predicted))
    report = {"cited_urls": len(cited), "positives": len(positives), "negatives": len(negatives),
              "train": len(train), "held_out": len(held_out), "precision": round(precision, 4),
              "recall": round(recall, 4), "lang": lang, "seed": seed, "epoch": epoch}
    atomic_write(out.with_suffix(".json"), json.dumps(report, indent=1).encode())
    return report
