"""Decontamination: a planted evaluation passage is found through case and punctuation; common phrases are not."""
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from curation.decontaminate import Index, ngram_hashes
from curation.schema import DOC_SCHEMA, from_row, make_doc, to_row
from llama_data import layout
from orchestration.cli import main

QUESTION = ("Which of the following best explains why the boiling point of water decreases at higher altitudes "
            "where atmospheric pressure is lower than at sea level")
OTHER = "The quick brown fox jumps over the lazy dog while the cat sleeps quietly under the warm afternoon sun"


def _index():
    index = Index(n=13)
    index.add("mmlu", QUESTION)
    index.add("hellaswag", OTHER)
    index.add("mmlu", "Too short to hold a 13-gram.")
    return index


def test_a_copied_passage_is_found_despite_case_and_punctuation():
    index = _index()
    page = ("Study notes.\n\nQ: WHICH of the following best explains why the boiling-point of water decreases, "
            "at higher altitudes where... (answer below)")
    words_before = dict(index.vocabulary)
    assert index.match(page) == "mmlu"
    assert index.vocabulary == words_before  # matching learns nothing: memory stays the evaluation sets'
    assert index.match("Story time: " + OTHER.upper() + "!") == "hellaswag"


def test_twelve_shared_words_are_not_a_copy():
    index = _index()
    twelve = " ".join(QUESTION.split()[:12])
    assert index.match(f"Intro. {twelve} banana split recipe follows.") is None
    assert index.match("") is None


def test_counts_and_short_examples():
    index = _index()
    assert index.examples == {"mmlu": 1, "hellaswag": 1} and index.short == {"mmlu": 1}
    assert len(index.grams) == (len(QUESTION.split()) - 12) + (len(OTHER.split()) - 12)


def test_hashes_are_stable_values():
    # the same words give the same hashes in any process (no string hash randomisation involved)
    a = list(ngram_hashes("one two three", 2))
    assert a == list(ngram_hashes("ONE, two; three.", 2)) == [21014137541790017, -7175186074441423031]


# ---------------------------------------------------------------------------------------- the stage, end to end
def _real_c4_run(run: Path, samples_dir: Path) -> list[dict]:
    """RUN/dedup/curated/c4 holding 12 real C4 pages, as if curated and deduplicated."""
    with gzip.open(next((samples_dir / "c4").glob("*.json.gz")), "rt") as f:
        rows = [json.loads(line) for line, _ in zip(f, range(12))]
    docs = [make_doc("c4", r["url"], r["text"], r["url"]) for r in rows]
    folder = run / "dedup" / "curated" / "c4"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([to_row(d) for d in docs], schema=DOC_SCHEMA), folder / "part-00000.parquet")
    return docs


def test_planted_benchmark_passages_remove_exactly_their_documents(tmp_path, samples_dir):
    run = tmp_path / "run"
    docs = _real_c4_run(run, samples_dir)
    passage = " ".join(docs[3]["text"].split()[20:45]).upper() + "?"  # case and punctuation do not hide a copy
    twelve = " ".join(docs[5]["text"].split()[:12])  # shorter than a 13-gram: not a copy
    with gzip.open(tmp_path / "mmlu.jsonl.gz", "wt") as f:  # gzip'd JSON lines, as benchmarks ship
        f.write(json.dumps({"question": passage, "choices": ["yes", "no"], "answer": 0}) + "\n"
                + json.dumps({"question": twelve + " banana", "choices": ["a", "b"], "answer": 1}) + "\n\n")
    pq.write_table(pa.table({"ctx": [" ".join(docs[7]["text"].split()[-30:])], "label": [2]}),
                   tmp_path / "hellaswag.parquet")
    result = CliRunner().invoke(main, ["decontaminate", "--out", str(run), "--benchmark",
                                       f"mmlu={tmp_path / 'mmlu.jsonl.gz'}", "--benchmark",
                                       f"hellaswag={tmp_path / 'hellaswag.parquet'}"])
    assert result.exit_code == 0, result.output
    rejected = [from_row(r) for r in pq.read_table(run / "decontaminate" / "rejects" / "c4" / "contaminated").to_pylist()]
    assert {r["id"]: r["meta"]["benchmark"] for r in rejected} == {docs[3]["id"]: "mmlu", docs[7]["id"]: "hellaswag"}
    kept = pq.read_table(run / "decontaminate" / "curated" / "c4").column("id").to_pylist()
    assert sorted(kept) == sorted(d["id"] for i, d in enumerate(docs) if i not in (3, 7))
    stats = json.loads((run / "decontaminate" / "stats.json").read_text())
    assert stats["sources"]["c4"]["dropped"] == {"contaminated": 2} and stats["ngram"] == 13
    assert stats["benchmarks"] == {"hellaswag": {"examples": 1, "short": 0, "contaminated": 1},
                                   "mmlu": {"examples": 2, "short": 0, "contaminated": 1}}
    assert layout.documents(run) == run / "decontaminate" / "curated"  # what the tokenizer reads from now on


def test_a_broken_evaluation_file_stops_before_anything_is_written(tmp_path, samples_dir):
    run = tmp_path / "run"
    _real_c4_run(run, samples_dir)
    (tmp_path / "bad.jsonl").write_text('{"question": "fine"}\n{not json\n')
    result = CliRunner().invoke(main, ["decontaminate", "--out", str(run), "--benchmark", f"arc={tmp_path / 'bad.jsonl'}"])
    assert result.exit_code == 2 and "benchmark 'arc'" in result.output and "bad.jsonl:2" in result.output
    assert not (run / "decontaminate").exists()
