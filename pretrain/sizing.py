"""What a model size costs, computed from its shapes without allocating it (meta device): parameters, training
FLOPs per token, and training memory (weights, gradients, Adam states, activations)."""
from __future__ import annotations

import torch

from pretrain.model import ModelArgs, Transformer, ffn_hidden_dim

BYTES = {"fp32": 4, "bf16": 2}


def n_params(args: ModelArgs) -> int:
    with torch.device("meta"):
        return sum(p.numel() for p in Transformer(args).parameters())


def flops_per_token(args: ModelArgs, seq_len: int) -> int:
    """Forward + backward FLOPs to train on one token: 6 per weight that multiplies (every parameter but the
    embedding table, which is a lookup, and the norm gains), plus attention's scores and weighted sum,
    12 * layers * dim * seq (PaLM's appendix B count; a causal kernel skips about half of it)."""
    matmul_weights = n_params(args) - args.vocab_size * args.dim - (2 * args.n_layers + 1) * args.dim
    return 6 * matmul_weights + 12 * args.n_layers * args.dim * seq_len


def activation_bytes(args: ModelArgs, batch: int, seq_len: int, dtype: str = "bf16",
                     checkpointing: str | None = None) -> int:
    """Activations kept for backward. Per layer and token, 10 * dim + 4 * ffn_hidden values (counted with
    saved-tensor hooks on this model: norm inputs and outputs, q/k/v before and after rotation, attention
    output, the three SwiGLU intermediates and its product); with "full" checkpointing only each layer's
    input plus one layer being recomputed. Add 3 * dim per token at the top and the output layer's gradient
    (vocab x dim), which the chunked loss computes in the forward pass."""
    tokens, b = batch * seq_len, BYTES[dtype]
    per_layer = (10 * args.dim + 4 * ffn_hidden_dim(args)) * tokens * b
    layers = args.n_layers * per_layer if checkpointing is None else args.n_layers * args.dim * tokens * b + per_layer
    return layers + 3 * args.dim * tokens * b + args.vocab_size * args.dim * b


def training_memory(args: ModelArgs, batch: int, seq_len: int, dtype: str = "bf16",
                    checkpointing: str | None = None) -> dict[str, int]:
    """Bytes of each part of training memory (all ranks together: ZeRO-3 divides all but activations by the
    number of ranks). Mixed precision (bf16) keeps an fp32 master copy of the weights beside Adam's two
    fp32 moments, as DeepSpeed does."""
    n = n_params(args)
    return {
        "weights": n * BYTES[dtype],
        "gradients": n * BYTES[dtype],
        "adam_states": n * (8 + (4 if dtype == "bf16" else 0)),
        "activations": activation_bytes(args, batch, seq_len, dtype, checkpointing),
    }
