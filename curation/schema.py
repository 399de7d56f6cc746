"""The one document shape every stage agrees on, defined once.

A document is a plain dict with the keys of `DOC_SCHEMA`. Its `meta` is a dict of the annotations sources add
(language, perplexity, license, ...), read and updated as a dict in memory; stored (Parquet, spill files) it is
JSON text, so that the schema stays fixed whatever the annotations: `to_row` and `from_row` are the only
crossings. A dropped document is the same dict plus `reason`, a short stable string such as ``lang``.
"""
from __future__ import annotations

import hashlib
import json
import re

import pyarrow as pa

SOURCES = ("commoncrawl", "c4", "github", "wikipedia", "books", "arxiv", "stackexchange")

DOC_SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("text", pa.large_string(), nullable=False),
    pa.field("url", pa.string(), nullable=False),
    pa.field("meta", pa.string(), nullable=False),
])

REJECT_SCHEMA = DOC_SCHEMA.append(pa.field("reason", pa.string(), nullable=False))


def doc_id(source: str, native_id: str) -> str:
    """Stable 128-bit id of a document: the same source and native id give the same id on every run."""
    return hashlib.blake2b(f"{source}\x00{native_id}".encode(), digest_size=16).hexdigest()


_OUR_ID = re.compile(r"[0-9a-f]{32}")


def id_bits(row_id: str) -> int:
    """32 evenly spread bits of a document id, to pick a shard or a batch: the first 8 hex digits of one of our
    ids (a hash already), a hash of any other string (documents from other tools: "doc-1", a URL, ...)."""
    if _OUR_ID.fullmatch(row_id):
        return int(row_id[:8], 16)
    return int.from_bytes(hashlib.blake2b(row_id.encode(), digest_size=4).digest(), "big")


def make_doc(source: str, native_id: str, text: str, url: str = "", **meta) -> dict:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    return {"id": doc_id(source, native_id), "source": source, "text": text, "url": url, "meta": meta}


def with_meta(doc: dict, **updates) -> dict:
    """A copy of `doc` whose meta holds `updates` on top of what it had; `doc` is left as it was (a Beam step
    must not change its input)."""
    return {**doc, "meta": {**doc["meta"], **updates}}


def to_row(doc: dict) -> dict:
    """The document as stored: meta as JSON text, keys sorted and non-ASCII characters as they are."""
    return {**doc, "meta": json.dumps(doc["meta"], sort_keys=True, ensure_ascii=False)}


def from_row(row: dict) -> dict:
    """A stored document (or reject) back in memory: meta parsed."""
    return {**row, "meta": json.loads(row["meta"])}


def reject(doc: dict, reason: str) -> dict:
    return {**doc, "reason": reason}
