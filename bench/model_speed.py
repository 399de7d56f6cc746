"""Training speed of our LLaMA against transformers' LlamaForCausalLM: forward + backward + AdamW step.

    .venv/bin/python bench/model_speed.py                                   # CPU: dim 512, 8 layers, fp32 and bf16
    .venv/bin/python bench/model_speed.py --device cuda --size 1B --batch 4 --seq 2048 --dtypes bf16

Every variant trains the same architecture on the same batches with the same optimizer, precision and threads:
HF with eager and sdpa attention, HF under torch.compile, ours eager and ours with each block compiled
(torchtitan's way). bf16 is autocast mixed precision (fp32 weights and optimizer) for all of them. The
variants take turns step by step, so the noise of a shared machine falls on all alike; the table gives the
median step. MFU is the model's training FLOPs per second (pretrain.sizing.flops_per_token) over the peak
of a large matmul measured on this device in the same precision.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import torch
import torch.nn.functional as F

from pretrain.convert import hf_config
from pretrain.model import PRESETS, ModelArgs, Transformer
from pretrain.sizing import flops_per_token


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def matmul_peak(device, dtype, n=2048, reps=5, trials=5) -> float:
    """FLOP/s of the fastest of `trials` runs of n x n matmuls: the practical peak of this device."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    best = float("inf")
    for _ in range(trials + 1):  # the first warms up
        sync(device)
        start = time.perf_counter()
        for _ in range(reps):
            a @ b
        sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 * reps / best


def hf_model(args: ModelArgs, attn: str):
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(**{k: v for k, v in hf_config(args, torch.float32).items() if k != "architectures"})
    return LlamaForCausalLM._from_config(config, attn_implementation=attn, dtype=torch.float32)


def variants(args: ModelArgs, names: list[str]):
    """name -> (model, loss(model, x, y)). HF's loss is its own: full fp32 logits, then cross-entropy."""
    def hf_loss(m, x, y):
        return F.cross_entropy(m(input_ids=x).logits.float().flatten(0, 1), y.flatten())

    def our_loss(m, x, y):
        return m(x, y)[1]

    def ours_compiled():
        model = Transformer(args)
        for layer in model.layers:
            layer.compile()
        return model

    make = {
        "hf-eager": lambda: (hf_model(args, "eager"), hf_loss),
        "hf-sdpa": lambda: (hf_model(args, "sdpa"), hf_loss),
        "hf-sdpa-compile": lambda: (torch.compile(hf_model(args, "sdpa")), hf_loss),
        "ours": lambda: (Transformer(args), our_loss),
        "ours-compile": lambda: (ours_compiled(), our_loss),
    }
    return {name: make[name]() for name in names}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--size", default=None, choices=list(PRESETS), help="a preset instead of --dim/--layers/--heads")
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--dtypes", default="fp32,bf16", help="comma-separated: fp32 and/or bf16 (autocast)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=6, help="timed steps per variant (after 2 warm-up steps)")
    ap.add_argument("--variants", default="hf-eager,hf-sdpa,hf-sdpa-compile,ours,ours-compile")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    base = PRESETS[a.size] if a.size else ModelArgs(dim=a.dim, n_layers=a.layers, n_heads=a.heads)
    args = dataclasses.replace(base, vocab_size=a.vocab, max_seq_len=a.seq)
    names = a.variants.split(",")
    fpt = flops_per_token(args, a.seq)
    print(f"{a.device}, {torch.get_num_threads()} threads, torch {torch.__version__}; dim {args.dim}, "
          f"{args.n_layers} layers, {args.n_heads} heads, vocab {args.vocab_size}, batch {a.batch} x seq {a.seq}; "
          f"{fpt / 1e6:,.0f} MFLOP per token")

    for dtype in a.dtypes.split(","):
        torch_dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]
        peak = matmul_peak(a.device, torch_dtype)
        torch.manual_seed(0)
        models = {n: (m.to(a.device), loss) for n, (m, loss) in variants(args, names).items()}
        optimizers = {n: torch.optim.AdamW(m.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
                      for n, (m, _) in models.items()}
        times = {n: [] for n in names}
        batches = torch.randint(0, args.vocab_size, (a.steps + 2, a.batch, a.seq + 1), device=a.device)
        for step, batch in enumerate(batches):
            for n in names:  # each variant takes its turn with the same batch
                model, loss_fn = models[n]
                sync(a.device)
                start = time.perf_counter()
                with torch.autocast(a.device, torch.bfloat16, enabled=dtype == "bf16"):
                    loss = loss_fn(model, batch[:, :-1], batch[:, 1:])
                loss.backward()
                optimizers[n].step()
                optimizers[n].zero_grad(set_to_none=True)
                sync(a.device)
                if step >= 2:
                    times[n].append(time.perf_counter() - start)
        best_hf = max((n for n in names if n.startswith("hf")), key=lambda n: -statistics.median(times[n]), default=None)
        print(f"\n{dtype}: measured matmul peak {peak / 1e9:,.0f} GFLOP/s")
        print(f"| variant | step s (median) | tokens/s | MFU | vs best HF ({best_hf}) |")
        print("|---|---:|---:|---:|---:|")
        for n in names:
            s = statistics.median(times[n])
            tps = a.batch * a.seq / s
            ratio = statistics.median(times[best_hf]) / s if best_hf else float("nan")
            print(f"| {n} | {s:.3f} | {tps:,.0f} | {tps * fpt / peak:.1%} | {ratio:.2f}x |", flush=True)
        del models, optimizers


if __name__ == "__main__":
    main()
