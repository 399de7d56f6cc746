"""The pretraining stage end to end: mix-stage shards -> `deepspeed pretrain/run.py` -> checkpoints."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pytest
import yaml

from pretrain.data import Sampler
from tokens.shards import TokenShards

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


def train_cmd(data, config, out, *extra, ranks=1, launcher="deepspeed"):
    """`deepspeed --num_gpus N pretrain/run.py ...` (or `torchrun --nproc_per_node N ...`) as a user types it on
    a CPU-only machine."""
    ranks_flag = {"deepspeed": "--num_gpus", "torchrun": "--nproc_per_node"}[launcher]
    return [str(Path(sys.executable).parent / launcher), ranks_flag, str(ranks), "--master_port", str(free_port()),
            "pretrain/run.py", "--config", str(config), "--data", str(data), "--out", str(out), *extra]


ENV = {**os.environ, "DS_ACCELERATOR": "cpu", "OMP_NUM_THREADS": "1"}


def launch(run_dir, config, out, *extra, ranks=1, launcher="deepspeed"):
    """Train on run_dir/mix and wait."""
    return subprocess.run(train_cmd(run_dir / "mix", config, out, *extra, ranks=ranks, launcher=launcher),
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(path: Path, **overrides) -> Path:
    """configs/train/tiny.yaml with `overrides` (the shipped file is what the tests train)."""
    config = {**yaml.safe_load((ROOT / "configs/train/tiny.yaml").read_text()), **overrides}
    path.write_text(yaml.safe_dump(config))
    return path


def logged_losses(stdout):
    return [float(m) for m in re.findall(r"^step \d+/\d+ loss (\S+)", stdout, re.M)]


def metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def step_losses(out: Path) -> dict[int, str]:
    """Step -> training loss as float.hex (the exact value), the last entry winning after a resume."""
    return {m["step"]: float.hex(m["loss"]) for m in metrics(out) if "loss" in m}


@pytest.fixture
def mixed(tmp_path):
    return write_mixed(tmp_path / "mix")


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


# 2 ranks x micro-batch 4 x 32 tokens x 2 accumulation = 512 tokens per step; a checkpoint every 4 of 8 steps.
RUN = dict(max_steps=8, batch_tokens=512, micro_batch_size=4, warmup_steps=2, checkpoint_every=4, keep_last=1,
           eval_every=4, eval_rows=32, log_every=1)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """One 2-rank run of all 8 steps, exporting the final weights to Hugging Face format."""
    tmp = tmp_path_factory.mktemp("uninterrupted")
    data = write_mixed(tmp / "mix")
    out = tmp / "checkpoints"
    run = launch(tmp, write_config(tmp / "run.yaml", **RUN), out, "--export-hf", str(tmp / "hf"), ranks=2)
    assert run.returncode == 0, run.stdout + run.stderr
    return data, out, run


def test_two_ranks_learn_evaluate_log_checkpoint_and_export(uninterrupted):
    data, out, run = uninterrupted
    assert "256 training sequences" in run.stdout and "2 rank(s)" in run.stdout
    assert "512 tokens per step = 4 x 32 x 2 accumulation x 2 ranks" in run.stdout
    logged = metrics(out)
    train = [m for m in logged if "loss" in m]
    assert [m["step"] for m in train] == list(range(1, 9))
    assert train[-1]["loss"] < train[0]["loss"] - 1.0, train  # the bigram rule is being learned
    assert logged_losses(run.stdout) == [float(f"{m['loss']:.4f}") for m in train]  # stdout shows the same
    assert all(m["tokens_per_s"] > 0 and m["grad_norm"] > 0 and m["mfu"] is None for m in train)  # no MFU on CPU
    assert train[1]["lr"] == pytest.approx(3e-3) and train[-1]["lr"] == pytest.approx(3e-4)  # warmup 2, then cosine
    evals = [m for m in logged if "eval_loss" in m]
    assert [m["step"] for m in evals] == [4, 8] and evals[1]["eval_loss"] < evals[0]["eval_loss"]
    assert "step 8/8 eval_loss" in run.stdout and "(32 held-out sequences)" in run.stdout
    assert list((out / "tensorboard").glob("events.out.tfevents.*"))
    # keep_last 1: step-4 was removed once step-8 was complete; nothing half-written is left.
    assert sorted(p.name for p in out.iterdir() if "step" in p.name) == ["step-8"]
    assert (out / "latest").read_text() == "step-8"
    assert f"done: 8 steps (8 this run, 0 skipped), final loss {train[-1]['loss']:.4f}" in run.stdout

    # The export holds the checkpoint's fp32 master weights, renamed for LlamaForCausalLM.
    from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint
    from safetensors.torch import load_file

    hf_dir = out.parent / "hf"
    config = json.loads((hf_dir / "config.json").read_text())
    assert (config["vocab_size"], config["hidden_size"], config["num_hidden_layers"]) == (VOCAB, 128, 2)
    exported = load_file(hf_dir / "model.safetensors")
    trained = get_fp32_state_dict_from_zero_checkpoint(str(out), tag="step-8")
    assert exported["model.embed_tokens.weight"].equal(trained["tok_embeddings.weight"])
    assert exported["lm_head.weight"].equal(trained["output.weight"])


def test_sigkill_then_resume_auto_repeats_the_uninterrupted_losses_bitwise(tmp_path, uninterrupted):
    data, reference, _ = uninterrupted
    out = tmp_path / "checkpoints"
    config = write_config(tmp_path / "run.yaml", **RUN)
    # Under torchrun this time (the reference ran under deepspeed's launcher): SIGKILL every process of the
    # launch, torchrun and both ranks (which torchrun puts in their own sessions), once step-4 is complete.
    with open(tmp_path / "killed.log", "w") as log:
        proc = subprocess.Popen(train_cmd(data, config, out, ranks=2, launcher="torchrun"), cwd=ROOT, env=ENV,
                                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while not (out / "step-4").is_dir() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.005)
        for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]:
            p.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, (tmp_path / "killed.log").read_text()
    assert not (out / "step-8").exists(), "killed too late: the run had already finished"

    run = launch(data.parent, config, out, "--resume", "auto", ranks=2, launcher="torchrun")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"resumed from {out / 'step-4'} at step 4" in run.stdout
    assert "done: 8 steps (4 this run, 0 skipped)" in run.stdout
    # Steps 5..8 after the resume give the uninterrupted run's losses to the last bit...
    expected, resumed = step_losses(reference), step_losses(out)
    assert [resumed[s] for s in range(5, 9)] == [expected[s] for s in range(5, 9)], (expected, resumed)
    # ...the same held-out loss, and the same final weights.
    eval_loss = [m["eval_loss"] for m in metrics(out) if m.get("step") == 8 and "eval_loss" in m]
    assert eval_loss == [m["eval_loss"] for m in metrics(reference) if m.get("step") == 8 and "eval_loss" in m]
    from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

    a = get_fp32_state_dict_from_zero_checkpoint(str(reference), tag="step-8")
    b = get_fp32_state_dict_from_zero_checkpoint(str(out), tag="step-8")
    assert a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a)


def test_sigterm_checkpoints_the_current_step_and_stops(tmp_path, mixed):
    config = write_config(tmp_path / "long.yaml", max_steps=1000, batch_tokens=128, checkpoint_every=0,
                          eval_every=0, log_every=1)
    out = tmp_path / "checkpoints"
    with open(tmp_path / "run.log", "w") as log:
        proc = subprocess.Popen(train_cmd(mixed, config, out), cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        deadline = time.time() + 120
        while not ((out / "metrics.jsonl").is_file() and len(metrics(out)) >= 2) and time.time() < deadline:
            time.sleep(0.05)
        processes = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        os.killpg(proc.pid, signal.SIGTERM)  # what Slurm does before preempting a job, and Ctrl-C (SIGINT)
        _, alive = psutil.wait_procs(processes, timeout=120)
    assert not alive
    stdout = (tmp_path / "run.log").read_text()
    stopped = re.search(r"^stopped by a signal after step (\d+): continue with --resume auto", stdout, re.M)
    assert stopped, stdout
    step = int(stopped[1])
    assert 2 <= step < 1000 and f"step {step}: saved {out / f'step-{step}'}" in stdout
    assert [p.name for p in out.glob("*step-*")] == [f"step-{step}"] and (out / "latest").read_text() == f"step-{step}"


def test_resume_refuses_a_checkpoint_of_another_tokenizer_or_architecture(tmp_path, mixed):
    manifest = json.loads((mixed / "manifest.json").read_text())
    (mixed / "manifest.json").write_text(json.dumps({**manifest, "tokenizer_sha256": "a" * 64}))
    out = tmp_path / "out"

    def train(config):
        return subprocess.run([sys.executable, "pretrain/run.py", "--config", str(config), "--data", str(mixed),
                               "--out", str(out)], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120)

    config = write_config(tmp_path / "one.yaml", max_steps=1, batch_tokens=128, eval_every=0, log_every=1)
    run = train(config)
    assert run.returncode == 0, run.stdout + run.stderr
    record = json.loads((out / "step-1" / "model.json").read_text())
    assert record["tokenizer_sha256"] == "a" * 64
    assert (record["model_args"]["dim"], record["model_args"]["vocab_size"], record["model_args"]["max_seq_len"]) \
        == (128, VOCAB, SEQ_LEN)

    (mixed / "manifest.json").write_text(json.dumps({**manifest, "tokenizer_sha256": "b" * 64}))  # a new tokenizer
    run = train(write_config(tmp_path / "two.yaml", max_steps=2, batch_tokens=128, eval_every=0, log_every=1))
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"--resume {out / 'step-1'}: trained on tokens of the tokenizer with sha256 {'a' * 64}" in run.stderr
    assert f"{mixed} was made by {'b' * 64}" in run.stderr

    (mixed / "manifest.json").write_text(json.dumps({**manifest, "tokenizer_sha256": "a" * 64}))
    wider = write_config(tmp_path / "wide.yaml", model=None, model_args={"dim": 64, "n_layers": 2, "n_heads": 4},
                         max_steps=2, batch_tokens=128, eval_every=0, log_every=1)
    run = train(wider)
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"--resume {out / 'step-1'}: its model.json records ModelArgs(dim=128" in run.stderr
    assert f"but {wider} with {mixed} makes ModelArgs(dim=64" in run.stderr
    assert sorted(p.name for p in out.glob("*step-*")) == ["step-1"]


def test_non_finite_steps_are_skipped_then_training_stops(tmp_path, mixed):
    # An absurd learning rate: after one update the weights overflow and every gradient norm is inf.
    config = write_config(tmp_path / "bad.yaml", lr=1e30, warmup_steps=0, max_bad_steps=3, batch_tokens=128,
                          eval_every=0, log_every=1)
    run = subprocess.run([sys.executable, "pretrain/run.py", "--config", str(config), "--data", str(mixed),
                          "--out", str(tmp_path / "out")], cwd=ROOT, env=ENV, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.findall(r"^step (\d+): .* not finite, update skipped", run.stdout, re.M) == ["2", "3", "4"]
    assert "stopped at step 4 after 3 consecutive non-finite steps" in run.stderr
    assert str(config) in run.stderr
    skipped = [m for m in metrics(tmp_path / "out") if m.get("skipped")]
    assert [m["step"] for m in skipped] == [2, 3, 4]


def test_batch_tokens_that_do_not_split_exit_2_naming_key_and_file(tmp_path, mixed):
    config = write_config(tmp_path / "odd.yaml", batch_tokens=1000)
    run = subprocess.run([sys.executable, "pretrain/run.py", "--config", str(config), "--data", str(mixed),
                          "--out", str(tmp_path / "out")], cwd=ROOT, env=ENV, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"{config}: 'batch_tokens' (1,000) must be a multiple of micro_batch_size x seq_len x ranks" in run.stderr
    assert "= 4 x 32 x 1 = 128" in run.stderr


def test_unknown_config_key_exits_2_naming_key_and_file(tmp_path, mixed):
    config = tmp_path / "bad.yaml"
    config.write_text("model: tiny\nmax_steps: 2\nlearning_rate: 0.1\n")
    run = subprocess.run([sys.executable, "pretrain/run.py", "--config", str(config), "--data", str(mixed),
                          "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "learning_rate" in run.stderr and str(config) in run.stderr
    assert not (tmp_path / "out").exists()
