"""`llama-data model info` (what a size costs) and `llama-data convert` (checkpoints to HF or Meta format)."""
from __future__ import annotations

import click

SIZES = ("tiny", "1B", "7B", "13B", "33B", "65B")  # pretrain.model.PRESETS, without importing torch for --help


@click.group()
def model():
    """The LLaMA model: sizes and what they cost."""


@model.command()
@click.option("--size", required=True, type=click.Choice(SIZES), help="A preset: the paper's Table 2, or tiny/1B.")
@click.option("--batch", default=1, show_default=True, type=click.IntRange(min=1), help="Sequences per step.")
@click.option("--seq", default=2048, show_default=True, type=click.IntRange(min=1), help="Tokens per sequence.")
@click.option("--dtype", default="bf16", show_default=True, type=click.Choice(["bf16", "fp32"]),
              help="Precision of weights and activations (bf16: mixed, with fp32 master weights).")
@click.option("--checkpointing", default="none", show_default=True, type=click.Choice(["none", "full"]),
              help="Activation checkpointing of every layer.")
def info(size, batch, seq, dtype, checkpointing):
    """Parameters, training FLOPs per token and memory of a size, computed without allocating it."""
    from pretrain.model import PRESETS, ffn_hidden_dim
    from pretrain.sizing import flops_per_token, n_params, training_memory

    args = PRESETS[size]
    memory = training_memory(args, batch, seq, dtype, None if checkpointing == "none" else checkpointing)
    click.echo(f"{size}: dim {args.dim}, {args.n_layers} layers, {args.n_heads} heads "
               f"({args.n_kv_heads or args.n_heads} kv), ffn {ffn_hidden_dim(args)}, vocab {args.vocab_size}")
    click.echo(f"parameters        {n_params(args):,}")
    flops = flops_per_token(args, seq)
    click.echo(f"training FLOPs    {flops / 1e9:,.2f} GFLOP per token at seq {seq} "
               f"({flops * batch * seq / 1e12:,.1f} TFLOP per step of {batch} x {seq})")
    click.echo(f"memory ({dtype}, batch {batch} x seq {seq}, activation checkpointing {checkpointing}):")
    for part, nbytes in memory.items():
        click.echo(f"  {part:<16}{nbytes / 2**30:>10,.2f} GiB")
    click.echo(f"  {'total':<16}{sum(memory.values()) / 2**30:>10,.2f} GiB  (ZeRO-3 divides all but "
               f"activations by the number of GPUs)")


@click.command()
@click.option("--to", "fmt", required=True, type=click.Choice(["hf", "meta"]), help="Format to write.")
@click.option("--checkpoint", required=True, type=click.Path(exists=True),
              help="A DeepSpeed checkpoint of pretrain/run.py (OUT/step-N, or OUT for its latest), "
                   "a Hugging Face directory or a Meta directory.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory to write.")
@click.option("--config", type=click.Path(dir_okay=False, exists=True),
              help="The training config (configs/train/*.yaml): overrides the architecture a DeepSpeed "
                   "checkpoint records in its model.json (older checkpoints have none).")
@click.option("--dtype", default="bf16", show_default=True, type=click.Choice(["bf16", "fp16", "fp32"]),
              help="Precision of the written weights.")
@click.option("--shards", default=1, show_default=True, type=click.IntRange(min=1),
              help="Model-parallel shards (--to meta): consolidated.00.pth ... as Meta splits them.")
@click.option("--tokenizer", type=click.Path(dir_okay=False, exists=True),
              help="tokenizer.model to copy beside the weights.")
def convert(fmt, checkpoint, out, config, dtype, shards, tokenizer):
    """Write a checkpoint in Hugging Face (LlamaForCausalLM) or Meta (consolidated.NN.pth) format."""
    import shutil
    from pathlib import Path

    import torch

    from pretrain.convert import load_checkpoint, save_hf, save_meta

    args = None
    if config is not None:
        from llama_data.config import ConfigError, load_config
        from pretrain.model import PRESETS
        from pretrain.config import TrainConfig

        try:
            cfg = load_config(config, TrainConfig)
        except ConfigError as e:
            raise click.BadParameter(str(e), param_hint="'--config'") from None
        args = cfg.model_args or PRESETS[cfg.model]
    if shards > 1 and fmt != "meta":
        raise click.BadParameter("shards are Meta's format: use --to meta", param_hint="'--shards'")
    try:
        state_dict, args = load_checkpoint(checkpoint, args)
        torch_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[dtype]
        if fmt == "hf":
            save_hf(state_dict, args, out, torch_dtype)
        else:
            save_meta({k: v.to(torch_dtype) for k, v in state_dict.items()}, args, out, shards)
    except (FileNotFoundError, ValueError) as e:  # not a checkpoint, or not of this architecture
        raise click.BadParameter(str(e), param_hint="'--checkpoint'") from None
    if tokenizer:
        shutil.copy(tokenizer, Path(out) / "tokenizer.model")
    n = sum(v.numel() for v in state_dict.values())
    click.echo(f"wrote {out}: {fmt} format, {n:,} parameters in {dtype}")
