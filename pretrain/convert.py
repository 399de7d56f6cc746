"""Exact two-way conversion between our checkpoints and Hugging Face's and Meta's.

Our state dict uses Meta's names (see `model.py`), so Meta's format is a rename-free save, split across
model-parallel shards the way Meta's fairscale layers split them. Hugging Face's `LlamaForCausalLM` has its
own names and rotates q and k by *halves* (channel j with j + head_dim/2) where Meta rotates *adjacent pairs*
(2j with 2j+1); the q and k rows are permuted so both compute the same scores. Every mapping is a pure
reordering of rows, so weights round-trip bitwise.

    save_hf(state_dict, args, out_dir)   load_hf(dir) -> (state_dict, args)
    save_meta(state_dict, args, out_dir, shards=1)   load_meta(dir) -> (state_dict, args)
    load_checkpoint(path) reads any of: an HF dir, a Meta dir, a DeepSpeed ZeRO checkpoint of pretrain/run.py.
"""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import torch

from pretrain.checkpoints import MODEL_RECORD, read_model_record
from pretrain.model import ModelArgs, ffn_hidden_dim

Tensors = dict[str, torch.Tensor]

# Our (Meta's) name of each per-layer weight -> Hugging Face's.
HF_LAYER = {
    "attention.wq": "self_attn.q_proj", "attention.wk": "self_attn.k_proj", "attention.wv": "self_attn.v_proj",
    "attention.wo": "self_attn.o_proj", "feed_forward.w1": "mlp.gate_proj", "feed_forward.w2": "mlp.down_proj",
    "feed_forward.w3": "mlp.up_proj", "attention_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
}
HF_TOP = {"tok_embeddings": "model.embed_tokens", "norm": "model.norm", "output": "lm_head"}
BOS_ID, EOS_ID = 1, 2  # our SentencePiece tokenizer's, which are LLaMA's


def _to_hf_name(name: str) -> str:
    module, _, param = name.rpartition(".")
    if m := re.fullmatch(r"layers\.(\d+)\.(.+)", module):
        return f"model.layers.{m[1]}.{HF_LAYER[m[2]]}.{param}"
    return f"{HF_TOP[module]}.{param}"


def _rotary_to_hf(w: torch.Tensor, n_heads: int) -> torch.Tensor:
    """Per head, rows (pair j, member i) -> (member i, pair j): adjacent-pair rotation becomes half rotation."""
    rows, cols = w.shape
    return w.view(n_heads, rows // n_heads // 2, 2, cols).transpose(1, 2).reshape(rows, cols)


def _rotary_from_hf(w: torch.Tensor, n_heads: int) -> torch.Tensor:
    rows, cols = w.shape
    return w.view(n_heads, 2, rows // n_heads // 2, cols).transpose(1, 2).reshape(rows, cols)


def _n_kv_heads(args: ModelArgs) -> int:
    return args.n_kv_heads or args.n_heads


def _check_shapes(state_dict: Tensors, args: ModelArgs, where: str):
    """Fail with the first key whose shape disagrees with `args` (a wrong config, or a truncated file)."""
    head_dim, kv = args.dim // args.n_heads, _n_kv_heads(args)
    hidden = ffn_hidden_dim(args)
    expected = {"tok_embeddings.weight": (args.vocab_size, args.dim), "norm.weight": (args.dim,),
                "output.weight": (args.vocab_size, args.dim)}
    for i in range(args.n_layers):
        p = f"layers.{i}."
        expected |= {p + "attention.wq.weight": (args.dim, args.dim), p + "attention.wk.weight": (kv * head_dim, args.dim),
                     p + "attention.wv.weight": (kv * head_dim, args.dim), p + "attention.wo.weight": (args.dim, args.dim),
                     p + "feed_forward.w1.weight": (hidden, args.dim), p + "feed_forward.w2.weight": (args.dim, hidden),
                     p + "feed_forward.w3.weight": (hidden, args.dim), p + "attention_norm.weight": (args.dim,),
                     p + "ffn_norm.weight": (args.dim,)}
    if missing := sorted(set(expected) - set(state_dict)):
        raise ValueError(f"{where}: missing weight {missing[0]} ({len(missing)} missing)")
    if unexpected := sorted(set(state_dict) - set(expected)):
        raise ValueError(f"{where}: unexpected weight {unexpected[0]} for a {args.n_layers}-layer model")
    for key, shape in expected.items():
        if tuple(state_dict[key].shape) != shape:
            raise ValueError(f"{where}: {key} has shape {tuple(state_dict[key].shape)}, the config says {shape}")


def ffn_args(dim: int, hidden: int) -> tuple[int, float | None]:
    """(multiple_of, ffn_dim_multiplier) that make ModelArgs give the feed-forward size `hidden`: HF states
    the size, Meta derives it. Prefer the largest power of two, as Meta's own configs do."""
    base = int(2 * 4 * dim / 3)
    for multiple_of in (2 ** k for k in range(12, -1, -1)):
        if -(-base // multiple_of) * multiple_of == hidden:
            return multiple_of, None
    multiplier = None if hidden >= base else hidden / base
    return hidden, multiplier  # rounding `base` (or its scaled value) up to `hidden` itself


# --- Hugging Face -----------------------------------------------------------------------------------------

def hf_config(args: ModelArgs, dtype: torch.dtype) -> dict:
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "vocab_size": args.vocab_size, "hidden_size": args.dim, "intermediate_size": ffn_hidden_dim(args),
        "num_hidden_layers": args.n_layers, "num_attention_heads": args.n_heads,
        "num_key_value_heads": _n_kv_heads(args), "head_dim": args.dim // args.n_heads,
        "hidden_act": "silu", "max_position_embeddings": args.max_seq_len, "rms_norm_eps": args.norm_eps,
        "rope_parameters": {"rope_type": "default", "rope_theta": args.rope_theta},
        "rope_theta": args.rope_theta,  # where transformers before v5 read it
        "attention_bias": False, "mlp_bias": False, "tie_word_embeddings": False,
        "bos_token_id": BOS_ID, "eos_token_id": EOS_ID, "dtype": str(dtype).removeprefix("torch."),
    }


def save_hf(state_dict: Tensors, args: ModelArgs, out_dir, dtype: torch.dtype | None = None) -> Path:
    """Write `out_dir/model.safetensors`, `config.json` and `generation_config.json` for LlamaForCausalLM.
    dtype: cast every weight to it (None keeps each weight's own)."""
    from safetensors.torch import save_file

    _check_shapes(state_dict, args, "save_hf")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for name, w in state_dict.items():
        w = w.detach().to("cpu", dtype or w.dtype)
        if name.endswith("attention.wq.weight"):
            w = _rotary_to_hf(w, args.n_heads)
        elif name.endswith("attention.wk.weight"):
            w = _rotary_to_hf(w, _n_kv_heads(args))
        tensors[_to_hf_name(name)] = w.contiguous()
    save_file(tensors, out / "model.safetensors", metadata={"format": "pt"})
    dtype = dtype or state_dict["tok_embeddings.weight"].dtype
    (out / "config.json").write_text(json.dumps(hf_config(args, dtype), indent=2) + "\n")
    generation = {"bos_token_id": BOS_ID, "eos_token_id": EOS_ID}
    (out / "generation_config.json").write_text(json.dumps(generation, indent=2) + "\n")
    return out


def load_hf(model_dir) -> tuple[Tensors, ModelArgs]:
    """Read a LlamaForCausalLM directory (model.safetensors, or shards listed in model.safetensors.index.json)."""
    from safetensors.torch import load_file

    d = Path(model_dir)
    config = json.loads((d / "config.json").read_text())
    if config.get("model_type") != "llama":
        raise ValueError(f"{d / 'config.json'}: model_type {config.get('model_type')!r}, expected 'llama'")
    rope = config.get("rope_parameters") or config.get("rope_scaling") or {}
    if rope.get("rope_type", "default") != "default":
        raise ValueError(f"{d / 'config.json'}: rope type {rope['rope_type']!r} is not LLaMA's (only 'default')")
    if config.get("attention_bias") or config.get("mlp_bias") or config.get("tie_word_embeddings"):
        raise ValueError(f"{d / 'config.json'}: biases or tied embeddings are not LLaMA's architecture")
    dim, n_heads = config["hidden_size"], config["num_attention_heads"]
    if config.get("head_dim", dim // n_heads) != dim // n_heads:
        raise ValueError(f"{d / 'config.json'}: head_dim {config['head_dim']} != hidden_size / num_attention_heads")
    n_kv_heads = config.get("num_key_value_heads") or n_heads
    multiple_of, multiplier = ffn_args(dim, config["intermediate_size"])
    args = ModelArgs(
        dim=dim, n_layers=config["num_hidden_layers"], n_heads=n_heads,
        n_kv_heads=None if n_kv_heads == n_heads else n_kv_heads, vocab_size=config["vocab_size"],
        multiple_of=multiple_of, ffn_dim_multiplier=multiplier, norm_eps=config["rms_norm_eps"],
        rope_theta=float(rope.get("rope_theta", config.get("rope_theta", 1e4))),
        max_seq_len=config.get("max_position_embeddings", 2048),
    )
    index = d / "model.safetensors.index.json"
    files = sorted(set(json.loads(index.read_text())["weight_map"].values())) if index.exists() else ["model.safetensors"]
    tensors = {}
    for f in files:
        if not (d / f).exists():
            raise FileNotFoundError(f"{d / f}: not found (only safetensors checkpoints are read)")
        tensors |= load_file(d / f)
    from_hf = {_to_hf_name(k): k for k in _expected_keys(args)}
    tensors.pop("model.rotary_emb.inv_freq", None)  # some older exports carry the rotary buffer
    unknown = sorted(set(tensors) - set(from_hf))
    if unknown:
        raise ValueError(f"{d}: unexpected weight {unknown[0]} for this config")
    state_dict = {}
    for hf_name, w in tensors.items():
        name = from_hf[hf_name]
        if name.endswith("attention.wq.weight"):
            w = _rotary_from_hf(w, args.n_heads)
        elif name.endswith("attention.wk.weight"):
            w = _rotary_from_hf(w, n_kv_heads)
        state_dict[name] = w.contiguous()
    _check_shapes(state_dict, args, str(d))
    return state_dict, args


def _expected_keys(args: ModelArgs) -> list[str]:
    keys = ["tok_embeddings.weight", "norm.weight", "output.weight"]
    for i in range(args.n_layers):
        keys += [f"layers.{i}.{m}.weight" for m in HF_LAYER]
    return keys


# --- Meta -------------------------------------------------------------------------------------------------

# How Meta's fairscale layers split each weight across model-parallel ranks: the dimension of the split,
# None for a copy on every rank. Column-parallel layers split their outputs (dim 0), row-parallel layers
# their inputs (dim 1), and ParallelEmbedding splits the embedding dimension.
def _shard_dim(name: str) -> int | None:
    if name.endswith("norm.weight"):
        return None
    if name == "tok_embeddings.weight" or re.search(r"\.(wo|w2)\.weight$", name):
        return 1
    return 0


def meta_params(args: ModelArgs) -> dict:
    """params.json as Meta writes it (their ModelArgs takes max_seq_len separately, so it is not here)."""
    params = {"dim": args.dim, "n_layers": args.n_layers, "n_heads": args.n_heads, "vocab_size": args.vocab_size,
              "multiple_of": args.multiple_of, "norm_eps": args.norm_eps, "rope_theta": args.rope_theta}
    if args.n_kv_heads is not None:
        params["n_kv_heads"] = args.n_kv_heads
    if args.ffn_dim_multiplier is not None:
        params["ffn_dim_multiplier"] = args.ffn_dim_multiplier
    return params


def save_meta(state_dict: Tensors, args: ModelArgs, out_dir, shards: int = 1) -> Path:
    """Write `consolidated.NN.pth` (one per model-parallel rank) and `params.json` as Meta releases them."""
    _check_shapes(state_dict, args, "save_meta")
    if shards < 1 or args.n_heads % shards or _n_kv_heads(args) % shards:
        raise ValueError(f"{shards} shards must divide the heads ({args.n_heads}, kv {_n_kv_heads(args)})")
    for name, w in state_dict.items():
        if (dim := _shard_dim(name)) is not None and w.shape[dim] % shards:
            raise ValueError(f"{shards} shards must divide {name}'s dimension {dim} ({w.shape[dim]})")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for rank in range(shards):
        part = {}
        for name, w in state_dict.items():
            dim = _shard_dim(name)
            w = w.detach().cpu()
            part[name] = w.clone() if dim is None else w.chunk(shards, dim)[rank].clone()
        torch.save(part, out / f"consolidated.{rank:02d}.pth")
    (out / "params.json").write_text(json.dumps(meta_params(args), indent=2) + "\n")
    return out


def load_meta(model_dir, max_seq_len: int = 2048) -> tuple[Tensors, ModelArgs]:
    """Read Meta's `params.json` + `consolidated.*.pth`, joining model-parallel shards in rank order."""
    d = Path(model_dir)
    files = sorted(d.glob("consolidated.*.pth"))
    if not files:
        raise FileNotFoundError(f"{d}: no consolidated.*.pth")
    parts = [torch.load(f, map_location="cpu", weights_only=True, mmap=True) for f in files]
    state_dict = {}
    for name in parts[0]:
        if name == "rope.freqs":  # LLaMA-1 releases carry the rotary table; it is derived from params
            continue
        dim = _shard_dim(name)
        state_dict[name] = parts[0][name] if dim is None else torch.cat([p[name] for p in parts], dim)
    params = json.loads((d / "params.json").read_text())
    args = args_from_params(params, state_dict, max_seq_len, where=str(d / "params.json"))
    _check_shapes(state_dict, args, str(d))
    return state_dict, args


def args_from_params(params: dict, state_dict: Tensors, max_seq_len: int = 2048, where: str = "params.json"):
    known = {f.name for f in dataclasses.fields(ModelArgs)}
    ignored = {"use_scaled_rope"} if not params.get("use_scaled_rope") else set()
    if unknown := sorted(set(params) - known - ignored):
        raise ValueError(f"{where}: unsupported key {unknown[0]!r}")
    params = {k: v for k, v in params.items() if k in known}
    if params.get("vocab_size", -1) == -1:  # LLaMA-1's params.json leaves it to the tokenizer
        params["vocab_size"] = state_dict["tok_embeddings.weight"].shape[0]
    return ModelArgs(**{"max_seq_len": max_seq_len, **params})


# --- any checkpoint ---------------------------------------------------------------------------------------

def load_checkpoint(path, args: ModelArgs | None = None) -> tuple[Tensors, ModelArgs]:
    """An HF dir (config.json), a Meta dir (params.json), or a DeepSpeed ZeRO checkpoint of pretrain/run.py
    (OUT/step-N, or OUT for the one OUT/latest names), whose architecture is its model.json, or `args` when
    given (an override; its vocab_size is taken from the weights)."""
    p = Path(path)
    if (p / "config.json").is_file():
        return load_hf(p)
    if (p / "params.json").is_file() and any(p.glob("consolidated.*.pth")):
        return load_meta(p)
    if (p / "latest").is_file():
        p = p / (p / "latest").read_text().strip()
    if any(p.glob("*zero_pp_rank_*_optim_states.pt")):
        from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

        state_dict = get_fp32_state_dict_from_zero_checkpoint(str(p.parent), tag=p.name)
        if args is None and (record := read_model_record(p)) is not None:
            args, _ = record
        if args is None:
            raise ValueError(f"{path}: this DeepSpeed checkpoint has no {MODEL_RECORD} (it predates checkpoints "
                             "recording their architecture); give the training config")
        args = dataclasses.replace(args, vocab_size=state_dict["tok_embeddings.weight"].shape[0])
        _check_shapes(state_dict, args, str(p))
        return state_dict, args
    raise FileNotFoundError(f"{path}: not an HF (config.json), Meta (params.json + consolidated.*.pth) "
                            "or DeepSpeed ZeRO checkpoint")
