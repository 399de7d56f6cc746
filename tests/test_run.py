"""`llama-data run`: the stage DAG on a small generated corpus: skip when done, resume after a kill, rerun what a
config change affects, the same bytes from the Dask runner on a 2-worker LocalCluster as from the DirectRunner, and
the commoncrawl models trained by the run's `models` stage from its own inputs."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import yaml
from click.testing import CliRunner

from curation.schema import from_row
from orchestration.cli import main
from llama_data.config import CONFIGS
from samples.make import make_samples

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {"c4": 70, "wikipedia": 30}


def write_config(folder: Path, inputs: Path | None = None, train_steps: int = 0, sources=SOURCES, docs=20,
                 **more) -> Path:
    """A run of two sources: generated into RUN/samples, or read from `inputs`; with a train stage if steps."""
    folder.mkdir(parents=True, exist_ok=True)
    mix = yaml.safe_load((CONFIGS / "mix.demo.yaml").read_text()) | {
        "weights": sources, "tokens": 12000, "seq_len": 64, "shard_rows": 32, "eval_fraction": 0.1}
    (folder / "mix.yaml").write_text(yaml.safe_dump(mix))
    (folder / "dedup.yaml").write_text("near: false\n")  # exact and URL dedup; near-dedup has its own tests
    config = {"sources": {s: str(inputs / s) if inputs else None for s in sources}, "mix": "mix.yaml",
              "dedup": "dedup.yaml", "tokenizer": {"vocab_size": 400}, "seed": 0, **more}
    if not inputs:
        config["samples"] = {"docs": docs}
    if train_steps:
        train = yaml.safe_load((CONFIGS / "train" / "tiny.yaml").read_text()) | {
            "max_steps": train_steps, "log_every": 1, "checkpoint_every": train_steps, "micro_batch_size": 4}
        (folder / "train.yaml").write_text(yaml.safe_dump(train))
        config["train"] = {"config": "train.yaml", "launcher_args": ["--num_gpus", "1"]}
    (folder / "run.yaml").write_text(yaml.safe_dump(config))
    return folder / "run.yaml"


def cli(*args, code=0):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def outputs(run: Path) -> dict:
    """Every stage's recorded output files and their sha256, as the markers hold them."""
    return {p.stem: json.loads(p.read_text())["outputs"] for p in sorted((run / ".done").glob("*.json"))}


def test_rerun_skips_resumes_after_a_kill_and_reruns_what_changed(tmp_path):
    config = write_config(tmp_path / "cfg")
    first = tmp_path / "first"
    out = cli("run", "--config", config, "--out", first)
    assert "7 stage(s) ran" in out
    done = outputs(first)
    assert list(done) == ["curate.c4", "curate.wikipedia", "dedup", "encode", "mix", "samples", "tokenizer"]
    assert "mix/manifest.json" in done["mix"] and "dedup/curated/c4/part-00000-of-00001.parquet" in done["dedup"]
    assert "encode/manifest.json" in done["encode"] and not any(path.startswith("encode/") for path in done["mix"])
    # each stage's outputs lie in the folder named after it
    assert all(path.startswith(stage.split(".")[0] + "/") for stage, paths in done.items() for path in paths)

    mtimes = {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()}
    out = cli("run", "--config", config, "--out", first)
    assert "0 stage(s) ran, 7 already done; nothing to do" in out
    assert {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()} == mtimes

    # Killed once the first source is curated, then rerun: the same bytes as the uninterrupted run.
    second = tmp_path / "second"
    proc = subprocess.Popen([Path(sys.executable).parent / "llama-data", "run", "--config", str(config),
                             "--out", str(second)], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    marker = second / ".done" / "curate.c4.json"
    deadline = time.time() + 120
    while not (marker.exists() and '"done"' in marker.read_text()) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (second / ".done" / "mix.json").exists(), "the run finished before it could be interrupted"
    out = cli("run", "--config", config, "--out", second)
    assert "== curate.c4: done, skipped" in out and "== mix: running" in out
    assert outputs(second) == done

    # A bigger token budget changes the mix, and only the mix.
    mix = yaml.safe_load((tmp_path / "cfg" / "mix.yaml").read_text()) | {"tokens": 16000}
    (tmp_path / "cfg" / "mix.yaml").write_text(yaml.safe_dump(mix))
    out = cli("run", "--config", config, "--out", first)
    assert "1 stage(s) ran, 6 already done" in out and "== mix: running" in out
    assert outputs(first)["mix"] != done["mix"] and outputs(first)["dedup"] == done["dedup"]

    # --only and --from restrict the stages; --force reruns a finished one.
    out = cli("run", "--config", config, "--out", first, "--only", "tokenizer", "--force")
    assert "1 stage(s) ran, 0 already done" in out and outputs(first)["tokenizer"] == done["tokenizer"]
    out = cli("run", "--config", config, "--out", first, "--from", "dedup")
    assert "0 stage(s) ran, 4 already done" in out


def test_dask_runner_on_a_local_cluster_writes_the_direct_runners_bytes(tmp_path):
    from dask.distributed import LocalCluster

    make_samples(tmp_path / "samples", 20, 3)
    config = write_config(tmp_path / "cfg", inputs=tmp_path / "samples")
    cli("run", "--config", config, "--out", tmp_path / "direct", "--only", "curate")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        assert len(cluster.workers) == 2
        out = cli("run", "--config", config, "--out", tmp_path / "dask", "--only", "curate", "--runner", "dask",
                  f"--dask_client_address={cluster.scheduler_address}")
    assert "(--runner=orchestration.runners.DaskRunner)" in out and "2 stage(s) ran" in out

    def files(run):
        return {p.relative_to(run): p.read_bytes() for p in sorted((run / "curate").rglob("*")) if p.is_file()}

    direct, dask = files(tmp_path / "direct"), files(tmp_path / "dask")
    assert any(p.match("curated/c4/part-*.parquet") for p in direct)
    assert any(p.match("rejects/wikipedia/*/part-*.parquet") for p in direct)
    assert dask == direct


def test_models_stage_trains_the_commoncrawl_models_that_its_curation_uses(tmp_path):
    # The bundled curation config names models/lm/en and models/classifier/en.bin, which do not exist: the run
    # trains its own into RUN/models and curates commoncrawl with those.
    config = write_config(tmp_path / "cfg", sources={"commoncrawl": 50, "wikipedia": 50}, docs=80,
                          models={"lang": "en", "vocab_size": 400})
    run = tmp_path / "run"
    cli("run", "--config", config, "--out", run, "--only", "samples")
    out = cli("run", "--config", config, "--out", run, "--only", "models")
    assert "== models: finished" in out and "classifier of" in out
    models = outputs(run)["models"]
    assert {"models/lm/en/sp.model", "models/lm/en/lm.arpa", "models/lm/en/cutoffs.json",
            "models/classifier/en.bin"} <= set(models)
    cut = json.loads((run / "models" / "lm" / "en" / "cutoffs.json").read_text())
    assert 0 < cut["head"] < cut["middle"]

    out = cli("run", "--config", config, "--out", run, "--only", "curate.commoncrawl")
    assert "== curate.commoncrawl: finished" in out and "perplexity" in out
    rows = [from_row(r) for r in pq.read_table(run / "curate" / "curated" / "commoncrawl").to_pylist()]
    assert rows
    for row in rows:
        meta = row["meta"]
        assert meta["bucket"] in ("head", "middle") and meta["perplexity"] < cut["middle"]
        assert meta["wiki_prob"] >= 0.25

    out = cli("run", "--config", config, "--out", run, "--only", "models")
    assert "== models: done, skipped" in out and outputs(run)["models"] == models


def test_config_mistakes_exit_2_naming_key_and_file(tmp_path):
    config = write_config(tmp_path / "cfg")
    raw = yaml.safe_load(config.read_text())
    bad = tmp_path / "cfg" / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw | {"beam": {"runner": "spork"}}))
    out = cli("run", "--config", bad, "--out", tmp_path / "run", code=2)
    assert "'beam.runner' must be one of direct, dask, flink, spark, dataflow" in out and str(bad) in out
    bad.write_text(yaml.safe_dump(raw | {"sources": {"c4": None}}))
    out = cli("run", "--config", bad, "--out", tmp_path / "run", code=2)
    assert "'sources' lacks 'wikipedia'" in out and str(bad) in out
    bad.write_text(yaml.safe_dump(raw | {"models": {"lang": "en"}}))
    out = cli("run", "--config", bad, "--out", tmp_path / "run", code=2)
    assert "'models' trains the commoncrawl models: needs sources.commoncrawl" in out
    out = cli("run", "--config", config, "--out", tmp_path / "run", "--only", "mix", code=2)
    assert "needs 'encode', which has not finished" in out
    assert not (tmp_path / "run" / ".done").exists()


PLANTED = [
    {"url": "https://blog.example.com/contact", "timestamp": "2019-04-25T12:57:54Z", "text": "\n".join([
        "We answer every letter that readers send to the editorial team.",
        "Write to jane.doe@mail.example-uni.edu if you want a copy of the full report.",
        "The archive server at 163.36.107.25 keeps every issue since the first one.",
        "Our volunteers check each article twice before it goes online.",
        "The next issue will cover the history of the local railway station.",
        "Thank you for reading and for sending us your questions."])},
    {"url": "https://www.casino-bonus.test/win", "timestamp": "2019-04-25T12:57:54Z",
     "text": "Spin the wheel today and collect your bonus before midnight."},
]


def test_url_blocklist_pii_and_decontamination_in_a_run_and_its_report(tmp_path, samples_dir):
    import gzip
    import shutil

    inputs = tmp_path / "inputs"
    shutil.copytree(samples_dir / "c4", inputs / "c4")
    with gzip.open(inputs / "c4" / "planted.json.gz", "wt") as f:
        f.writelines(json.dumps(page) + "\n" for page in PLANTED)
    curation = yaml.safe_load((CONFIGS / "curation.yaml").read_text())
    curation["filters"]["url_blocklist"]["file"] = str(CONFIGS / "url_blocklist.txt")
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "curation.yaml").write_text(yaml.safe_dump(curation))
    config = write_config(tmp_path / "cfg", inputs, sources={"c4": 100}, curation="curation.yaml")
    run = tmp_path / "run"
    cli("run", "--config", config, "--out", run)
    stats = json.loads((run / "curate" / "stats.json").read_text())["c4"]
    assert stats["dropped"]["url_blocklist"] == 1 and stats["pii"] == {"documents": 1, "emails": 1, "ips": 1}
    [blocked] = pq.read_table(run / "curate" / "rejects" / "c4" / "url_blocklist").to_pylist()
    assert blocked["url"] == PLANTED[1]["url"] and from_row(blocked)["meta"]["blocked_by"] == "casino-bonus.test"
    kept = {r["url"]: r for r in map(from_row, pq.read_table(run / "dedup" / "curated" / "c4").to_pylist())}
    contact = kept[PLANTED[0]["url"]]
    assert "email@example.com" in contact["text"] and "192.0.2.1" in contact["text"]
    assert "jane.doe" not in contact["text"] and contact["meta"]["pii"] == {"emails": 1, "ips": 1}

    # A benchmark that copied a passage of one kept page: the decontaminate stage removes that page only.
    victim = sorted(kept.values(), key=lambda d: d["id"])[0]
    (tmp_path / "cfg" / "evals.jsonl").write_text(json.dumps({"question": " ".join(victim["text"].split()[:30])}))
    (tmp_path / "cfg" / "decontaminate.yaml").write_text("benchmarks: {quiz: evals.jsonl}\n")
    config = write_config(tmp_path / "cfg", inputs, sources={"c4": 100}, curation="curation.yaml",
                          decontaminate="decontaminate.yaml")
    out = cli("run", "--config", config, "--out", run)
    assert "== decontaminate: running" in out and "== dedup: done, skipped" in out
    [dropped] = pq.read_table(run / "decontaminate" / "rejects" / "c4" / "contaminated").to_pylist()
    assert dropped["id"] == victim["id"] and from_row(dropped)["meta"]["benchmark"] == "quiz"
    manifest = json.loads((run / "encode" / "manifest.json").read_text())
    assert sum(p["documents"] for p in manifest["parts"]) == len(kept) - 1  # the tokens come from what is left
    report = cli("report", run)
    assert "pii scrubbed: c4 1 documents (1 e-mail, 1 IP addresses) (in c4)" in report
    assert f"after decontamination: {len(kept) - 1:,} kept (contaminated, by benchmark: quiz 1)" in report
