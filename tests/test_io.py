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


def test_reasons_are_safe_folder_names_and_shards_are_stable():
    assert safe_reason("Read Error: ../x") == "read_error_.._x"
    assert safe_reason("..") == "unknown" and safe_reason("lang") == "lang"
    assert shard_of("ffffffff0000", 7) == 0xFFFFFFFF % 7


def test_an_empty_file_is_accounted_for(tmp_path):
    from orchestration.curate import run_curation

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.json.gz").write_bytes(b"")
    stats = run_curation("c4", str(tmp_path / "in"), tmp_path / "run")
    assert (stats["read"], stats["kept"], stats["dropped"]) == (1, 0, {"no_documents": 1})
