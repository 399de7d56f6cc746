"""CommonCrawl: WARC files (HTML responses) and WET files (text already extracted), gzip'd per record or
plain, streamed one record at a time.

Page records are read as documents: a WARC `response` (a 200 HTML one becomes text; any other is dropped
as `http_status` or `not_html`), a `revisit` (no payload of its own: `revisit`) and a WET `conversion`.
warcinfo, request, metadata and resource records describe the crawl rather than pages and are not read.
"""
from __future__ import annotations

from warcio.archiveiterator import ArchiveIterator

from curation.lang import LanguageId
from curation.schema import make_doc, reject
from curation.sources import commoncrawl as cc
from pipelines.source import Source


def read(path: str, f):
    for record in ArchiveIterator(f):
        if record.rec_type in ("response", "revisit", "conversion"):
            yield _document(record)


def _document(record) -> dict:
    headers = record.rec_headers
    record_id = headers.get_header("WARC-Record-ID")
    content_type = _content_type(record)
    meta = {"warc_date": headers.get_header("WARC-Date"), "record_id": record_id,
            "digest": headers.get_header("WARC-Payload-Digest") or headers.get_header("WARC-Block-Digest"),
            "content_type": content_type}

    def doc(text: str = "", **more) -> dict:
        return make_doc("commoncrawl", record_id, text, headers.get_header("WARC-Target-URI") or "",
                        **meta, **more)

    if record.rec_type == "conversion":  # WET: UTF-8 text extracted by Common Crawl
        return doc(record.content_stream().read().decode("utf-8", errors="replace").strip())
    if record.rec_type == "revisit":
        return reject(doc(), "revisit")
    status = record.http_headers.get_statuscode() if record.http_headers else None
    if status is not None and status != "200":
        return reject(doc(http_status=status), "http_status")
    media_type, charset = cc.parse_content_type(content_type)
    if media_type not in cc.HTML_TYPES:
        return reject(doc(), "not_html")
    html, encoding = cc.decode_html(record.content_stream().read(), charset)
    return doc(cc.html_to_text(html), encoding=encoding)


def _content_type(record) -> str | None:
    """The payload's type: the HTTP header, else Common Crawl's sniffed type; a non-HTTP record's own."""
    if record.http_headers is None:
        return record.rec_headers.get_header("Content-Type")
    return (record.http_headers.get_header("Content-Type")
            or record.rec_headers.get_header("WARC-Identified-Payload-Type"))


def make_curator(params: cc.CommonCrawlParams):
    lang_id = LanguageId()
    return lambda doc: cc.curate(doc, params, lang_id)


SOURCE = Source(name="commoncrawl", read=read, make_curator=make_curator, params=cc.CommonCrawlParams)
