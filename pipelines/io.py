"""Beam I/O shared by every job: list input files, read them through a source's reader, and write
deterministic, atomic Parquet shards. Everything goes through Beam's filesystems, so paths may be
local, gs:// or s3://, and only ParDo and GroupByKey are used, so every runner can run it."""
from __future__ import annotations

import contextlib
import io
import re
import sys
import traceback

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from curation.schema import doc_id, reject


def expand_input(path_or_glob: str) -> list[str]:
    """The input files of a path, a directory (everything under it, hidden files skipped) or a glob."""
    pattern = path_or_glob
    if not any(ch in path_or_glob for ch in "*?[") and _is_dir(path_or_glob):
        pattern = path_or_glob.rstrip("/") + "/**"
    matches = FileSystems.match([pattern])[0].metadata_list
    root = re.split(r"[*?\[]", pattern, maxsplit=1)[0]  # the literal part before any wildcard
    paths = sorted(m.path for m in matches if not _hidden(m.path, root))
    return [p for p in paths if not _is_dir(p)]


def folder_units(input_path: str, paths: list[str]) -> list[str]:
    """The units of a source whose unit may be a folder (a repository, an extracted e-print), for
    `Source.units`: a file directly in the input directory stays a unit; each sub-folder of the input directory
    becomes one unit, its path ending in "/" (its reader opens the folder's files itself). A glob or a single
    file is unchanged."""
    if any(ch in input_path for ch in "*?[") or not _is_dir(input_path):
        return paths
    root = input_path.rstrip("/") + "/"
    units = set()
    for path in paths:
        top, sep, _ = path[len(root):].partition("/")
        units.add(root + top + "/" if sep else path)
    return sorted(units)


def _is_dir(path: str) -> bool:
    if "://" in path:
        return path.endswith("/")
    import os
    return os.path.isdir(path)


def _hidden(path: str, root: str) -> bool:
    """Hidden below the input root (markers such as .complete, temp files); the root's own path may be hidden."""
    relative = path[len(root):] if path.startswith(root) else path.rsplit("/", 1)[-1]
    return any(part.startswith(".") for part in relative.split("/"))


class ReadFiles(beam.DoFn):
    """Runs a source's reader over one file. A file that fails part way keeps the documents read before
    the failure and adds one reject for the file, reason `read_error`; a file that holds no document at all
    (empty, or only non-document records) adds one reject `no_documents`. So no input file goes unaccounted."""

    def __init__(self, source_name: str, reader, total_files: int):
        self.source_name, self.reader, self.total_files = source_name, reader, total_files

    def setup(self):
        self.done = 0

    def process(self, path: str):
        records = 0
        try:
            with contextlib.ExitStack() as stack:  # a folder unit (path ending in "/") is read without a stream
                f = None if path.endswith("/") else stack.enter_context(
                    FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED))
                for records, row in enumerate(self.reader(path, f), 1):
                    yield row
        except Exception as e:  # noqa: BLE001 - any parser failure becomes a counted reject
            yield self._file_reject(path, "read_error", _error_meta(e))
        else:
            if records == 0:
                yield self._file_reject(path, "no_documents", "{}")
        self.done += 1
        if self.done % max(1, self.total_files // 10) == 0 or self.done == self.total_files:
            print(f"[{self.source_name}] read {self.done}/{self.total_files} files, last {path} ({records:,} records)",
                  file=sys.stderr, flush=True)

    def _file_reject(self, path: str, reason: str, meta: str) -> dict:
        return {"id": doc_id(self.source_name, f"{path}#{reason}"), "source": self.source_name, "text": "",
                "url": path, "meta": meta, "reason": reason}


def _error_meta(e: Exception) -> str:
    import json
    return json.dumps({"error": f"{type(e).__name__}: {e}", "where": traceback.format_exc(limit=-1).strip()})


def safe_reason(reason: str) -> str:
    """Reasons become directory names under rejects/."""
    return re.sub(r"[^a-z0-9_.-]+", "_", reason.lower()).strip(".") or "unknown"


def shard_of(row_id: str, num_shards: int) -> int:
    return int(row_id[:8], 16) % num_shards


class WriteShards(beam.PTransform):
    """Writes rows to `{directory}/part-SSSSS-of-NNNNN.parquet`, each shard sorted by id and written to a
    temporary name then renamed: the same rows give the same bytes on any runner, and a crash never leaves
    a partial file under a final name. Returns the written paths."""

    def __init__(self, directory_of, schema, num_shards: int):
        super().__init__()
        self.directory_of, self.schema, self.num_shards = directory_of, schema, num_shards

    def expand(self, rows):
        n = self.num_shards
        return (rows
                | "KeyByShard" >> beam.Map(lambda r: ((self.directory_of(r), shard_of(r["id"], n)), r))
                | "GroupShards" >> beam.GroupByKey()
                | "WriteShard" >> beam.MapTuple(self._write))

    def _write(self, key, rows):
        import pyarrow as pa
        import pyarrow.parquet as pq

        directory, shard = key
        rows = sorted(rows, key=lambda r: r["id"])
        table = pa.Table.from_pylist(rows, schema=self.schema)
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="zstd")
        final = FileSystems.join(directory, f"part-{shard:05d}-of-{self.num_shards:05d}.parquet")
        tmp = final + ".tmp"
        with FileSystems.create(tmp) as f:
            f.write(buf.getvalue())
        FileSystems.rename([tmp], [final])
        return final
