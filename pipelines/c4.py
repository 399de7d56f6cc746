"""C4: JSON lines of pages (readers/jsonl.py), gzip'd or plain."""
from __future__ import annotations

from curation.lang import LanguageId
from curation.sources import c4
from pipelines.source import Source
from readers import jsonl


def make_curator(params: c4.C4Params):
    lang_id = LanguageId()
    return lambda doc: c4.curate(doc, params, lang_id)


SOURCE = Source(name="c4", read=jsonl.read_pages, make_curator=make_curator, params=c4.C4Params)
