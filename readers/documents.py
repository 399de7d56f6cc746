"""Document shards: `part-*.parquet` under a stage's curated/<source>/ and rejects/<source>/<reason>/, Parquet
files of the document rows of curation/schema.py (rejects add `reason`), zstd-compressed, sorted by id.

The one module that knows that format: the shard writer (pipelines/io.py) opens its files here, and every reader
of documents (dedup, decontaminate, the tokenizer, encode, the report, the CommonCrawl models) reads here.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from curation.schema import DOC_SCHEMA, from_row

COMPRESSION = "zstd"


def writer(f, schema) -> pq.ParquetWriter:
    """A writer of one shard into the open binary file `f`; each `write_table` call is a row group."""
    return pq.ParquetWriter(f, schema, compression=COMPRESSION)


def parts(folder: str | Path) -> list[Path]:
    """The shards of one folder (a source's curated documents, or one reject reason), in name order."""
    return sorted(Path(folder).glob("part-*.parquet"))


def batches(shard, columns: list[str], batch_size: int = 65536):
    """Record batches of the named columns of one shard (a path or a binary file), for readers that need only
    some columns (ids and texts) and never a whole shard in memory."""
    yield from pq.ParquetFile(shard).iter_batches(columns=columns, batch_size=batch_size)


def read_documents(shard) -> list[dict]:
    """Every document of one shard (a path or a binary file) as a dict, meta parsed."""
    return [from_row(row) for row in pq.read_table(shard, columns=DOC_SCHEMA.names).to_pylist()]


def iter_documents(shard, batch_size: int = 1024):
    """The documents of one shard in file order, meta parsed, a batch at a time (a worker never holds the file)."""
    for batch in batches(shard, DOC_SCHEMA.names, batch_size):
        for row in batch.to_pylist():
            yield from_row(row)


def read_texts(shard) -> list[str]:
    return pq.read_table(shard, columns=["text"]).column("text").to_pylist()
