"""The run directory: one folder per stage, named after the stage that writes it, whichever command started it
(`llama-data run`, or the stage's own command with the same RUN).

    RUN/samples/                          the generated corpus (samples)
    RUN/models/                           CommonCrawl's perplexity LM and reference classifier (models)
    RUN/curate/{curated,rejects}/<source>/, curate/stats/<source>.json, curate/stats.json     (curate)
    RUN/dedup/{curated,rejects}/<source>/, dedup/stats.json                                  (dedup)
    RUN/tokenizer/                        tokenizer.model, tokenizer.json, HF config (tokenizer)
    RUN/encode/<source>/*.arrow, encode/manifest.json                     encoded parts (encode)
    RUN/mix/shard-*.arrow, mix/manifest.json                              training shards (mix)
    RUN/train/step-N/, train/metrics.jsonl, train/train.log               checkpoints and logs (train)
    RUN/report/                           `llama-data report`
    RUN/.done/<stage>.json                completion markers of `llama-data run`
"""
from __future__ import annotations

from pathlib import Path

SAMPLES, MODELS, CURATE, DEDUP, TOKENIZER, ENCODE, MIX, TRAIN, REPORT = (
    "samples", "models", "curate", "dedup", "tokenizer", "encode", "mix", "train", "report")


def documents(run_dir: str | Path) -> Path:
    """The final documents, deduplicated across sources: what the tokenizer and the encode stage read."""
    return Path(run_dir) / DEDUP / "curated"
