"""A run directory on object storage: curate, dedup and decontaminate with `--out s3://...` against a real
S3-compatible server (moto's, over HTTP on 127.0.0.1) write the same bytes as the same commands into a local
folder, and replace what an earlier run left there."""
import gzip
import json
import shutil

import boto3
import pytest
from apache_beam.io.filesystems import FileSystems
from click.testing import CliRunner
from moto.server import ThreadedMotoServer

from orchestration.cli import main

BUCKET = "llama-data-test"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@pytest.fixture
def s3(caplog):
    """A bucket on a fresh S3-compatible server: (a boto3 client, the Beam options that reach the server)."""
    caplog.set_level("WARNING", logger="werkzeug")  # not a log line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, **KEYS)
    client.create_bucket(Bucket=BUCKET)
    yield client, [f"--s3_endpoint_url={endpoint}", "--s3_access_key_id=testing", "--s3_secret_access_key=testing",
                   "--s3_region_name=us-east-1"]
    FileSystems.set_options(None)  # not this server's endpoint for whatever runs next in this process
    server.stop()


def _upload(client, folder, prefix: str) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), BUCKET, f"{prefix}/{path.relative_to(folder).as_posix()}")


def _objects(client, prefix: str) -> dict[str, bytes]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix + "/")
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    return {k.removeprefix(prefix + "/"): client.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys}


def _files(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _commands(source_dir: str, run: str, benchmark: str, beam_args: list[str]):
    return [["curate", "--source", "c4", "--input", source_dir, "--out", run, *beam_args],
            ["dedup", "--out", run, *beam_args],
            ["decontaminate", "--out", run, "--benchmark", f"trivia={benchmark}", *beam_args]]


def _run(args: list[str]) -> str:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_run_on_s3_writes_the_bytes_of_a_local_run_and_replaces_an_earlier_one(tmp_path, samples_dir, s3):
    client, endpoint_args = s3
    inputs = tmp_path / "in"
    shutil.copytree(samples_dir / "c4", inputs / "c4")
    with gzip.open(inputs / "c4" / "c4-sample.01.json.gz", "rt") as f:
        pages = [json.loads(line) for line in f]
    with gzip.open(inputs / "c4" / "c4-sample.04.json.gz", "wt") as f:  # new text at the same URLs, for dedup
        f.writelines(json.dumps({**page, "text": page["text"] + "\nThis page was copied to a second site."}) + "\n"
                     for page in pages)
    passage = " ".join(pages[0]["text"].split()[:20])  # of a kept page (tests/test_c4.py)
    (inputs / "trivia.jsonl").write_text(json.dumps({"question": passage}) + "\n")

    local = tmp_path / "run"
    for args in _commands(str(inputs / "c4"), str(local), str(inputs / "trivia.jsonl"), []):
        _run(args)

    _upload(client, inputs, "in")
    earlier = ["curate/curated/c4/part-00001-of-00002.parquet", "curate/rejects/c4/too_few_sentences/x.parquet",
               "curate/.tmp/c4/spill.arrow", "curate/stats/c4.json", "dedup/rejects/c4/url_duplicate/x.parquet",
               "decontaminate/curated/c4/part-00001-of-00002.parquet"]  # what an earlier run with 2 shards left
    for key in earlier:
        client.put_object(Bucket=BUCKET, Key=f"run/{key}", Body=b"stale")
    run = f"s3://{BUCKET}/run"
    outputs = [_run(args) for args in _commands(f"s3://{BUCKET}/in/c4", run, f"s3://{BUCKET}/in/trivia.jsonl",
                                                endpoint_args)]
    assert f"-> {run}/dedup/curated/" in outputs[1]

    remote, expected = _objects(client, "run"), _files(local)
    assert sorted(remote) == sorted(expected)  # the earlier run's files are gone, no spill file is left
    assert {"curate/curated/c4/part-00000-of-00001.parquet", "dedup/stats.json",
            "decontaminate/rejects/c4/contaminated/part-00000-of-00001.parquet"} <= set(remote)
    assert [key for key in remote if remote[key] != expected[key]] == []
    curated = json.loads(remote["curate/stats.json"])["c4"]
    assert (curated["files"], curated["read"], curated["kept"]) == (4, 40, 33)
    deduped = json.loads(remote["dedup/stats.json"])["sources"]["c4"]
    assert (deduped["read"], deduped["kept"], deduped["dropped"]) == (33, 24, {"url_duplicate": 9})
    decontaminated = json.loads(remote["decontaminate/stats.json"])
    assert decontaminated["benchmarks"]["trivia"]["contaminated"] == 1
