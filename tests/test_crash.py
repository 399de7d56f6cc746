"""Crash and resume: `llama-data curate` and `llama-data mix` killed with SIGKILL at seeded random points (and the
moment a temporary file appears), then rerun, leave exactly the bytes of an uninterrupted run; and while they
are killed, nothing under a final name is partial (every Parquet / Arrow file there opens whole)."""
import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path
from random import Random

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from curation.schema import SOURCES
from samples.make import make_samples
from test_tokenizer import train_cli, write_curated

CLI = [sys.executable, "-c", "from orchestration.cli import main; main()"]
KILLS = 3  # random delays; then one more kill when a temporary file shows up


def digests(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def final_files_are_whole(folder: Path) -> None:
    for p in folder.rglob("*"):
        if any(part.startswith(".") for part in p.relative_to(folder).parts):  # temporary (RUN/.tmp/: spills)
            continue
        if p.name.endswith(".parquet"):
            pq.read_table(p)
        elif p.name.endswith(".arrow"):
            pa.ipc.open_stream(pa.memory_map(str(p))).read_all()


def run(args: list, kill_after: float | None = None, kill_on_tmp: Path | None = None) -> bool:
    """Runs the command to the end (True), or kills it with SIGKILL after `kill_after` seconds or as soon as a
    temporary file or folder (`*.tmp*`, not the spill folder RUN/.tmp/ that exists all along) shows up under
    `kill_on_tmp` (False: killed before it ended)."""
    proc = subprocess.Popen(CLI + [str(a) for a in args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    start = time.monotonic()
    while proc.poll() is None:
        due = kill_after is not None and time.monotonic() - start >= kill_after
        if due or (kill_on_tmp is not None and any(".tmp" not in p.relative_to(kill_on_tmp).parts
                                                    for p in kill_on_tmp.rglob("*.tmp*"))):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return False
        time.sleep(0.005)
    assert proc.returncode == 0, proc.stderr.read().decode()[-3000:]
    return True


def kill_and_resume(args: list, out: Path, seconds: float, rng: Random) -> list[bool]:
    """Kills at random points of a run of about `seconds`, each kill followed by another start over the remains;
    then one run to the end. Returns which of the interrupted runs actually ended before the kill."""
    ended = []
    for _ in range(KILLS):
        ended.append(run(args, kill_after=rng.uniform(0.3, seconds)))
        final_files_are_whole(out)
    ended.append(run(args, kill_on_tmp=out))
    final_files_are_whole(out)
    assert run(args)
    return ended


def test_curate_killed_at_random_points_and_rerun_writes_the_same_bytes(tmp_path):
    make_samples(tmp_path / "samples", docs=30, seed=0)
    args = ["curate", "--source", "c4", "--input", tmp_path / "samples" / "c4", "--shards", "2"]
    start = time.monotonic()
    assert run(args + ["--out", tmp_path / "whole"])
    seconds = time.monotonic() - start
    ended = kill_and_resume(args + ["--out", tmp_path / "killed"], tmp_path / "killed", seconds, Random(10))
    assert not all(ended)  # at least one kill landed inside the job
    assert digests(tmp_path / "killed") == digests(tmp_path / "whole")


def test_mix_killed_at_random_points_and_rerun_writes_the_same_bytes(tmp_path):
    runs = tmp_path / "run"
    write_curated(runs, {s: 60 for s in SOURCES})
    assert train_cli(runs, "--vocab-size", "400").exit_code == 0
    assert run(["tokenizer", "encode", "--run", runs])
    config = tmp_path / "mix.yaml"
    config.write_text(yaml.safe_dump({"weights": {"c4": 60, "wikipedia": 30, "books": 10}, "tokens": 30000,
                                      "seq_len": 64, "seed": 0, "shard_rows": 40, "eval_fraction": 0.05}))
    args = ["mix", "--weights", config, "--run", runs]
    start = time.monotonic()
    assert run(args + ["--out", tmp_path / "whole"])
    seconds = time.monotonic() - start
    ended = kill_and_resume(args + ["--out", tmp_path / "killed"], tmp_path / "killed", seconds, Random(11))
    assert not all(ended)
    assert digests(tmp_path / "killed") == digests(tmp_path / "whole")
