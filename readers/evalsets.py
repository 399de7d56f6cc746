"""Evaluation sets, for decontamination: the text of each example of a JSON-lines (plain or .gz) or Parquet file.

An example's text is every string in its row (nested lists and mappings included), in order, joined by spaces:
the question, its choices and its answer together, whatever the benchmark names its fields; `fields` keeps
only the named top-level fields.
"""
from __future__ import annotations

import json

from readers.limits import Limits, Oversized, open_decompressed, read_lines


def example_texts(path: str, f, fields: list[str] | None = None, limits: Limits = Limits()):
    """The text of every example in the file; ValueError naming the file and line of a row that is not JSON."""
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(f).iter_batches():
            for row in batch.to_pylist():
                yield _text(row, fields)
        return
    stream = open_decompressed(path, f, limits.max_decompressed_bytes)
    for n, line in enumerate(read_lines(stream, limits.max_document_bytes), 1):
        if isinstance(line, Oversized):
            raise ValueError(f"{path}:{n}: an example longer than {limits.max_document_bytes:,} bytes")
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as e:
            raise ValueError(f"{path}:{n}: not a JSON object ({e})") from None
        yield _text(row, fields)


def _text(row, fields) -> str:
    if fields is not None and isinstance(row, dict):
        row = {k: row[k] for k in fields if k in row}
    return " ".join(_strings(row))


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
