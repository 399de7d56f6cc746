"""Wikipedia: `pages-articles` XML dumps (any export schema version), bz2 or plain, parsed as a stream.

Memory is bounded by one page: each finished <page> is cleared from the tree. Every page is read: articles
become documents of plain text; redirects (`redirect`) and pages outside the main namespace (`namespace`)
are dropped with their wikitext. A DOCTYPE is refused, so no entity declaration can be expanded.
"""
from __future__ import annotations

import bz2
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

from curation.schema import make_doc, reject
from curation.sources import wikipedia as wp
from pipelines.source import Source

CHUNK = 1 << 20
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
URL_SAFE = ";:@$!*(),/~'"  # what MediaWiki leaves unescaped in article paths
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")


def read(path: str, f):
    stream = bz2.open(f) if path.endswith(".bz2") else f
    site = {"dbname": None, "xml_lang": None, "namespaces": {}, "non_prose": wp.CANONICAL_NON_PROSE_PREFIXES}
    root = None
    for event, elem in _events(stream):
        name = elem.tag.rpartition("}")[2]
        if event == "start":
            if root is None:
                root, site["xml_lang"] = elem, elem.get(XML_LANG)
        elif name == "dbname":
            site["dbname"] = (elem.text or "").strip()
        elif name == "namespace":
            site["namespaces"][int(elem.get("key"))] = elem.text or ""
        elif name == "siteinfo":
            site["non_prose"] = wp.CANONICAL_NON_PROSE_PREFIXES | {
                site["namespaces"][k].lower() for k in wp.NON_PROSE_NAMESPACES if site["namespaces"].get(k)}
        elif name == "page":
            yield _document(elem, site)
            root.clear()  # the page is done: drop it (and siteinfo) from the tree


def _events(stream):
    """(event, element) pairs of an XML byte stream, fed in chunks."""
    parser = ET.XMLPullParser(events=("start", "end"))
    first = True
    while chunk := stream.read(CHUNK):
        if first:
            prolog = chunk[:m.start()] if (m := _FIRST_ELEMENT.search(chunk)) else chunk
            if b"<!DOCTYPE" in prolog:
                raise ValueError("XML with a DOCTYPE is refused (its entities could expand without bound)")
            first = False
        parser.feed(chunk)
        yield from parser.read_events()
    parser.close()
    yield from parser.read_events()


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


def make_curator(params: wp.WikipediaParams):
    return lambda doc: wp.curate(doc, params)


SOURCE = Source(name="wikipedia", read=read, make_curator=make_curator, params=wp.WikipediaParams)
