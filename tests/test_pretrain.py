"""The pretraining stage end to end: mix-stage shards -> `deepspeed pretrain/run.py` -> checkpoints."""
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from pretrain.data import Sampler, TokenShards

ROOT = Path(__file__).resolve().parents[1]
SEQ_LEN, VOCAB = 32, 512


def write_mixed(out: Path, rows_per_shard=(160, 96), eval_rows=32, seed=0) -> Path:
    """A mix-stage output: every row starts at a random token, then follows next = (5 * prev + 1) % VOCAB,
    a bigram rule the model can learn in a few steps."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True)

    def shard(name, rows):
        tokens = np.empty((rows, SEQ_LEN + 1), dtype=np.uint16)
        tokens[:, 0] = rng.integers(0, VOCAB, rows)
        for t in range(1, SEQ_LEN + 1):
            tokens[:, t] = (5 * tokens[:, t - 1].astype(np.int64) + 1) % VOCAB
        values = pa.array(tokens.ravel(), type=pa.uint16())
        column = pa.FixedSizeListArray.from_arrays(values, SEQ_LEN + 1)
        table = pa.table({"tokens": column})
        with pa.ipc.new_file(str(out / name), table.schema) as writer:
            writer.write_table(table, max_chunksize=64)  # several record batches per shard
        return {"path": name, "rows": rows, "sha256": "not-checked-here"}

    manifest = {
        "seq_len": SEQ_LEN, "vocab_size": VOCAB, "dtype": "uint16",
        "shards": [shard(f"shard-{i:05d}.arrow", n) for i, n in enumerate(rows_per_shard)],
        "eval_shards": [shard("eval-00000.arrow", eval_rows)],
    }
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def launch(tmp_path, config, out, *extra, ranks=1):
    """`deepspeed --num_gpus N pretrain/run.py ...` as a user types it on a CPU-only machine."""
    env = {**os.environ, "DS_ACCELERATOR": "cpu", "OMP_NUM_THREADS": "1"}
    cmd = [str(Path(sys.executable).parent / "deepspeed"), "--num_gpus", str(ranks),
           "--master_port", str(free_port()),
           "pretrain/run.py", "--config", str(config), "--data", str(tmp_path / "mixed"), "--out", str(out), *extra]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def logged_losses(stdout):
    return [float(m) for m in re.findall(r"^step \d+/\d+ loss (\S+)", stdout, re.M)]


@pytest.fixture
def mixed(tmp_path):
    return write_mixed(tmp_path / "mixed")


def test_shards_are_memory_mapped_rows(mixed):
    data = TokenShards(mixed)
    assert len(data) == 256 and len(TokenShards(mixed, "eval")) == 32
    row = data[200]  # second shard, second record batch
    assert row.shape == (SEQ_LEN + 1,) and row.dtype == np.uint16
    assert not row.flags.owndata  # a view of the mapped file
    assert np.array_equal(row[1:], (5 * row[:-1].astype(np.int64) + 1) % VOCAB)


def test_missing_shard_is_named(mixed):
    (mixed / "shard-00001.arrow").unlink()
    with pytest.raises(FileNotFoundError, match="shard-00001.arrow"):
        TokenShards(mixed)


def test_sampler_ranks_are_disjoint_and_cover_every_row():
    world_size, batch, rows = 4, 5, 100
    samplers = [Sampler(rows, batch, seed=7, rank=r, world_size=world_size) for r in range(world_size)]
    per_rank = [np.concatenate([s.next_batch() for _ in range(rows // (batch * world_size))]) for s in samplers]
    seen = np.concatenate(per_rank)
    assert len(seen) == rows and set(seen.tolist()) == set(range(rows))
    # The next epoch is a different permutation, and the position is the same on every rank.
    assert all(s.state_dict() == {"epoch": 0, "index": rows} for s in samplers)
    assert not np.array_equal(samplers[0].next_batch(), per_rank[0][:batch])
    assert samplers[0].state_dict() == {"epoch": 1, "index": batch * world_size}


def test_sampler_resumes_from_its_position():
    a = Sampler(50, 4, seed=1)
    for _ in range(20):  # into the second epoch
        a.next_batch()
    b = Sampler(50, 4, seed=1)
    b.load_state_dict(a.state_dict())
    assert all(np.array_equal(a.next_batch(), b.next_batch()) for _ in range(30))


def test_deepspeed_training_on_two_ranks_learns_saves_and_resumes_exactly(tmp_path, mixed):
    out = tmp_path / "checkpoints"
    run = launch(tmp_path, ROOT / "configs/train/tiny.yaml", out, ranks=2)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 rank(s)" in run.stdout
    losses = logged_losses(run.stdout)
    assert len(losses) == 4 and all(np.isfinite(losses)), run.stdout
    assert losses[-1] < losses[0] - 1.0, losses  # the bigram rule is being learned
    assert (out / "step-10").is_dir() and (out / "step-20").is_dir()
    assert (out / "latest").read_text().strip() == "step-20"
    assert f"done: 20 steps (20 this run), final loss {losses[-1]:.4f}" in run.stdout
    assert str(out / "step-20") in run.stdout

    # Back to step 10: the resumed run repeats steps 11..20 exactly (weights, optimizer, lr, data order).
    (out / "latest").write_text("step-10")
    run = launch(tmp_path, ROOT / "configs/train/tiny.yaml", out, "--resume", "auto", ranks=2)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"resumed from {out / 'step-10'} at step 10" in run.stdout
    assert re.findall(r"^step (\d+)/", run.stdout, re.M) == ["15", "20"]
    assert logged_losses(run.stdout) == losses[2:]
    assert "done: 20 steps (10 this run)" in run.stdout


def test_unknown_config_key_exits_2_naming_key_and_file(tmp_path, mixed):
    config = tmp_path / "bad.yaml"
    config.write_text("model: tiny\nmax_steps: 2\nlearning_rate: 0.1\n")
    run = subprocess.run([sys.executable, "pretrain/run.py", "--config", str(config), "--data", str(mixed),
                          "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "learning_rate" in run.stderr and str(config) in run.stderr
    assert not (tmp_path / "out").exists()
