"""Wikipedia: `pages-articles` dumps (readers/mediawiki.py), curated per article."""
from __future__ import annotations

from curation.sources import wikipedia as wp
from pipelines.source import Source
from readers import mediawiki


def make_curator(params: wp.WikipediaParams):
    return lambda doc: wp.curate(doc, params)


SOURCE = Source(name="wikipedia", read=mediawiki.read, make_curator=make_curator, params=wp.WikipediaParams)
