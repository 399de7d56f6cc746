"""Benchmark decontamination as a Beam job: read documents, drop each one that shares an n-gram with an
evaluation example (reason `contaminated`, the benchmark named in meta `benchmark`), write the rest.

The n-gram index of the evaluation sets (curation/decontaminate.py) is built once before the job and shipped
to the workers with the DoFn: evaluation sets are small next to the documents.
"""
from __future__ import annotations

import functools

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from curation.decontaminate import Index
from curation.schema import reject, with_meta
from pipelines.io import ReadParquet, WriteShards, outcome_directory, write_json
from pipelines.outcomes import CountOutcomes, source_counts


class Decontaminate(beam.DoFn):
    def __init__(self, index: Index):
        self.index = index

    def process(self, doc: dict):
        benchmark = self.index.match(doc["text"])
        yield doc if benchmark is None else reject(with_meta(doc, benchmark=benchmark), "contaminated")


def temp_dir(out_dir: str) -> str:
    return FileSystems.join(out_dir, ".tmp", "decontaminate")


def write_stats(path: str, index: Index, outcomes: list, per_benchmark: list) -> None:
    sources = sorted({source for (source, _), _ in outcomes})
    found = dict(per_benchmark)
    stats = {"ngram": index.n, "sources": {s: source_counts(outcomes, s) for s in sources},
             "benchmarks": {b: {"examples": index.examples.get(b, 0), "short": index.short.get(b, 0),
                                "contaminated": found.get(b, 0)} for b in sorted({*index.examples, *index.short})}}
    write_json(path, stats)


def build(p: beam.Pipeline, index: Index, paths: list[str], out_dir: str, num_shards: int) -> None:
    rows = (p
            | "Files" >> beam.Create(paths)
            | "SpreadFiles" >> beam.Reshuffle()
            | "Read" >> beam.ParDo(ReadParquet(len(paths), "decontaminate"))
            | "Decontaminate" >> beam.ParDo(Decontaminate(index)))
    per_benchmark = (rows
                     | "Contaminated" >> beam.Filter(lambda d: d.get("reason") == "contaminated")
                     | "ByBenchmark" >> beam.Map(lambda d: (d["meta"]["benchmark"], 1))
                     | "CountBenchmark" >> beam.CombinePerKey(sum)
                     | "AllBenchmarks" >> beam.combiners.ToList())

    stats_path = FileSystems.join(out_dir, "stats.json")
    _ = (rows
         | "Write" >> WriteShards(functools.partial(outcome_directory, out_dir), num_shards, temp_dir(out_dir))
         | "CountOutcomes" >> CountOutcomes()
         | "WriteStats" >> beam.Map(lambda outcomes, found: write_stats(stats_path, index, outcomes, found),
                                    found=beam.pvalue.AsSingleton(per_benchmark)))
