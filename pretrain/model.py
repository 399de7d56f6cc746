"""The LLaMA architecture (Touvron et al. 2023) in plain PyTorch.

Pre-normalisation with RMSNorm, SwiGLU feed-forward, rotary position embeddings, no biases, untied output.
Module and parameter names follow Meta's `llama/model.py`, so state-dict keys (`tok_embeddings.weight`,
`layers.0.attention.wq.weight`, `layers.0.feed_forward.w1.weight`, `norm.weight`, `output.weight`) map one
to one onto Meta's checkpoints. Parallelism and precision are applied from outside (see `run.py`).

Training with targets returns the mean cross-entropy from a chunked loss (`ChunkedCrossEntropy`) that never
holds the (tokens, vocab) logits at once: with LLaMA's 32000-token vocabulary the fp32 logits of a batch are the
largest activation of the model (8 x 2048 tokens: 2.1 GB), several times over once softmax and its gradient are
counted. Activation checkpointing is switched on from outside (`set_activation_checkpointing`).

Weight init (the paper does not state one): GPT-2 / nanoGPT's, every weight matrix N(0, 0.02) and the two
projections that write into the residual stream (`wo`, `w2`) N(0, 0.02 / sqrt(2 * n_layers)) so the
residual's variance does not grow with depth; norm weights 1. Each layer initialises itself in
`reset_parameters`, which runs inside its constructor: DeepSpeed's `zero.Init` partitions a module's
weights as soon as its `__init__` returns, so an init pass over the finished model would be lost.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import CheckpointPolicy, checkpoint, create_selective_checkpoint_contexts, noop_context_fn


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


# LLaMA Table 2 (vocab 32000 from the paper's tokenizer). "tiny" is for tests and the laptop demo; "1B" is a
# one-GPU size of the same shape (TinyLlama's dim, heads and depth, with LLaMA-1's full multi-head attention).
PRESETS = {
    "tiny": ModelArgs(dim=128, n_layers=2, n_heads=4, multiple_of=32),
    "1B": ModelArgs(dim=2048, n_layers=22, n_heads=32),
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
    """Rotations e^{i * m * theta_j} for positions m < end, one per pair of channels, as real (cos, sin) pairs:
    (end, head_dim // 2, 2). Real rather than complex so that torch.compile can fuse the rotation."""
    freqs = 1.0 / (theta ** (torch.arange(0, head_dim, 2).float() / head_dim))
    angles = torch.outer(torch.arange(end).float(), freqs)
    return torch.stack((angles.cos(), angles.sin()), dim=-1)


def apply_rotary_emb(xq: torch.Tensor, xk: torch.Tensor, freqs_cis: torch.Tensor):
    """Rotate channel pairs (2j, 2j+1) of q and k (batch, seq, heads, head_dim) by their position's angle: Meta's
    complex product (x0 + i x1)(cos + i sin), written out in reals."""
    cos, sin = freqs_cis[:, None, :, 0], freqs_cis[:, None, :, 1]

    def rotate(x):
        pairs = x.float().unflatten(-1, (-1, 2))
        x0, x1 = pairs[..., 0], pairs[..., 1]
        return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(3).type_as(x)
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


def ffn_hidden_dim(args: ModelArgs) -> int:
    """SwiGLU's hidden size: 2/3 of 4 * dim so it costs what a 4 * dim GELU MLP does, rounded up to multiple_of."""
    hidden = int(2 * (4 * args.dim) / 3)
    if args.ffn_dim_multiplier is not None:
        hidden = int(args.ffn_dim_multiplier * hidden)
    return args.multiple_of * ((hidden + args.multiple_of - 1) // args.multiple_of)


class FeedForward(nn.Module):
    """SwiGLU: w2(silu(w1 x) * w3 x)."""

    def __init__(self, args: ModelArgs):
        super().__init__()
        hidden = ffn_hidden_dim(args)
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
        self.recompute = None  # set by set_activation_checkpointing

    def forward(self, x, freqs_cis):
        if self.recompute is None or not torch.is_grad_enabled():
            return self._forward(x, freqs_cis)
        return checkpoint(self._forward, x, freqs_cis, use_reentrant=False, context_fn=self.recompute)

    def _forward(self, x, freqs_cis):
        h = x + self.attention(self.attention_norm(x), freqs_cis)
        return h + self.feed_forward(self.ffn_norm(h))


# Selective checkpointing (torchtitan's "op" mode) keeps what is expensive to recompute, the matmul and attention
# outputs, and recomputes the cheap, memory-bound rest (norms, rotations, SwiGLU's gate) in backward.
SAVED_OPS = {torch.ops.aten.mm.default, torch.ops.aten._scaled_dot_product_flash_attention.default,
             torch.ops.aten._scaled_dot_product_efficient_attention.default,
             torch.ops.aten._scaled_dot_product_cudnn_attention.default,
             torch.ops.aten._scaled_dot_product_flash_attention_for_cpu.default}


def _selective_policy(ctx, op, *args, **kwargs):
    return CheckpointPolicy.MUST_SAVE if op in SAVED_OPS else CheckpointPolicy.PREFER_RECOMPUTE


def set_activation_checkpointing(model: "Transformer", mode: str | None):
    """Trade compute for memory in every block: "full" keeps only each block's input and recomputes the block
    in backward (one more forward pass); "selective" keeps matmul and attention outputs; None stores all."""
    if mode not in (None, "full", "selective"):
        raise ValueError(f"activation checkpointing {mode!r}: expected None, 'full' or 'selective'")
    for layer in model.layers:
        layer.recompute = {None: None, "full": noop_context_fn,
                           "selective": functools.partial(create_selective_checkpoint_contexts, _selective_policy)}[mode]


class ChunkedCrossEntropy(torch.autograd.Function):
    """Mean cross-entropy of the logits h @ weight.T against targets, `chunk` rows at a time.

    Each chunk's logits live only while its loss and, when training, its gradients (softmax - onehot, times
    h and weight) are computed, in the forward pass; backward only scales the stored gradients by the incoming
    one. The arithmetic is that of F.cross_entropy(h @ weight.T): the same matmuls, nothing recomputed.
    """

    @staticmethod
    def forward(ctx, h, weight, targets, chunk: int):
        n = h.shape[0]
        loss = torch.zeros((), dtype=torch.float32, device=h.device)
        grads = any(ctx.needs_input_grad)
        if grads:
            grad_h = torch.empty_like(h)
            grad_w = torch.zeros_like(weight, dtype=torch.float32)
        for start in range(0, n, chunk):
            hc, tc = h[start:start + chunk], targets[start:start + chunk, None]
            logits = (hc @ weight.T).float()
            lse = torch.logsumexp(logits, dim=-1, keepdim=True)
            loss += (lse - logits.gather(1, tc)).sum()
            if not grads:
                continue
            probs = logits.sub_(lse).exp_()  # softmax, in place of the logits
            g = probs.scatter_add_(1, tc, torch.full_like(tc, -1, dtype=probs.dtype)).div_(n).to(weight.dtype)
            grad_h[start:start + chunk] = g @ weight
            grad_w += g.T @ hc
        if grads:
            ctx.save_for_backward(grad_h, grad_w.to(weight.dtype))
        return loss / n

    @staticmethod
    def backward(ctx, grad_loss):
        grad_h, grad_w = ctx.saved_tensors
        return grad_h * grad_loss, grad_w * grad_loss, None, None


class Output(Linear):
    """The output layer. Given targets it returns the loss, not the logits: see ChunkedCrossEntropy. (Inside
    this module's forward so that ZeRO-3, which gathers a module's weights around its forward, gathers it.)"""

    chunk_tokens = 1024  # 1024 x 32000 fp32 logits: 131 MB live at a time

    def forward(self, h, targets=None):
        if targets is None:
            return super().forward(h)
        return ChunkedCrossEntropy.apply(h.flatten(0, 1), self.weight, targets.flatten(), self.chunk_tokens)


class Transformer(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.args = args
        self.tok_embeddings = Embedding(args.vocab_size, args.dim)
        self.layers = nn.ModuleList(TransformerBlock(args) for _ in range(args.n_layers))
        self.norm = RMSNorm(args.dim, args.norm_eps)
        self.output = Output(args.dim, args.vocab_size)
        # Not persistent: derived from args, and Meta's checkpoints do not hold it.
        self.register_buffer(
            "freqs_cis", precompute_freqs_cis(args.dim // args.n_heads, args.max_seq_len, args.rope_theta),
            persistent=False,
        )

    def forward(self, tokens: torch.Tensor, targets: torch.Tensor | None = None):
        """tokens (batch, seq) -> (logits (batch, seq, vocab), None); with targets -> (None, mean cross-entropy):
        the full logits are never formed then (see ChunkedCrossEntropy). One return shape for every caller."""
        seqlen = tokens.shape[1]
        assert seqlen <= self.args.max_seq_len, f"sequence of {seqlen} > max_seq_len {self.args.max_seq_len}"
        h = self.tok_embeddings(tokens)
        for layer in self.layers:
            h = layer(h, self.freqs_cis[:seqlen])
        out = self.output(self.norm(h), targets)
        return (out, None) if targets is None else (None, out)
