"""Encode throughput per core: the whole Beam encode stage against Hugging Face LlamaTokenizerFast, same model and text.

    .venv/bin/python bench/encode_throughput.py --mb 20 [--vocab-size 8000] [--repeat 3]

Writes about MB of generated web pages (the sample corpus's English prose, with titles, numbers and a share of
documents that start with whitespace) as curated Parquet parts of a temporary run, trains the run's tokenizer
on them (`tokens.tokenizer.train`), then times on the same text, one core each, best of `--repeat`:
- the encode stage (pipelines/encode.py on Beam's DirectRunner, one worker: Parquet in, Arrow token files out),
- sentencepiece alone (batched `encode`, one thread), for reference,
- Hugging Face `LlamaTokenizerFast.from_pretrained(RUN/tokenizer)` called on batches (TOKENIZERS_PARALLELISM=false),
and counts the documents whose ids differ between the stage's files and Hugging Face. The stage's best tokens/s is
recorded as the encode stage's per-core rate in bench/results/stages.json, which `llama-data plan` reads.
"""
from __future__ import annotations

import os

os.environ["TOKENIZERS_PARALLELISM"] = "false"  # one core for Hugging Face too; set before tokenizers loads

import argparse
import sys
import tempfile
import time
from pathlib import Path
from random import Random

import pyarrow as pa
import pyarrow.parquet as pq

from curation.schema import DOC_SCHEMA, make_doc, to_row
from llama_data import layout
from pipelines.encode import BATCH_DOCS, run_encode
from results_file import record_stage
from samples.prose import Prose
from tokens.tokenizer import train

PART_DOCS = 2000


def web_pages(rng: Random, mb: float):
    """Documents of about `mb` MB: a title, a date line, paragraphs; one in ten starts with whitespace."""
    size = 0
    while size < mb * 1e6:
        prose = Prose(rng)
        text = "\n".join([prose.title(), f"Posted {rng.randint(1, 28)}/{rng.randint(1, 12)}/{rng.randint(1995, 2023)}",
                          *(prose.paragraph() for _ in range(rng.randint(2, 9)))])
        text = (" " * rng.randint(1, 3) + text) if rng.random() < 0.1 else text
        size += len(text.encode())
        yield text


def write_pages(run: Path, mb: float) -> list[str]:
    """`web_pages` of about `mb` MB as the run's final CommonCrawl documents, PART_DOCS to a Parquet file."""
    texts = list(web_pages(Random(0), mb))
    folder = layout.documents(run) / "commoncrawl"
    folder.mkdir(parents=True)
    for k in range(0, len(texts), PART_DOCS):
        rows = [to_row(make_doc("commoncrawl", str(i), t)) for i, t in enumerate(texts[k:k + PART_DOCS], k)]
        pq.write_table(pa.Table.from_pylist(rows, schema=DOC_SCHEMA), folder / f"part-{k // PART_DOCS:05d}.parquet")
    return texts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=20)
    ap.add_argument("--vocab-size", type=int, default=8000)  # the generated prose supports ~9k pieces
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp)
        texts = write_pages(run, args.mb)
        mb = sum(len(t.encode()) for t in texts) / 1e6
        print(f"{len(texts):,} documents, {mb:.1f} MB; training a {args.vocab_size}-piece tokenizer ...", flush=True)
        train(run, {"commoncrawl": 1.0}, args.vocab_size, sample_chars=int(min(mb, 10) * 1e6), seed=0)

        import sentencepiece as spm
        from transformers import LlamaTokenizerFast

        sp = spm.SentencePieceProcessor(model_file=str(run / "tokenizer" / "tokenizer.model"))
        hf = LlamaTokenizerFast.from_pretrained(str(run / "tokenizer"))
        batches = [texts[i:i + BATCH_DOCS] for i in range(0, len(texts), BATCH_DOCS)]
        runs = {
            "Beam encode stage": lambda: run_encode(run, ["commoncrawl"]),
            "sentencepiece alone": lambda: [sp.encode(b, num_threads=1) for b in batches],
            "HF LlamaTokenizerFast": lambda: [hf(b, add_special_tokens=False)["input_ids"] for b in batches],
        }
        seconds = {name: [] for name in runs}
        for _ in range(args.repeat):  # interleaved, so that load from other users hits all three alike
            for name, fn in runs.items():
                start = time.perf_counter()
                fn()
                seconds[name].append(time.perf_counter() - start)

        stage = {}
        for path in sorted((run / layout.ENCODE / "commoncrawl").glob("*.arrow")):
            table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
            stage.update(zip(table.column("id").to_pylist(), table.column("tokens").to_pylist()))
        ids = [make_doc("commoncrawl", str(i), "")["id"] for i in range(len(texts))]
        hf_ids = [x for b in batches for x in hf(b, add_special_tokens=False)["input_ids"]]
        differ = sum(stage[i] != h for i, h in zip(ids, hf_ids))

        hf_best = mb / min(seconds["HF LlamaTokenizerFast"])
        print(f"\n| encoder (one core) | MB/s best of {args.repeat} | MB/s median | vs HF |\n|---|---:|---:|---:|")
        for name, s in seconds.items():
            best, median = mb / min(s), mb / sorted(s)[len(s) // 2]
            print(f"| {name} | {best:.2f} | {median:.2f} | {best / hf_best:.2f}x |")
        print(f"\nids differ between the stage and Hugging Face on {differ} of {len(texts):,} documents")
        tokens = sum(len(ids) for ids in stage.values())
        best = min(seconds["Beam encode stage"])
        command = " ".join(["bench/encode_throughput.py", *sys.argv[1:]])
        record_stage("encode", round(tokens / best), "tokens/s", command,
                     tokens=tokens, curated_mb=round(mb, 1), vocab_size=args.vocab_size, seconds=round(best, 2))


if __name__ == "__main__":
    main()
