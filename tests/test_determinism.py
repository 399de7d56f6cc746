"""The same inputs give the same shard bytes across runs and across 1 and 2 DirectRunner worker processes (the
Dask runner's bytes are checked against the DirectRunner's in test_dedup.py and test_run.py)."""
import hashlib
from pathlib import Path

from orchestration.curate import run_curation
from samples.make import make_samples


def shard_digests(run: Path) -> dict:
    return {str(p.relative_to(run)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(run.rglob("*.parquet"))}


def test_two_worker_processes_write_the_bytes_of_one_worker(tmp_path):
    make_samples(tmp_path / "samples", docs=40, seed=3)
    source = str(tmp_path / "samples" / "wikipedia")
    one = run_curation("wikipedia", source, tmp_path / "one", num_shards=3)
    again = run_curation("wikipedia", source, tmp_path / "again", num_shards=3)
    two = run_curation("wikipedia", source, tmp_path / "two", num_shards=3, beam_args=(
        "--runner=DirectRunner", "--direct_num_workers=2", "--direct_running_mode=multi_processing"))
    assert one == again == two and one["kept"] > 0 and one["dropped"]
    digests = shard_digests(tmp_path / "one")
    assert len(digests) > 3
    assert digests == shard_digests(tmp_path / "again") == shard_digests(tmp_path / "two")
