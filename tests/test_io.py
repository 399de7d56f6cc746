from pipelines.io import expand_input, safe_reason, shard_of


def test_expand_input_lists_files_below_a_root_skipping_hidden_ones_under_it(tmp_path):
    root = tmp_path / ".cache" / "raw"  # a hidden folder above the input root is fine
    (root / "sub").mkdir(parents=True)
    for name in ("a.json.gz", "sub/b.json.gz", ".complete", "sub/.part.tmp"):
        (root / name).write_text("x")
    expected = [str(root / "a.json.gz"), str(root / "sub" / "b.json.gz")]
    assert expand_input(str(root)) == expected
    assert expand_input(str(root) + "/**.gz") == expected
    assert expand_input(str(root / "*.gz")) == expected[:1]
    assert expand_input(str(tmp_path / "missing*")) == []


def test_a_rerun_replaces_a_previous_runs_nested_outputs(tmp_path):
    from orchestration.curate import run_curation
    from pipelines.storage import remove_tree

    nested = tmp_path / "only" / "sub" / "folders"
    nested.mkdir(parents=True)
    remove_tree(str(tmp_path / "only"))  # a folder holding only sub-folders
    assert not (tmp_path / "only").exists()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.json.gz").write_bytes(b"")
    first = run_curation("c4", str(tmp_path / "in"), tmp_path / "run")
    (tmp_path / "run" / "rejects" / "c4" / "stale").mkdir()
    (tmp_path / "run" / "rejects" / "c4" / "stale" / "part-00000-of-00001.parquet").write_bytes(b"old")
    assert run_curation("c4", str(tmp_path / "in"), tmp_path / "run") == first
    assert not (tmp_path / "run" / "rejects" / "c4" / "stale").exists()


def test_reasons_are_safe_folder_names_and_shards_are_stable():
    assert safe_reason("Read Error: ../x") == "read_error_.._x"
    assert safe_reason("..") == "unknown" and safe_reason("lang") == "lang"
    assert shard_of("ffffffff" + "0" * 24, 7) == 0xFFFFFFFF % 7  # our ids: their first 32 bits
    # any other id is hashed (blake2b), a short hex one too: 0xFFFFFFFF % 1000 would be 295
    assert [shard_of(i, 1000) for i in ("doc-1", "https://x/y", "ffffffff0000", "")] == [156, 423, 180, 485]


def test_remove_tree_removes_a_folder_empty_or_full_and_ignores_a_missing_one(tmp_path):
    from pipelines.storage import remove_tree

    (tmp_path / "empty").mkdir()  # what a job killed before it wrote a file leaves behind
    (tmp_path / "full" / "sub").mkdir(parents=True)
    (tmp_path / "full" / "sub" / "a.parquet").write_text("x")
    (tmp_path / "kept.txt").write_text("x")
    for name in ("empty", "full", "missing"):
        remove_tree(str(tmp_path / name))
    assert [p.name for p in tmp_path.iterdir()] == ["kept.txt"]


def test_an_empty_file_is_accounted_for(tmp_path):
    from orchestration.curate import run_curation

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.json.gz").write_bytes(b"")
    stats = run_curation("c4", str(tmp_path / "in"), tmp_path / "run")
    assert (stats["read"], stats["kept"], stats["dropped"]) == (1, 0, {"no_documents": 1})


def _write(rows, out, expected_counts, num_shards=2):
    """WriteShards on the DirectRunner; checks the (documents) per (source, outcome) it returns."""
    import apache_beam as beam
    from apache_beam.testing.util import assert_that, equal_to

    from pipelines.io import WriteShards

    def directory_of(r):
        return str(out / ("rejects/" + r["reason"] if "reason" in r else "kept"))

    with beam.Pipeline() as p:
        counts = (p | beam.Create(rows) | WriteShards(directory_of, num_shards, str(out / ".tmp"))
                  | beam.FlatMapTuple(lambda _path, per_outcome: [(k, n) for k, (n, _chars) in per_outcome.items()])
                  | beam.CombinePerKey(sum))
        assert_that(counts, equal_to(expected_counts))


def _docs(n):
    from curation.schema import make_doc, reject

    docs = [make_doc("c4", f"doc{i}", f"text {i} " * (i % 50 + 1), f"https://x.example/{i}", n=i) for i in range(n)]
    return [reject(d, "lang") if i % 3 == 0 else d for i, d in enumerate(docs)]


def test_shards_hold_every_row_in_id_order_however_often_the_writer_spilled(tmp_path, monkeypatch):
    """Spilling after every few rows and merging the spills two at a time (an external merge sort in rounds)
    writes the same bytes as holding everything: no row lost, doubled or out of order."""
    import pyarrow.parquet as pq

    import pipelines.io as io
    from curation.schema import from_row

    rows = _docs(300)
    counts = [(("c4", "kept"), 200), (("c4", "lang"), 100)]
    _write(rows, tmp_path / "once", counts)
    monkeypatch.setattr(io, "SPILL_BYTES", 200)      # a spill every few rows
    monkeypatch.setattr(io, "MAX_FAN_IN", 2)         # merged in many rounds
    monkeypatch.setattr(io, "ROW_GROUP_ROWS", 7)     # many row groups
    _write(rows, tmp_path / "spilled", counts)
    files = sorted(p.relative_to(tmp_path / "once") for p in (tmp_path / "once").rglob("*.parquet"))
    assert [str(f) for f in files] == ["kept/part-00000-of-00002.parquet", "kept/part-00001-of-00002.parquet",
                                      "rejects/lang/part-00000-of-00002.parquet",
                                      "rejects/lang/part-00001-of-00002.parquet"]
    for f in files:
        once, spilled = (pq.read_table(tmp_path / run / f) for run in ("once", "spilled"))
        assert once.equals(spilled) and pq.ParquetFile(tmp_path / "spilled" / f).metadata.num_row_groups > 1
        assert once["id"].to_pylist() == sorted(once["id"].to_pylist())
    kept = [r for f in files if f.parts[0] == "kept" for r in pq.read_table(tmp_path / "once" / f).to_pylist()]
    assert kept[0]["meta"] == '{"n": %d}' % from_row(kept[0])["meta"]["n"]  # stored as JSON text, parsed on read
    assert sorted(map(from_row, kept), key=lambda r: r["id"]) == sorted((r for r in rows if "reason" not in r),
                                                                      key=lambda r: r["id"])
    lang = pq.read_table(tmp_path / "spilled" / "rejects" / "lang").to_pylist()
    assert sorted(r["id"] for r in lang) == sorted(r["id"] for r in rows if "reason" in r)
