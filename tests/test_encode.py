"""The Beam encode stage writes, per curated part, exactly sentencepiece's ids of every document, and the mix can
tell when those tokens are stale."""
import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from curation.schema import DOC_SCHEMA, make_doc, to_row
from orchestration.tokens_cli import tokenizer
from pipelines.encode import run_encode
from test_tokenizer import write_curated
from tokens.parts import is_current, read_part, summarize
from tokens.tokenizer import load, model_path

# Texts where encoding line by line could differ from encoding whole: leading/trailing newlines and spaces,
# empty lines, spaces around newlines, a literal <s>, characters that fall back to bytes.
EDGE_TEXTS = ["\nstarts with a newline", "ends with newlines\n\n", "", "\n", " a  \n  b \n\n\n c",
              "<s> literal\n</s>", "🦙 \n数字 123\n\tTab", "one line only"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    write_curated(run, {"c4": 60, "books": 12, "github": 30})
    edge = [to_row(make_doc("c4", f"edge{i}", t)) for i, t in enumerate(EDGE_TEXTS)]
    pq.write_table(pa.Table.from_pylist(edge, schema=DOC_SCHEMA), run / "dedup" / "curated" / "c4" / "part-00002.parquet")
    weights = run / "mix.yaml"
    weights.write_text("weights: {c4: 1, github: 1, books: 1}\n")
    result = CliRunner().invoke(tokenizer, ["train", "--run", str(run), "--weights", str(weights), "--vocab-size", "400"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(tokenizer, ["encode", "--run", str(run)])
    assert result.exit_code == 0, result.output
    return run


def curated_texts(run, source):
    table = pq.read_table(run / "dedup" / "curated" / source)
    return dict(zip(table.column("id").to_pylist(), table.column("text").to_pylist()))


def test_each_part_holds_sentencepiece_ids_of_every_document(run):
    sp = load(run)
    manifest = json.loads((run / "encode" / "manifest.json").read_text())
    assert manifest["dtype"] == "uint16"
    assert sorted(p["path"] for p in manifest["parts"]) == sorted(
        [f"{s}/part-0000{k}.arrow" for s in ("c4", "books", "github") for k in range(2)] + ["c4/part-00002.arrow"])
    for source in ("c4", "books", "github"):
        texts = curated_texts(run, source)
        seen = {}
        for path in sorted((run / "encode" / source).glob("*.arrow")):
            table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
            assert table.schema.field("tokens").type == pa.list_(pa.uint16())
            seen.update(zip(table.column("id").to_pylist(), table.column("tokens").to_pylist()))
        assert seen.keys() == texts.keys()
        for doc_id, ids in seen.items():
            assert ids == sp.encode(texts[doc_id]), texts[doc_id][:40]
    edge_ids = {make_doc("c4", f"edge{i}", t)["id"]: t for i, t in enumerate(EDGE_TEXTS)}
    edge_part = pa.ipc.open_file(pa.memory_map(str(run / "encode" / "c4" / "part-00002.arrow"))).read_all()
    assert [sp.decode(ids) for ids in edge_part.column("tokens").to_pylist()] == \
           [edge_ids[i] for i in edge_part.column("id").to_pylist()]


def test_manifest_counts_match_the_files(run):
    manifest = json.loads((run / "encode" / "manifest.json").read_text())
    totals = summarize(manifest)
    assert list(totals) == ["c4", "github", "books"]  # source order
    assert totals["books"]["documents"] == 12 and totals["c4"]["documents"] == 60 + len(EDGE_TEXTS)
    for part in manifest["parts"]:
        batches = list(read_part(run / "encode" / part["path"]))
        assert part["documents"] == sum(len(id64) for id64, _, _ in batches)
        assert part["tokens"] == sum(int(offsets[-1] - offsets[0]) for _, offsets, _ in batches)
    assert totals["books"]["text_bytes"] == sum(len(t.encode()) for t in curated_texts(run, "books").values())


def test_tokens_are_stale_after_a_new_tokenizer_or_new_curated_data(run, tmp_path):
    model = model_path(run).read_bytes()
    assert is_current(run, ["c4", "books", "github"], model)
    assert not is_current(run, ["c4"], model + b"x")
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    extra = [to_row(make_doc("books", "new", "a new book"))]
    pq.write_table(pa.Table.from_pylist(extra, schema=DOC_SCHEMA), copy / "dedup" / "curated" / "books" / "part-00009.parquet")
    assert is_current(copy, ["c4", "github"], model) and not is_current(copy, ["books"], model)
    manifest = run_encode(copy, ["books"])
    assert is_current(copy, ["books"], model) and summarize(manifest)["books"]["documents"] == 13
