"""The trainer's checkpoint folder: OUT/step-N (complete ones; incomplete ones are still named .step-N.tmp), each
with a model.json that records what its weights are: converting one needs no training config, and resuming
refuses a config or data that would make another model."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from pretrain.model import ModelArgs

MODEL_RECORD = "model.json"


def checkpoints(out: Path) -> list[Path]:
    """The complete checkpoints in `out`, oldest first."""
    found = [p for p in out.glob("step-*") if p.is_dir() and p.name[5:].isdigit()]
    return sorted(found, key=lambda p: int(p.name[5:]))


def write_model_record(folder: Path, args: ModelArgs, tokenizer_sha256: str | None) -> None:
    """folder/model.json: the architecture (ModelArgs, vocab and seq_len included) and the sha256 of the
    tokenizer.model that made the training tokens (None when the data's manifest does not name one)."""
    record = {"model_args": dataclasses.asdict(args), "tokenizer_sha256": tokenizer_sha256}
    (folder / MODEL_RECORD).write_text(json.dumps(record, indent=1) + "\n")


def read_model_record(folder: Path) -> tuple[ModelArgs, str | None] | None:
    """(ModelArgs, tokenizer sha256) from folder/model.json; None for a checkpoint written without one."""
    path = folder / MODEL_RECORD
    if not path.is_file():
        return None
    record = json.loads(path.read_text())
    return ModelArgs(**record["model_args"]), record["tokenizer_sha256"]
