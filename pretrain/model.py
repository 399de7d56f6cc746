"""The LLaMA architecture (Touvron et al. 2023) in plain PyTorch.

Pre-normalisation with RMSNorm, SwiGLU feed-forward, rotary position embeddings, no biases, untied output.
Module and parameter names follow Meta's `llama/model.py`, so state-dict keys (`tok_embeddings.weight`,
`layers.0.attention.wq.weight`, `layers.0.feed_forward.w1.weight`, `norm.weight`, `output.weight`) map one
to one onto Meta's checkpoints. Parallelism and precision are applied from outside (see `run.py`).

Weight init (the paper does not state one): GPT-2 / nanoGPT's, every weight matrix N(0, 0.02) and the two
projections that write into the residual stream (`wo`, `w2`) N(0, 0.02 / sqrt(2 * n_layers)) so the
residual's variance does not grow with depth; norm weights 1. Each layer initialises itself in
`reset_parameters`, which runs inside its constructor: DeepSpeed's `zero.Init` partitions a module's
weights as soon as its `__init__` returns, so an init pass over the finished model would be lost.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ModelArgs:
    dim: int = 4096
    n_layers: int = 32
    n_heads: int = 32
    n_kv_heads: int | None = None  # None: multi-head attention; fewer than n_heads: grouped-query
    vocab_size: int = 32000
    multiple_of: int = 256  # SwiGLU hidden size is rounded up to a multiple of this
    ffn_dim_multiplier: float | None = None
    norm_eps: float = 1e-6
    rope_theta: float = 1e4
    max_seq_len: int = 2048


# LLaMA Table 2 (vocab 32000 from the paper's tokenizer); "tiny" is for tests and the laptop demo.
PRESETS = {
    "tiny": ModelArgs(dim=128, n_layers=2, n_heads=4, multiple_of=32),
    "7B": ModelArgs(dim=4096, n_layers=32, n_heads=32),
    "13B": ModelArgs(dim=5120, n_layers=40, n_heads=40),
    "33B": ModelArgs(dim=6656, n_layers=60, n_heads=52),
    "65B": ModelArgs(dim=8192, n_layers=80, n_heads=64),
}


class Linear(nn.Linear):
    """Bias-free linear layer initialised N(0, std) (see the module docstring for why here)."""

    def __init__(self, in_features: int, out_features: int, std: float = 0.02):
        self.std = std
        super().__init__(in_features, out_features, bias=False)

    def reset_parameters(self):
        nn.init.normal_(self.weight, std=self.std)


class Embedding(nn.Embedding):
    """Token embedding initialised N(0, 0.02) instead of torch's N(0, 1)."""

    def reset_parameters(self):
        nn.init.normal_(self.weight, std=0.02)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        x32 = x.float()  # the mean of squares in fp32 even when training in bf16, as Meta does
        return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).type_as(x) * self.weight


def precompute_freqs_cis(head_dim: int, end: int, theta: float = 1e4) -> torch.Tensor:
    """Rotations e^{i * m * theta_j} for positions m < end, one per pair of channels: (end, head_dim // 2)."""
    freqs = 1.0 / (theta ** (torch.arange(0, head_dim, 2).float() / head_dim))
    angles = torch.outer(torch.arange(end).float(), freqs)
    return torch.polar(torch.ones_like(angles), angles)


def apply_rotary_emb(xq: torch.Tensor, xk: torch.Tensor, freqs_cis: torch.Tensor):
    """Rotate channel pairs (2j, 2j+1) of q and k (batch, seq, heads, head_dim) by their position's angle."""
    def rotate(x):
        pairs = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
        return torch.view_as_real(pairs * freqs_cis[:, None, :]).flatten(3).type_as(x)
    return rotate(xq), rotate(xk)


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """Share each key/value head with n_rep query heads: (b, s, kv_heads, d) -> (b, s, kv_heads * n_rep, d)."""
    if n_rep == 1:
        return x
    b, s, kv_heads, d = x.shape
    return x[:, :, :, None, :].expand(b, s, kv_heads, n_rep, d).reshape(b, s, kv_heads * n_rep, d)


class Attention(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.n_heads = args.n_heads
        self.n_kv_heads = args.n_kv_heads or args.n_heads
        assert args.dim % self.n_heads == 0 and self.n_heads % self.n_kv_heads == 0
        self.head_dim = args.dim // self.n_heads
        self.wq = Linear(args.dim, self.n_heads * self.head_dim)
        self.wk = Linear(args.dim, self.n_kv_heads * self.head_dim)
        self.wv = Linear(args.dim, self.n_kv_heads * self.head_dim)
        self.wo = Linear(self.n_heads * self.head_dim, args.dim, std=0.02 / math.sqrt(2 * args.n_layers))

    def forward(self, x, freqs_cis):
        bsz, seqlen, _ = x.shape
        xq = self.wq(x).view(bsz, seqlen, self.n_heads, self.head_dim)
        xk = self.wk(x).view(bsz, seqlen, self.n_kv_heads, self.head_dim)
        xv = self.wv(x).view(bsz, seqlen, self.n_kv_heads, self.head_dim)
        xq, xk = apply_rotary_emb(xq, xk, freqs_cis)
        n_rep = self.n_heads // self.n_kv_heads
        xk, xv = repeat_kv(xk, n_rep), repeat_kv(xv, n_rep)
        out = F.scaled_dot_product_attention(
            xq.transpose(1, 2), xk.transpose(1, 2), xv.transpose(1, 2), is_causal=True
        )
        return self.wo(out.transpose(1, 2).reshape(bsz, seqlen, -1))


class FeedForward(nn.Module):
    """SwiGLU: w2(silu(w1 x) * w3 x), hidden 2/3 of 4*dim so it costs what a 4*dim GELU MLP does."""

    def __init__(self, args: ModelArgs):
        super().__init__()
        hidden = int(2 * (4 * args.dim) / 3)
        if args.ffn_dim_multiplier is not None:
            hidden = int(args.ffn_dim_multiplier * hidden)
        hidden = args.multiple_of * ((hidden + args.multiple_of - 1) // args.multiple_of)
        self.w1 = Linear(args.dim, hidden)
        self.w2 = Linear(hidden, args.dim, std=0.02 / math.sqrt(2 * args.n_layers))
        self.w3 = Linear(args.dim, hidden)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class TransformerBlock(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.attention_norm = RMSNorm(args.dim, args.norm_eps)
        self.attention = Attention(args)
        self.ffn_norm = RMSNorm(args.dim, args.norm_eps)
        self.feed_forward = FeedForward(args)

    def forward(self, x, freqs_cis):
        h = x + self.attention(self.attention_norm(x), freqs_cis)
        return h + self.feed_forward(self.ffn_norm(h))


class Transformer(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.args = args
        self.tok_embeddings = Embedding(args.vocab_size, args.dim)
        self.layers = nn.ModuleList(TransformerBlock(args) for _ in range(args.n_layers))
        self.norm = RMSNorm(args.dim, args.norm_eps)
        self.output = Linear(args.dim, args.vocab_size)
        # Not persistent: derived from args, and Meta's checkpoints do not hold it.
        self.register_buffer(
            "freqs_cis", precompute_freqs_cis(args.dim // args.n_heads, args.max_seq_len, args.rope_theta),
            persistent=False,
        )

    def forward(self, tokens: torch.Tensor, targets: torch.Tensor | None = None):
        """tokens (batch, seq) -> logits (batch, seq, vocab); with targets, (logits, mean cross-entropy)."""
        seqlen = tokens.shape[1]
        assert seqlen <= self.args.max_seq_len, f"sequence of {seqlen} > max_seq_len {self.args.max_seq_len}"
        h = self.tok_embeddings(tokens)
        for layer in self.layers:
            h = layer(h, self.freqs_cis[:seqlen])
        logits = self.output(self.norm(h))
        if targets is None:
            return logits
        loss = F.cross_entropy(logits.float().flatten(0, 1), targets.flatten())
        return logits, loss
