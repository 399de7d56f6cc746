"""The LLaMA architecture: sizes from the paper, causality, rotary embeddings, grouped-query attention."""
import dataclasses
import math

import pytest
import torch

import torch.nn.functional as F

from pretrain.model import (PRESETS, ModelArgs, Output, Transformer, apply_rotary_emb, precompute_freqs_cis,
                            set_activation_checkpointing)
from pretrain.sizing import activation_bytes, flops_per_token

TINY = ModelArgs(dim=64, n_layers=2, n_heads=4, vocab_size=256, multiple_of=16, max_seq_len=32)


def n_params(args: ModelArgs) -> int:
    with torch.device("meta"):  # shapes only: no memory, no init
        return sum(p.numel() for p in Transformer(args).parameters())


def test_7B_has_metas_parameter_count():
    assert PRESETS["7B"].vocab_size == 32000
    assert n_params(PRESETS["7B"]) == 6_738_415_616


@pytest.mark.parametrize("name, billions", [("13B", 13.0), ("33B", 32.5), ("65B", 65.2)])
def test_larger_presets_match_table_2(name, billions):
    assert n_params(PRESETS[name]) / 1e9 == pytest.approx(billions, rel=0.01)


def test_checkpoint_keys_are_metas():
    keys = set(Transformer(TINY).state_dict())
    assert {"tok_embeddings.weight", "norm.weight", "output.weight", "layers.1.attention_norm.weight",
            "layers.1.attention.wq.weight", "layers.1.attention.wo.weight", "layers.1.ffn_norm.weight",
            "layers.1.feed_forward.w1.weight", "layers.1.feed_forward.w2.weight",
            "layers.1.feed_forward.w3.weight"} <= keys
    assert not any("bias" in k or "freqs_cis" in k for k in keys)


def test_changing_a_later_token_leaves_earlier_logits_alone():
    torch.manual_seed(0)
    model = Transformer(TINY).eval()
    tokens = torch.randint(0, TINY.vocab_size, (2, 16))
    changed = tokens.clone()
    changed[:, 10] = (changed[:, 10] + 1) % TINY.vocab_size
    with torch.no_grad():
        (a, _), (b, _) = model(tokens), model(changed)
    torch.testing.assert_close(a[:, :10], b[:, :10])
    assert not torch.allclose(a[:, 10:], b[:, 10:])


def test_rotary_scores_depend_only_on_relative_position():
    torch.manual_seed(0)
    head_dim, shift = 16, 7
    freqs_cis = precompute_freqs_cis(head_dim, 64)
    q = torch.randn(1, 1, 1, head_dim).expand(1, 64, 1, head_dim)  # the same q and k at every position
    k = torch.randn(1, 1, 1, head_dim).expand(1, 64, 1, head_dim)
    rq, rk = apply_rotary_emb(q, k, freqs_cis)
    scores = (rq[0, :, 0] @ rk[0, :, 0].T)  # scores[m, n] = <R_m q, R_n k>
    for m, n in [(3, 0), (10, 10), (5, 20)]:
        torch.testing.assert_close(scores[m, n], scores[m + shift, n + shift])
    assert not torch.allclose(scores[3, 0], scores[3, 1])  # but they do depend on the distance
    # Rotation preserves norms.
    torch.testing.assert_close(rq.norm(dim=-1), q.norm(dim=-1))


def test_grouped_query_attention():
    gqa = dataclasses.replace(TINY, n_heads=8, n_kv_heads=2)
    model = Transformer(gqa)
    attention = model.layers[0].attention
    assert attention.wq.weight.shape == (64, 64) and attention.wk.weight.shape == (16, 64)
    assert attention.wv.weight.shape == (16, 64)
    tokens = torch.randint(0, gqa.vocab_size, (3, 12))
    (logits, no_loss), (no_logits, loss) = model(tokens), model(tokens, tokens)
    assert logits.shape == (3, 12, gqa.vocab_size) and no_loss is None
    assert no_logits is None and torch.isfinite(loss)
    assert n_params(gqa) < n_params(TINY)


def test_loss_at_init_is_about_ln_vocab():
    torch.manual_seed(0)
    model = Transformer(TINY)
    tokens = torch.randint(0, TINY.vocab_size, (4, 32))
    _, loss = model(tokens[:, :-1], tokens[:, 1:])
    assert loss.item() == pytest.approx(math.log(TINY.vocab_size), abs=0.1)


def test_init_scales_residual_projections_by_depth():
    torch.manual_seed(0)
    model = Transformer(dataclasses.replace(TINY, dim=256, n_layers=8))
    assert model.layers[0].attention.wq.weight.std().item() == pytest.approx(0.02, rel=0.05)
    for w in (model.layers[0].attention.wo.weight, model.layers[0].feed_forward.w2.weight):
        assert w.std().item() == pytest.approx(0.02 / 4, rel=0.05)
    assert model.norm.weight.eq(1).all()


def gradients(model, tokens, loss_fn):
    model.zero_grad()
    loss_fn(model, tokens).backward()
    return {name: p.grad.clone() for name, p in model.named_parameters()}


def test_chunked_loss_matches_cross_entropy_of_full_logits(monkeypatch):
    torch.manual_seed(0)
    model = Transformer(TINY)
    tokens = torch.randint(0, TINY.vocab_size, (3, 25))  # 72 targets: chunks of 32, 32 and 8
    monkeypatch.setattr(Output, "chunk_tokens", 32)
    chunked = gradients(model, tokens, lambda m, t: m(t[:, :-1], t[:, 1:])[1])
    full = gradients(model, tokens, lambda m, t: F.cross_entropy(m(t[:, :-1])[0].flatten(0, 1), t[:, 1:].flatten()))
    for name in full:
        torch.testing.assert_close(chunked[name], full[name], rtol=1e-5, atol=1e-8, msg=name)
    with torch.no_grad():
        expected = F.cross_entropy(model(tokens[:, :-1])[0].flatten(0, 1), tokens[:, 1:].flatten())
        torch.testing.assert_close(model(tokens[:, :-1], tokens[:, 1:])[1], expected)


@pytest.mark.parametrize("mode", ["full", "selective"])
def test_activation_checkpointing_gives_the_same_gradients(mode):
    torch.manual_seed(0)
    model = Transformer(TINY)
    tokens = torch.randint(0, TINY.vocab_size, (2, 17))
    loss = lambda m, t: m(t[:, :-1], t[:, 1:])[1]  # noqa: E731
    stored = gradients(model, tokens, loss)
    set_activation_checkpointing(model, mode)
    recomputed = gradients(model, tokens, loss)
    assert all(torch.equal(stored[k], recomputed[k]) for k in stored)
    with pytest.raises(ValueError, match="'some'"):
        set_activation_checkpointing(model, "some")


def saved_activation_bytes(model, tokens):
    """Bytes of the tensors autograd keeps for backward, weights excluded."""
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved = {}

    def pack(t):
        if t.untyped_storage().data_ptr() not in weights:
            saved[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(tokens[:, :-1], tokens[:, 1:])
    return sum(saved.values())


def test_activation_estimate_matches_what_autograd_keeps():
    args = dataclasses.replace(TINY, dim=128, n_heads=4, n_layers=3)
    tokens = torch.randint(0, args.vocab_size, (2, 33))
    measured = saved_activation_bytes(Transformer(args), tokens)
    assert activation_bytes(args, 2, 32, "fp32") == pytest.approx(measured, rel=0.05)


def test_flops_per_token_counts_matmul_weights_and_attention_not_embeddings_or_norm_gains():
    # TINY by hand: ffn hidden = 176, rounded up from int(2 * 4 * 64 / 3) = 170 to a multiple of 16.
    per_layer = 4 * 64 * 64 + 3 * 64 * 176  # wq wk wv wo, w1 w2 w3
    matmul_weights = 2 * per_layer + 256 * 64  # + the output layer; not the embedding table, not the 5 x 64 gains
    attention = 12 * 2 * 64 * 32  # 12 x layers x dim x seq: scores and their weighted sum, forward + backward
    assert flops_per_token(TINY, 32) == 6 * matmul_weights + attention == 749_568


def test_flops_per_token_of_7B():
    # 6 x 6.61B multiplying weights (all but the 131M-entry embedding table) + 12 x 32 x 4096 x 2048 (attention)
    assert flops_per_token(PRESETS["7B"], 2048) == 6 * (6_738_415_616 - 32000 * 4096 - 65 * 4096) + 3_221_225_472


def test_model_info_command_reports_7B_without_allocating_it():
    from click.testing import CliRunner

    from orchestration.cli import main

    run = CliRunner().invoke(main, ["model", "info", "--size", "7B", "--batch", "2", "--seq", "2048"])
    assert run.exit_code == 0, run.output
    assert "parameters        6,738,415,616" in run.output
    assert "42.86 GFLOP per token" in run.output
    assert "adam_states          75.31 GiB" in run.output  # 12 bytes per parameter: fp32 master, m and v
    assert CliRunner().invoke(main, ["model", "info", "--size", "8B"]).exit_code == 2
    from pretrain.cli import SIZES
    assert set(SIZES) == set(PRESETS)
