"""The one document shape every stage agrees on, defined once.

A document is a plain dict with the keys of `DOC_SCHEMA`; `meta` is a JSON string so that the Parquet schema
stays fixed while sources add their own annotations (language, perplexity, license, ...).
A dropped document is the same dict plus `reason`, a short stable string such as ``lang`` or ``too_short``.
"""
from __future__ import annotations

import hashlib
import json

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


def make_doc(source: str, native_id: str, text: str, url: str = "", **meta) -> dict:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    return {"id": doc_id(source, native_id), "source": source, "text": text, "url": url,
            "meta": json.dumps(meta, sort_keys=True, ensure_ascii=False)}


def get_meta(doc: dict) -> dict:
    return json.loads(doc["meta"])


def with_meta(doc: dict, **updates) -> dict:
    """A copy of `doc` whose meta holds `updates` on top of what it had."""
    meta = get_meta(doc)
    meta.update(updates)
    return {**doc, "meta": json.dumps(meta, sort_keys=True, ensure_ascii=False)}


def reject(doc: dict, reason: str) -> dict:
    return {**doc, "reason": reason}
