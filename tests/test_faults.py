"""Every source read through a fault-injection corpus (tests/faults.py) beside intact files: the run completes,
every damaged file is counted under its specific reason, the intact files' documents come out exactly as in a
run without the damage, and the accounting holds: read == kept + dropped, with every dropped document in the
rejects store under its reason. The table of what is tried is in docs/RELIABILITY.md."""
import json
import shutil
from pathlib import Path
from random import Random

import pyarrow.parquet as pq
import pytest
import yaml

from curation.schema import SOURCES
from orchestration.curate import run_curation
from samples.make import make_samples
import faults

CONFIG = {"limits": faults.LIMITS,
          "commoncrawl": {"perplexity_models": None, "classifier_model": None, "line_dedup_files": 0}}
DUPLICATE = ("duplicate", "near_duplicate")


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    """Intact files (seed 0), templates for the damage (seed 1) and the test config."""
    root = tmp_path_factory.mktemp("faults")
    make_samples(root / "intact", docs=8, seed=0)
    make_samples(root / "templates", docs=8, seed=1)
    (root / "curation.yaml").write_text(yaml.safe_dump(CONFIG))
    return root


def outcomes(run: Path, source: str, stats: dict) -> dict:
    """{id: (outcome, row)} of one run, checking the accounting: every document once, the stored rows per
    outcome equal to the stats, and read == kept + dropped."""
    rows = {}
    for path in sorted((run / "curated" / source).glob("*.parquet")):
        rows.update({r["id"]: ("kept", r) for r in pq.read_table(path).to_pylist()})
    kept = len(rows)
    for path in sorted((run / "rejects" / source).glob("*/*.parquet")):
        for r in pq.read_table(path).to_pylist():
            assert r["id"] not in rows, f"{r['id']} stored twice"
            assert path.parent.name == r["reason"]
            rows[r["id"]] = (r["reason"], r)
    dropped = {}
    for outcome, _ in rows.values():
        if outcome != "kept":
            dropped[outcome] = dropped.get(outcome, 0) + 1
    assert kept == stats["kept"] and dropped == stats["dropped"]
    assert stats["read"] == kept + sum(dropped.values()) == len(rows)
    return rows


@pytest.mark.parametrize("source", SOURCES)
def test_damage_is_counted_and_intact_documents_are_untouched(corpora, tmp_path, source):
    intact = corpora / "intact" / source
    clean_stats = run_curation(source, str(intact), tmp_path / "clean", corpora / "curation.yaml")
    clean = outcomes(tmp_path / "clean", source, clean_stats)

    damaged_input = tmp_path / "input"
    shutil.copytree(intact, damaged_input)
    injected = faults.faults(source, corpora / "templates" / source, Random(f"faults/{source}"))
    assert len({f.kind for f in injected}) >= 3
    faults.write(injected, damaged_input)
    stats = run_curation(source, str(damaged_input), tmp_path / "damaged", corpora / "curation.yaml")
    damaged = outcomes(tmp_path / "damaged", source, stats)
    assert stats["files"] == clean_stats["files"] + len(injected)

    for doc_id, (outcome, row) in clean.items():  # the intact files' documents, as without the damage
        now, row_now = damaged[doc_id]
        if now != outcome:  # only a new duplicate of a damaged file's document (the copy with the smaller id)
            original = json.loads(row_now["meta"]).get("duplicate_of")
            assert outcome == "kept" and now in DUPLICATE and original not in clean, doc_id
        else:
            assert row_now["text"] == row["text"]
    new = {i: v for i, v in damaged.items() if i not in clean}
    for fault in injected:
        mine = {outcome for outcome, row in new.values() if fault.marker in row["url"] + row["meta"]}
        assert fault.reason in mine, f"{fault.kind}: {fault.reason} not among {sorted(mine)}"
