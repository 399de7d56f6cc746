"""MediaWiki XML: Wikipedia's `pages-articles` dumps (any export schema version), bz2 or plain, in the encoding
their XML declaration names (or their byte-order mark), parsed as a stream of pages.

The stream is cut at `<page>` boundaries (markup cannot hide inside text: a `<` there is escaped) and each page
is parsed on its own, so memory is bounded by one page and a malformed page is one document rejected `bad_xml`
while the pages after it are read as usual. Every page is read: articles become documents of plain text;
redirects (`redirect`) and pages outside the main namespace (`namespace`) are dropped with their wikitext.
A dump with a DOCTYPE is refused whole (`refused_doctype`): the dumps have none, and so no entity declaration
(an expansion bomb, an external entity) is ever read.
"""
from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

from curation.schema import make_doc, reject
from curation.sources import wikipedia as wp
from readers.limits import Limits, open_decompressed

CHUNK = 1 << 20
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
URL_SAFE = ";:@$!*(),/~'"  # what MediaWiki leaves unescaped in article paths
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_DECLARED = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_DECLARATION = re.compile(r"^\s*<\?xml.*?\?>", re.S)
_PAGE_START = re.compile(r"<page[\s>]")
_PAGE_END = "</page>"
_TRAILER = re.compile(r"\s*(?:</mediawiki>\s*)?")


def encoding_of(head: bytes) -> str:
    """The encoding of an XML document from its first bytes: the byte-order mark, else the declaration, else
    UTF-8 (the XML default)."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    m = _DECLARED.match(head)
    return m.group(1).decode("ascii") if m else "utf-8"


def _text_chunks(stream):
    """The dump decoded, chunk by chunk, in its own encoding."""
    head = stream.read(CHUNK)
    decoder = codecs.getincrementaldecoder(encoding_of(head))(errors="replace")
    chunk = head
    while chunk:
        yield decoder.decode(chunk)
        chunk = stream.read(CHUNK)
    yield decoder.decode(b"", final=True)


def _split_pages(chunks, max_page_chars: int):
    """("header", text) for everything before the first page, then ("page", text) for each `<page>...</page>`,
    ("damage", text) for a page without its end or text between pages that is not whitespace, and
    ("too_large", text) for a stretch longer than `max_page_chars` without a page end (enwiki's largest pages are
    ~3M characters)."""
    buf, header_done, scan = "", False, 0
    for chunk in chunks:
        buf += chunk
        if not header_done:
            m = _PAGE_START.search(buf)
            if m is None:
                continue
            yield "header", buf[:m.start()]
            buf, header_done = buf[m.start():], True
        while True:  # buf starts at a page start, or at text between pages
            start = _PAGE_START.search(buf)
            if start is None:
                break
            if start.start():
                gap = buf[:start.start()]
                if gap.strip():
                    yield "damage", gap
                buf, scan = buf[start.start():], 0
            end = buf.find(_PAGE_END, max(scan, 1))
            following = _PAGE_START.search(buf, 1)
            if following is not None and (end < 0 or following.start() < end):
                yield "damage", buf[:following.start()]  # a page that never ends
                buf, scan = buf[following.start():], 0
            elif end >= 0:
                yield "page", buf[:end + len(_PAGE_END)]
                buf, scan = buf[end + len(_PAGE_END):], 0
            else:
                if len(buf) > max_page_chars:
                    yield "too_large", buf[:1_000_000]
                    buf = ""
                scan = max(0, len(buf) - len(_PAGE_END))
                break
    if not header_done:
        yield "header", buf
    elif not _TRAILER.fullmatch(buf):
        yield "damage", buf


def _site(header: str) -> dict:
    """The wiki's dbname, xml:lang and namespace names from the dump's header (root element and siteinfo)."""
    site = {"dbname": None, "xml_lang": None, "namespaces": {}, "non_prose": wp.CANONICAL_NON_PROSE_PREFIXES}
    root = ET.fromstring(_DECLARATION.sub("", header, count=1) + "</mediawiki>")
    site["xml_lang"] = root.get(XML_LANG)
    for elem in root.iter():
        name = elem.tag.rpartition("}")[2]
        if name == "dbname":
            site["dbname"] = (elem.text or "").strip()
        elif name == "namespace" and elem.get("key") is not None:
            site["namespaces"][int(elem.get("key"))] = elem.text or ""
    site["non_prose"] = wp.CANONICAL_NON_PROSE_PREFIXES | {
        site["namespaces"][k].lower() for k in wp.NON_PROSE_NAMESPACES if site["namespaces"].get(k)}
    return site


def read(path: str, f, limits: Limits):
    """Every page of a dump (bz2 by its name's suffix) as a document or a reject, and a reject for each damaged
    stretch."""
    stream = open_decompressed(path, f, limits.max_decompressed_bytes)
    name = path.rsplit("/", 1)[-1]
    site = None
    for n, (kind, text) in enumerate(_split_pages(_text_chunks(stream), limits.max_document_bytes)):
        if kind == "header":
            if "<!DOCTYPE" in text:
                yield reject(make_doc("wikipedia", name, "", path), "refused_doctype")
                return
            try:
                site = _site(text)
            except (ET.ParseError, ValueError) as e:
                site = _site("<mediawiki>")
                yield _damaged(name, path, n, text, f"header: {e}")
        elif kind == "page":
            try:
                yield _document(ET.fromstring(text), site)
            except (ET.ParseError, ValueError, KeyError) as e:
                yield _damaged(name, path, n, text, str(e))
        elif kind == "too_large":
            yield reject(_damaged(name, path, n, text, "no page end within the document limit"), "too_large")
        else:
            yield _damaged(name, path, n, text, "not a complete page")


def _damaged(name: str, path: str, n: int, text: str, error: str) -> dict:
    """The `n`th stretch of the dump, which is not a page, as a document rejected `bad_xml`."""
    title = re.search(r"<title>([^<]*)</title>", text)
    return reject(make_doc("wikipedia", f"{name}#{n}", text[:1_000_000], path, error=error, stretch=n,
                           title=title.group(1) if title else None), "bad_xml")


def _document(page, site: dict) -> dict:
    fields = _children(page)
    revision = _children(fields["revision"]) if "revision" in fields else {}
    title = _text(fields.get("title"))
    page_id = _text(fields.get("id"))
    namespace = int(_text(fields.get("ns")) or 0)
    wikitext = _text(revision.get("text"))
    language = wp.wiki_language(site["dbname"], site["xml_lang"])
    wiki = site["dbname"] or f"{language}wiki"
    url = f"https://{language}.wikipedia.org/wiki/{quote(title.replace(' ', '_'), safe=URL_SAFE)}"
    meta = {"title": title, "page_id": int(page_id), "language": language,
            "timestamp": _text(revision.get("timestamp")) or None}
    native_id = f"{wiki}:{page_id}"

    if namespace != 0:
        return reject(make_doc("wikipedia", native_id, wikitext, url, namespace=namespace, **meta), "namespace")
    if "redirect" in fields or wp.is_redirect_text(wikitext):
        return reject(make_doc("wikipedia", native_id, wikitext, url, **meta), "redirect")
    return make_doc("wikipedia", native_id, wp.wikitext_to_text(wikitext, site["non_prose"]), url, **meta)


def _children(elem) -> dict:
    """Child elements by local name (the last of a repeated name: the newest revision)."""
    return {child.tag.rpartition("}")[2]: child for child in elem}


def _text(elem) -> str:
    return (elem.text or "") if elem is not None else ""

