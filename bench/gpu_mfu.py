"""Training throughput and MFU of the LLaMA model under DeepSpeed ZeRO-3 bf16 on one GPU.

    python bench/gpu_mfu.py            # on one H100/H200: a 1B-class model and the 7B shape, under 5 minutes
    python bench/gpu_mfu.py --smoke    # the same code path in seconds on CPU (fp32, tiny shapes)

Each shape runs in its own process (so each starts with an empty GPU) with pretrain/run.py's ZeRO-3
settings, AdamW and a model built inside deepspeed.zero.Init, on random tokens: warmup steps, then timed
steps between two device synchronisations. MFU = tokens/s x FLOPs per token (6N + attention, PaLM's count,
pretrain.sizing.flops_per_token) / the device's dense bf16 peak (H100 and H200 SXM: 989 TFLOP/s).
The 7B shape keeps LLaMA-7B's width, heads and sequence length; its layers are cut to what fits (parameters,
gradients and Adam states take 16 bytes per weight: 108 GB for all 32 layers), and the table says how many.
Needs deepspeed==0.19.8 (pinned in requirements.lock); it is installed with pip when missing.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("DS_ACCELERATOR", "cpu")
try:
    import deepspeed
except ImportError:
    print("deepspeed is missing: pip install deepspeed==0.19.8", flush=True)
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "deepspeed==0.19.8"])
    import deepspeed

from pretrain.model import ModelArgs, Transformer, set_activation_checkpointing
from pretrain.run import PEAK_TFLOPS, zero3_config
from pretrain.sizing import flops_per_token

VOCAB = 32000
GiB = 2**30


def shapes(smoke: bool) -> list[dict]:
    """(name, model args, seq_len, micro-batch) of each benchmarked model."""
    if smoke:
        return [dict(name="smoke-1", args=dict(dim=64, n_layers=2, n_heads=4, multiple_of=32), vocab=512, seq=64, mb=2),
                dict(name="smoke-2", args=dict(dim=128, n_layers=2, n_heads=4, multiple_of=32), vocab=512, seq=64, mb=2)]
    total = torch.cuda.get_device_properties(0).total_memory
    # 7B's layer: 202M weights x 16 bytes of states + ~1.3 GB of bf16 activations at 4 x 2048 tokens.
    per_layer, fixed = 202_383_360 * 16 + 1.3 * GiB, 2 * VOCAB * 4096 * 16 + 6 * GiB
    layers_7b = max(1, min(32, int((0.85 * total - fixed) // per_layer)))
    return [dict(name="1B", args=dict(dim=2048, n_layers=22, n_heads=32), vocab=VOCAB, seq=2048, mb=8),
            dict(name="7B-shape", args=dict(dim=4096, n_layers=layers_7b, n_heads=32), vocab=VOCAB, seq=2048, mb=4)]


def measure(shape: dict, warmup: int, steps: int, peak_tflops: float | None, recompute: str | None) -> dict:
    """One shape in this process: build under ZeRO-3, train `warmup` + `steps` steps, time the last `steps`."""
    for key, value in {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1",
                       "MASTER_PORT": str(29600 + os.getpid() % 1000)}.items():
        os.environ.setdefault(key, value)
    deepspeed.ops.__compatible_ops__["deepspeed_shm_comm"] = False
    deepspeed.init_distributed()
    on_gpu = torch.cuda.is_available()
    args = ModelArgs(**shape["args"], vocab_size=shape["vocab"], max_seq_len=shape["seq"])
    ds_config = {"train_micro_batch_size_per_gpu": shape["mb"], "gradient_accumulation_steps": 1,
                 "gradient_clipping": 1.0, "zero_optimization": zero3_config(args.dim, {}),
                 "bf16": {"enabled": on_gpu}, "steps_per_print": 2**31 - 1}
    with deepspeed.zero.Init(config_dict_or_path=ds_config):
        model = Transformer(args)
    set_activation_checkpointing(model, recompute)
    n_params = sum(p.ds_numel for p in model.parameters())
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1, fused=on_gpu)
    engine, *_ = deepspeed.initialize(model=model, optimizer=optimizer, config=ds_config)
    tokens = torch.randint(0, args.vocab_size, (shape["mb"], shape["seq"] + 1), device=engine.device,
                           generator=torch.Generator(device=engine.device).manual_seed(0))
    sync = torch.cuda.synchronize if on_gpu else (lambda: None)

    def step():
        _, loss = engine(tokens[:, :-1], tokens[:, 1:])
        engine.backward(loss)
        engine.step()
        return loss

    for _ in range(warmup):
        step()
    sync()
    if on_gpu:
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = step()
    sync()
    seconds = (time.perf_counter() - t0) / steps
    tokens_per_s = shape["mb"] * shape["seq"] / seconds
    tflops = tokens_per_s * flops_per_token(args, shape["seq"]) / 1e12
    if peak_tflops is None and on_gpu:
        name = torch.cuda.get_device_name()
        peak_tflops = next((t for key, t in PEAK_TFLOPS.items() if key in name), None)
    return dict(name=shape["name"], params=n_params, layers=args.n_layers, seq=shape["seq"], mb=shape["mb"],
                tokens_per_s=tokens_per_s, tflops=tflops, mfu=tflops / peak_tflops if peak_tflops else None,
                peak_mem_gib=torch.cuda.max_memory_allocated() / GiB if on_gpu else None,
                seconds_per_step=seconds, loss=float(loss), peak_tflops=peak_tflops,
                device=torch.cuda.get_device_name() if on_gpu else "cpu")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny shapes on CPU: checks the script, not the GPU")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps (default 3; smoke 1)")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default 10; smoke 2)")
    parser.add_argument("--peak-tflops", type=float, help="the device's peak (default: known GPUs' dense bf16)")
    parser.add_argument("--activation-checkpointing", choices=("selective", "full"),
                        help="recompute in backward (lowers MFU: recomputation is not counted)")
    parser.add_argument("--shape", help=argparse.SUPPRESS)  # internal: measure this one shape, print JSON
    args = parser.parse_args()
    warmup = args.warmup if args.warmup is not None else (1 if args.smoke else 3)
    steps = args.steps if args.steps is not None else (2 if args.smoke else 10)
    if not args.smoke and not torch.cuda.is_available():
        parser.error("no CUDA device: use --smoke on CPU")

    if args.shape:  # the child: one shape, one JSON line on stdout
        shape = next(s for s in shapes(args.smoke) if s["name"] == args.shape)
        result = measure(shape, warmup, steps, args.peak_tflops, args.activation_checkpointing)
        print("RESULT " + json.dumps(result), flush=True)
        return

    rows, t_start = [], time.time()
    for shape in shapes(args.smoke):
        print(f"[{time.time() - t_start:5.0f}s] {shape['name']}: {shape['args']}, seq {shape['seq']}, "
              f"micro-batch {shape['mb']}, {warmup} warmup + {steps} timed steps", flush=True)
        cmd = [sys.executable, __file__, "--shape", shape["name"], "--warmup", str(warmup), "--steps", str(steps)]
        cmd += ["--smoke"] * args.smoke + (["--peak-tflops", str(args.peak_tflops)] if args.peak_tflops else [])
        cmd += ["--activation-checkpointing", args.activation_checkpointing] if args.activation_checkpointing else []
        child = subprocess.run(cmd, capture_output=True, text=True)
        lines = [line for line in child.stdout.splitlines() if line.startswith("RESULT ")]
        if child.returncode or not lines:
            tail = "\n".join((child.stdout + child.stderr).splitlines()[-15:])
            print(f"  failed (exit {child.returncode}):\n{tail}", flush=True)
            rows.append(dict(name=shape["name"], error=f"exit {child.returncode}"))
            continue
        rows.append(json.loads(lines[-1].removeprefix("RESULT ")))

    ok = [r for r in rows if "error" not in r]
    device = ok[0]["device"] if ok else "?"
    peak = next((r["peak_tflops"] for r in ok if r["peak_tflops"]), None)
    print(f"\nZeRO-3 {'bf16' if torch.cuda.is_available() else 'fp32 (smoke)'} on one {device}; "
          f"MFU against {f'{peak:g} TFLOP/s' if peak else 'no known peak'}; total {time.time() - t_start:.0f} s")
    print("| model | params | layers | seq | micro-batch | tokens/s | TFLOP/s | MFU | peak memory |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if "error" in r:
            print(f"| {r['name']} | failed: {r['error']} | | | | | | | |")
            continue
        mfu = f"{r['mfu']:.1%}" if r["mfu"] is not None else "-"
        mem = f"{r['peak_mem_gib']:.1f} GiB" if r["peak_mem_gib"] is not None else "-"
        params = f"{r['params'] / 1e9:.2f}B" if r["params"] >= 1e9 else f"{r['params'] / 1e6:.2f}M"
        print(f"| {r['name']} | {params} | {r['layers']} | {r['seq']} | {r['mb']} | "
              f"{r['tokens_per_s']:,.0f} | {r['tflops']:.3g} | {mfu} | {mem} |")
    sys.exit(1 if len(ok) < len(rows) else 0)


if __name__ == "__main__":
    main()
