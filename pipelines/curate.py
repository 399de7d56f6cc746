"""The curation job of one source: read -> (assemble) -> [URL blocklist] -> (prepare) -> curate [PII scrub] ->
(exact dedup) -> (finish) -> write kept and rejects.

Thin Beam composition: the decisions are `curation/` functions called through the source's curator.
Every record read ends up either in `curated/<source>/` or in `rejects/<source>/<reason>/`, and the counts
per outcome, taken from the files written, go to `stats/<source>.json` and to Beam counters (computed as data,
so every runner reports them). No step holds a source's documents: the steps across documents (exact dedup,
StackExchange's question/answer join) group them through spill files (`pipelines.io.SpilledGroupByKey`), rejects
go through those steps instead of waiting beside them for a Flatten (which the DirectRunner holds whole), and the
writer spills; only beside a source's `finish` step (books) do the rejects wait for a Flatten.
"""
from __future__ import annotations

import sys

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms.window import GlobalWindows

from curation.blocklist import Blocklist
from curation.filters import Filters
from curation.pii import scrub
from curation.schema import reject, with_meta
from pipelines.io import ReadFiles, SpilledGroupByKey, WriteShards, safe_reason, write_json
from pipelines.outcomes import CountOutcomes, keep_first, keyed, source_counts, split
from pipelines.source import Source
from readers.limits import Limits


class Curate(beam.DoFn):
    """Applies the source's curator; loads its models once per worker in `setup`. Documents are judged in
    batches of BATCH as they arrive: reading a batch and then judging it keeps each step's code and model in the
    CPU cache, which bench/commoncrawl.py measures (docs/BENCHMARKS.md)."""
    BATCH = 64

    def __init__(self, source: Source, params, filters: Filters):
        self.source, self.params, self.filters = source, params, filters

    def setup(self):
        self.curator, self.judged = self.source.make_curator(self.params), 0
        self.pii = self.filters.pii if self.filters.scrubs(self.source.name) else None

    def start_bundle(self):
        self.batch = []

    def process(self, doc: dict):
        self.batch.append(doc)
        if len(self.batch) == self.BATCH:
            yield from self._judge()

    def finish_bundle(self):
        for doc in self._judge():
            yield GlobalWindows.windowed_value(doc)

    def _judge(self):
        batch, self.batch = self.batch, []
        for doc in batch:
            yield self._judge_one(doc)
        before, self.judged = self.judged, self.judged + len(batch)
        if before // 1000 != self.judged // 1000:
            print(f"[{self.source.name}] {self.judged:,} documents judged", file=sys.stderr, flush=True)

    def _judge_one(self, doc: dict) -> dict:
        if "reason" in doc:  # already rejected while reading
            return doc
        try:
            doc = self.curator(doc)
        except Exception as e:  # noqa: BLE001 - a document that breaks a filter is counted, not fatal
            return reject(with_meta(doc, error=f"{type(e).__name__}: {e}"), "curate_error")
        if self.pii is not None and "reason" not in doc:
            scrubbed = scrub(doc["text"], self.pii.emails, self.pii.ips)
            if scrubbed.emails or scrubbed.ips:
                doc = with_meta({**doc, "text": scrubbed.text}, pii={"emails": scrubbed.emails, "ips": scrubbed.ips})
        return doc


class UrlBlocklist(beam.DoFn):
    """Drops `url_blocklist` the documents whose URL the list names, before any step across documents (RefinedWeb
    filters URLs first: a blocked page never takes part in CommonCrawl's line dedup)."""

    def __init__(self, path: str):
        self.path = path

    def setup(self):
        with FileSystems.open(self.path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            self.blocklist = Blocklist(f.read().decode("utf-8").splitlines())

    def process(self, doc: dict):
        entry = None if "reason" in doc else self.blocklist.match(doc["url"])
        yield reject(with_meta(doc, blocked_by=entry), "url_blocklist") if entry else doc


def _write_stats(path: str, source: str, files: int, outcomes: list, pii=None) -> None:
    stats = {"source": source, "files": files, **source_counts(outcomes, source)}
    if pii is not None:
        stats["pii"] = dict(zip(("documents", "emails", "ips"), pii))
    write_json(path, stats)


def temp_dir(run_dir: str, source_name: str) -> str:
    """Where the job's steps across documents and its writer spill rows before merging them; removed once the job
    has succeeded."""
    return FileSystems.join(run_dir, ".tmp", source_name)


def _pii_counts(doc: dict) -> tuple[int, int, int]:
    pii = doc["meta"].get("pii") if "reason" not in doc else None
    return (1, pii["emails"], pii["ips"]) if pii else (0, 0, 0)


def _sum_counts(counts) -> tuple[int, int, int]:
    return tuple(map(sum, zip(*counts))) or (0, 0, 0)


def build(p: beam.Pipeline, source: Source, params, paths: list[str], run_dir: str, num_shards: int,
          file_limits: Limits = Limits(), filters: Filters = Filters()) -> None:
    name = source.name
    records = (p
               | "Files" >> beam.Create(paths)
               | "SpreadFiles" >> beam.Reshuffle()
               | "Read" >> beam.ParDo(ReadFiles(name, source.read, len(paths), file_limits)))
    if source.assemble is not None:
        records = records | "Assemble" >> source.assemble(temp_dir(run_dir, name))
    if blocklist := filters.blocklist_for(name):
        records = records | "UrlBlocklist" >> beam.ParDo(UrlBlocklist(blocklist))
    prepare = source.prepare(params, paths, temp_dir(run_dir, name)) if source.prepare is not None else None
    if prepare is not None:
        records = records | "Prepare" >> prepare
    rows = records | "Curate" >> beam.ParDo(Curate(source, params, filters))
    if source.dedup_key is not None:  # rejects go through with the documents: no collection waits for another
        key = source.dedup_key
        rows = (rows
                | "KeyByContent" >> beam.Map(keyed(lambda d: key(d["text"])))
                | "GroupByContent" >> SpilledGroupByKey(temp_dir(run_dir, name))
                | "KeepFirst" >> beam.FlatMapTuple(keep_first("duplicate")))
    if source.finish is not None:  # steps across the kept documents
        kept, dropped = split(rows, "Deduped")
        finish = source.finish(params, FileSystems.join(temp_dir(run_dir, name), "finish"))
        kept, finish_dropped = split(kept | "Finish" >> finish, "Finished")
        rows = (kept, dropped, finish_dropped) | "Everything" >> beam.Flatten()

    pii = []
    if filters.scrubs(name):  # kept documents scrubbed and addresses replaced, into the stats
        pii = [beam.pvalue.AsSingleton(rows
                                       | "PiiCounts" >> beam.Map(_pii_counts)
                                       | "SumPii" >> beam.CombineGlobally(_sum_counts))]
    curated_dir = FileSystems.join(run_dir, "curated", name)
    rejects_dir = FileSystems.join(run_dir, "rejects", name)
    stats_path = FileSystems.join(run_dir, "stats", f"{name}.json")
    _ = (rows
         | "Write" >> WriteShards(
             lambda r: FileSystems.join(rejects_dir, safe_reason(r["reason"])) if "reason" in r else curated_dir,
             num_shards, temp_dir(run_dir, name))
         | "CountOutcomes" >> CountOutcomes()
         | "WriteStats" >> beam.Map(lambda outcomes, *pii: _write_stats(stats_path, name, len(paths), outcomes, *pii),
                                    *pii))
