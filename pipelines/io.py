"""Beam I/O shared by every job: list input files, read them through a source's reader, and write
deterministic, atomic Parquet shards. Everything goes through Beam's filesystems, so paths may be
local, gs:// or s3://, and only ParDo and GroupByKey are used, so every runner can run it."""
from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import re
import sys
import traceback
import uuid

import apache_beam as beam
import pyarrow as pa
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from curation.schema import DOC_SCHEMA, REJECT_SCHEMA, doc_id, from_row, id_bits, to_row
from pipelines import storage
from readers import documents
from readers.limits import DecompressionLimit, Limits


def expand_input(path_or_glob: str) -> list[str]:
    """The input files of a path, a directory (everything under it, hidden files skipped) or a glob."""
    pattern = path_or_glob
    if not storage.is_glob(path_or_glob) and storage.is_dir(path_or_glob):
        pattern = path_or_glob.rstrip("/") + "/**"
    root = re.split(r"[*?\[]", pattern, maxsplit=1)[0]  # the literal part before any wildcard
    return [p for p in storage.match(pattern) if not _hidden(p, root)]


def folder_units(input_path: str, paths: list[str]) -> list[str]:
    """The units of a source whose unit may be a folder (a repository, an extracted e-print), for
    `Source.units`: a file directly in the input directory stays a unit; each sub-folder of the input directory
    becomes one unit, its path ending in "/" (its reader opens the folder's files itself). A glob or a single
    file is unchanged."""
    if storage.is_glob(input_path) or not storage.is_dir(input_path):
        return paths
    root = input_path.rstrip("/") + "/"
    units = set()
    for path in paths:
        top, sep, _ = path[len(root):].partition("/")
        units.add(root + top + "/" if sep else path)
    return sorted(units)


def read_head(path: str, max_bytes: int) -> bytes:
    """The first `max_bytes` of a file (a reader's bound on a file of a folder unit)."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        return f.read(max_bytes)


def _hidden(path: str, root: str) -> bool:
    """Hidden below the input root (markers such as .complete, temp files); the root's own path may be hidden."""
    relative = path[len(root):] if path.startswith(root) else path.rsplit("/", 1)[-1]
    return any(part.startswith(".") for part in relative.split("/"))


class ReadFiles(beam.DoFn):
    """Runs a source's reader over one file, passing it the job's `Limits`. A file that fails part way keeps the
    documents read before the failure and adds one reject for the file, reason `read_error` (or
    `decompression_limit`); a file that holds no document at all
    (empty, or only non-document records) adds one reject `no_documents`. So no input file goes unaccounted."""

    def __init__(self, source_name: str, reader, total_files: int, file_limits: Limits = Limits()):
        self.source_name, self.reader, self.total_files = source_name, reader, total_files
        self.limits = file_limits

    def setup(self):
        self.done = 0

    def process(self, path: str):
        records = 0
        try:
            with contextlib.ExitStack() as stack:  # a folder unit (path ending in "/") is read without a stream
                f = None if path.endswith("/") else stack.enter_context(
                    FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED))
                for records, row in enumerate(self.reader(path, f, self.limits), 1):
                    yield row
        except DecompressionLimit as e:
            yield self._file_reject(path, e.reason, _error_meta(e))
        except Exception as e:  # noqa: BLE001 - any parser failure becomes a counted reject
            yield self._file_reject(path, "read_error", _error_meta(e))
        else:
            if records == 0:
                yield self._file_reject(path, "no_documents", {})
        self.done += 1
        if self.done % max(1, self.total_files // 10) == 0 or self.done == self.total_files:
            print(f"[{self.source_name}] read {self.done}/{self.total_files} files, last {path} ({records:,} records)",
                  file=sys.stderr, flush=True)

    def _file_reject(self, path: str, reason: str, meta: dict) -> dict:
        return {"id": doc_id(self.source_name, f"{path}#{reason}"), "source": self.source_name, "text": "",
                "url": path, "meta": meta, "reason": reason}


def _error_meta(e: Exception) -> dict:
    return {"error": f"{type(e).__name__}: {e}", "where": traceback.format_exc(limit=-1).strip()}


class ReadParquet(beam.DoFn):
    """The documents of one Parquet file, meta parsed (a ParDo over paths, so every runner can read)."""

    def __init__(self, total_files: int, job: str):
        self.total_files, self.job = total_files, job

    def setup(self):
        self.done = 0

    def process(self, path: str):
        with FileSystems.open(path) as f:
            docs = documents.read_documents(f)
        yield from docs
        self.done += 1
        print(f"[{self.job}] read {self.done}/{self.total_files} files ({len(docs):,} documents from {path})",
              file=sys.stderr, flush=True)


def write_json(path: str, obj) -> None:
    """A job's stats file, written whole or not at all (a temporary name, then a rename): where it exists, the job
    that writes it has finished."""
    tmp = path + ".tmp"
    with FileSystems.create(tmp) as f:
        f.write(json.dumps(obj, indent=1, sort_keys=True).encode())
    FileSystems.rename([tmp], [path])


def outcome_directory(out_dir: str, row: dict) -> str:
    """Where a stage over all sources writes a row: curated/<source>/, or rejects/<source>/<reason>/."""
    if "reason" in row:
        return FileSystems.join(out_dir, "rejects", row["source"], safe_reason(row["reason"]))
    return FileSystems.join(out_dir, "curated", row["source"])


def safe_reason(reason: str) -> str:
    """Reasons become directory names under rejects/."""
    return re.sub(r"[^a-z0-9_.-]+", "_", reason.lower()).strip(".") or "unknown"


def shard_of(row_id: str, num_shards: int) -> int:
    return id_bits(row_id) % num_shards


KEPT = "kept"  # the outcome of a row without a `reason`
SPILL_BYTES = 16 << 20  # text a writer holds in a bundle before spilling it, sorted, to a temporary file
SPILL_BATCH = 64        # rows per record batch of a spill file: what a merge holds of each spill it reads
MAX_FAN_IN = 32         # spill files merged at once; more are merged in rounds, so memory stays flat
ROW_GROUP_ROWS, ROW_GROUP_BYTES = 2_000, 16 << 20  # a Parquet row group ends at whichever comes first
GROUP_BUCKETS = 32      # SpilledGroupByKey's buckets: its merges that may run in parallel, and the most spill
                        # files a bundle writes (more buckets: more, smaller files and merges)
GROUP_KEY = "group_key"  # the column of a spilled row that holds its SpilledGroupByKey key
# A row spilled by SpilledGroupByKey: kept documents and rejects alike (`reason` null on a kept one), and its key.
GROUP_SCHEMA = DOC_SCHEMA.append(pa.field("reason", pa.string())).append(pa.field(GROUP_KEY, pa.string(), False))


def _order(row: dict):
    """Stored rows (`to_row`) are written in id order; ties (the same id read twice) are broken by everything
    else, so the order never depends on how the runner bundled the rows."""
    return row["id"], row["meta"], row["text"], row["url"], row["source"], row.get("reason") or ""


def _group_order(row: dict):
    """SpilledGroupByKey's spills: by key, then as the writer orders rows."""
    return row[GROUP_KEY], *_order(row)


def _schema(row: dict):
    if GROUP_KEY in row:
        return GROUP_SCHEMA
    return REJECT_SCHEMA if "reason" in row else DOC_SCHEMA


def _chunks(rows, size: int):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class WriteShards(beam.PTransform):
    """Writes documents and rejects (rows with a `reason`) to `{directory_of(row)}/part-SSSSS-of-NNNNN.parquet`,
    each shard sorted by id and written to a temporary name then renamed: the same rows give the same bytes on
    any runner, and a crash never leaves a partial file under a final name.

    The rows never go through a shuffle, which on the DirectRunner holds them all in memory: each bundle spills
    its rows, sorted, to temporary Arrow files in `temp_dir`, only (shard, spill file) names are grouped, and
    each shard's spills are merged in id order into its file as a stream (an external merge sort: memory is a
    batch per merged spill and a row group, whatever the size of the input). Returns, per file written, its path
    and its (documents, chars) per (source, outcome), the outcome being a row's reason or "kept"."""

    def __init__(self, directory_of, num_shards: int, temp_dir: str):
        super().__init__()
        self.directory_of, self.num_shards, self.temp_dir = directory_of, num_shards, temp_dir

    def expand(self, rows):
        directory_of, n = self.directory_of, self.num_shards
        return (rows
                | "Spill" >> beam.ParDo(Spill(lambda r: (directory_of(r), shard_of(r["id"], n)), self.temp_dir))
                | "GroupSpills" >> beam.GroupByKey()
                | "MergeShard" >> beam.MapTuple(_merge_shard, num_shards=n))


def _system_allocator() -> None:
    """Arrow's default allocator (mimalloc) keeps the memory of freed batches for reuse, so a writer streaming
    short-lived batches looks as if it grew with its input (docs/BENCHMARKS.md); glibc's malloc
    gives it back, at the same speed. This sets the pool of the whole worker process, which is what we want."""
    pa.set_memory_pool(pa.system_memory_pool())


class Spill(beam.DoFn):
    """Parks rows in temporary files instead of memory until a later step wants them: rows -> (key_of(row),
    spill file), each spill file holding rows of one key as stored (`to_row`: meta as JSON text), sorted by
    `order` (read them with `spilled_rows`). A bundle holds about SPILL_BYTES of rows (counted in characters)
    before it writes them out. Each bundle writes a file per key it saw, so a runner with tiny bundles makes many
    small files: give it bundles of thousands of rows.
    Spill files are left for the job's owner to remove once the job has succeeded
    (`pipelines.launch.remove_temp`): a retried step must find its inputs again."""

    def __init__(self, key_of, temp_dir: str, order=_order):
        self.key_of, self.temp_dir, self.order = key_of, temp_dir, order

    def setup(self):
        _system_allocator()

    def start_bundle(self):
        self.buffers, self.held = {}, 0

    def process(self, row):
        key, row = self.key_of(row), to_row(row)
        if key not in self.buffers:
            self.buffers[key] = path, _ = _spill_path(self.temp_dir), []
            yield key, path  # written by the end of this bundle; read only after a GroupByKey, so in time
        self.buffers[key][1].append(row)
        self.held += len(row["text"]) + len(row["meta"])
        if self.held >= SPILL_BYTES:
            self._spill()

    def finish_bundle(self):
        self._spill()

    def _spill(self):
        for path, rows in self.buffers.values():
            _write_spill(path, sorted(rows, key=self.order))
        self.buffers, self.held = {}, 0


def _spill_path(temp_dir: str) -> str:
    return FileSystems.join(temp_dir, f"{uuid.uuid4().hex}.arrow")


def _write_spill(path: str, rows) -> None:
    """Sorted rows to an Arrow stream file (LZ4), in record batches of SPILL_BATCH rows."""
    writer = None
    with FileSystems.create(path) as f:
        for batch in _chunks(rows, SPILL_BATCH):
            if writer is None:
                schema = _schema(batch[0])
                writer = pa.ipc.new_stream(f, schema, options=pa.ipc.IpcWriteOptions(compression="lz4"))
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
        if writer is not None:
            writer.close()


def spilled_rows(path: str):
    """The rows of a spill file, in order, a batch at a time, as stored (`from_row` parses their meta)."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        for batch in pa.ipc.open_stream(f):
            yield from batch.to_pylist()


def merged_rows(spills: list[str], order=_order):
    """The rows of several spill files merged in the writer's row order (or `order`), as a stream."""
    return heapq.merge(*(spilled_rows(path) for path in spills), key=order)


def _fan_in(spills, order=_order) -> tuple[list[str], list[str]]:
    """Spills merged in rounds of MAX_FAN_IN into fewer, until at most MAX_FAN_IN are left: (those left, those of
    them this call made). The input spills stay until the job has succeeded (see Spill); the caller deletes the
    ones this call made once it has read them."""
    spills, ours = sorted(spills), []
    while len(spills) > MAX_FAN_IN:  # merge the first spills into one, until few enough are left
        head, spills = spills[:MAX_FAN_IN], spills[MAX_FAN_IN:]
        spills.append(_spill_path(FileSystems.split(head[0])[0]))
        _write_spill(spills[-1], merged_rows(head, order))
        ours.append(spills[-1])
        FileSystems.delete([path for path in head if path in ours])
    return spills, [path for path in spills if path in ours]


def _merge_shard(key, spills, num_shards: int = 1):
    _system_allocator()
    directory, shard = key
    spills, ours = _fan_in(spills)
    final = FileSystems.join(directory, f"part-{shard:05d}-of-{num_shards:05d}.parquet")
    tmp, counts, writer = final + ".tmp", {}, None
    with FileSystems.create(tmp) as f:
        group, size = [], 0
        for row in merged_rows(spills):
            count = counts.setdefault((row["source"], row.get("reason", KEPT)), [0, 0])
            count[0] += 1
            count[1] += len(row["text"])
            group.append(row)
            size += len(row["text"]) + len(row["meta"])
            if len(group) == ROW_GROUP_ROWS or size >= ROW_GROUP_BYTES:
                writer = _write_group(writer, f, group)
                group, size = [], 0
        _write_group(writer, f, group).close()
    FileSystems.rename([tmp], [final])
    FileSystems.delete(ours)
    return final, {k: tuple(v) for k, v in counts.items()}


def _write_group(writer, f, rows: list):
    """Appends `rows` as one row group (opening the writer on the first one); returns the writer."""
    if writer is None:
        writer = documents.writer(f, _schema(rows[0]))
    if rows:
        writer.write_table(pa.Table.from_pylist(rows, schema=writer.schema))
    return writer


class SpilledGroupByKey(beam.PTransform):
    """(key, document) pairs -> (key, [the documents of that key]), like a GroupByKey, without any document going
    through a shuffle (which on the DirectRunner holds them all in memory, and on Dask moves every text between
    workers): each bundle spills its rows as stored, key in a column, sorted by key and then as the writer orders
    rows, to temporary Arrow files in `temp_dir`, one per bucket (a hash of the key) it saw (see Spill); only
    (bucket, spill file) names are grouped; then each bucket's spills are merged in key order as a stream (in rounds
    past MAX_FAN_IN, as the writer's) and each run of one key is one group. A worker holds one group and a batch
    per merged spill, whatever the size of the input. Keys are strings; a group's documents come in id order and
    may be rejects (rows with a `reason`). `buckets` is how many merges run in parallel, and how many spill files
    a bundle may write at most."""

    def __init__(self, temp_dir: str, buckets: int = GROUP_BUCKETS):
        super().__init__()
        self.temp_dir, self.buckets = temp_dir, buckets

    def expand(self, pairs):
        buckets = self.buckets
        return (pairs
                | "Keyed" >> beam.MapTuple(lambda key, doc: {**doc, GROUP_KEY: key})
                | "Spill" >> beam.ParDo(Spill(lambda r: id_bits(r[GROUP_KEY]) % buckets, self.temp_dir,
                                              _group_order))
                | "GroupSpills" >> beam.GroupByKey()
                | "MergeGroups" >> beam.FlatMapTuple(_merge_groups))


def _merge_groups(_bucket, spills):
    _system_allocator()
    spills, ours = _fan_in(spills, _group_order)
    for key, rows in itertools.groupby(merged_rows(spills, _group_order), key=lambda r: r[GROUP_KEY]):
        yield key, [_grouped(row) for row in rows]
    FileSystems.delete(ours)


def _grouped(row: dict) -> dict:
    """A row of SpilledGroupByKey's spills back as the document it was: key column gone, meta parsed."""
    doc = {k: v for k, v in row.items() if k != GROUP_KEY}
    if doc["reason"] is None:
        del doc["reason"]
    return from_row(doc)
