"""What the curate and dedup jobs share around their decisions: telling kept rows from rejects, keeping the first
of a group of copies, letting rejects through a grouping, and counting what `WriteShards` wrote per source and
outcome for their stats files."""
from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from curation.schema import reject, with_meta
from pipelines.io import KEPT


def split(rows, label: str):
    """(kept, dropped) of a collection where a dropped row carries a `reason`."""
    return (rows | f"{label}Kept" >> beam.Filter(lambda d: "reason" not in d),
            rows | f"{label}Dropped" >> beam.Filter(lambda d: "reason" in d))


REJECT_KEY = "\x00reject/"  # the start of a reject's key (`keyed`): no key of a document (a hash, a name) starts so


def keyed(key_of):
    """For Map before a grouping that rejects pass through: doc -> (key_of(doc), doc), a reject -> (REJECT_KEY
    and its id, reject), grouped with no document. On the DirectRunner a collection that waits for another one
    (the rejects beside a grouping, waiting to be flattened with its output) is held in memory whole: going
    through the grouping, the rejects wait in its spill files instead (pipelines.io.SpilledGroupByKey)."""
    return lambda doc: (REJECT_KEY + doc["id"] if "reason" in doc else key_of(doc), doc)


def rejects_first(docs) -> tuple[list, list]:
    """(the rejects of a group, its documents)."""
    docs = list(docs)
    return [d for d in docs if "reason" in d], [d for d in docs if "reason" not in d]


def keep_first(reason: str, order=lambda d: d["id"]):
    """For FlatMapTuple over (key, copies): the first copy by `order` survives, the others are rejected under
    `reason` and point at it (`duplicate_of` in meta); rejects in the group (`keyed`) pass unchanged."""
    def keep(_key, docs):
        rejects, docs = rejects_first(docs)
        yield from rejects
        docs = sorted(docs, key=order)
        if docs:
            yield docs[0]
        for d in docs[1:]:
            yield reject(with_meta(d, duplicate_of=docs[0]["id"]), reason)
    return keep


class CountOutcomes(beam.PTransform):
    """WriteShards' output -> one list of ((source, outcome), (documents, chars)) over every file written, computed
    as data so that every runner gives it; each count also goes to a Beam counter (source, outcome), which any
    runner's UI shows."""

    def expand(self, written):
        return (written
                | "Outcomes" >> beam.FlatMapTuple(_outcomes)
                | "SumOutcomes" >> beam.CombinePerKey(_sum_pairs)
                | "AllOutcomes" >> beam.combiners.ToList())


def _outcomes(_path, counts):
    for (source, outcome), (documents, chars) in counts.items():
        Metrics.counter(source, outcome).inc(documents)
        yield (source, outcome), (documents, chars)


def _sum_pairs(pairs):
    pairs = list(pairs)
    return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def source_counts(outcomes: list, source: str) -> dict:
    """{"read", "kept", "kept_chars", "dropped": {outcome: documents}} of one source in CountOutcomes' list."""
    counts = {"read": 0, "kept": 0, "kept_chars": 0, "dropped": {}}
    for (of, outcome), (documents, chars) in sorted(outcomes):
        if of != source:
            continue
        counts["read"] += documents
        if outcome == KEPT:
            counts["kept"], counts["kept_chars"] = documents, chars
        else:
            counts["dropped"][outcome] = documents
    return counts
