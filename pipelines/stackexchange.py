"""Stack Exchange: `<site>/Posts.xml` of the data dump (readers/posts_xml.py); questions are joined with their
answers in Beam, and each thread learns its site's rank by number of posts. What counts as a document, so that
read == kept + dropped: see readers/posts_xml.py.
"""
from __future__ import annotations

import apache_beam as beam

from curation.lang import LanguageId
from curation.sources import stackexchange
from pipelines.io import SpilledGroupByKey
from pipelines.outcomes import keyed, rejects_first
from pipelines.source import Source
from readers import posts_xml


def _question_of(doc: dict) -> str:
    return f"{doc['meta']['site']}/{doc['meta']['question_id']}"


def _site_of(doc: dict) -> str:
    return doc["meta"]["site"]


class Assemble(beam.PTransform):
    """Each question joined with its answers (grouped on site and question id, the posts spilled to `temp_dir`
    rather than held: pipelines.io.SpilledGroupByKey) and given its site's rank by number of posts (counted per
    site, ranked in one small step, passed as a side input); rejects pass through the grouping unchanged."""

    def __init__(self, temp_dir: str):
        super().__init__()
        self.temp_dir = temp_dir

    def expand(self, records):
        ranks = (records
                 | "Posts" >> beam.Filter(lambda d: "reason" not in d)
                 | "Site" >> beam.Map(_site_of)
                 | "PostsPerSite" >> beam.combiners.Count.PerElement()
                 | "AllSites" >> beam.combiners.ToList()
                 | "Rank" >> beam.Map(stackexchange.site_ranks))
        return (records
                | "KeyByQuestion" >> beam.Map(keyed(_question_of))
                | "GroupByQuestion" >> SpilledGroupByKey(self.temp_dir)
                | "Threads" >> beam.FlatMapTuple(_threads)
                | "SiteRank" >> beam.Map(_with_site_rank, ranks=beam.pvalue.AsSingleton(ranks)))


def _with_site_rank(doc: dict, ranks: dict) -> dict:
    return doc if "reason" in doc else stackexchange.with_site_rank(doc, ranks)


def _threads(_key, posts):
    rejects, posts = rejects_first(posts)
    yield from rejects
    if posts:
        yield from stackexchange.assemble(posts)


def make_curator(params: stackexchange.StackExchangeParams):
    lang_id = LanguageId()
    return lambda doc: stackexchange.curate(doc, params, lang_id)


SOURCE = Source(name="stackexchange", read=posts_xml.read, make_curator=make_curator,
                params=stackexchange.StackExchangeParams, assemble=Assemble)
