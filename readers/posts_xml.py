"""Stack Exchange's `<site>/Posts.xml` of the data dump, streamed row by row, or read straight from the dump's
`<site>.7z` archive (`stackoverflow.com-Posts.7z` for the largest site), the site taken from the archive's name;
pipelines/stackexchange.py joins questions with their answers and ranks the sites.

What the job counts as a document (so that read == kept + dropped in the stats): a question thread, or a row
that does not become part of one. A question and its answers make one document, the answers counted in its
meta `answer_count`; an answer whose question is not in the input is a document of its own, rejected
`orphan_answer`; every other row (tag wikis, moderator posts, ...) is one document rejected `post_type`, and
a row without usable ids one rejected `bad_row`. So the answers of a site are the sum of `answer_count` over
its kept and dropped threads plus its orphans.

Each `<row .../>` is parsed on its own (the dumps write one element per row, and `<` cannot occur unescaped in
an attribute): a damaged stretch of the file is one document rejected `bad_xml` and reading resumes at the next
row. Nothing is declared for a row, so no entity can expand; a file with a DOCTYPE is refused whole
(`refused_doctype`): the dumps have none.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from curation.schema import make_doc, reject
from curation.sources import stackexchange
from curation.sources.stackexchange import ANSWER, QUESTION
from readers.limits import Limits, Oversized, limited, open_decompressed
from readers.sevenzip import open_member, site_of_archive

CHUNK = 1 << 20
_SITE = re.compile(r"^[A-Za-z0-9.-]+")  # the folder name up to the first character a host name cannot have
_STRUCTURE = re.compile(rb"\?xml\b.*\?>|/?posts\s*>|!--.*-->", re.S)
_ROW = re.compile(rb"row\b.*/>", re.S)


def _pieces(stream, max_bytes: int):
    """The file cut before each `<`: every piece is one tag and the text after it (a byte-order mark dropped);
    a piece longer than `max_bytes` comes as an `Oversized` of its start, and the rest of it is skipped unheld."""
    tail, skipping = stream.read(CHUNK).removeprefix(b"\xef\xbb\xbf"), False
    while chunk := stream.read(CHUNK):
        if skipping:
            start = chunk.find(b"<")
            if start < 0:
                continue
            tail, skipping = chunk[start + 1:], False
            continue
        pieces = (tail + chunk).split(b"<")
        tail = pieces.pop()
        yield from pieces
        if len(tail) > max_bytes:
            yield Oversized(tail[:100_000], len(tail))
            tail, skipping = b"", True
    if not skipping:
        yield from tail.split(b"<")


def _post(site: str, row: int, attrs: dict) -> dict:
    """A partial document of one row (text: its HTML body), or a reject."""
    post_id = attrs.get("Id", "")
    native = f"{site}/{post_id or f'row{row}'}"
    body = attrs.get("Body", "")
    try:
        post_id, post_type, score = int(post_id), int(attrs["PostTypeId"]), int(attrs.get("Score", 0))
        question_id = int(attrs["ParentId"]) if post_type == ANSWER else post_id
    except (KeyError, ValueError) as e:
        return reject(make_doc("stackexchange", native, body, f"https://{site}", site=site, error=repr(e)), "bad_row")
    doc = make_doc("stackexchange", native, body, f"https://{site}/questions/{question_id}", site=site,
                   post_id=post_id, post_type=post_type, question_id=question_id, score=score,
                   title=attrs.get("Title", ""), tags=stackexchange.parse_tags(attrs.get("Tags", "")))
    return doc if post_type in (QUESTION, ANSWER) else reject(doc, "post_type")


def read(path: str, f, limits: Limits):
    """The rows of a site's Posts.xml (or of the Posts.xml in its .7z) as partial documents (a question or an
    answer) or rejects."""
    parts = path.split("/")
    name, folder = parts[-1], parts[-2] if len(parts) > 1 else ""
    if name.endswith(".7z"):
        site, holds = site_of_archive(name) or (None, None)
        if site is None or holds not in ("", "Posts.xml"):  # Stack Overflow's Comments, Users, Votes... archives
            yield reject(make_doc("stackexchange", name, "", path), "unsupported_file")
            return
        with open_member(f, "Posts.xml") as posts:
            yield from _rows(site, path, limited(posts, limits.max_decompressed_bytes), limits)
        return
    site = _SITE.match(folder)
    if name != "Posts.xml" or site is None:
        yield reject(make_doc("stackexchange", f"{folder}/{name}", "", path), "unsupported_file")
        return
    yield from _rows(site.group(), path, open_decompressed(path, f, limits.max_decompressed_bytes), limits)


def _rows(site: str, path: str, stream, limits: Limits):
    rows = 0
    for n, piece in enumerate(_pieces(stream, limits.max_document_bytes)):
        if isinstance(piece, Oversized):
            yield reject(_damaged(site, n, b"<" + piece.head, "a row longer than the document limit"), "too_large")
            continue
        if piece.startswith(b"!DOCTYPE"):
            yield reject(make_doc("stackexchange", f"{site}/Posts.xml", "", path, site=site), "refused_doctype")
            return
        end = piece.rfind(b">") + 1
        tag, after = piece[:end], piece[end:]
        if tag and not _STRUCTURE.match(tag):
            rows += 1
            try:
                if not _ROW.match(tag):
                    raise ValueError("not a <row/> element")
                yield _post(site, rows, ET.fromstring(b"<" + tag).attrib)
            except (ValueError, ET.ParseError) as e:
                yield _damaged(site, n, b"<" + tag, str(e))
        if after.strip():  # text between elements, or an element cut off
            yield _damaged(site, f"{n}.text", (b"<" if n and not tag else b"") + after, "not a complete element")


def _damaged(site: str, where, raw: bytes, error: str) -> dict:
    """A stretch of the file that is not a row, as a document rejected `bad_xml` (`where`: its place in the file)."""
    return reject(make_doc("stackexchange", f"{site}/piece{where}", raw[:100_000].decode("utf-8", "replace"),
                           f"https://{site}", site=site, error=error), "bad_xml")

