"""Pretrain LLaMA on the mix stage's token shards with DeepSpeed ZeRO stage 3.

    DS_ACCELERATOR=cpu deepspeed --num_gpus 1 pretrain/run.py \
        --config configs/train/tiny.yaml --data RUN/mixed --out RUN/checkpoints

(on GPUs drop DS_ACCELERATOR; on CPU `--num_gpus N` starts N gloo ranks; `python pretrain/run.py ...` runs
one process without the launcher). Config and data errors exit 2, naming the key or file, before any work.
A flat loop in the style of nanoGPT's train.py. The recipe is the paper's (§2.2): AdamW with
betas (0.9, 0.95) and weight decay 0.1, cosine schedule down to 10% of the peak after a linear warmup,
gradient clipping at 1.0. Weight decay applies to every 2-D matrix, the token embeddings included (the
paper names no exemption; this is nanoGPT's choice), and not to the RMSNorm gains.
Checkpoints go to OUT/step-N (DeepSpeed's layout, with OUT/latest naming the newest); their client
state holds the step and the data sampler's position, so `--resume auto` continues exactly.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __name__ == "__main__":  # run as a script: import `pretrain.*` from the repo root, not siblings from pretrain/
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("DS_ACCELERATOR", "cpu")  # before deepspeed picks its accelerator at import

import deepspeed
import deepspeed.comm as dist

from orchestration.config import check, load_config
from pretrain.data import Sampler, TokenShards
from pretrain.model import PRESETS, ModelArgs, Transformer


@dataclass
class TrainConfig:
    model: str | None = None  # a preset of pretrain.model.PRESETS, or else...
    model_args: ModelArgs | None = None  # ...the architecture spelled out; vocab and seq_len come from the data
    micro_batch_size: int = 4  # sequences per rank per forward pass
    gradient_accumulation_steps: int = 1
    max_steps: int = 0  # optimizer steps
    lr: float = 3e-4
    min_lr_ratio: float = 0.1
    warmup_steps: int = 2000
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    seed: int = 0
    checkpoint_every: int = 0  # steps; 0 saves only at the end
    log_every: int = 10
    dtype: str = "auto"  # auto: bf16 on GPU, fp32 on CPU

    def __post_init__(self):
        check((self.model is None) != (self.model_args is None), "model", "give exactly one of 'model' and 'model_args'")
        check(self.model is None or self.model in PRESETS, "model", f"must be one of {', '.join(PRESETS)}")
        if self.model_args is not None:
            a = self.model_args
            check(a.dim % a.n_heads == 0, "model_args.dim", f"must be a multiple of n_heads ({a.n_heads})")
            check(a.n_kv_heads is None or a.n_heads % a.n_kv_heads == 0, "model_args.n_kv_heads", "must divide n_heads")
        for key in ("micro_batch_size", "gradient_accumulation_steps", "max_steps", "log_every"):
            check(getattr(self, key) > 0, key, "must be > 0")
        check(self.lr > 0, "lr", "must be > 0")
        check(0 <= self.min_lr_ratio <= 1, "min_lr_ratio", "must be in [0, 1]")
        check(self.warmup_steps >= 0, "warmup_steps", "must be >= 0")
        check(len(self.betas) == 2, "betas", "must be two numbers")
        check(self.checkpoint_every >= 0, "checkpoint_every", "must be >= 0")
        check(self.dtype in ("auto", "fp32", "bf16"), "dtype", "must be auto, fp32 or bf16")


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Multiplier of the peak lr at optimizer step `step`: linear warmup, then cosine to min_lr_ratio."""
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps))
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="YAML file of TrainConfig")
    parser.add_argument("--data", required=True, help="the mix stage's output: manifest.json + shards")
    parser.add_argument("--out", required=True, help="checkpoint directory")
    parser.add_argument("--resume", choices=("auto", "none"), default="auto", help="auto: continue from OUT/latest")
    parser.add_argument("--local_rank", type=int, default=0, help="set by the deepspeed launcher")
    args = parser.parse_args(argv)

    try:  # ConfigError is a ValueError
        cfg = load_config(args.config, TrainConfig)
        train_data = TokenShards(args.data, "train")
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)

    # One process without the launcher: the environment torch.distributed expects.
    for key, value in {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1",
                       "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}.items():
        os.environ.setdefault(key, value)
    deepspeed.ops.__compatible_ops__["deepspeed_shm_comm"] = False  # else a C++ op is compiled (~95 s) on CPU
    deepspeed.init_distributed()
    rank, world_size = dist.get_rank(), dist.get_world_size()
    log = print if rank == 0 else (lambda *a, **k: None)

    on_gpu = deepspeed.get_accelerator().device_name() != "cpu"
    dtype = cfg.dtype if cfg.dtype != "auto" else ("bf16" if on_gpu else "fp32")
    ds_config = {
        "train_micro_batch_size_per_gpu": cfg.micro_batch_size,
        "gradient_accumulation_steps": cfg.gradient_accumulation_steps,
        "gradient_clipping": cfg.grad_clip,
        "zero_optimization": {"stage": 3},
        "bf16": {"enabled": dtype == "bf16"},
        "steps_per_print": 2**31 - 1,  # this loop does the logging
    }

    model_args = cfg.model_args or PRESETS[cfg.model]
    model_args = dataclasses.replace(model_args, vocab_size=train_data.vocab_size, max_seq_len=train_data.seq_len)
    torch.manual_seed(cfg.seed)
    with deepspeed.zero.Init(config_dict_or_path=ds_config):
        model = Transformer(model_args)  # each rank keeps only its partition of every weight
    n_params = sum(p.ds_numel for p in model.parameters())

    # ZeRO-3 has already emptied p itself; p.ds_shape is the weight's real shape.
    matrices = [p for p in model.parameters() if len(p.ds_shape) >= 2]
    gains = [p for p in model.parameters() if len(p.ds_shape) < 2]
    optimizer = torch.optim.AdamW(
        [{"params": matrices, "weight_decay": cfg.weight_decay}, {"params": gains, "weight_decay": 0.0}],
        lr=cfg.lr, betas=cfg.betas,
    )
    engine, _, _, _ = deepspeed.initialize(
        model=model, optimizer=optimizer, config=ds_config,
        lr_scheduler=lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg)),
    )

    sampler = Sampler(len(train_data), cfg.micro_batch_size, cfg.seed, rank, world_size)
    step = 0
    if args.resume == "auto" and (Path(args.out) / "latest").is_file():
        path, client_state = engine.load_checkpoint(args.out)
        step = client_state["step"]
        sampler.load_state_dict(client_state["data"])
        log(f"resumed from {Path(path).parent} at step {step}")

    tokens_per_step = cfg.micro_batch_size * cfg.gradient_accumulation_steps * world_size * train_data.seq_len
    log(f"model {cfg.model or 'model_args'}: {n_params:,} parameters, {world_size} rank(s), {dtype}, "
        f"{tokens_per_step:,} tokens per step, {len(train_data):,} training sequences")

    def save(step):
        tag = f"step-{step}"
        engine.save_checkpoint(args.out, tag=tag, client_state={"step": step, "data": sampler.state_dict()})
        return Path(args.out) / tag

    start_step, logged_step, loss_avg, saved = step, step, float("nan"), None
    t0 = time.time()
    while step < cfg.max_steps:
        loss_sum = torch.zeros((), device=engine.device)  # a tensor: no host sync until a log step
        for _ in range(cfg.gradient_accumulation_steps):
            batch = torch.from_numpy(train_data.batch(sampler.next_batch()).astype("int64")).to(engine.device)
            _, loss = engine(batch[:, :-1], batch[:, 1:])
            engine.backward(loss)
            engine.step()  # DeepSpeed steps the optimizer and the lr schedule only after the last micro-batch
            loss_sum += loss.detach().float()
        step += 1

        if step % cfg.log_every == 0 or step == cfg.max_steps:
            dist.all_reduce(loss_sum)
            loss_avg = loss_sum.item() / (cfg.gradient_accumulation_steps * world_size)
            tokens_per_s = (step - logged_step) * tokens_per_step / (time.time() - t0)
            log(f"step {step}/{cfg.max_steps} loss {loss_avg:.4f} lr {cfg.lr * lr_factor(step - 1, cfg):.3e} "
                f"grad_norm {float(engine.get_global_grad_norm()):.3f} tokens/s {tokens_per_s:,.0f}", flush=True)
            logged_step, t0 = step, time.time()
        if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 or step == cfg.max_steps:
            saved = save(step)

    log(f"done: {step} steps ({step - start_step} this run), final loss {loss_avg:.4f}, "
        f"{step * tokens_per_step:,} tokens seen, checkpoint {saved or 'none written (already at max_steps)'}")


if __name__ == "__main__":
    main()
