"""The Beam jobs on a local Dask cluster of worker processes, against the DirectRunner: damaged input is counted
under the same reasons, and a worker killed with SIGKILL in the middle of a job loses and duplicates nothing.
Both compare every output file byte for byte with the DirectRunner's (docs/RELIABILITY.md, "A Dask worker dies")."""
import os
import shutil
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from random import Random

import dask
import pytest
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from curation.schema import DOC_SCHEMA, make_doc, to_row
from orchestration.curate import run_curation
from orchestration.dedup import run_dedup
from samples.make import make_samples
import faults

DASK = "--runner=orchestration.runners.DaskRunner"


def local_cluster():
    from dask.distributed import LocalCluster

    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")


def files(folder: Path) -> dict:
    """Every file under `folder` (relative path -> bytes)."""
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_damaged_input_on_dask_gives_the_direct_runners_reasons_counts_and_bytes(tmp_path):
    make_samples(tmp_path / "intact", docs=8, seed=0)
    make_samples(tmp_path / "templates", docs=8, seed=1)
    config = tmp_path / "curation.yaml"
    config.write_text(yaml.safe_dump({"limits": faults.LIMITS}))
    inputs = tmp_path / "input"
    shutil.copytree(tmp_path / "intact" / "c4", inputs)
    injected = faults.faults("c4", tmp_path / "templates" / "c4", Random("cluster/c4"))
    faults.write(injected, inputs)

    direct = run_curation("c4", str(inputs), tmp_path / "direct", config)
    with local_cluster() as cluster:
        on_dask = run_curation("c4", str(inputs), tmp_path / "dask", config,
                               beam_args=(DASK, f"--dask_client_address={cluster.scheduler_address}"))
    assert on_dask == direct
    for reason in {f.reason for f in injected}:  # each kind of damage counted under its reason
        assert direct["dropped"][reason] >= sum(f.reason == reason for f in injected), reason
    assert direct["kept"] > 0 and direct["files"] == len(list(inputs.iterdir()))
    written = files(tmp_path / "direct")
    assert files(tmp_path / "dask") == written
    assert {p.parts[:3] for p in written if p.parts[0] == "rejects"} >= {
        ("rejects", "c4", reason) for reason in ("read_error", "bad_json", "too_large", "decompression_limit",
                                                  "no_documents")}


def write_corpus(folder: Path, n_files: int, per_file: int, seed: int = 0) -> list[str]:
    """`n_files` Parquet files of synthetic documents (two sources); after the first file, every tenth document
    is an exact copy (case and spacing changed) and every tenth a near copy (5 words replaced) of an earlier
    one. Returns the documents' ids."""
    rng = Random(seed)
    vocab = [f"w{i}" for i in range(5000)]
    texts, ids = [], []
    for f in range(n_files):
        source = ("c4", "commoncrawl")[f % 2]
        docs = []
        for i in range(per_file):
            name = f"{f}-{i}"
            if f and i % 10 == 0:
                text = rng.choice(texts).upper().replace(" ", "  ")
            elif f and i % 10 == 5:
                words = rng.choice(texts).split()
                at = rng.randrange(len(words) - 5)
                text = " ".join(words[:at] + [f"x{name}-{k}" for k in range(5)] + words[at + 5:])
            else:
                text = " ".join(rng.choice(vocab) for _ in range(120))
                texts.append(text)
            docs.append(make_doc(source, name, text, f"https://{name}.example/"))
        path = folder / source / f"part-{f:05d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist([to_row(d) for d in docs], schema=DOC_SCHEMA), path)
        ids += [d["id"] for d in docs]
    return ids


def _snapshot(dask_scheduler):
    """On the scheduler: task states counted, and per worker its pid, the tasks it runs and how many it holds."""
    states = Counter(ts.state for ts in dask_scheduler.tasks.values())
    workers = {ws.address: (ws.pid, [ts.key for ts in ws.processing], len(ws.has_what))
               for ws in dask_scheduler.workers.values()}
    return states, workers


def _recomputed(dask_scheduler, keys, since: float):
    """Which of `keys` the scheduler computed again after `since`."""
    return {t.key for t in dask_scheduler.transition_log if t.finish == "memory" and t.timestamp > since} & set(keys)


class Killer(threading.Thread):
    """Watches the job and SIGKILLs a worker process once a file matching `pattern` exists under `folder` (the
    step that writes it is under way) while tasks are still to run, the victim running a task and holding
    results."""

    def __init__(self, client, folder: Path, pattern: str):
        super().__init__(daemon=True)
        self.client, self.folder, self.pattern = client, folder, pattern
        self.stop, self.killed = threading.Event(), None

    def run(self):
        while not self.stop.is_set():
            seen = sorted(str(p.relative_to(self.folder)) for p in self.folder.glob(self.pattern))
            states, workers = self.client.run_on_scheduler(_snapshot)
            pending = sum(states[s] for s in ("waiting", "queued", "processing", "no-worker"))
            busy = [(pid, running, held) for pid, running, held in workers.values() if running and held]
            if seen and pending >= 3 and busy:
                pid, running, held = busy[0]
                os.kill(pid, signal.SIGKILL)
                self.killed = {"pid": pid, "running": running, "held": held, "pending": pending, "seen": seen}
                return
            time.sleep(0.02)


def read_ids(folder: Path) -> list[str]:
    return [i for p in sorted(folder.rglob("*.parquet")) for i in pq.read_table(p, columns=["id"])["id"].to_pylist()]


@pytest.mark.parametrize("pattern", [".tmp/dedup/*.arrow", "*/*/*.parquet*"], ids=["spilling", "merging"])
def test_a_worker_killed_mid_job_loses_and_duplicates_no_document(tmp_path, pattern):
    """Killed once the writer's first spill file exists, or once its first shard (temporary or renamed) does."""
    from dask.distributed import Client

    ids = write_corpus(tmp_path / "curated", n_files=4, per_file=200)
    direct = run_dedup(str(tmp_path), tmp_path / "direct")
    # A transition log long enough to tell what was computed again; the nanny starts a worker for the killed one.
    with dask.config.set({"distributed.admin.low-level-log-length": 1_000_000}), local_cluster() as cluster, \
            Client(cluster.scheduler_address, set_as_default=False) as monitor:
        before = set(monitor.run(os.getpid).values())
        killer = Killer(monitor, tmp_path / "dask", pattern)
        killer.start()
        try:  # two partitions per step: a few hundred tasks, not thousands
            on_dask = run_dedup(str(tmp_path), tmp_path / "dask",
                                beam_args=(DASK, f"--dask_client_address={cluster.scheduler_address}",
                                           "--dask_npartitions=2"))
        finally:
            killer.stop.set()
            killer.join()
        assert killer.killed, "the job finished before a worker could be killed: make the corpus bigger"
        assert killer.killed["pid"] in before
        [(when, removed)] = [(t, e) for t, e in monitor.get_events("all") if e.get("action") == "remove-worker"]
        lost = set(removed["processing-tasks"]) | set(removed["lost-computed-tasks"])
        recomputed = monitor.run_on_scheduler(_recomputed, keys=list(lost), since=when)
    assert not removed["expected"] and lost and recomputed == lost, killer.killed  # what it ran and held: again

    assert on_dask == direct
    assert files(tmp_path / "dask") == files(tmp_path / "direct")
    out = read_ids(tmp_path / "dask" / "curated") + read_ids(tmp_path / "dask" / "rejects")
    assert sorted(out) == sorted(ids)  # every document once: kept or dropped
    dropped = Counter()
    for source in direct["sources"].values():
        dropped.update(source["dropped"])
    assert dropped["exact_duplicate"] >= 40 and dropped["near_duplicate"] >= 40
    assert not list((tmp_path / "dask").rglob("*.arrow"))  # no spill file left, not even the killed task's


class _Logged(__import__("apache_beam").DoFn):
    """Appends '<name> <element>' to a log file as it processes each element, and passes on `fanout` copies."""

    def __init__(self, name: str, log: str, fanout: int):
        self.name, self.log, self.fanout = name, log, fanout

    def process(self, element):
        for i in range(self.fanout):
            with open(self.log, "a") as f:
                f.write(f"{self.name} {element}.{i}\n")
            yield f"{element}.{i}"


def test_a_step_hands_on_what_each_element_gave_to_the_next_step_of_its_task(tmp_path):
    """Create -> Expand -> Mid -> Read is one fused task: Read gets what Mid made of each element before Mid
    takes the next one (the log interleaves), not Mid's whole output after it (dedup's Apply hands each file's
    documents to the writer's spill, and a task never holds its group of files' documents)."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions
    from dask.distributed import LocalCluster

    log = str(tmp_path / "log")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        options = PipelineOptions([DASK, f"--dask_client_address={cluster.scheduler_address}"])
        with beam.Pipeline(options=options) as p:
            _ = (p | beam.Create(["a"]) | "Expand" >> beam.ParDo(_Logged("expand", log, 3))
                 | "Mid" >> beam.ParDo(_Logged("mid", log, 1)) | "Read" >> beam.ParDo(_Logged("read", log, 1)))
    assert Path(log).read_text().splitlines() == [
        "expand a.0", "expand a.1", "expand a.2",  # one input element: its outputs come together
        "mid a.0.0", "read a.0.0.0", "mid a.1.0", "read a.1.0.0", "mid a.2.0", "read a.2.0.0"]
