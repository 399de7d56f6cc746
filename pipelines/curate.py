"""The curation job of one source: read -> (assemble) -> curate -> exact dedup -> write kept and rejects.

Thin Beam composition: the decisions are `curation/` functions called through the source's curator.
Every record read ends up either in `curated/<source>/` or in `rejects/<source>/<reason>/`, and the counts
per outcome are written to `stats/<source>.json` (computed as data, so every runner reports them).
"""
from __future__ import annotations

import json
import sys

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from curation.schema import DOC_SCHEMA, REJECT_SCHEMA, reject, with_meta
from pipelines.io import Limits, ReadFiles, WriteShards, safe_reason
from pipelines.source import Source

KEPT = "kept"


class Curate(beam.DoFn):
    """Applies the source's curator; loads its models once per worker in `setup`."""

    def __init__(self, source: Source, params):
        self.source, self.params = source, params

    def setup(self):
        self.curator = self.source.make_curator(self.params)

    def process(self, doc: dict):
        if "reason" in doc:  # already rejected while reading
            yield doc
            return
        try:
            yield self.curator(doc)
        except Exception as e:  # noqa: BLE001 - a document that breaks a filter is counted, not fatal
            yield reject(with_meta(doc, error=f"{type(e).__name__}: {e}"), "curate_error")


def _dedup_group(key, docs):
    """Keep the smallest id among documents with the same normalised text; the others point at it."""
    docs = sorted(docs, key=lambda d: d["id"])
    yield docs[0]
    for d in docs[1:]:
        yield reject(with_meta(d, duplicate_of=docs[0]["id"]), "duplicate")


class _Progress(beam.DoFn):
    """Counts documents per outcome (Beam counters, visible in any runner's UI) and prints progress."""

    def __init__(self, source: str, every: int = 1000):
        self.source, self.every = source, every

    def setup(self):
        self.seen = 0

    def process(self, row):
        outcome = row.get("reason", KEPT)
        Metrics.counter(self.source, outcome).inc()
        self.seen += 1
        if self.seen % self.every == 0:
            print(f"[{self.source}] {self.seen:,} documents judged", file=sys.stderr, flush=True)
        yield outcome, (1, len(row["text"]))


def _write_stats(path: str, source: str, files: int, outcomes: list) -> None:
    by = {k: {"documents": n, "chars": c} for k, (n, c) in sorted(outcomes)}
    kept = by.pop(KEPT, {"documents": 0, "chars": 0})
    stats = {"source": source, "files": files,
             "read": kept["documents"] + sum(v["documents"] for v in by.values()),
             "kept": kept["documents"], "kept_chars": kept["chars"],
             "dropped": {k: v["documents"] for k, v in by.items()}}
    with FileSystems.create(path) as f:
        f.write(json.dumps(stats, indent=1, sort_keys=True).encode())


def _sum_pairs(pairs):
    pairs = list(pairs)
    return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def _split(rows, label: str):
    """(kept, dropped) of a collection where a dropped row carries a `reason`."""
    return (rows | f"{label}Kept" >> beam.Filter(lambda d: "reason" not in d),
            rows | f"{label}Dropped" >> beam.Filter(lambda d: "reason" in d))


def build(p: beam.Pipeline, source: Source, params, paths: list[str], run_dir: str, num_shards: int,
          file_limits: Limits = Limits()) -> None:
    name = source.name
    records = (p
               | "Files" >> beam.Create(paths)
               | "SpreadFiles" >> beam.Reshuffle()
               | "Read" >> beam.ParDo(ReadFiles(name, source.read, len(paths), file_limits)))
    if source.assemble is not None:
        records = records | "Assemble" >> source.assemble()
    if source.prepare is not None and (prepare := source.prepare(params, paths)) is not None:
        records = records | "Prepare" >> prepare
    kept, dropped = _split(records | "Curate" >> beam.ParDo(Curate(source, params)), "Curated")
    if source.dedup_key is not None:
        key = source.dedup_key
        kept, duplicates = _split(kept
                                  | "KeyByContent" >> beam.Map(lambda d: (key(d["text"]), d))
                                  | "GroupByContent" >> beam.GroupByKey()
                                  | "KeepFirst" >> beam.FlatMapTuple(_dedup_group), "Deduped")
        dropped = (dropped, duplicates) | "WithDuplicates" >> beam.Flatten()
    if source.finish is not None:
        kept, finish_dropped = _split(kept | "Finish" >> source.finish(params), "Finished")
        dropped = (dropped, finish_dropped) | "WithFinishDropped" >> beam.Flatten()

    curated_dir = FileSystems.join(run_dir, "curated", name)
    rejects_dir = FileSystems.join(run_dir, "rejects", name)
    _ = kept | "WriteKept" >> WriteShards(lambda r: curated_dir, DOC_SCHEMA, num_shards)
    _ = dropped | "WriteRejects" >> WriteShards(
        lambda r: FileSystems.join(rejects_dir, safe_reason(r["reason"])), REJECT_SCHEMA, num_shards)

    stats_path = FileSystems.join(run_dir, "stats", f"{name}.json")
    _ = ((kept, dropped)
         | "Everything" >> beam.Flatten()
         | "Outcome" >> beam.ParDo(_Progress(name))
         | "CountOutcomes" >> beam.CombinePerKey(_sum_pairs)
         | "AllOutcomes" >> beam.combiners.ToList()
         | "WriteStats" >> beam.Map(lambda outcomes: _write_stats(stats_path, name, len(paths), outcomes)))
