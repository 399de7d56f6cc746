"""The `llama-data` command. Each command lives beside the code it drives and is only wired up here;
modules import their heavy dependencies (Beam, torch) inside the command so that `--help` stays fast."""
from __future__ import annotations

import click

from orchestration.ccmodels import classifier, lm
from orchestration.curate import curate
from orchestration.decontaminate import decontaminate
from orchestration.dedup import dedup
from orchestration.plan import plan
from orchestration.report import report
from orchestration.run import run
from orchestration.samples import samples
from orchestration.tokens_cli import mix, tokenizer
from pretrain.cli import convert, model


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """llama-data: the LLaMA pretraining-data recipe, from raw files to a trained model."""


for command in (samples, curate, dedup, decontaminate, tokenizer, mix, report, model, convert, run, plan, lm, classifier):
    main.add_command(command)
