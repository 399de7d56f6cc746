"""SpilledGroupByKey (pipelines/io.py): groups exactly as a GroupByKey would, in key order within a bucket and id
order within a group, however often it spilled and merged, with only file names going through its shuffle, and
gives the same groups on a Dask cluster as on the DirectRunner."""
import json
from pathlib import Path

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pipeline import PipelineVisitor

import pipelines.io as io
from curation.schema import doc_id, id_bits, make_doc, reject

KEYS = ["site-a/1", "site-a/2", "site-b/1", "lonely", "ünïcode/7"]


def _pairs():
    """Keys with several documents each (one key with one), a reject among them, spread over four files."""
    pairs = []
    for i in range(60):
        key = KEYS[i % 4] if i else KEYS[4]
        doc = make_doc("stackexchange", f"post{i}", f"text of post {i} " * (i % 7 + 1), f"https://x/{i}",
                       n=i, tags=["a", "b"])
        pairs.append((key, reject(doc, "orphan_answer") if i == 13 else doc))
    return pairs


def _expected():
    groups = {}
    for key, doc in _pairs():
        groups.setdefault(key, []).append(doc)
    return {key: sorted(docs, key=lambda d: d["id"]) for key, docs in groups.items()}


class _Files(beam.DoFn):
    """The pairs of one input file: the test's input comes from several files, so bundles differ."""

    def process(self, part: int):
        yield from (pair for i, pair in enumerate(_pairs()) if i % 4 == part)


def _group(p, temp_dir: str, buckets: int):
    return (p
            | "Parts" >> beam.Create(range(4))
            | "Read" >> beam.ParDo(_Files())
            | "Group" >> io.SpilledGroupByKey(temp_dir, buckets))


def _write_groups(groups, out: str):
    """Each group as one JSON line in its own file (named by a hash of the key), written by the workers."""
    def write(key, docs):
        Path(out, f"{doc_id('c4', key)}.json").write_text(json.dumps([key, docs], sort_keys=True))
    return groups | "WriteGroups" >> beam.MapTuple(write)


def _read_groups(out: Path) -> dict:
    return dict(json.loads(f.read_text()) for f in sorted(out.glob("*.json")))


def _run(tmp_path: Path, name: str, buckets: int, beam_args=("--runner=DirectRunner",)) -> dict:
    out = tmp_path / name
    out.mkdir()
    with beam.Pipeline(options=PipelineOptions(list(beam_args))) as p:
        _write_groups(_group(p, str(tmp_path / "tmp" / name), buckets), str(out))
    return _read_groups(out)


def _as_json(groups: dict) -> dict:
    return json.loads(json.dumps(groups))


def test_groups_exactly_however_often_it_spilled_and_merged(tmp_path, monkeypatch):
    """Spilling after every few rows (many spill files per bucket) and merging two at a time (merge rounds)
    gives each key exactly its documents, in id order, a reject kept as a reject: the same groups as with the
    default thresholds."""
    expected = _as_json(_expected())
    assert _run(tmp_path, "default", buckets=3) == expected
    monkeypatch.setattr(io, "SPILL_BYTES", 100)
    monkeypatch.setattr(io, "SPILL_BATCH", 2)
    monkeypatch.setattr(io, "MAX_FAN_IN", 2)
    spilled = _run(tmp_path, "spilled", buckets=3)
    assert spilled == expected
    assert [d["reason"] for docs in spilled.values() for d in docs if "reason" in d] == ["orphan_answer"]
    assert [len(spilled[k]) for k in KEYS] == [14, 15, 15, 15, 1]
    assert sorted(d["meta"]["n"] for d in spilled["site-b/1"]) == list(range(2, 60, 4))  # meta parsed back
    assert [d["id"] for d in spilled["site-b/1"]] == sorted(d["id"] for d in spilled["site-b/1"])
    assert len(list((tmp_path / "tmp" / "spilled").iterdir())) > 3 * io.MAX_FAN_IN  # rounds were needed


def test_groups_come_in_key_order_within_a_bucket(tmp_path):
    """One bucket: a single merge yields the keys in order, each once."""
    seen = tmp_path / "seen.txt"

    with beam.Pipeline() as p:
        _ = (_group(p, str(tmp_path / "tmp"), buckets=1)
             | beam.combiners.ToList()
             | beam.Map(lambda groups: seen.write_text(json.dumps([k for k, _ in groups]))))
    assert json.loads(seen.read_text()) == sorted(KEYS)


class _Shuffled(PipelineVisitor):
    """The collection that goes into the transform's GroupByKey."""

    def __init__(self):
        self.found = []

    def visit_transform(self, node):
        self._look(node)

    def enter_composite_transform(self, node):
        self._look(node)

    def _look(self, node):
        if node.full_label == "Group/GroupSpills":
            self.found.append(node.inputs[0])


def test_only_bucket_and_spill_file_names_go_through_the_shuffle(tmp_path):
    from apache_beam.testing.util import assert_that, equal_to

    temp_dir = str(tmp_path / "tmp")
    texts = {doc["text"] for _, doc in _pairs()}

    def names_only(elements):
        assert {b for b, _ in elements} == {id_bits(key) % 3 for key in KEYS} == {0, 1}
        assert all(path.startswith(temp_dir + "/") and path.endswith(".arrow") for _, path in elements)
        assert not texts & {path for _, path in elements}

    with beam.Pipeline() as p:
        groups = _group(p, temp_dir, buckets=3)
        visitor = _Shuffled()
        p.visit(visitor)
        [shuffled] = visitor.found
        assert_that(shuffled, names_only)
        assert_that(groups | beam.MapTuple(lambda k, docs: (k, len(docs))),
                    equal_to([(k, len(d)) for k, d in _expected().items()]), label="Groups")


def test_same_groups_on_a_dask_cluster(tmp_path):
    from dask.distributed import LocalCluster

    direct = _run(tmp_path, "direct", buckets=3)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = _run(tmp_path, "dask", buckets=3, beam_args=("--runner=orchestration.runners.DaskRunner",
                                                            f"--dask_client_address={cluster.scheduler_address}"))
    assert dask == direct == _as_json(_expected())
