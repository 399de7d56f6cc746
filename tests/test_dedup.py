import json
import random
from collections import Counter
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.util import assert_that, equal_to
from click.testing import CliRunner

from curation.minhash import containment, shingle_set
from curation.schema import DOC_SCHEMA, doc_id, from_row, make_doc, to_row
from orchestration.cli import main
from orchestration.curate import run_curation
from orchestration.dedup import run_dedup
from pipelines.dedup import ConnectedComponents
from samples.make import make_samples

RNG = random.Random(5)
VOCAB = [f"w{i}" for i in range(5000)]


def words(n: int) -> list[str]:
    return [RNG.choice(VOCAB) for _ in range(n)]


def replace_block(ws: list[str], start: int, count: int) -> list[str]:
    """Replace a run of `count` words: exactly count + 4 of the word 5-gram shingles change."""
    return ws[:start] + [f"x{start}-{i}" for i in range(count)] + ws[start + count:]


def write_docs(folder: Path, docs: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(list(map(to_row, docs)), schema=DOC_SCHEMA),
                   folder / "part-00000-of-00001.parquet")


def read_dir(folder: Path) -> list[dict]:
    return [from_row(r) for f in sorted(folder.rglob("*.parquet")) for r in pq.read_table(f).to_pylist()]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Two sources with planted copies: exact (case and spacing differ) and URL copies across sources, a
    near-duplicate group C ~ N1 ~ N2 (Jaccard 0.8 to 0.9), a document at Jaccard 0.49 and an empty one."""
    run = tmp_path_factory.mktemp("run")
    base = words(300)
    t = {"A": words(300), "B": words(300), "C": base, "far": replace_block(base, 100, 100)}
    n1 = replace_block(base, 50, 12)
    n2 = replace_block(n1, 200, 12)
    docs = {
        "c4": [make_doc("c4", "A", " ".join(t["A"]), "http://a.example/page"),
               make_doc("c4", "B", " ".join(t["B"]), "http://b.example/page"),
               make_doc("c4", "C", " ".join(t["C"]), "http://c.example/page")],
        "commoncrawl": [
            make_doc("commoncrawl", "A-copy", " ".join(t["A"]).upper().replace(" ", "  "), "https://other/a"),
            make_doc("commoncrawl", "B-same-url", " ".join(words(300)), "https://B.example/page/#top"),
            make_doc("commoncrawl", "N1", " ".join(n1), "https://n.example/1"),
            make_doc("commoncrawl", "N2", " ".join(n2), "https://n.example/2"),
            make_doc("commoncrawl", "far", " ".join(t["far"]), "https://far.example/"),
            make_doc("commoncrawl", "empty", "", "https://empty.example/")],
    }
    for source, rows in docs.items():
        write_docs(run / "curated" / source, rows)
    ids = {name: doc_id(source, name) for source, rows in (("c4", "ABC"), ("commoncrawl", None)) for name in
           (rows or ["A-copy", "B-same-url", "N1", "N2", "far", "empty"])}
    return run, ids


def _expected(ids):
    """Who survives: the smallest id of each group; what each removed document points at."""
    pair = lambda a, b: (max(ids[a], ids[b]), min(ids[a], ids[b]))
    removed = {}
    for a, b, reason in (("A", "A-copy", "exact_duplicate"), ("B", "B-same-url", "url_duplicate")):
        loser, winner = pair(a, b)
        removed[loser] = (reason, winner)
    chain = sorted(ids[n] for n in ("C", "N1", "N2"))
    for loser in chain[1:]:
        removed[loser] = ("near_duplicate", chain[0])
    return removed


def test_dedup_removes_exactly_the_planted_copies_within_and_across_sources(corpus, tmp_path):
    run, ids = corpus
    result = CliRunner().invoke(main, ["dedup", "--input", str(run), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "candidate pairs" in result.output
    removed = _expected(ids)
    kept = read_dir(tmp_path / "out" / "dedup" / "curated")
    assert sorted(d["id"] for d in kept) == sorted(set(ids.values()) - set(removed))
    assert {d["source"] for d in read_dir(tmp_path / "out" / "dedup" / "curated" / "c4")} == {"c4"}
    rejects = read_dir(tmp_path / "out" / "dedup" / "rejects")
    assert {d["id"]: (d["reason"], d["meta"]["duplicate_of"]) for d in rejects} == removed
    stats = json.loads((tmp_path / "out" / "dedup" / "stats.json").read_text())
    total = {s: (v["read"], v["kept"]) for s, v in stats["sources"].items()}
    assert sum(r for r, _ in total.values()) == 9 and sum(k for _, k in total.values()) == 9 - len(removed)
    assert stats["near"]["converged"] and stats["near"]["cluster_sizes"] == {"3": 1}


def test_dedup_accepts_documents_whose_ids_are_any_strings(tmp_path):
    """Documents from other tools: ids that are not our 32 hex digits are hashed where a number is needed."""
    base = words(300)
    rows = [("doc-1", " ".join(base), "http://a.example/1"),
            ("doc-2", " ".join(base).upper(), "http://a.example/2"),                 # exact copy of doc-1
            ("https://x/y", " ".join(words(300)), "https://x.example/y"),
            ("https://x/z", " ".join(words(300)), "http://X.example/y/"),             # URL copy of https://x/y
            ("doc-3", " ".join(n := words(300)), "http://n.example/3"),
            ("\u00e9t\u00e9 #4", " ".join(replace_block(n, 50, 12)), "http://n.example/4")]  # near copy of doc-3
    docs = [{"id": i, "source": "c4", "text": t, "url": u, "meta": {"from": "elsewhere"}} for i, t, u in rows]
    write_docs(tmp_path / "run" / "curated" / "c4", docs)
    run_dedup(str(tmp_path / "run"), tmp_path / "out")
    kept = read_dir(tmp_path / "out" / "curated")
    assert sorted(d["id"] for d in kept) == ["doc-1", "doc-3", "https://x/y"]
    assert kept == sorted((d for d in docs if d["id"] in ("doc-1", "doc-3", "https://x/y")), key=lambda d: d["id"])
    rejects = {d["id"]: (d["reason"], d["meta"]) for d in read_dir(tmp_path / "out" / "rejects")}
    assert rejects == {"doc-2": ("exact_duplicate", {"from": "elsewhere", "duplicate_of": "doc-1"}),
                       "https://x/z": ("url_duplicate", {"from": "elsewhere", "duplicate_of": "https://x/y"}),
                       "\u00e9t\u00e9 #4": ("near_duplicate", {"from": "elsewhere", "duplicate_of": "doc-3"})}


def test_candidates_below_the_threshold_are_checked_and_kept_across_files(tmp_path):
    """With 64 bands of 2 rows, pairs far below the 0.7 Jaccard threshold become LSH candidates: the exact check
    of their shingle sets, read from files of different units, rejects them and confirms the one near copy."""
    base = words(300)
    rows = [("a", base), ("b", replace_block(base, 100, 80)),   # Jaccard 212/380 = 0.56 with a: a candidate only
            ("c", replace_block(base, 200, 12))]              # Jaccard 280/312 = 0.90 with a: a near copy
    docs = [{"id": i, "source": "c4", "text": " ".join(t), "url": f"http://e.example/{i}", "meta": {}} for i, t in rows]
    folder = tmp_path / "run" / "curated" / "c4"
    write_docs(folder, docs[:2])
    pq.write_table(pa.Table.from_pylist([to_row(docs[2])], schema=DOC_SCHEMA), folder / "part-1.parquet")
    config = tmp_path / "dedup.yaml"
    config.write_text("bands: 64\nrows: 2\n")
    stats = run_dedup(str(tmp_path / "run"), tmp_path / "out", config)
    assert sorted(d["id"] for d in read_dir(tmp_path / "out" / "curated")) == ["a", "b"]
    rejects = {d["id"]: (d["reason"], d["meta"]["duplicate_of"]) for d in read_dir(tmp_path / "out" / "rejects")}
    assert rejects == {"c": ("near_duplicate", "a")}
    near = stats["near"]
    # b and c never share a band that a does not (a's shingles are within theirs): two pairs, one below
    assert near["candidate_pairs"] == 2 and near["confirmed_pairs"] == 1 and near["rejected_pairs"] == 1


def run_on_dask(run: Path, out: Path) -> None:
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        run_dedup(str(run), out, beam_args=("--runner=orchestration.runners.DaskRunner",
                                            f"--dask_client_address={cluster.scheduler_address}"))


def assert_same_files(a: Path, b: Path, at_least: int) -> None:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()) and len(files_a) >= at_least
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_dask_runner_gives_identical_bytes(corpus, tmp_path):
    run, _ = corpus
    run_dedup(str(run), tmp_path / "direct")
    run_on_dask(run, tmp_path / "dask")
    assert_same_files(tmp_path / "direct", tmp_path / "dask", at_least=5)


def test_config_mistake_names_key_and_file(corpus, tmp_path):
    run, _ = corpus
    config = tmp_path / "dedup.yaml"
    config.write_text("threshold: 1.5\n")
    result = CliRunner().invoke(main, ["dedup", "--input", str(run), "--out", str(tmp_path / "o"),
                                       "--config", str(config)])
    assert result.exit_code == 2 and "'threshold'" in result.output and str(config) in result.output


@pytest.mark.parametrize("rounds, converged", [(1, False), (6, True)])
def test_connected_components_of_a_long_chain(rounds, converged):
    nodes = [f"n{i:02d}" for i in range(40)]
    edges = list(zip(nodes[::-1][1:], nodes[::-1][:-1]))  # n38-n39, n37-n38, ... a path of 40 nodes
    with beam.Pipeline() as p:
        parents, unconverged = p | beam.Create(edges) | ConnectedComponents(rounds)
        if converged:
            assert_that(parents, equal_to([(n, "n00") for n in nodes[1:]]), label="Parents")
        assert_that(unconverged | beam.Map(bool), equal_to([not converged]), label="Unconverged")


# ------------------------------------------------------------------------------------ the generated corpus
CURATION_DEDUP = {"c4": "duplicate", "books": "near_duplicate"}  # removed by the source's own curation job


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The generated corpus's C4, Common Crawl (no perplexity or classifier models) and books, curated, then
    deduplicated on the DirectRunner by `llama-data dedup`; and the corpus manifest."""
    root = tmp_path_factory.mktemp("generated")
    make_samples(root / "samples", docs=80, seed=0)
    config = root / "curation.yaml"
    config.write_text("commoncrawl:\n  perplexity_models: null\n  classifier_model: null\n")
    for source in ("c4", "commoncrawl", "books"):
        run_curation(source, str(root / "samples" / source), root / "run", config)
    result = CliRunner().invoke(main, ["dedup", "--input", str(root / "run"), "--out", str(root)])
    assert result.exit_code == 0, result.output
    return root, json.loads((root / "samples" / "manifest.json").read_text())


def assert_planted_duplicates_removed(root: Path, manifest: dict, out: Path) -> None:
    """Per planted group, the smallest id survives and every other member is removed pointing at it: C4's
    and the books' by their curation job, Common Crawl's by dedup, which removes nothing else. A group whose
    survivor the curation filters drop (a foreign C4 row) is dropped whole, for one reason."""
    curation = {d["id"]: d for d in read_dir(root / "run" / "rejects")}
    kept = {d["id"] for d in read_dir(out / "curated")}
    expected = {"curation": {}, "dedup": {}}
    for source in ("c4", "commoncrawl", "books"):
        for group in manifest["sources"][source]["duplicates"]:
            first, *others = sorted(doc_id(source, m["native_id"]) for m in (group["original"], *group["copies"]))
            if first in curation:
                assert {curation.get(i, {}).get("reason") for i in others} == {curation[first]["reason"]}, group
                continue
            assert first in kept, group
            for i in others:
                if source in CURATION_DEDUP:
                    expected["curation"][i] = (CURATION_DEDUP[source], first)
                else:
                    expected["dedup"][i] = ("near_duplicate", first)
    assert {i: (d["reason"], d["meta"]["duplicate_of"]) for i, d in curation.items()
            if d["reason"] in ("duplicate", "near_duplicate")} == expected["curation"]
    assert {d["id"]: (d["reason"], d["meta"]["duplicate_of"]) for d in read_dir(out / "rejects")} == expected["dedup"]


def test_generated_corpus_loses_exactly_its_planted_duplicates(generated):
    root, manifest = generated
    planted = {s: manifest["sources"][s]["duplicates"] for s in ("c4", "commoncrawl", "books")}
    similarity = {s: [c["jaccard"] for g in groups for c in g["copies"]] for s, groups in planted.items()}
    assert [len(planted[s]) for s in planted] == [4, 15, 5]
    assert set(similarity["c4"]) == {1.0} and min(similarity["commoncrawl"]) > 0.9 and min(similarity["books"]) > 0.9
    assert_planted_duplicates_removed(root, manifest, root / "dedup")
    stats = json.loads((root / "dedup" / "stats.json").read_text())
    sizes = Counter(str(len(g["copies"]) + 1) for g in planted["commoncrawl"])
    assert stats["near"]["cluster_sizes"] == dict(sizes) and stats["near"]["converged"]


def test_generated_corpus_on_dask_gives_identical_bytes(generated, tmp_path):
    root, manifest = generated
    run_on_dask(root / "run", tmp_path / "dask")
    assert_planted_duplicates_removed(root, manifest, tmp_path / "dask")
    assert_same_files(root / "dedup", tmp_path / "dask", at_least=5)


# ----------------------------------------------------------------------------------------------- books
def _book(name: str, ws: list[str]) -> tuple[str, str]:
    lines = [" ".join(ws[i:i + 12]) for i in range(0, len(ws), 12)]
    return name, "*** START OF THE PROJECT GUTENBERG EBOOK X ***\n" + "\n".join(lines) + "\n"


def test_books_overlap_rule_at_95_85_and_50_percent(tmp_path):
    base = words(3000)
    # Each replaced run of k words changes k + 4 of the 2996 shingles: overlap 1 - (k + 4) / 2996.
    books = dict([_book("orig.txt", base),
                  _book("at95.txt", replace_block(base, 1000, 146)),    # 95.0% overlap with orig
                  _book("at85.txt", replace_block(base, 1000, 446)),    # 85.0%
                  _book("at50.txt", base[:1500] + words(1500))])        # 49.9%
    sets = {n: shingle_set(t.split("***\n", 2)[-1]) for n, t in books.items()}
    assert [round(containment(sets["orig.txt"], sets[n]), 3) for n in ("at95.txt", "at85.txt", "at50.txt")] == [
        0.950, 0.850, 0.499]
    for name, text in books.items():
        (tmp_path / "in" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "in" / name).write_text(text)
    stats = run_curation("books", str(tmp_path / "in"), tmp_path / "run")
    kept = {d["id"] for d in read_dir(tmp_path / "run" / "curated" / "books")}
    by_name = {n: doc_id("books", n) for n in books}
    loser, winner = sorted((by_name["orig.txt"], by_name["at95.txt"]), reverse=True)
    assert kept == set(by_name.values()) - {loser}
    (rejected,) = read_dir(tmp_path / "run" / "rejects" / "books")
    assert (rejected["id"], rejected["reason"], rejected["meta"]["duplicate_of"]) == (
        loser, "near_duplicate", winner)
    assert stats["dropped"] == {"near_duplicate": 1}
