"""The mix realises the configured shares, repeats small sources, packs exact rows and is byte-for-byte reproducible."""
import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pytest
import yaml
from click.testing import CliRunner

from curation.schema import SOURCES
from orchestration.mix import mix
from test_tokenizer import train_cli, write_curated
from tokenizer.train import BOS_ID, EOS_ID, load

SEQ_LEN = 64
PAPER_WEIGHTS = {"commoncrawl": 67, "c4": 15, "github": 4.5, "wikipedia": 4.5, "books": 4.5, "arxiv": 2.5,
                 "stackexchange": 2}
BUDGET = 60_000  # books (10 documents, ~1.3k tokens) is below its 4.5% target; the others are above theirs


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A run with curated documents and a trained tokenizer, and the set of its document texts."""
    run = tmp_path_factory.mktemp("run")
    texts = write_curated(run, {s: {"commoncrawl": 600, "books": 10}.get(s, 200) for s in SOURCES})
    assert train_cli(run, "--vocab-size", "500").exit_code == 0
    return run, {t for ts in texts.values() for t in ts}


@pytest.fixture(scope="module")
def run(corpus):
    return corpus[0]


def write_config(folder: Path, **fields) -> Path:
    path = folder / "mix.yaml"
    path.write_text(yaml.safe_dump({"weights": PAPER_WEIGHTS, "tokens": BUDGET, "seq_len": SEQ_LEN, "seed": 0,
                                    "shard_rows": 100, "eval_fraction": 0.01, **fields}))
    return path


def run_mix(run: Path, out: Path, config: Path):
    return CliRunner().invoke(mix, ["--weights", str(config), "--run", str(run), "--out", str(out)])


@pytest.fixture(scope="module")
def mixed(run, tmp_path_factory):
    out = tmp_path_factory.mktemp("mixed")
    result = run_mix(run, out, write_config(tmp_path_factory.mktemp("config")))
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "manifest.json").read_text())


def read_rows(path: Path):
    return pa.ipc.open_file(pa.memory_map(str(path))).read_all().column("tokens")


def test_realised_shares_match_targets(mixed):
    out, manifest = mixed
    row_len = SEQ_LEN + 1
    total_rows = sum(r["tokens"] for r in manifest["realised"].values()) // row_len
    for source, weight in PAPER_WEIGHTS.items():
        r = manifest["realised"][source]
        target = weight / sum(PAPER_WEIGHTS.values())
        assert r["tokens"] == round(target * BUDGET / row_len) * row_len  # each source gets whole rows
        # Rounding each of the 7 sources to whole rows moves its count by <= 0.5 rows and the total by <= 3.5 rows,
        # so |rows_s - target * total_rows| <= 0.5 + 3.5 * target <= 4 rows.
        assert abs(r["share"] - target) <= 4 / total_rows + 1e-6
        assert r["target_share"] == pytest.approx(target)


def test_small_source_is_repeated_and_large_ones_subsampled(mixed):
    realised = mixed[1]["realised"]
    books = realised["books"]
    assert books["available_tokens"] < books["tokens"] and books["documents"] > books["available_documents"] == 10
    assert books["epochs"] == pytest.approx(books["tokens"] / books["available_tokens"], abs=1e-4) and books["epochs"] > 1
    assert realised["commoncrawl"]["epochs"] < 1 and realised["commoncrawl"]["documents"] < 600


def test_shards_are_fixed_length_uint16_rows_of_whole_documents(corpus, mixed):
    (run, texts), (out, manifest) = corpus, mixed
    sp = load(run)
    assert manifest["dtype"] == "uint16" and manifest["vocab_size"] == 500 and manifest["seq_len"] == SEQ_LEN
    all_shards = manifest["shards"] + manifest["eval_shards"]
    assert len(manifest["eval_shards"]) == 1 and manifest["eval_shards"][0]["rows"] >= 1
    assert sum(s["rows"] for s in all_shards) * (SEQ_LEN + 1) == sum(r["tokens"] for r in manifest["realised"].values())
    for shard in all_shards:
        column = read_rows(out / shard["path"])
        assert column.type == pa.list_(pa.uint16(), SEQ_LEN + 1)
        assert len(column) == shard["rows"] <= 100
        assert sum(shard["sources"].values()) == shard["rows"] * (SEQ_LEN + 1)
    rows = read_rows(out / "shard-00000.arrow").to_pylist()
    whole = 0
    for row in rows:  # every bos ... eos span inside a row decodes to one of the curated documents
        starts = [i for i, t in enumerate(row) if t == BOS_ID]
        for i, j in zip(starts, starts[1:]):
            assert row[j - 1] == EOS_ID and sp.decode(row[i + 1:j - 1]) in texts
            whole += 1
    assert whole > 0


def test_manifest_checksums_match_files_and_nothing_else_is_left(run, mixed):
    out, manifest = mixed
    listed = {s["path"]: s["sha256"] for s in manifest["shards"] + manifest["eval_shards"]}
    assert {p.name for p in out.iterdir()} == set(listed) | {"manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    tokenizer_model = (run / "tokenizer" / "tokenizer.model").read_bytes()
    assert manifest["tokenizer_sha256"] == hashlib.sha256(tokenizer_model).hexdigest()


def test_same_seed_is_byte_identical_and_other_seed_differs(run, mixed, tmp_path):
    out, _ = mixed
    assert run_mix(run, tmp_path / "same", write_config(tmp_path)).exit_code == 0
    for f in out.iterdir():
        assert (tmp_path / "same" / f.name).read_bytes() == f.read_bytes(), f.name
    assert run_mix(run, tmp_path / "other", write_config(tmp_path, seed=1)).exit_code == 0
    assert (tmp_path / "other" / "shard-00000.arrow").read_bytes() != (out / "shard-00000.arrow").read_bytes()


def test_rerun_with_a_smaller_budget_removes_stale_shards(run, tmp_path):
    assert run_mix(run, tmp_path / "out", write_config(tmp_path)).exit_code == 0
    assert run_mix(run, tmp_path / "out", write_config(tmp_path, tokens=BUDGET // 4)).exit_code == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    listed = {s["path"] for s in manifest["shards"] + manifest["eval_shards"]}
    assert {p.name for p in (tmp_path / "out").iterdir()} == listed | {"manifest.json"}


@pytest.mark.parametrize("fields, key", [({"shuffle": True}, "shuffle"),
                                         ({"weights": {"c4": 1, "reddit": 1}}, "weights.reddit"),
                                         ({"weights": {"c4": -1}}, "weights.c4"),
                                         ({"seq_len": 0}, "seq_len"),
                                         ({"eval_fraction": 1.5}, "eval_fraction"),
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
