"""The run directory: one folder per stage, named after the stage that writes it, whichever command started it
(`llama-data run`, or the stage's own command with the same RUN).

    RUN/samples/                          the generated corpus (samples)
    RUN/models/                           CommonCrawl's perplexity LM and reference classifier (models)
    RUN/curate/{curated,rejects}/<source>/, curate/stats/<source>.json, curate/stats.json     (curate)
    RUN/curate/commoncrawl.curation.yaml  the curation config with the models stage's paths (a run with models)
    RUN/dedup/{curated,rejects}/<source>/, dedup/stats.json                                  (dedup)
    RUN/decontaminate/{curated,rejects}/<source>/, decontaminate/stats.json    (decontaminate, when asked for)
    RUN/tokenizer/                        tokenizer.model, tokenizer.json, HF config (tokenizer)
    RUN/encode/<source>/*.arrow, encode/manifest.json                     encoded parts (encode)
    RUN/mix/shard-*.arrow, mix/manifest.json                              training shards (mix)
    RUN/train/step-N/, train/metrics.jsonl, train/train.log               checkpoints and logs (train)
    RUN/report/                           `llama-data report`
    RUN/.done/<stage>.json                completion markers of `llama-data run`
"""
from __future__ import annotations

from pathlib import Path

CURATE, DEDUP, DECONTAMINATE, TOKENIZER, ENCODE, MIX, TRAIN, REPORT = (
    "curate", "dedup", "decontaminate", "tokenizer", "encode", "mix", "train", "report")


def documents(run_dir: str | Path, decontaminated: bool = True) -> Path:
    """The final documents, what the tokenizer and the encode stage read: the decontaminated ones where that stage
    has finished (its stats.json is written last), else the deduplicated ones."""
    run_dir = Path(run_dir)
    if decontaminated and (run_dir / DECONTAMINATE / "stats.json").is_file():
        return run_dir / DECONTAMINATE / "curated"
    return run_dir / DEDUP / "curated"
