"""JSON lines, gzip'd or plain: the line handling every JSON-lines reader shares (`read_rows`), and C4's pages."""
from __future__ import annotations

import json

from curation.schema import make_doc, reject
from readers.limits import Limits, Oversized, open_decompressed, read_lines


def read_rows(path: str, f, limits: Limits, source: str, fields, document):
    """One document (or reject) per non-blank line: `fields(row)` takes the values a row must have from its JSON
    object, raising ValueError, KeyError, TypeError or AttributeError where they are missing or of the wrong
    type, and `document(native_id, row, *values)` makes the document. A line that is not JSON or lacks the
    fields is rejected `bad_json`, one longer than the document limit `too_large` (skipped unread). The native
    id of a reject is the file name and line, stable wherever the files live."""
    name = path.rsplit("/", 1)[-1]
    stream = open_decompressed(path, f, limits.max_decompressed_bytes)
    for n, line in enumerate(read_lines(stream, limits.max_document_bytes), 1):
        native = f"{name}:{n}"
        if isinstance(line, Oversized):
            yield reject(make_doc(source, native, "", path, bytes=line.size), "too_large")
            continue
        raw = line.decode("utf-8", errors="replace")
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
            values = fields(row)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            yield reject(make_doc(source, native, raw[:100_000], path, error=str(e)), "bad_json")
            continue
        yield document(native, row, *values)


def read_pages(path: str, f, limits: Limits):
    """C4: one document per JSON line (`text`, `url`, `timestamp` or `date`)."""
    return read_rows(path, f, limits, "c4", _page_fields, _page)


def _page_fields(row) -> tuple:
    text, url = row["text"], row.get("url", "")
    if not isinstance(text, str):
        raise TypeError("text is not a string")
    return text, url


def _page(native: str, row: dict, text: str, url: str) -> dict:
    return make_doc("c4", native, text, url, timestamp=row.get("timestamp") or row.get("date"))
