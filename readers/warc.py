"""WARC and WET files (HTML responses, or text already extracted), gzip'd per record or plain, streamed one
record at a time into documents.

Page records are read as documents: a WARC `response` (a 200 HTML one becomes text; any other is dropped
as `http_status` or `not_html`), a `revisit` (no payload of its own: `revisit`) and a WET `conversion`.
warcinfo, request, metadata and resource records describe the crawl rather than pages and are not read.

Damage costs only the records it touches. The file is cut into records, and their WARC and HTTP headers
parsed, here (not by warcio, which stops at the first error): a corrupt gzip member resumes at the next member
(`corrupt_gzip`), a cut-off file ends with `truncated`, a record bigger than MAX_RECORD_BYTES is skipped without
being held (`too_large`), a file that is neither gzip nor WARC is `not_warc`, an empty one `empty_file`. Memory
is bounded by one record.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

from isal import isal_zlib  # zlib's interface; Intel ISA-L inflates WARC members faster (docs/BENCHMARKS.md)
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader

from curation.extract import html_to_text
from curation.schema import doc_id, make_doc, reject
from curation.sources import commoncrawl as cc
from curation.text import looks_binary
from readers.limits import DecompressionLimit, Limits

CHUNK = 1 << 18
MAX_RECORD_BYTES = 8 << 20  # Common Crawl truncates payloads at 1 MiB; anything far bigger is not a web page
MAX_HEADER_BYTES = 64 << 10
PAGE_TYPES = (b"response", b"revisit", b"conversion")
_WARC_TYPE = re.compile(rb"\r\nWARC-Type:[ \t]*(\S+)", re.I)
_LENGTH = re.compile(rb"\r\nContent-Length:[ \t]*(\d+)", re.I)


@dataclass
class _Broken:
    """A place in the byte stream where data was lost."""
    reason: str


def read(path: str, f, limits: Limits):
    """The page records of a WARC/WET file as documents or rejects, and a reject for each place data was lost."""
    head = f.read(2)
    if not head:
        yield _file_reject(path, "empty_file", 0)
        return
    if head == b"\x1f\x8b":
        chunks = _gunzip(head, f, limits.max_decompressed_bytes)
    elif head == b"WA":
        chunks = _plain(head, f)
    else:
        yield _file_reject(path, "not_warc", 0, first_bytes=repr(head + f.read(14)))
        return
    for offset, record, broken in _records(chunks):
        if broken:
            yield _file_reject(path, broken, offset, **_header_fields(record))
        elif _warc_type(record) in PAGE_TYPES:
            yield _document(path, offset, record)


def _plain(head: bytes, f):
    yield head
    while chunk := f.read(CHUNK):
        yield chunk


def _gunzip(head: bytes, f, max_total: int):
    """The decompressed bytes of a multi-member gzip stream. A corrupt member yields `_Broken` and reading
    resumes at the next gzip header; a stream that ends inside a member yields `_Broken("truncated")`.
    Past `max_total` bytes in all it raises DecompressionLimit (a gzip bomb)."""
    data, d, in_member = head, isal_zlib.decompressobj(31), False
    total = 0
    while True:
        if not data:
            data = f.read(CHUNK)
            if not data:
                break
        try:
            out = d.decompress(data, CHUNK)
            in_member = True
        except isal_zlib.error:
            yield _Broken("corrupt_gzip")
            data, d, in_member = _next_member(data[1:], f), isal_zlib.decompressobj(31), False
            continue
        if out:
            total += len(out)
            if total > max_total:
                raise DecompressionLimit(f"more than {max_total:,} bytes after decompression")
            yield out
        if d.eof:
            data, d, in_member = d.unused_data, isal_zlib.decompressobj(31), False
        else:
            data = d.unconsumed_tail
    if in_member:
        yield _Broken("truncated")


def _next_member(data: bytes, f):
    """The compressed bytes from the next gzip member header on (empty at the end of the file)."""
    while (i := data.find(b"\x1f\x8b\x08")) < 0:
        more = f.read(CHUNK)
        if not more:
            return b""
        data = data[-2:] + more
    return data[i:]


def _records(chunks):
    """(offset, record bytes, None) for each WARC record of a byte stream, or (offset, header bytes, reason)
    for what was lost; after a loss, reading resumes at the next `WARC/1.` line."""
    buf, pos, skip, resync = bytearray(), 0, 0, False
    for chunk in chunks:
        if isinstance(chunk, _Broken):
            if not resync:
                yield pos, bytes(buf[:MAX_HEADER_BYTES]), chunk.reason
            pos, buf, skip, resync = pos + len(buf), bytearray(), 0, True
            continue
        buf += chunk
        while buf:
            if skip:  # the rest of a too large record
                n = min(skip, len(buf))
                del buf[:n]
                pos, skip = pos + n, skip - n
                continue
            if resync:
                i = buf.find(b"WARC/1.")
                if i < 0:
                    n = max(0, len(buf) - 7)
                    del buf[:n]
                    pos += n
                    break
                del buf[:i]
                pos, resync = pos + i, False
            n = len(buf) - len(buf.lstrip(b"\r\n"))
            del buf[:n]
            pos += n
            if len(buf) < 8:
                break
            end = buf.find(b"\r\n\r\n", 0, MAX_HEADER_BYTES)
            length = _LENGTH.search(buf, 0, end) if end > 0 else None
            if not buf.startswith(b"WARC/") or (end > 0 and not length) or (end < 0 and len(buf) > MAX_HEADER_BYTES):
                yield pos, bytes(buf[:max(end, 0)]), "bad_record"
                del buf[:1]
                pos, resync = pos + 1, True
                continue
            if end < 0:
                break
            total = end + 4 + int(length.group(1))
            if total > MAX_RECORD_BYTES:
                if _warc_type(buf[:end]) in PAGE_TYPES:
                    yield pos, bytes(buf[:end]), "too_large"
                skip = total
                continue
            if len(buf) < total:
                break
            yield pos, bytes(buf[:total]), None
            del buf[:total]
            pos += total
    if buf.strip() and not resync and not skip:
        yield pos, bytes(buf[:MAX_HEADER_BYTES]), "truncated"


def _warc_type(header: bytes) -> bytes:
    m = _WARC_TYPE.search(header, 0, MAX_HEADER_BYTES)
    return m.group(1).lower() if m else b""


def _header_fields(header: bytes) -> dict:
    """URL, record id and type of a damaged record, as far as its header can be read."""
    fields = {}
    for name, key in ((rb"WARC-Target-URI", "url"), (rb"WARC-Record-ID", "record_id"), (rb"WARC-Type", "warc_type")):
        if m := re.search(rb"\r\n" + name + rb":[ \t]*([^\r\n]*)", header[:MAX_HEADER_BYTES], re.I):
            fields[key] = m.group(1).decode("utf-8", "replace")
    return fields


def _file_reject(path: str, reason: str, offset: int, **meta) -> dict:
    return {"id": doc_id("commoncrawl", f"{path}@{offset}#{reason}"), "source": "commoncrawl", "text": "",
            "url": meta.pop("url", path), "meta": {"warc_file": path, "offset": offset, **meta}, "reason": reason}


def _headers(data: bytes, start: int = 0) -> tuple[str, dict[str, str], int]:
    """(status line, {lower-case name: first value}, offset past the blank line) of a header block, read as
    warcio reads one: lines end at LF, values are left-stripped, continuation lines join their header, a line
    is UTF-8 or else ISO-8859-1; without a blank line the block runs to the end of `data`."""
    end = data.find(b"\r\n\r\n", start, start + MAX_HEADER_BYTES)
    try:  # the usual block: UTF-8 (ASCII), CRLF lines, no blank line before its end
        lines = data[start:end].decode("utf-8").split("\n") if end >= 0 else None
    except UnicodeDecodeError:
        lines = None
    if lines is not None and all(line.strip() for line in lines):
        lines, pos = [line.rstrip() for line in lines], end + 4
    else:
        lines, pos = _lines(data, start)
    fields, current = {}, None
    for line in lines[1:]:
        if line[0] in " \t":
            if current is not None:
                current[1] += line
            continue
        name, sep, value = line.partition(":")
        current = [name.rstrip(" \t").lower(), value.lstrip()] if sep else None
        if current is not None:
            fields.setdefault(current[0], current)
    return (lines[0] if lines else ""), {k: v[1] for k, v in fields.items()}, pos


def _lines(data: bytes, start: int) -> tuple[list[str], int]:
    """The header lines from `start` up to a blank one, each decoded on its own, and the offset past it."""
    lines, pos, n = [], start, len(data)
    while pos < n:
        i = data.find(b"\n", pos)
        i = n if i < 0 else i + 1
        raw, pos = data[pos:i], i
        try:
            line = raw.decode("utf-8").rstrip()
        except UnicodeDecodeError:
            line = raw.decode("iso-8859-1").rstrip()
        if not line:
            break
        lines.append(line)
    return lines, pos


def _document(path: str, offset: int, record: bytes) -> dict:
    """A page record as a document. Headers are parsed here (as warcio does, see `_headers`); only a payload
    with a Transfer- or Content-Encoding goes through warcio's decoding readers."""
    _, headers, body_start = _headers(record)
    rec_type = headers.get("warc-type", "").lower()
    uri = headers.get("warc-target-uri") or ""
    if uri.startswith("<") and uri.endswith(">"):  # Wget 1.19's bracketed URIs, as warcio corrects them
        uri = uri[1:-1]
    uri = uri.replace(" ", "%20")
    http, status = None, None  # no HTTP part; {} for an empty one
    if rec_type in ("response", "revisit") and uri.startswith(("http:", "https:")) and body_start < len(record):
        statusline, http, body_start = _headers(record, body_start)
        protocol, _, rest = statusline.partition(" ")
        if statusline and not protocol.startswith(("HTTP/1.0", "HTTP/1.1")):
            raise ValueError(f"Expected Status Line starting with HTTP/1.0 or HTTP/1.1 - Found: {statusline}")
        if statusline or http:
            status = rest.strip().split(" ", 1)[0]
    record_id = headers.get("warc-record-id")
    content_type = (headers.get("content-type") if http is None
                    else http.get("content-type") or headers.get("warc-identified-payload-type"))
    meta = {"warc_date": headers.get("warc-date"), "record_id": record_id,
            "digest": headers.get("warc-payload-digest") or headers.get("warc-block-digest"),
            "content_type": content_type, "warc_file": path, "offset": offset}

    def doc(text: str = "", **more) -> dict:
        return make_doc("commoncrawl", record_id, text, uri, **meta, **more)

    if rec_type == "revisit":
        return reject(doc(), "revisit")
    if rec_type == "conversion":  # WET: UTF-8 text extracted by Common Crawl
        body = record[body_start:]
        if _served_binary(body):
            return reject(doc(), "binary")
        return doc(body.decode("utf-8", errors="replace").strip())
    if status is not None and status != "200":
        return reject(doc(http_status=status), "http_status")
    media_type, charset = cc.parse_content_type(content_type)
    if media_type not in cc.HTML_TYPES:
        return reject(doc(), "not_html")
    body = _payload(record[body_start:], http)
    if _served_binary(body):
        return reject(doc(), "binary")
    html, encoding = cc.decode_html(body, charset)
    if cc.undecodable_share(html) > cc.MAX_UNDECODABLE:
        return reject(doc(encoding=encoding), "bad_encoding")
    return doc(html_to_text(html), encoding=encoding)


def _served_binary(body: bytes) -> bool:
    """An image, archive or executable served as text: judged by its start, where a page has few control bytes."""
    return looks_binary(body[:4096], max_control_share=0.1)


def _payload(block: bytes, http: dict | None) -> bytes:
    """The HTTP payload, de-chunked and decompressed as warcio's `content_stream()` does."""
    if not http:
        return block
    encoding = (http.get("content-encoding") or "").lower() or None
    if encoding not in BufferedReader.get_supported_decompressors():
        encoding = None
    if http.get("transfer-encoding") == "chunked":
        return ChunkedDataReader(io.BytesIO(block), decomp_type=encoding).read()
    if encoding:
        return BufferedReader(io.BytesIO(block), decomp_type=encoding).read()
    return block
