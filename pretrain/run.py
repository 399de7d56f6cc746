"""Pretrain LLaMA on the mix stage's token shards with DeepSpeed ZeRO stage 3.

    deepspeed pretrain/run.py --config configs/train/tiny.yaml --data RUN/mix --out RUN/train
    deepspeed --hostfile hosts pretrain/run.py ...          # many nodes (OUT on a shared filesystem)
    torchrun --nproc_per_node 8 pretrain/run.py ...         # or torchrun; `python pretrain/run.py` is one process

On CPU (no CUDA) DeepSpeed runs on gloo; `deepspeed --num_gpus N` then starts N CPU ranks. Config and data
errors exit 2, naming the key or file, before any work. A flat loop in the style of nanoGPT's train.py:
setup(), then train_step(), evaluate() and save() in main()'s while loop.

The recipe is the paper's (§2.2): AdamW with betas (0.9, 0.95) and weight decay 0.1, gradient clipping at
1.0, a linear warmup (2000 steps) then a cosine down to 10% of the peak, the peak learning rate of Table 2
for the paper's sizes, a batch given in tokens (4M) and split into micro-batch x accumulation x ranks.
Weight decay applies to every matrix, the embeddings and output included, and not to the RMSNorm gains
(the paper names no exemption): a gain is a per-channel scale, and pulling it to 0 shrinks the activations
rather than regularising the function (nanoGPT, GPT-NeoX and OLMo exempt norms the same way).

Checkpoints (OUT/step-N, every `checkpoint_every` steps, at the end, and on SIGTERM/SIGINT) are written to
OUT/.step-N.tmp and renamed when every rank has finished, so a directory named step-N is always complete;
OUT/latest then names it and only the newest `keep_last` are kept. Their client state holds the step and
the data sampler's position, so `--resume auto` continues exactly where the newest one left off; their
model.json records the architecture and the tokenizer (see pretrain/checkpoints.py).
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
from dataclasses import dataclass
from pathlib import Path

if __name__ == "__main__":  # run as a script: import `pretrain.*` from the repo root, not siblings from pretrain/
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import numpy as np
import torch

if not torch.cuda.is_available():
    os.environ.setdefault("DS_ACCELERATOR", "cpu")  # before deepspeed picks its accelerator at import

import deepspeed
import deepspeed.comm as dist

from llama_data.config import load_config
from pretrain.checkpoints import checkpoints, read_model_record, write_model_record
from pretrain.config import TrainConfig
from pretrain.data import Sampler
from pretrain.model import PRESETS, ModelArgs, Transformer, set_activation_checkpointing
from pretrain.sizing import flops_per_token
from tokens.shards import TokenShards

# Dense bf16 peak of one device, for MFU (vendor datasheets; SXM parts).
PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "H800": 989.0, "A100": 312.0, "A800": 312.0, "L40S": 362.0}


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


def peak_flops(cfg: TrainConfig, dtype: str) -> float | None:
    """One device's peak FLOP/s for MFU: the config's, else a known GPU's bf16 dense peak, else None."""
    if cfg.peak_tflops:
        return cfg.peak_tflops * 1e12
    if dtype == "bf16" and torch.cuda.is_available():
        name = torch.cuda.get_device_name()
        return next((t * 1e12 for key, t in PEAK_TFLOPS.items() if key in name), None)
    return None


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


def log(*args, **kwargs):
    """print, on rank 0 only."""
    if dist.get_rank() == 0:
        print(*args, **kwargs)


class Metrics:
    """Rank 0: one JSON line per record in OUT/metrics.jsonl, with exact floats, and the same numbers in
    TensorBoard; other ranks record nothing."""

    def __init__(self, out: Path, step: int):
        self.writer = self.file = None
        if dist.get_rank() == 0:
            from torch.utils.tensorboard import SummaryWriter  # rank 0 only: slow to import

            out.mkdir(parents=True, exist_ok=True)
            self.writer = SummaryWriter(str(out / "tensorboard"), purge_step=step + 1)
            self.file = open(out / "metrics.jsonl", "a")

    def record(self, step: int, **values):
        if self.writer is None:
            return
        self.file.write(json.dumps({"step": step, **values}) + "\n")
        self.file.flush()
        for key, value in values.items():
            if value is not None:
                self.writer.add_scalar(key, value, step)

    def close(self):
        if self.writer is not None:
            self.writer.close()
            self.file.close()


@dataclass
class Run:
    """What setup() builds once and the loop's functions share."""
    cfg: TrainConfig
    config_path: str
    out: Path
    train_data: TokenShards
    eval_data: TokenShards | None
    world_size: int
    accumulation: int  # micro-batches per optimizer step on each rank
    eval_rows_per_rank: int
    dtype: str  # "fp32" or "bf16"
    model_args: ModelArgs  # with the data's vocab_size and seq_len
    engine: deepspeed.DeepSpeedEngine
    sampler: Sampler
    metrics: Metrics
    flops_per_token: float
    peak_flops: float | None


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="YAML file of TrainConfig")
    parser.add_argument("--data", required=True, help="the mix stage's output: manifest.json + shards")
    parser.add_argument("--out", required=True, help="checkpoint directory")
    parser.add_argument("--resume", default="auto",
                        help="auto: the newest complete OUT/step-N (default); none: start afresh; or a step-N dir")
    parser.add_argument("--export-hf", metavar="DIR",
                        help="at the end, consolidate the last checkpoint into a Hugging Face model in DIR")
    parser.add_argument("--local_rank", type=int, default=0, help="set by the deepspeed launcher")
    return parser.parse_args(argv)


def usage_error(message: str):
    log(f"error: {message}", file=sys.stderr)
    torch.distributed.destroy_process_group()  # gloo aborts a process that exits inside its group
    sys.exit(2)


def setup(args: argparse.Namespace) -> tuple[Run, int]:
    """Config and data checked (exit 2 on a mistake, or on a checkpoint to resume whose model.json records
    another architecture or tokenizer), the process group, the model partitioned by ZeRO-3, AdamW and the lr
    schedule, the sampler, and the checkpoint to resume from loaded. Returns the run and its first step."""
    out = Path(args.out)
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
    deepspeed.ops.__compatible_ops__["deepspeed_shm_comm"] = False  # else a C++ op is compiled at start-up on CPU
    deepspeed.init_distributed()
    rank, world_size = dist.get_rank(), dist.get_world_size()

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
    resume_from = {"auto": (checkpoints(out) or [None])[-1], "none": None}.get(args.resume, Path(args.resume))
    recorded = read_model_record(resume_from) if resume_from is not None else None
    if recorded and recorded[0] != model_args:
        usage_error(f"--resume {resume_from}: its model.json records {recorded[0]}, but {args.config} with "
                    f"{args.data} makes {model_args}")
    if recorded and recorded[1] and train_data.tokenizer_sha256 and recorded[1] != train_data.tokenizer_sha256:
        usage_error(f"--resume {resume_from}: trained on tokens of the tokenizer with sha256 {recorded[1]}, but "
                    f"{args.data} was made by {train_data.tokenizer_sha256}; resume on its data, or --resume none")
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
    step = 0
    if resume_from is not None:
        _, client_state = engine.load_checkpoint(str(resume_from.parent), tag=resume_from.name)
        step = client_state["step"]
        sampler.load_state_dict(client_state["data"])
        log(f"resumed from {resume_from} at step {step}")

    log(f"model {cfg.model or 'model_args'}: {n_params:,} parameters, {world_size} rank(s), {dtype}, "
        f"{cfg.batch_tokens:,} tokens per step = {cfg.micro_batch_size} x {seq_len} x {accumulation} accumulation "
        f"x {world_size} ranks, {len(train_data):,} training sequences, peak lr {cfg.lr:g}", flush=True)
    run = Run(cfg=cfg, config_path=args.config, out=out, train_data=train_data, eval_data=eval_data,
              world_size=world_size, accumulation=accumulation, eval_rows_per_rank=eval_rows_per_rank, dtype=dtype,
              model_args=model_args, engine=engine, sampler=sampler, metrics=Metrics(out, step),
              flops_per_token=flops_per_token(model_args, seq_len), peak_flops=peak_flops(cfg, dtype))
    return run, step


def train_step(run: Run, stopper: StopOnSignal) -> tuple[float, float, bool]:
    """One optimizer step over `accumulation` micro-batches. Returns the loss averaged over ranks, the
    gradient norm (inf when ZeRO-3 skipped the update for a non-finite norm), and whether any rank was
    asked to stop."""
    engine = run.engine
    loss_sum = torch.zeros((), device=engine.device)  # stays on the device until the step's one sync
    for _ in range(run.accumulation):
        batch = torch.from_numpy(run.train_data.batch(run.sampler.next_batch()).astype("int64")).to(engine.device)
        _, micro_loss = engine(batch[:, :-1], batch[:, 1:])
        engine.backward(micro_loss)
        engine.step()  # DeepSpeed steps the optimizer and the lr schedule only after the last micro-batch
        loss_sum += micro_loss.detach().float()
    # One all-reduce per step: the mean loss over ranks, and whether any rank was asked to stop.
    sync = torch.stack([loss_sum, torch.tensor(float(stopper.signum), device=engine.device)])
    dist.all_reduce(sync)
    loss_total, signals = sync.tolist()
    return loss_total / (run.accumulation * run.world_size), float(engine.get_global_grad_norm()), signals > 0


def evaluate(run: Run) -> float:
    """Mean loss over the first eval_rows held-out sequences, each rank a contiguous block of them."""
    engine, rows_per_rank, micro = run.engine, run.eval_rows_per_rank, run.cfg.micro_batch_size
    engine.eval()
    first = dist.get_rank() * rows_per_rank
    total = torch.zeros((), device=engine.device)
    with torch.no_grad():
        for start in range(first, first + rows_per_rank, micro):
            rows = np.arange(start, min(start + micro, first + rows_per_rank))
            batch = torch.from_numpy(run.eval_data.batch(rows).astype("int64")).to(engine.device)
            _, loss = engine(batch[:, :-1], batch[:, 1:])
            total += loss.float() * len(rows)
    engine.train()
    dist.all_reduce(total)
    return total.item() / (rows_per_rank * run.world_size)


def save(run: Run, step: int) -> Path:
    """Every rank writes its shards into OUT/.step-N.tmp; once all have, rank 0 adds model.json and renames
    the folder to OUT/step-N."""
    out = run.out
    tmp, final = out / f".step-{step}.tmp", out / f"step-{step}"
    run.engine.save_checkpoint(str(out), tag=tmp.name, save_latest=False,
                               client_state={"step": step, "data": run.sampler.state_dict()})
    dist.barrier()
    if dist.get_rank() == 0:
        write_model_record(tmp, run.model_args, run.train_data.tokenizer_sha256)
        if final.exists():  # a rerun from an older checkpoint overwrites the future it had
            shutil.rmtree(final)
        os.replace(tmp, final)
        (out / "latest.tmp").write_text(final.name)
        os.replace(out / "latest.tmp", out / "latest")  # for DeepSpeed's zero_to_fp32 and load_checkpoint
        if run.cfg.keep_last:
            for old in checkpoints(out)[:-run.cfg.keep_last]:
                if old != final:
                    shutil.rmtree(old)
    dist.barrier()
    return final


def export_hf(run: Run, checkpoint: Path, hf_dir: str):
    """Rank 0: the checkpoint's fp32 master weights of every rank, as a Hugging Face LlamaForCausalLM."""
    from pretrain.convert import load_checkpoint, save_hf

    state_dict, _ = load_checkpoint(checkpoint, run.model_args)
    save_hf(state_dict, run.model_args, hf_dir, dtype=torch.bfloat16 if run.dtype == "bf16" else None)


def finish(run: Run, code: int):
    """Leave together: every rank reaches this with the same code."""
    run.metrics.close()
    dist.barrier()
    torch.distributed.destroy_process_group()
    sys.exit(code)


def main(argv=None):
    args = parse_args(argv)
    # DeepSpeed's ZeRO-3 calls torch.distributed functions that torch deprecates, once per layer and step.
    warnings.filterwarnings("ignore", category=FutureWarning, message=r"`torch\.distributed\.\w+` is deprecated")
    run, step = setup(args)
    cfg, out, world_size, tokens_per_step = run.cfg, run.out, run.world_size, run.cfg.batch_tokens

    stopper = StopOnSignal()
    start_step, bad_steps, skipped, saved = step, 0, 0, None
    loss = eval_loss = float("nan")
    interval_time, interval_steps, run_time = 0.0, 0, 0.0
    while step < cfg.max_steps:
        t0 = time.perf_counter()
        loss, grad_norm, stop = train_step(run, stopper)
        step += 1
        dt = time.perf_counter() - t0
        interval_time, interval_steps, run_time = interval_time + dt, interval_steps + 1, run_time + dt

        if not (math.isfinite(loss) and math.isfinite(grad_norm) and run.engine.was_step_applied()):
            bad_steps, skipped = bad_steps + 1, skipped + 1
            log(f"step {step}: loss {loss} grad_norm {grad_norm}: not finite, update skipped "
                f"({bad_steps} in a row, stopping at {cfg.max_bad_steps})", flush=True)
            run.metrics.record(step, loss=loss if math.isfinite(loss) else None, skipped=True)
            if bad_steps >= cfg.max_bad_steps:
                log(f"error: stopped at step {step} after {bad_steps} consecutive non-finite steps; the last good "
                    f"checkpoint is {(checkpoints(out) or ['none'])[-1]} (lower 'lr' in {run.config_path}, or "
                    "check the data)", file=sys.stderr, flush=True)
                finish(run, 1)
        else:
            bad_steps = 0
            if step % cfg.log_every == 0 or step == cfg.max_steps:
                tokens_per_s = interval_steps * tokens_per_step / interval_time
                mfu = tokens_per_s * run.flops_per_token / (run.peak_flops * world_size) if run.peak_flops else None
                lr = run.engine.get_lr()[0]
                log(f"step {step}/{cfg.max_steps} loss {loss:.4f} lr {lr:.3e} grad_norm {grad_norm:.3f} "
                    f"tokens/s {tokens_per_s:,.0f}" + (f" mfu {mfu:.1%}" if mfu is not None else ""), flush=True)
                run.metrics.record(step, loss=loss, lr=lr, grad_norm=grad_norm, tokens_per_s=tokens_per_s, mfu=mfu)
                interval_time, interval_steps = 0.0, 0
        if cfg.eval_every and (step % cfg.eval_every == 0 or step == cfg.max_steps):
            eval_loss = evaluate(run)
            log(f"step {step}/{cfg.max_steps} eval_loss {eval_loss:.4f} ({run.eval_rows_per_rank * world_size} "
                "held-out sequences)", flush=True)
            run.metrics.record(step, eval_loss=eval_loss)
        if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 or step == cfg.max_steps or stop:
            saved = save(run, step)
            log(f"step {step}: saved {saved}", flush=True)
        if stop:
            log(f"stopped by a signal after step {step}: continue with --resume auto", flush=True)
            finish(run, 0)

    if args.export_hf and dist.get_rank() == 0:
        export_from = saved or checkpoints(out)[-1]  # at max_steps already: the one resumed from
        export_hf(run, export_from, args.export_hf)
        log(f"exported {export_from} to {args.export_hf} (Hugging Face LlamaForCausalLM)", flush=True)
    tokens_this_run = (step - start_step) * tokens_per_step
    log(f"done: {step} steps ({step - start_step} this run, {skipped} skipped), final loss {loss:.4f}, "
        f"eval loss {eval_loss:.4f}, {step * tokens_per_step:,} tokens seen, "
        f"{tokens_this_run / run_time if run_time else 0:,.0f} tokens/s, "
        f"checkpoint {saved or 'none written (already at max_steps)'}", flush=True)
    finish(run, 0)


if __name__ == "__main__":
    main()
