"""Pretrain LLaMA on the mix stage's token shards with DeepSpeed ZeRO stage 3.

    deepspeed pretrain/run.py --config configs/train/tiny.yaml --data RUN/mixed --out RUN/checkpoints
    deepspeed --hostfile hosts pretrain/run.py ...          # many nodes (OUT on a shared filesystem)
    torchrun --nproc_per_node 8 pretrain/run.py ...         # or torchrun; `python pretrain/run.py` is one process

On CPU (no CUDA) DeepSpeed runs on gloo; `deepspeed --num_gpus N` then starts N CPU ranks. Config and data
errors exit 2, naming the key or file, before any work. A flat loop in the style of nanoGPT's train.py.

The recipe is the paper's (§2.2): AdamW with betas (0.9, 0.95) and weight decay 0.1, gradient clipping at
1.0, a linear warmup (2000 steps) then a cosine down to 10% of the peak, the peak learning rate of Table 2
for the paper's sizes, a batch given in tokens (4M) and split into micro-batch x accumulation x ranks.
Weight decay applies to every matrix, the embeddings and output included, and not to the RMSNorm gains
(the paper names no exemption): a gain is a per-channel scale, and pulling it to 0 shrinks the activations
rather than regularising the function (nanoGPT, GPT-NeoX and OLMo exempt norms the same way).

Checkpoints (OUT/step-N, every `checkpoint_every` steps, at the end, and on SIGTERM/SIGINT) are written to
OUT/.step-N.tmp and renamed when every rank has finished, so a directory named step-N is always complete;
OUT/latest then names it and only the newest `keep_last` are kept. Their client state holds the step and
the data sampler's position, so `--resume auto` continues exactly where the newest one left off.
Rank 0 also appends every log line's numbers, exactly, to OUT/metrics.jsonl, and plots them in
TensorBoard (OUT/tensorboard).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import shutil
import signal
import socket
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

if __name__ == "__main__":  # run as a script: import `pretrain.*` from the repo root, not siblings from pretrain/
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import numpy as np
import torch

if not torch.cuda.is_available():
    os.environ.setdefault("DS_ACCELERATOR", "cpu")  # before deepspeed picks its accelerator at import

import deepspeed
import deepspeed.comm as dist

from llama_data.config import check, load_config
from pretrain.data import Sampler, TokenShards
from pretrain.model import PRESETS, ModelArgs, Transformer, set_activation_checkpointing

PAPER_LR = {"7B": 3.0e-4, "13B": 3.0e-4, "33B": 1.5e-4, "65B": 1.5e-4}  # Table 2
# Dense bf16 peak of one device, for MFU (vendor datasheets; SXM parts).
PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "H800": 989.0, "A100": 312.0, "A800": 312.0, "L40S": 362.0}


@dataclass
class TrainConfig:
    max_steps: int  # optimizer steps; the cosine schedule ends here
    model: str | None = None  # a preset of pretrain.model.PRESETS, or else...
    model_args: ModelArgs | None = None  # ...the architecture spelled out; vocab and seq_len come from the data
    batch_tokens: int = 4 * 1024 * 1024  # global batch in tokens = micro_batch_size x seq_len x accumulation x ranks
    micro_batch_size: int = 4  # sequences per rank per forward pass
    lr: float | None = None  # peak; None: Table 2's for the paper's sizes
    min_lr_ratio: float = 0.1
    warmup_steps: int = 2000
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    seed: int = 0
    checkpoint_every: int = 1000  # steps; 0: only at the end (and on SIGTERM/SIGINT)
    keep_last: int = 3  # checkpoints kept; 0 keeps all
    eval_every: int = 0  # steps; 0: no evaluation (the data's eval split is then not needed)
    eval_rows: int = 1024  # held-out sequences per evaluation (the same ones every time)
    log_every: int = 10
    max_bad_steps: int = 10  # stop after this many steps skipped for a non-finite loss or grad norm
    dtype: str = "auto"  # auto: bf16 on GPU, fp32 on CPU
    activation_checkpointing: str | None = None  # None, "selective" or "full" (see pretrain.model)
    peak_tflops: float | None = None  # one device's peak, for MFU; None: known GPUs' bf16 peak, no MFU on CPU
    zero: dict[str, object] = field(default_factory=dict)  # overrides of DeepSpeed's zero_optimization section

    def __post_init__(self):
        check((self.model is None) != (self.model_args is None), "model", "give exactly one of 'model' and 'model_args'")
        check(self.model is None or self.model in PRESETS, "model", f"must be one of {', '.join(PRESETS)}")
        if self.model_args is not None:
            a = self.model_args
            check(a.dim % a.n_heads == 0, "model_args.dim", f"must be a multiple of n_heads ({a.n_heads})")
            check(a.n_kv_heads is None or a.n_heads % a.n_kv_heads == 0, "model_args.n_kv_heads", "must divide n_heads")
        for key in ("max_steps", "batch_tokens", "micro_batch_size", "log_every", "eval_rows", "max_bad_steps"):
            check(getattr(self, key) > 0, key, "must be > 0")
        check(self.lr is not None or self.model in PAPER_LR, "lr",
              f"must be given unless model is one of the paper's sizes ({', '.join(PAPER_LR)})")
        self.lr = self.lr if self.lr is not None else PAPER_LR[self.model]
        check(self.lr > 0, "lr", "must be > 0")
        check(0 <= self.min_lr_ratio <= 1, "min_lr_ratio", "must be in [0, 1]")
        check(len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas), "betas", "must be two numbers in [0, 1)")
        for key in ("warmup_steps", "checkpoint_every", "keep_last", "eval_every", "weight_decay", "grad_clip"):
            check(getattr(self, key) >= 0, key, "must be >= 0")
        check(self.dtype in ("auto", "fp32", "bf16"), "dtype", "must be auto, fp32 or bf16")
        check(self.activation_checkpointing in (None, "selective", "full"), "activation_checkpointing",
              "must be null, selective or full")
        check(self.peak_tflops is None or self.peak_tflops > 0, "peak_tflops", "must be > 0")
        check("stage" not in self.zero, "zero.stage", "is always 3 here")


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Multiplier of the peak lr at optimizer step `step`: linear warmup, then cosine to min_lr_ratio."""
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps))
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def zero3_config(dim: int, overrides: dict) -> dict:
    """ZeRO-3 with communication overlapped with compute. Buckets scale with the hidden size (the rules
    Hugging Face's "auto" values use): a gradient reduce of about one dim x dim matrix, the next layers'
    weights prefetched ahead of use, and parameters under 10 x dim elements (the norm gains) kept whole on
    every rank rather than gathered at every use. Live/reuse limits of 1e9 keep gathered weights around for
    the backward pass instead of fetching them twice."""
    return {"stage": 3, "overlap_comm": True, "contiguous_gradients": True,
            "reduce_bucket_size": dim * dim, "stage3_prefetch_bucket_size": int(0.9 * dim * dim),
            "stage3_param_persistence_threshold": 10 * dim,
            "stage3_max_live_parameters": 10**9, "stage3_max_reuse_distance": 10**9, **overrides}


def flops_per_token(args: ModelArgs, n_params: int, seq_len: int) -> float:
    """Training FLOPs per token, PaLM's way (appendix B): 6 per weight of every matmul (the embedding lookup
    is none) plus 12 x layers x dim x seq for the attention scores and their weighted sum."""
    return 6 * (n_params - args.vocab_size * args.dim) + 12 * args.n_layers * args.dim * seq_len


def peak_flops(cfg: TrainConfig, dtype: str) -> float | None:
    """One device's peak FLOP/s for MFU: the config's, else a known GPU's bf16 dense peak, else None."""
    if cfg.peak_tflops:
        return cfg.peak_tflops * 1e12
    if dtype == "bf16" and torch.cuda.is_available():
        name = torch.cuda.get_device_name()
        return next((t * 1e12 for key, t in PEAK_TFLOPS.items() if key in name), None)
    return None


def checkpoints(out: Path) -> list[Path]:
    """The complete checkpoints in `out`, oldest first (incomplete ones are still named .step-N.tmp)."""
    found = [p for p in out.glob("step-*") if p.is_dir() and p.name[5:].isdigit()]
    return sorted(found, key=lambda p: int(p.name[5:]))


class StopOnSignal:
    """Turns SIGTERM/SIGINT into a request to checkpoint and stop after the current step. Repeats are ignored:
    a rank often gets the signal twice, from the scheduler (Slurm signals every process of the job; Ctrl-C the
    terminal's process group) and again from its launcher. torchrun and deepspeed's per-node launcher forward
    SIGTERM to the ranks; the single-node `deepspeed` command does not, so signal its process group there."""

    def __init__(self):
        self.signum = 0
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, self._handle)

    def _handle(self, signum, frame):
        self.signum = signum


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="YAML file of TrainConfig")
    parser.add_argument("--data", required=True, help="the mix stage's output: manifest.json + shards")
    parser.add_argument("--out", required=True, help="checkpoint directory")
    parser.add_argument("--resume", default="auto",
                        help="auto: the newest complete OUT/step-N (default); none: start afresh; or a step-N dir")
    parser.add_argument("--export-hf", metavar="DIR",
                        help="at the end, consolidate the last checkpoint into a Hugging Face model in DIR")
    parser.add_argument("--local_rank", type=int, default=0, help="set by the deepspeed launcher")
    args = parser.parse_args(argv)
    out = Path(args.out)
    # DeepSpeed's ZeRO-3 calls torch.distributed functions that torch deprecates, once per layer and step.
    warnings.filterwarnings("ignore", category=FutureWarning, message=r"`torch\.distributed\.\w+` is deprecated")

    try:  # ConfigError is a ValueError
        cfg = load_config(args.config, TrainConfig)
        train_data = TokenShards(args.data, "train")
        eval_data = TokenShards(args.data, "eval") if cfg.eval_every else None
        if args.resume not in ("auto", "none") and not any(Path(args.resume).glob("mp_rank_*_model_states.pt")):
            raise FileNotFoundError(f"--resume {args.resume}: not a checkpoint directory (OUT/step-N)")
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)

    if "WORLD_SIZE" not in os.environ:  # one process without a launcher: a world of one on a free port
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        os.environ.update(RANK="0", LOCAL_RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    deepspeed.ops.__compatible_ops__["deepspeed_shm_comm"] = False  # else a C++ op is compiled (~95 s) on CPU
    deepspeed.init_distributed()
    rank, world_size = dist.get_rank(), dist.get_world_size()
    log = print if rank == 0 else (lambda *a, **k: None)

    def usage_error(message: str):
        log(f"error: {message}", file=sys.stderr)
        torch.distributed.destroy_process_group()  # gloo aborts a process that exits inside its group
        sys.exit(2)

    seq_len = train_data.seq_len
    per_micro_step = cfg.micro_batch_size * seq_len * world_size
    if cfg.batch_tokens % per_micro_step:
        usage_error(f"{args.config}: 'batch_tokens' ({cfg.batch_tokens:,}) must be a multiple of micro_batch_size "
                    f"x seq_len x ranks = {cfg.micro_batch_size} x {seq_len} x {world_size} = {per_micro_step:,}")
    accumulation = cfg.batch_tokens // per_micro_step
    eval_rows_per_rank = min(cfg.eval_rows, len(eval_data)) // world_size if eval_data else 0
    if eval_data and not eval_rows_per_rank:
        usage_error(f"{args.data}: {len(eval_data)} eval rows cannot be shared by {world_size} ranks")

    on_gpu = deepspeed.get_accelerator().device_name() != "cpu"
    dtype = cfg.dtype if cfg.dtype != "auto" else ("bf16" if on_gpu else "fp32")
    model_args = cfg.model_args or PRESETS[cfg.model]
    model_args = dataclasses.replace(model_args, vocab_size=train_data.vocab_size, max_seq_len=seq_len)
    ds_config = {
        "train_micro_batch_size_per_gpu": cfg.micro_batch_size,
        "gradient_accumulation_steps": accumulation,
        "gradient_clipping": cfg.grad_clip,
        "zero_optimization": zero3_config(model_args.dim, cfg.zero),
        "bf16": {"enabled": dtype == "bf16"},
        "steps_per_print": 2**31 - 1,  # this loop does the logging
    }

    torch.manual_seed(cfg.seed)
    with deepspeed.zero.Init(config_dict_or_path=ds_config):
        model = Transformer(model_args)  # each rank holds only its partition of every weight, from the start
    set_activation_checkpointing(model, cfg.activation_checkpointing)
    n_params = sum(p.ds_numel for p in model.parameters())

    # ZeRO-3 has already emptied p itself; p.ds_shape is the weight's real shape.
    matrices = [p for p in model.parameters() if len(p.ds_shape) >= 2]
    gains = [p for p in model.parameters() if len(p.ds_shape) < 2]
    optimizer = torch.optim.AdamW(
        [{"params": matrices, "weight_decay": cfg.weight_decay}, {"params": gains, "weight_decay": 0.0}],
        lr=cfg.lr, betas=cfg.betas, fused=on_gpu,
    )
    engine, _, _, _ = deepspeed.initialize(
        model=model, optimizer=optimizer, config=ds_config,
        lr_scheduler=lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg)),
    )

    sampler = Sampler(len(train_data), cfg.micro_batch_size, cfg.seed, rank, world_size)
    if rank == 0:
        for stale in out.glob(".step-*.tmp"):  # left by a run killed while saving
            shutil.rmtree(stale)
    resume_from = {"auto": (checkpoints(out) or [None])[-1], "none": None}.get(args.resume, Path(args.resume))
    step = 0
    if resume_from is not None:
        _, client_state = engine.load_checkpoint(str(resume_from.parent), tag=resume_from.name)
        step = client_state["step"]
        sampler.load_state_dict(client_state["data"])
        log(f"resumed from {resume_from} at step {step}")

    tokens_per_step = cfg.batch_tokens
    flops = flops_per_token(model_args, n_params, seq_len)
    peak = peak_flops(cfg, dtype)
    log(f"model {cfg.model or 'model_args'}: {n_params:,} parameters, {world_size} rank(s), {dtype}, "
        f"{tokens_per_step:,} tokens per step = {cfg.micro_batch_size} x {seq_len} x {accumulation} accumulation "
        f"x {world_size} ranks, {len(train_data):,} training sequences, peak lr {cfg.lr:g}", flush=True)

    writer = None
    if rank == 0:
        from torch.utils.tensorboard import SummaryWriter  # rank 0 only: slow to import

        out.mkdir(parents=True, exist_ok=True)
        writer = SummaryWriter(str(out / "tensorboard"), purge_step=step + 1)
        metrics_file = open(out / "metrics.jsonl", "a")

    def record(step, **values):
        """Rank 0: one JSON line with exact floats, and the same numbers in TensorBoard."""
        if writer is None:
            return
        metrics_file.write(json.dumps({"step": step, **values}) + "\n")
        metrics_file.flush()
        for key, value in values.items():
            if value is not None:
                writer.add_scalar(key, value, step)

    def save(step) -> Path:
        """Every rank writes its shards into OUT/.step-N.tmp; once all have, rank 0 renames it to OUT/step-N."""
        tmp, final = out / f".step-{step}.tmp", out / f"step-{step}"
        engine.save_checkpoint(str(out), tag=tmp.name, save_latest=False,
                               client_state={"step": step, "data": sampler.state_dict()})
        dist.barrier()
        if rank == 0:
            if final.exists():  # a rerun from an older checkpoint overwrites the future it had
                shutil.rmtree(final)
            os.replace(tmp, final)
            (out / "latest.tmp").write_text(final.name)
            os.replace(out / "latest.tmp", out / "latest")  # for DeepSpeed's zero_to_fp32 and load_checkpoint
            if cfg.keep_last:
                for old in checkpoints(out)[:-cfg.keep_last]:
                    if old != final:
                        shutil.rmtree(old)
        dist.barrier()
        return final

    def evaluate() -> float:
        """Mean loss over the first eval_rows held-out sequences, each rank a contiguous block of them."""
        engine.eval()
        first = rank * eval_rows_per_rank
        total = torch.zeros((), device=engine.device)
        with torch.no_grad():
            for start in range(first, first + eval_rows_per_rank, cfg.micro_batch_size):
                rows = np.arange(start, min(start + cfg.micro_batch_size, first + eval_rows_per_rank))
                batch = torch.from_numpy(eval_data.batch(rows).astype("int64")).to(engine.device)
                _, loss = engine(batch[:, :-1], batch[:, 1:])
                total += loss.float() * len(rows)
        engine.train()
        dist.all_reduce(total)
        return total.item() / (eval_rows_per_rank * world_size)

    def finish(code: int):
        """Leave together: every rank reaches this with the same code."""
        if writer is not None:
            writer.close()
            metrics_file.close()
        dist.barrier()
        torch.distributed.destroy_process_group()
        sys.exit(code)

    stopper = StopOnSignal()
    start_step, bad_steps, skipped, saved = step, 0, 0, None
    loss = eval_loss = float("nan")
    interval_time, interval_steps, run_time = 0.0, 0, 0.0
    while step < cfg.max_steps:
        t0 = time.perf_counter()
        loss_sum = torch.zeros((), device=engine.device)  # stays on the device until the step's one sync
        for _ in range(accumulation):
            batch = torch.from_numpy(train_data.batch(sampler.next_batch()).astype("int64")).to(engine.device)
            _, micro_loss = engine(batch[:, :-1], batch[:, 1:])
            engine.backward(micro_loss)
            engine.step()  # DeepSpeed steps the optimizer and the lr schedule only after the last micro-batch
            loss_sum += micro_loss.detach().float()
        step += 1
        # One all-reduce per step: the mean loss over ranks, and whether any rank was asked to stop.
        sync = torch.stack([loss_sum, torch.tensor(float(stopper.signum), device=engine.device)])
        dist.all_reduce(sync)
        loss_total, signals = sync.tolist()
        loss, stop = loss_total / (accumulation * world_size), signals > 0
        grad_norm = float(engine.get_global_grad_norm())  # inf when ZeRO-3 skipped the step for a non-finite norm
        dt = time.perf_counter() - t0
        interval_time, interval_steps, run_time = interval_time + dt, interval_steps + 1, run_time + dt

        if not (math.isfinite(loss) and math.isfinite(grad_norm) and engine.was_step_applied()):
            bad_steps, skipped = bad_steps + 1, skipped + 1
            log(f"step {step}: loss {loss} grad_norm {grad_norm}: not finite, update skipped "
                f"({bad_steps} in a row, stopping at {cfg.max_bad_steps})", flush=True)
            record(step, loss=loss if math.isfinite(loss) else None, skipped=True)
            if bad_steps >= cfg.max_bad_steps:
                log(f"error: stopped at step {step} after {bad_steps} consecutive non-finite steps; the last good "
                    f"checkpoint is {(checkpoints(out) or ['none'])[-1]} (lower 'lr' in {args.config}, or check "
                    "the data)", file=sys.stderr, flush=True)
                finish(1)
        else:
            bad_steps = 0
            if step % cfg.log_every == 0 or step == cfg.max_steps:
                tokens_per_s = interval_steps * tokens_per_step / interval_time
                mfu = tokens_per_s * flops / (peak * world_size) if peak else None
                lr = engine.get_lr()[0]
                log(f"step {step}/{cfg.max_steps} loss {loss:.4f} lr {lr:.3e} grad_norm {grad_norm:.3f} "
                    f"tokens/s {tokens_per_s:,.0f}" + (f" mfu {mfu:.1%}" if mfu is not None else ""), flush=True)
                record(step, loss=loss, lr=lr, grad_norm=grad_norm, tokens_per_s=tokens_per_s, mfu=mfu)
                interval_time, interval_steps = 0.0, 0
        if cfg.eval_every and (step % cfg.eval_every == 0 or step == cfg.max_steps):
            eval_loss = evaluate()
            log(f"step {step}/{cfg.max_steps} eval_loss {eval_loss:.4f} ({eval_rows_per_rank * world_size} "
                "held-out sequences)", flush=True)
            record(step, eval_loss=eval_loss)
        if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 or step == cfg.max_steps or stop:
            saved = save(step)
            log(f"step {step}: saved {saved}", flush=True)
        if stop:
            log(f"stopped by a signal after step {step}: continue with --resume auto", flush=True)
            finish(0)

    if args.export_hf and rank == 0:
        from pretrain.convert import load_checkpoint, save_hf

        export_from = saved or checkpoints(out)[-1]  # at max_steps already: the one resumed from
        state_dict, _ = load_checkpoint(export_from, model_args)  # the fp32 master weights of every rank
        save_hf(state_dict, model_args, args.export_hf, dtype=torch.bfloat16 if dtype == "bf16" else None)
        log(f"exported {export_from} to {args.export_hf} (Hugging Face LlamaForCausalLM)", flush=True)
    tokens_this_run = (step - start_step) * tokens_per_step
    log(f"done: {step} steps ({step - start_step} this run, {skipped} skipped), final loss {loss:.4f}, "
        f"eval loss {eval_loss:.4f}, {step * tokens_per_step:,} tokens seen, "
        f"{tokens_this_run / run_time if run_time else 0:,.0f} tokens/s, "
        f"checkpoint {saved or 'none written (already at max_steps)'}", flush=True)
    finish(0)


if __name__ == "__main__":
    main()
