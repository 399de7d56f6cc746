"""The mix plans like the paper's Table 1, draws whole documents (repeats and a seeded fractional epoch), shuffles
them across sources, packs exact rows, and writes shards that pyarrow and Hugging Face datasets load; its Beam jobs
write the single-process mix's bytes, on the DirectRunner and on a Dask cluster."""
import hashlib
import json
import math
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from curation.schema import DOC_SCHEMA, SOURCES, make_doc, to_row
from llama_data.config import CONFIGS
from orchestration.tokens_cli import mix, tokenizer
from test_tokenizer import train_cli, write_curated
from tokens.tokenizer import BOS_ID, EOS_ID, load

SEQ_LEN = 64
PAPER_WEIGHTS = {"commoncrawl": 67, "c4": 15, "github": 4.5, "wikipedia": 4.5, "books": 4.5, "arxiv": 2.5,
                 "stackexchange": 2}
BUDGET = 60_000  # books (10 documents, ~2k tokens) is below its 4.5% target; the others are above theirs


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A run with curated documents and a trained tokenizer, and each source's document texts."""
    run = tmp_path_factory.mktemp("run")
    texts = write_curated(run, {s: {"commoncrawl": 600, "books": 10}.get(s, 200) for s in SOURCES})
    assert train_cli(run, "--vocab-size", "500").exit_code == 0
    assert encode_cli(run).exit_code == 0
    return run, texts


@pytest.fixture(scope="module")
def run(corpus):
    return corpus[0]


def write_config(folder: Path, **fields) -> Path:
    path = folder / "mix.yaml"
    path.write_text(yaml.safe_dump({"weights": PAPER_WEIGHTS, "tokens": BUDGET, "seq_len": SEQ_LEN, "seed": 0,
                                    "shard_rows": 100, "eval_fraction": 0.01, **fields}))
    return path


def encode_cli(run: Path):
    return CliRunner().invoke(tokenizer, ["encode", "--run", str(run)])


def run_mix(run: Path, out: Path, config: Path, *args):
    return CliRunner().invoke(mix, ["--weights", str(config), "--run", str(run), "--out", str(out), *args])


@pytest.fixture(scope="module")
def mixed(run, tmp_path_factory):
    out = tmp_path_factory.mktemp("mixed")
    result = run_mix(run, out, write_config(tmp_path_factory.mktemp("config")))
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "manifest.json").read_text())


def read_rows(path: Path):
    return pa.ipc.open_stream(pa.memory_map(str(path))).read_all().column("tokens")


def documents(out: Path, shards: list[dict], sp) -> list[str]:
    """The texts of the whole `bos ids eos` documents in the shards, in stream order."""
    flat = np.concatenate([read_rows(out / s["path"]).combine_chunks().flatten().to_numpy() for s in shards])
    starts, ends = np.flatnonzero(flat == BOS_ID), np.flatnonzero(flat == EOS_ID)
    return [sp.decode(flat[b + 1:e].tolist()) for b, e in zip(starts, ends)]


def source_of(texts: dict[str, list[str]]) -> dict[str, str]:
    return {t: s for s, ts in texts.items() for t in ts}


def test_demo_mix_meets_its_proportions_within_one_percent(corpus, tmp_path):
    run, texts = corpus
    demo = yaml.safe_load((CONFIGS / "mix.demo.yaml").read_text())
    result = run_mix(run, tmp_path / "out", CONFIGS / "mix.demo.yaml")
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    total = sum(s["rows"] for s in manifest["shards"]) * (demo["seq_len"] + 1)
    assert total == sum(r["tokens"] for r in manifest["realised"].values())
    assert demo["tokens"] - (demo["seq_len"] + 1) - 2000 < total <= demo["tokens"] + 2000
    sp = load(run)
    for source, weight in demo["weights"].items():
        r = manifest["realised"][source]
        assert abs(r["share"] - weight / 100) <= 0.01, source
        longest = max(len(sp.encode(t)) + 2 for t in texts[source])  # whole documents: off by at most about one
        assert abs(r["tokens"] - r["target_tokens"]) <= longest + demo["seq_len"] + 1, source
    assert "books" in result.output and "epochs" in result.output  # the plan and the summary were printed


def test_documents_are_whole_and_used_full_epochs_or_one_more(corpus, mixed):
    (run, texts), (out, manifest) = corpus, mixed
    owner = source_of(texts)
    used = Counter(documents(out, manifest["shards"], load(run)))
    assert set(used) <= set(owner)  # every bos..eos span is a whole curated document
    held = set(documents(out, manifest["eval_shards"], load(run)))
    for source, r in manifest["realised"].items():
        full = math.floor(r["planned_epochs"])
        counts = [used[t] for t in texts[source] if t not in held]
        assert set(counts) <= {full, full + 1}, (source, Counter(counts))
        assert sum(counts) in (r["documents"], r["documents"] - 1)  # the dropped tail may cut one copy
    books = manifest["realised"]["books"]
    assert books["epochs"] > 1 and math.floor(books["planned_epochs"]) >= 1
    assert manifest["realised"]["commoncrawl"]["epochs"] < 1


def test_eval_documents_are_held_out_of_training(corpus, mixed):
    (run, texts), (out, manifest) = corpus, mixed
    sp = load(run)
    held, trained = documents(out, manifest["eval_shards"], sp), set(documents(out, manifest["shards"], sp))
    assert held and not set(held) & trained
    assert len(held) <= sum(r["eval_documents"] for r in manifest["realised"].values())
    assert set(held) <= set(source_of(texts))


def test_documents_are_shuffled_across_sources(corpus, mixed):
    (run, texts), (out, manifest) = corpus, mixed
    owner = source_of(texts)
    order = [owner[t] for t in documents(out, manifest["shards"], load(run))]
    assert len(set(order[:30])) >= 3  # not one source after another
    runs_of_same_source = sum(a != b for a, b in zip(order, order[1:]))
    assert runs_of_same_source > len(order) / 3
    for shard in manifest["shards"]:
        assert sum(shard["sources"].values()) == shard["rows"] * (SEQ_LEN + 1) and len(shard["sources"]) >= 2


def test_shards_memory_map_without_copying_and_load_in_hf_datasets(corpus, mixed):
    import datasets

    (run, texts), (out, manifest) = corpus, mixed
    first = out / manifest["shards"][0]["path"]
    before = pa.total_allocated_bytes()
    column = read_rows(first)
    rows = column.chunk(0).flatten().to_numpy(zero_copy_only=True).reshape(-1, SEQ_LEN + 1)
    assert pa.total_allocated_bytes() == before  # a view of the mapped file
    assert column.type == pa.list_(pa.uint16(), SEQ_LEN + 1) and len(rows) == manifest["shards"][0]["rows"]
    assert manifest["dtype"] == "uint16" and manifest["vocab_size"] == 500 and manifest["seq_len"] == SEQ_LEN

    ds = datasets.Dataset.from_file(str(first))
    assert len(ds) == len(rows) and ds.column_names == ["tokens"]
    assert ds[3]["tokens"] == rows[3].tolist()
    flat = [t for row in ds["tokens"] for t in row]
    sp, owner = load(run), source_of(texts)
    bos = flat.index(BOS_ID)
    text = sp.decode(flat[bos + 1:flat.index(EOS_ID, bos)])
    assert text in owner  # the tokens decode back to a curated document


def test_manifest_lists_checksums_plan_and_provenance(run, mixed):
    out, manifest = mixed
    listed = {s["path"]: s["sha256"] for s in manifest["shards"] + manifest["eval_shards"]}
    assert {p.name for p in out.iterdir()} == set(listed) | {"manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    tokenizer_model = (run / "tokenizer" / "tokenizer.model").read_bytes()
    assert manifest["tokenizer_sha256"] == hashlib.sha256(tokenizer_model).hexdigest()
    assert manifest["seed"] == 0 and list(manifest["plan"]) == list(PAPER_WEIGHTS)
    books = manifest["plan"]["books"]
    assert books["target"] == round(4.5 / 100 * BUDGET) and books["epochs"] == pytest.approx(books["target"] / books["available"])
    assert all(s["rows"] <= 100 for s in manifest["shards"])


def test_same_seed_is_byte_identical_and_other_seed_differs(run, mixed, tmp_path):
    out, _ = mixed
    assert run_mix(run, tmp_path / "same", write_config(tmp_path)).exit_code == 0
    for f in out.iterdir():
        assert (tmp_path / "same" / f.name).read_bytes() == f.read_bytes(), f.name
    assert run_mix(run, tmp_path / "other", write_config(tmp_path, seed=1)).exit_code == 0
    assert (tmp_path / "other" / "shard-00000.arrow").read_bytes() != (out / "shard-00000.arrow").read_bytes()


def test_many_shuffle_buckets_change_the_order_not_the_draw(run, mixed, tmp_path):
    out, manifest = mixed
    assert run_mix(run, tmp_path / "out", write_config(tmp_path, shuffle_bucket_tokens=5000)).exit_code == 0
    small = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert small["shuffle_buckets"] == 12 and manifest["shuffle_buckets"] == 1
    sp = load(run)
    one, many = documents(out, manifest["shards"], sp), documents(tmp_path / "out", small["shards"], sp)
    assert one != many and abs(len(one) - len(many)) <= 1
    assert sum((Counter(one) - Counter(many)).values()) <= 1  # the same copies, up to the one cut at the end


# manifest.json (which lists every shard's sha256) of the single-process mix that the Beam jobs replaced, on the
# `corpus` fixture: the Beam mix writes the same bytes. A change here changes every mix's output, so be deliberate.
SINGLE_PROCESS = {
    "one bucket": ({}, "125c5cfa597d021ebf363784f591fc878947d2c8980ca16b2563d088e96f8a31"),
    "shards span buckets": ({"shuffle_bucket_tokens": 5000},
                            "60ca6d4e225ab0bf52549e9b1178dd34e5669abde244b64d18439c36afd75af3"),
    "buckets span shards": ({"shuffle_bucket_tokens": 700, "shard_rows": 7},
                            "faf64e4e82c34b6f5b5447552851851078baeb8e46ec5865f3527300a92054d1"),
    "no eval, seed 3": ({"eval_fraction": 0.0, "seed": 3, "shuffle_bucket_tokens": 9000},
                        "a93715d609e34744a22070f04e1764a8c6dd0ff15f28b7a1ea1a647d3151a3a6"),
}


@pytest.mark.parametrize("name", SINGLE_PROCESS)
def test_beam_mix_writes_the_bytes_of_the_single_process_mix(run, tmp_path, name):
    fields, digest = SINGLE_PROCESS[name]
    result = run_mix(run, tmp_path / "out", write_config(tmp_path, **fields))
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert hashlib.sha256((tmp_path / "out" / "manifest.json").read_bytes()).hexdigest() == digest
    for shard in manifest["shards"] + manifest["eval_shards"]:
        assert hashlib.sha256((tmp_path / "out" / shard["path"]).read_bytes()).hexdigest() == shard["sha256"]
    listed = {s["path"] for s in manifest["shards"] + manifest["eval_shards"]}
    assert {p.name for p in (tmp_path / "out").iterdir()} == listed | {"manifest.json"}


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_encode_and_mix_on_a_local_dask_cluster_write_the_direct_runners_bytes(run, tmp_path):
    from dask.distributed import LocalCluster

    copy = tmp_path / "run"
    for folder in ("dedup", "tokenizer"):
        shutil.copytree(run / folder, copy / folder)
    config = write_config(tmp_path, **SINGLE_PROCESS["buckets span shards"][0])
    assert run_mix(run, tmp_path / "direct", config).exit_code == 0
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        dask = ["--runner=orchestration.runners.DaskRunner", f"--dask_client_address={cluster.scheduler_address}",
                "--dask_npartitions=4"]
        result = CliRunner().invoke(tokenizer, ["encode", "--run", str(copy), *dask])
        assert result.exit_code == 0, result.output
        result = run_mix(copy, tmp_path / "dask", config, *dask)
        assert result.exit_code == 0, result.output
    assert files(copy / "encode") == files(run / "encode")
    direct = files(tmp_path / "direct")
    assert len(direct) == 1 + 132 + 3 and files(tmp_path / "dask") == direct


def test_rerun_with_a_smaller_budget_removes_stale_shards(run, tmp_path):
    assert run_mix(run, tmp_path / "out", write_config(tmp_path)).exit_code == 0
    assert run_mix(run, tmp_path / "out", write_config(tmp_path, tokens=BUDGET // 4)).exit_code == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    listed = {s["path"] for s in manifest["shards"] + manifest["eval_shards"]}
    assert {p.name for p in (tmp_path / "out").iterdir()} == listed | {"manifest.json"}


def test_dry_run_of_the_paper_config_prints_table_1_without_data(tmp_path):
    result = CliRunner().invoke(mix, ["--weights", str(CONFIGS / "mix" / "llama-paper.yaml"), "--dry-run"])
    assert result.exit_code == 0, result.output
    epochs = {line.split()[0]: line.split()[-1] for line in result.output.splitlines()[2:-1]}
    assert epochs == {"commoncrawl": "1.10", "c4": "1.06", "github": "0.64", "wikipedia": "2.45", "books": "2.23",
                      "arxiv": "1.06", "stackexchange": "1.03"}
    assert "1.40T" in result.output


def test_dry_run_on_a_run_plans_from_its_encoded_tokens_and_writes_nothing(run, mixed, tmp_path):
    from tokens.parts import manifest, summarize

    books = summarize(manifest(run))["books"]
    config = write_config(tmp_path)
    result = CliRunner().invoke(mix, ["--weights", str(config), "--run", str(run), "--dry-run"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("books"))
    assert line.split()[-1] == f"{0.045 * BUDGET / (books['tokens'] + 2 * books['documents']):.2f}"
    assert not (run / "mix").exists()
    no_data = CliRunner().invoke(mix, ["--weights", str(config), "--dry-run"])
    assert no_data.exit_code == 2 and "available_tokens" in no_data.stderr


@pytest.mark.parametrize("fields, key", [({"shuffle": True}, "shuffle"),
                                         ({"weights": {"c4": 1, "reddit": 1}}, "weights.reddit"),
                                         ({"weights": {"c4": -1}}, "weights.c4"),
                                         ({"seq_len": 0}, "seq_len"),
                                         ({"eval_fraction": 1.5}, "eval_fraction"),
                                         ({"available_tokens": {"reddit": 5}}, "available_tokens.reddit"),
                                         ({"tokens": "many"}, "tokens")])
def test_bad_config_exits_2_names_key_and_file_and_writes_nothing(run, tmp_path, fields, key):
    config = write_config(tmp_path, **fields)
    result = run_mix(run, tmp_path / "out", config)
    assert result.exit_code == 2
    assert f"'{key}'" in result.stderr and str(config) in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_tokenizer_is_a_clear_error(tmp_path):
    write_curated(tmp_path, {s: 3 for s in SOURCES})
    result = run_mix(tmp_path, tmp_path / "out", write_config(tmp_path))
    assert result.exit_code == 1 and "no tokenizer at" in result.stderr and "tokenizer train" in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_curated_source_is_a_clear_error(run, tmp_path):
    (tmp_path / "tokenizer").mkdir()
    (tmp_path / "tokenizer" / "tokenizer.model").write_bytes((run / "tokenizer" / "tokenizer.model").read_bytes())
    write_curated(tmp_path, {s: 3 for s in SOURCES if s != "arxiv"})
    result = run_mix(tmp_path, tmp_path / "out", write_config(tmp_path))
    assert result.exit_code == 1 and "no curated documents for 'arxiv'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_or_stale_tokens_exit_2_naming_the_encode_command_and_the_mix_encodes_nothing(run, tmp_path):
    copy = tmp_path / "run"
    for folder in ("dedup", "tokenizer"):
        shutil.copytree(run / folder, copy / folder)
    config = write_config(tmp_path)
    result = run_mix(copy, tmp_path / "out", config)
    assert result.exit_code == 2 and f"run `llama-data tokenizer encode --run {copy}` first" in result.stderr
    assert not (copy / "encode").exists() and not (tmp_path / "out").exists()

    assert encode_cli(copy).exit_code == 0
    book = [to_row(make_doc("books", "new", "a new book"))]
    pq.write_table(pa.Table.from_pylist(book, schema=DOC_SCHEMA), copy / "dedup" / "curated" / "books" / "part-00009.parquet")
    result = run_mix(copy, tmp_path / "out", config)
    assert result.exit_code == 2 and "is missing or stale" in result.stderr and "tokenizer encode" in result.stderr
    assert not (tmp_path / "out").exists()
    assert encode_cli(copy).exit_code == 0 and run_mix(copy, tmp_path / "out", config).exit_code == 0


def test_the_trainer_reads_the_shards(mixed):
    from tokens.shards import TokenShards

    out, manifest = mixed
    train, held = TokenShards(out, "train"), TokenShards(out, "eval")
    assert len(train) == sum(s["rows"] for s in manifest["shards"]) and len(held) >= 1
    assert train[0].tolist() == read_rows(out / "shard-00000.arrow")[0].as_py()
