"""What one input may cost a reader, whatever its bytes: the job's `Limits`, and the bounded streams that enforce
them. Every reader takes its limits as an argument, so the same bytes are read the same way wherever it runs."""
from __future__ import annotations

import bz2
import gzip
import io
from dataclasses import dataclass

from llama_data.config import check


@dataclass(frozen=True)
class Limits:
    """The `limits:` section of configs/curation.yaml.
    A compressed file stops being read past `max_decompressed_bytes` (a bomb; the documents before it are kept),
    and one document or record longer than `max_document_bytes` is dropped `too_large` without being held."""
    max_decompressed_bytes: int = 128 << 30  # the largest real input, enwiki in one .bz2, is ~100 GB
    max_document_bytes: int = 64 << 20

    def __post_init__(self):
        check(self.max_decompressed_bytes >= 1, "max_decompressed_bytes", "must be at least 1")
        check(self.max_document_bytes >= 1, "max_document_bytes", "must be at least 1")


class DecompressionLimit(Exception):
    """A file decompressed past `Limits.max_decompressed_bytes`; the curation job counts it under `reason`."""
    reason = "decompression_limit"


class _Limited(io.RawIOBase):
    def __init__(self, stream, max_bytes: int):
        self.stream, self.max_bytes, self.total = stream, max_bytes, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self.stream.read1(len(b))  # what one step of decompression gives: a later failure loses none of it
        n = len(data)
        b[:n] = data
        self.total += n
        if self.total > self.max_bytes:
            raise DecompressionLimit(f"more than {self.max_bytes:,} bytes after decompression")
        return n


def limited(stream, max_bytes: int) -> io.BufferedReader:
    """`stream` (a decompressing one) as a buffered stream that raises DecompressionLimit past `max_bytes`."""
    return io.BufferedReader(_Limited(stream, max_bytes), 1 << 16)


def open_decompressed(path: str, raw, max_bytes: int) -> io.BufferedReader:
    """The bytes of a file, gunzipped or bunzipped by its name's suffix and bounded by `max_bytes` after
    decompression; a plain file is returned as it is (its size is the reader's own bound)."""
    if path.endswith((".gz", ".tgz")):
        return limited(gzip.GzipFile(fileobj=raw), max_bytes)
    if path.endswith(".bz2"):
        return limited(bz2.BZ2File(raw), max_bytes)
    return raw


@dataclass(frozen=True)
class Oversized:
    """A line longer than the document limit, skipped: its first bytes and its length."""
    head: bytes
    size: int


def read_lines(stream, max_bytes: int):
    """The lines of a binary stream, each a `bytes` with its line end, or an `Oversized` for a line longer than
    `max_bytes`, which is read past in chunks and never held whole."""
    while line := stream.readline(max_bytes + 1):
        if len(line) <= max_bytes or line.endswith(b"\n"):
            yield line
            continue
        size = len(line)
        while (more := stream.readline(1 << 20)) and not more.endswith(b"\n"):
            size += len(more)
        yield Oversized(line[:100_000], size + len(more))
