"""Conversion to and from Hugging Face and Meta checkpoints: transformers' own LlamaForCausalLM computes our
logits from the exported files, and every weight comes back bit for bit."""
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from pretrain.convert import ffn_args, load_checkpoint, load_hf, load_meta, save_hf, save_meta
from pretrain.model import ModelArgs, Transformer, ffn_hidden_dim

ROOT = Path(__file__).resolve().parents[1]
TINY = ModelArgs(dim=64, n_layers=2, n_heads=4, vocab_size=256, multiple_of=16, max_seq_len=64)
GQA = dataclasses.replace(TINY, n_heads=8, n_kv_heads=2)


def random_model(args, seed=0):
    torch.manual_seed(seed)
    model = Transformer(args).eval()
    with torch.no_grad():  # norm gains away from 1, so a mix-up of norms cannot go unnoticed
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.uniform_(0.5, 1.5)
    return model


def assert_bitwise_equal(a: dict, b: dict):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype and torch.equal(a[k], b[k]), k


def relative_error(ours, theirs):
    return ((ours - theirs).norm() / theirs.norm()).item()


@pytest.mark.parametrize("args", [TINY, GQA], ids=["mha", "gqa"])
def test_transformers_computes_our_logits_from_the_export(tmp_path, args):
    model = random_model(args)
    save_hf(model.state_dict(), args, tmp_path)
    hf = LlamaForCausalLM.from_pretrained(tmp_path, attn_implementation="eager").eval()
    assert hf.config.num_key_value_heads == (args.n_kv_heads or args.n_heads)
    tokens = torch.randint(0, args.vocab_size, (2, 48))
    with torch.no_grad():
        (ours, _), theirs = model(tokens), hf(tokens).logits
    assert relative_error(ours, theirs) <= 1e-5
    # Without the rotary permutation of q and k, the logits would differ beyond the first position.
    hf.model.layers[0].self_attn.q_proj.weight.data.copy_(model.layers[0].attention.wq.weight)
    hf.model.layers[0].self_attn.k_proj.weight.data.copy_(model.layers[0].attention.wk.weight)
    with torch.no_grad():
        assert relative_error(ours, hf(tokens).logits) > 1e-3


@pytest.mark.parametrize("args", [TINY, GQA], ids=["mha", "gqa"])
def test_hf_round_trip_is_bitwise(tmp_path, args):
    state_dict = random_model(args).state_dict()
    save_hf(state_dict, args, tmp_path)
    loaded, loaded_args = load_hf(tmp_path)
    assert loaded_args == args
    assert_bitwise_equal(loaded, state_dict)


def test_a_model_made_by_transformers_comes_in_exactly(tmp_path):
    config = LlamaConfig(vocab_size=300, hidden_size=96, intermediate_size=200, num_hidden_layers=2,
                         num_attention_heads=6, num_key_value_heads=3, max_position_embeddings=128,
                         rms_norm_eps=1e-5, rope_parameters={"rope_type": "default", "rope_theta": 5e5})
    torch.manual_seed(1)
    hf = LlamaForCausalLM(config).eval()
    hf.save_pretrained(tmp_path)
    state_dict, args = load_hf(tmp_path)
    assert (args.dim, args.n_heads, args.n_kv_heads, args.vocab_size, args.rope_theta, args.norm_eps) == \
        (96, 6, 3, 300, 5e5, 1e-5)
    assert ffn_hidden_dim(args) == 200  # a size that no power-of-two multiple_of gives
    model = Transformer(args).eval()
    model.load_state_dict(state_dict)
    tokens = torch.randint(0, 300, (2, 40))
    with torch.no_grad():
        assert relative_error(model(tokens)[0], hf(tokens).logits) <= 1e-5


@pytest.mark.parametrize("shards", [1, 2])
def test_meta_round_trip_is_bitwise_with_model_parallel_shards(tmp_path, shards):
    state_dict = random_model(GQA).state_dict()
    save_meta(state_dict, GQA, tmp_path, shards=shards)
    files = sorted(p.name for p in tmp_path.glob("consolidated.*.pth"))
    assert files == [f"consolidated.{r:02d}.pth" for r in range(shards)]
    params = json.loads((tmp_path / "params.json").read_text())
    assert params["n_kv_heads"] == 2 and params["dim"] == 64 and "max_seq_len" not in params
    if shards == 2:  # split as Meta's fairscale layers split them
        rank1 = torch.load(tmp_path / "consolidated.01.pth", weights_only=True)
        assert rank1["layers.0.attention.wq.weight"].shape == (32, 64)  # column-parallel: outputs
        assert rank1["layers.0.attention.wk.weight"].shape == (8, 64)  # one of the two kv heads
        assert rank1["layers.0.feed_forward.w2.weight"].shape == (64, 88)  # row-parallel: inputs
        assert rank1["tok_embeddings.weight"].shape == (256, 32)  # ParallelEmbedding: embedding dim
        assert torch.equal(rank1["norm.weight"], state_dict["norm.weight"])  # replicated
    loaded, args = load_meta(tmp_path, max_seq_len=GQA.max_seq_len)
    assert args == GQA
    assert_bitwise_equal(loaded, state_dict)


def test_llama1_params_json_without_vocab_size(tmp_path):
    state_dict = random_model(TINY).state_dict()
    save_meta(state_dict, TINY, tmp_path)
    params = json.loads((tmp_path / "params.json").read_text())
    params["vocab_size"] = -1  # as in the LLaMA-1 release
    (tmp_path / "params.json").write_text(json.dumps(params))
    _, args = load_meta(tmp_path, max_seq_len=64)
    assert args == TINY


def test_ffn_args_reproduce_meta_and_other_sizes():
    assert ffn_args(4096, 11008) == (256, None)  # LLaMA 7B
    for dim, hidden in [(8192, 28672), (96, 200), (512, 300)]:
        multiple_of, multiplier = ffn_args(dim, hidden)
        assert ffn_hidden_dim(ModelArgs(dim=dim, multiple_of=multiple_of, ffn_dim_multiplier=multiplier)) == hidden


def test_a_wrong_config_is_named(tmp_path):
    state_dict = random_model(TINY).state_dict()
    with pytest.raises(ValueError, match=r"tok_embeddings.weight has shape \(256, 64\), the config says \(256, 32\)"):
        save_hf(state_dict, dataclasses.replace(TINY, dim=32), tmp_path)
    save_hf(state_dict, TINY, tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["num_hidden_layers"] = 3
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="missing weight layers.2"):
        load_hf(tmp_path)
    with pytest.raises(FileNotFoundError, match="not an HF"):
        load_checkpoint(tmp_path / "nothing-here")


TOKENIZER_SHA256 = "ab" * 32  # the mix manifest's record of its tokenizer.model


def write_shards(out: Path, rows=64, seq_len=16, vocab=128):
    """A minimal mix-stage output (manifest.json + one Arrow shard of uint16 token rows) to train on."""
    import numpy as np
    import pyarrow as pa

    out.mkdir(parents=True)
    tokens = np.random.default_rng(0).integers(0, vocab, rows * (seq_len + 1)).astype(np.uint16)
    table = pa.table({"tokens": pa.FixedSizeListArray.from_arrays(pa.array(tokens), seq_len + 1)})
    with pa.ipc.new_file(str(out / "shard-00000.arrow"), table.schema) as writer:
        writer.write_table(table)
    shard = {"path": "shard-00000.arrow", "rows": rows, "sha256": "-"}
    (out / "manifest.json").write_text(json.dumps({"seq_len": seq_len, "vocab_size": vocab, "dtype": "uint16",
                                                   "shards": [shard], "eval_shards": [shard],
                                                   "tokenizer_sha256": TOKENIZER_SHA256}))


def llama_data(*argv):
    from click.testing import CliRunner

    from orchestration.cli import main

    return CliRunner().invoke(main, argv)


def test_convert_command_exports_a_deepspeed_checkpoint_without_its_config_to_hf_and_meta(tmp_path):
    write_shards(tmp_path / "mixed")
    config = tmp_path / "train.yaml"
    config.write_text("model_args: {dim: 64, n_layers: 2, n_heads: 4, n_kv_heads: 2, multiple_of: 16}\n"
                      "micro_batch_size: 4\nbatch_tokens: 64\nmax_steps: 2\nwarmup_steps: 1\nlr: 1.0e-3\n")
    train = subprocess.run([sys.executable, "pretrain/run.py", "--config", str(config), "--data",
                            str(tmp_path / "mixed"), "--out", str(tmp_path / "ckpt")],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert train.returncode == 0, train.stdout + train.stderr

    # The checkpoint records its architecture (the data's vocab and seq_len included) and the tokenizer...
    record = json.loads((tmp_path / "ckpt" / "step-2" / "model.json").read_text())
    assert record["tokenizer_sha256"] == TOKENIZER_SHA256
    assert (record["model_args"]["n_kv_heads"], record["model_args"]["max_seq_len"]) == (2, 16)
    # ...so OUT (its latest checkpoint) converts without the training config.
    run = llama_data("convert", "--to", "hf", "--checkpoint", str(tmp_path / "ckpt"), "--out", str(tmp_path / "hf"),
                     "--dtype", "fp32")
    assert run.exit_code == 0, run.output
    from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

    trained = get_fp32_state_dict_from_zero_checkpoint(str(tmp_path / "ckpt"), tag="step-2")
    hf_weights, args = load_hf(tmp_path / "hf")
    assert (args.vocab_size, args.n_kv_heads, args.max_seq_len) == (128, 2, 16)
    assert_bitwise_equal(hf_weights, trained)

    # --config overrides the record: the config's architecture, whose max_seq_len is the default.
    run = llama_data("convert", "--to", "hf", "--checkpoint", str(tmp_path / "ckpt" / "step-2"),
                     "--config", str(config), "--out", str(tmp_path / "hf-config"), "--dtype", "fp32")
    assert run.exit_code == 0, run.output
    hf_weights, args = load_hf(tmp_path / "hf-config")
    assert (args.vocab_size, args.n_kv_heads, args.max_seq_len) == (128, 2, 2048)
    assert_bitwise_equal(hf_weights, trained)

    # A checkpoint without a record (written before they had one) needs the config, and says so.
    (tmp_path / "ckpt" / "step-2" / "model.json").unlink()
    run = llama_data("convert", "--to", "hf", "--checkpoint", str(tmp_path / "ckpt"), "--out", str(tmp_path / "x"))
    assert run.exit_code == 2 and "give the training config" in run.output, run.output

    # HF -> Meta in two shards -> HF again, from the command line: the same bytes in bf16.
    run = llama_data("convert", "--to", "meta", "--checkpoint", str(tmp_path / "hf"), "--shards", "2",
                     "--out", str(tmp_path / "meta"))
    assert run.exit_code == 0, run.output
    run = llama_data("convert", "--to", "hf", "--checkpoint", str(tmp_path / "meta"), "--out", str(tmp_path / "hf2"))
    assert run.exit_code == 0 and "wrote" in run.output, run.output
    back, _ = load_hf(tmp_path / "hf2")
    assert_bitwise_equal(back, {k: v.to(torch.bfloat16) for k, v in trained.items()})
