"""Stack Exchange: `<site>/Posts.xml` of the data dump, streamed row by row; questions are joined with their
answers in Beam.

What the job counts as a document (so that read == kept + dropped in the stats): a question thread, or a row
that does not become part of one. A question and its answers make one document, the answers counted in its
meta `answer_count`; an answer whose question is not in the input is a document of its own, rejected
`orphan_answer`; every other row (tag wikis, moderator posts, ...) is one document rejected `post_type`, and
a row without usable ids one rejected `bad_row`. So the answers of a site are the sum of `answer_count` over
its kept and dropped threads plus its orphans.
"""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import apache_beam as beam

from curation.schema import get_meta, make_doc, reject
from curation.sources import stackexchange
from curation.sources.stackexchange import ANSWER, QUESTION
from pipelines.source import Source

PROLOG_BYTES = 64 << 10
_SITE = re.compile(r"^[A-Za-z0-9.-]+")  # the folder name up to the first character a host name cannot have


def _check_prolog(prolog: bytes) -> None:
    """Refuses a DOCTYPE before parsing: no entity of a document type can expand (the dumps have none)."""
    root = re.search(rb"<[A-Za-z_]", prolog)
    if root is None or b"<!DOCTYPE" in prolog[:root.start()]:
        raise ValueError(f"refused: a DOCTYPE, or no root element in the first {PROLOG_BYTES} bytes")


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


def read(path: str, f):
    parts = path.split("/")
    name, folder = parts[-1], parts[-2] if len(parts) > 1 else ""
    site = _SITE.match(folder)
    if name != "Posts.xml" or site is None:
        yield reject(make_doc("stackexchange", f"{folder}/{name}", "", path), "unsupported_file")
        return
    stream = io.BufferedReader(f, PROLOG_BYTES)
    _check_prolog(stream.peek(PROLOG_BYTES))
    events = ET.iterparse(stream, events=("start", "end"))
    _, root = next(events)
    rows = 0
    for event, elem in events:
        if event == "end" and elem.tag == "row":
            rows += 1
            yield _post(site.group(), rows, elem.attrib)
            root.clear()  # the rows read so far are not kept in memory


def _by_question(doc: dict):
    meta = get_meta(doc)
    return f"{meta['site']}/{meta['question_id']}", doc


class Assemble(beam.PTransform):
    """Each question joined with its answers (GroupByKey on site and question id); rejects pass through."""

    def expand(self, records):
        rejected = records | "Rejected" >> beam.Filter(lambda d: "reason" in d)
        threads = (records
                   | "Posts" >> beam.Filter(lambda d: "reason" not in d)
                   | "KeyByQuestion" >> beam.Map(_by_question)
                   | "GroupByQuestion" >> beam.GroupByKey()
                   | "Threads" >> beam.FlatMapTuple(lambda _, posts: stackexchange.assemble(list(posts))))
        return (rejected, threads) | "Together" >> beam.Flatten()


def make_curator(params: stackexchange.StackExchangeParams):
    return lambda doc: stackexchange.curate(doc, params)


SOURCE = Source(name="stackexchange", read=read, make_curator=make_curator,
                params=stackexchange.StackExchangeParams, assemble=Assemble)
