import gzip
import hashlib
import json
import zlib

import pyarrow.parquet as pq
from click.testing import CliRunner

from curation.schema import doc_id, from_row
from curation.sources.c4 import C4Params, clean_page
from orchestration.curate import curate, run_curation

SENTENCES = ("The river rises in the northern hills and flows south for many miles. "
             "Farmers along its banks grow wheat, barley and a little fruit. "
             "In spring the water runs high and fast after the snow melts. "
             "Small boats carry goods between the market towns every week. "
             "Visitors come in summer to walk the old towpath and watch the birds.")


def test_lines_are_kept_as_c4_keeps_them():
    text = ("Menu\nHome | About\nThis line ends well.\nPlease enable JavaScript to view this page.\nTwo words.\n"
            "Short one!\nThe town grew quickly after 1850.[3][edit]\nAnd then it went on and on...\n"
            "This site uses cookies to improve your experience.\nA word " + "x" * 1001 + " too long.\n"
            "See our Privacy Policy for details, please.")
    assert clean_page(text, C4Params(min_sentences=1)) == (
        "This line ends well.\nThe town grew quickly after 1850.", None)


def test_page_problems_in_c4_order():
    params = C4Params()
    assert clean_page("Lorem ipsum dolor sit amet. " * 5, params)[1] == "lorem_ipsum"
    assert clean_page(SENTENCES + "\nfunction() { return 1; }.", params)[1] == "curly_brace"
    assert clean_page("One sentence. Two sentences.", params)[1] == "too_few_sentences"
    assert clean_page(SENTENCES, params) == (SENTENCES, None)
    # Braces on a line that is dropped anyway (no end mark) do not drop the page, as in C4.
    assert clean_page(SENTENCES + "\nvar x = {a: 1}", params) == (SENTENCES, None)


def _rows(path):
    return [from_row(r) for r in pq.read_table(path).to_pylist()]


def test_curates_real_c4_samples(tmp_path, samples_dir):
    stats = run_curation("c4", str(samples_dir / "c4"), tmp_path)
    assert (stats["files"], stats["read"], stats["kept"]) == (3, 30, 24)
    assert stats["dropped"] == {"too_few_sentences": 6}
    kept = _rows(tmp_path / "curated/c4/part-00000-of-00001.parquet")
    assert [r["id"] for r in kept] == sorted(r["id"] for r in kept)
    assert doc_id("c4", "c4-sample.01.json.gz:1") in {r["id"] for r in kept}
    assert all(r["meta"]["language"] == "en" and r["url"].startswith("http") for r in kept)
    rejected = _rows(tmp_path / "rejects/c4/too_few_sentences/part-00000-of-00001.parquet")
    assert "https://www.acupuncturemedia.com/webinars/" in {r["url"] for r in rejected}
    assert {r["reason"] for r in rejected} == {"too_few_sentences"}
    assert json.loads((tmp_path / "stats.json").read_text())["c4"] == stats


def test_damaged_input_is_counted_and_intact_records_kept(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    good = json.dumps({"text": SENTENCES, "url": "http://a.example/1", "timestamp": "2019-04-25T13:41:19Z"})
    french = json.dumps({"text": "La rivière traverse la ville. " * 6, "url": "http://b.example/fr"})
    with gzip.open(src / "part-0.json.gz", "wt") as f:
        f.write("\n".join([good, "{not json", json.dumps({"url": "no text"}), french, good]) + "\n")
    lines = [json.dumps({"text": f"{SENTENCES} This is row number {i}.", "url": f"u{i}"}) for i in range(200)]
    whole = gzip.compress(("\n".join(lines) + "\n").encode())
    truncated = whole[: len(whole) // 2]
    (src / "part-1.json.gz").write_bytes(truncated)
    complete_rows = zlib.decompressobj(31).decompress(truncated).count(b"\n")

    stats = run_curation("c4", str(src), tmp_path / "run")
    dropped = stats["dropped"]
    assert dropped == {"bad_json": 2, "lang": 1, "read_error": 1, "duplicate": 1}
    assert 0 < complete_rows < 200 and stats["kept"] == 1 + complete_rows  # every row before the damage
    assert stats["read"] == stats["kept"] + sum(dropped.values())
    dup = _rows(tmp_path / "run/rejects/c4/duplicate/part-00000-of-00001.parquet")
    first, second = doc_id("c4", "part-0.json.gz:1"), doc_id("c4", "part-0.json.gz:5")
    kept_id, dup_id = sorted([first, second])
    assert any(r["id"] == dup_id and r["meta"]["duplicate_of"] == kept_id for r in dup)
    err = _rows(tmp_path / "run/rejects/c4/read_error/part-00000-of-00001.parquet")
    assert err[0]["url"].endswith("part-1.json.gz") and "EOFError" in err[0]["meta"]["error"]


def test_rerun_gives_identical_bytes(tmp_path, samples_dir):
    def digests(run):
        run_curation("c4", str(samples_dir / "c4"), run, num_shards=2)
        return {p.relative_to(run).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(run.rglob("*.parquet"))}
    a, b = digests(tmp_path / "a"), digests(tmp_path / "b")
    assert a == b and len(a) == 4  # two kept shards and two reject shards


def test_cli_errors_exit_2_and_write_nothing(tmp_path, samples_dir):
    runner = CliRunner()
    out = tmp_path / "run"
    r = runner.invoke(curate, ["--source", "reddit", "--input", str(samples_dir / "c4"), "--out", str(out)])
    assert r.exit_code == 2 and "reddit" in r.output
    bad = tmp_path / "curation.yaml"
    bad.write_text("c4:\n  min_sentence: 3\n")
    r = runner.invoke(curate, ["--source", "c4", "--input", str(samples_dir / "c4"), "--out", str(out),
                               "--config", str(bad)])
    assert r.exit_code == 2 and "unknown key 'c4.min_sentence'" in r.output and str(bad) in r.output
    r = runner.invoke(curate, ["--source", "c4", "--input", str(tmp_path / "nothing*"), "--out", str(out)])
    assert r.exit_code == 2 and "no files found" in r.output
    assert not out.exists()
