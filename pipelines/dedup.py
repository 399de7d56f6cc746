"""Deduplication as Beam stages, so that it runs wherever Beam runs and no stage gathers all pairs in one worker:

  exact:  normalised-content hash -> GroupByKey -> keep the first copy        (reason `exact_duplicate`)
  url:    normalised http(s) URL  -> GroupByKey -> keep the first copy        (reason `url_duplicate`)
  near:   MinHash band keys -> GroupByKey -> candidate pairs -> (exact overlap check) -> connected components
          by alternating large-star / small-star rounds, each a GroupByKey    (reason `near_duplicate`)

"First" is the smallest id, after an optional source priority. Every removed document keeps its row and gains
`duplicate_of` in meta: the id of the document it duplicates (for near duplicates, its component's survivor).
`NearDedup` alone is what a source's curation job uses (Books: 90% containment).
"""
from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, field
from typing import Optional

import apache_beam as beam
import numpy as np
from apache_beam.io.filesystems import FileSystems

from curation import minhash
from curation.schema import reject, with_meta
from curation.text import content_hash
from curation.urls import dedup_key
from llama_data.config import check
from pipelines.io import ReadParquet, WriteShards, outcome_directory, shard_of, write_json
from pipelines.outcomes import CountOutcomes, keep_first, source_counts, split

BATCH = 256  # documents per signature batch


@dataclass
class DedupParams:
    exact: bool = True                # normalised-content hash
    url: bool = True                  # normalised http(s) URL
    near: bool = True                 # MinHash-LSH
    threshold: float = 0.7            # near duplicates: overlap at or above this
    overlap: str = "jaccard"          # or "containment": |A & B| / min(|A|, |B|)
    verify: bool = True               # confirm LSH candidates with the exact overlap of their shingle sets
    num_perm: int = 128
    ngram: int = 5                    # word n-gram shingles
    bands: Optional[int] = None       # bands x rows; both unset: chosen from the threshold (favouring recall)
    rows: Optional[int] = None
    seed: int = 1
    max_rounds: int = 8               # connected-components rounds (large-star + small-star each)
    source_priority: list[str] = field(default_factory=list)  # copies in earlier sources survive first

    def __post_init__(self):
        check(0.0 < self.threshold < 1.0, "threshold", f"must be in (0, 1), got {self.threshold}")
        check(self.overlap in minhash.OVERLAPS, "overlap", f"must be one of {', '.join(minhash.OVERLAPS)}")
        check(self.num_perm >= 1 and self.ngram >= 1, "num_perm", "num_perm and ngram must be positive")
        check((self.bands is None) == (self.rows is None), "bands", "set bands and rows together, or neither")
        check(self.bands is None or self.bands * self.rows <= self.num_perm, "bands",
              f"bands x rows must be at most num_perm ({self.num_perm})")
        check(self.max_rounds >= 1, "max_rounds", "must be at least 1")
        check(len(self.source_priority) < 99, "source_priority", "lists at most 98 sources")

    def hasher(self) -> minhash.MinHasher:
        if self.bands is not None:
            return minhash.MinHasher(self.num_perm, self.ngram, self.bands, self.rows, self.seed)
        return minhash.MinHasher.for_threshold(self.candidate_threshold(), self.num_perm, self.ngram, self.seed,
                                               fp_weight=0.1 if self.verify else 0.5,
                                               fn_weight=0.9 if self.verify else 0.5)

    def candidate_threshold(self) -> float:
        """The Jaccard the LSH bands aim at: the threshold, or for containment c the Jaccard c / (2 - c) of
        two equally long documents that share a share c of their shingles."""
        t = self.threshold
        return t if self.overlap == "jaccard" else t / (2.0 - t)

    def order(self, doc: dict) -> str:
        """The key whose smallest value survives: the source's priority rank, then the id."""
        p = self.source_priority
        rank = p.index(doc["source"]) if doc["source"] in p else len(p)
        return f"{rank:02d}{doc['id']}"


# ------------------------------------------------------------------------------------------- near duplicates
class _Signatures(beam.DoFn):
    """A batch of documents -> ("band", (band key, node)) per band, and ("shingles", (node, shingle set))
    for the exact check. One output told apart by its first field: the DaskRunner mixes tagged outputs."""

    def __init__(self, params: DedupParams):
        self.params = params

    def setup(self):
        self.hasher = self.params.hasher()

    def process(self, batch):
        docs = list(batch[1])
        texts = [d["text"] for d in docs]
        hashes, text_of = minhash.shingle_batch(texts, self.hasher.ngram)
        signatures = self.hasher.sign((hashes, text_of), len(docs))
        bounds = np.searchsorted(text_of, np.arange(len(docs) + 1))
        for i, doc in enumerate(docs):
            if bounds[i] == bounds[i + 1]:
                continue  # no words: nothing to compare
            node = self.params.order(doc)
            for key in self.hasher.band_keys(signatures[i]):
                yield "band", (key, node)
            if self.params.verify:
                yield "shingles", (node, np.unique(hashes[bounds[i]:bounds[i + 1]]).tobytes())


def _bucket_edges(_key, nodes):
    """Every node of a bucket is linked to the bucket's smallest: a star keeps the pairs linear in its size."""
    nodes = sorted(set(nodes))
    return [(nodes[0], n) for n in nodes[1:]]


def _with_shingles(_a, grouped):
    (shingles,) = grouped["shingles"] or [b""]
    return [(b, (a, shingles)) for a, b in grouped["pairs"]]


def _confirm(overlap_name: str, threshold: float):
    overlap = minhash.OVERLAPS[overlap_name]

    def confirm(b, grouped):
        (shingles_b,) = grouped["shingles"] or [b""]
        set_b = np.frombuffer(shingles_b, dtype=np.uint64)
        for a, shingles_a in grouped["candidates"]:
            yield a, b, overlap(np.frombuffer(shingles_a, dtype=np.uint64), set_b) >= threshold
    return confirm


def _large_star(u, neighbours):
    """Link every larger neighbour of u to the smallest node around u (Kiveris et al. 2014)."""
    neighbours = set(neighbours)
    m = min(neighbours | {u})
    return [(v, m) for v in neighbours if v > u]


def _small_star(u, smaller):
    """Link u and its smaller neighbours to the smallest of them."""
    nodes = set(smaller) | {u}
    m = min(nodes)
    return [(v, m) for v in nodes if v != m]


class ConnectedComponents(beam.PTransform):
    """Undirected edges (a, b) -> (node, smallest node of its component) for every node but the smallest.

    Alternating large-star and small-star steps, each a GroupByKey, for at most `max_rounds` rounds; a Beam
    graph is fixed when built, so converged rounds run on, cheaply, over the final star edges. Edges always
    point from a larger node to a smaller one, so a node with a parent is never its component's smallest:
    even unconverged, only true duplicates are removed. Also returns the number of nodes left unconverged
    (both a child and a parent after the last round; 0 means every component is one star)."""

    def __init__(self, max_rounds: int):
        super().__init__()
        self.max_rounds = max_rounds

    def expand(self, edges):
        for r in range(self.max_rounds):
            edges = (edges
                     | f"Both{r}" >> beam.FlatMapTuple(lambda a, b: [(a, b), (b, a)])
                     | f"ByNode{r}" >> beam.GroupByKey()
                     | f"LargeStar{r}" >> beam.FlatMapTuple(_large_star)
                     | f"ByLarger{r}" >> beam.GroupByKey()
                     | f"SmallStar{r}" >> beam.FlatMapTuple(_small_star))
        parents = edges | "Parent" >> beam.CombinePerKey(min)
        unconverged = (edges
                       | "Roles" >> beam.FlatMapTuple(lambda child, parent: [(child, 1), (parent, 2)])
                       | "RolesPerNode" >> beam.CombinePerKey(lambda roles: functools.reduce(operator.or_, roles, 0))
                       | "Unconverged" >> beam.Filter(lambda kv: kv[1] == 3)
                       | "CountUnconverged" >> beam.combiners.Count.Globally())
        return parents, unconverged


class NearDedup(beam.PTransform):
    """Documents -> the same documents, near duplicates turned into rejects (`near_duplicate`, meta
    `duplicate_of`: the survivor of their component). With `stats=True` it returns (documents, counters),
    counters being (key, count) pairs for the stats file."""

    def __init__(self, params: DedupParams, stats: bool = False):
        super().__init__()
        self.params, self.stats = params, stats

    def expand(self, docs):
        params = self.params
        # Batches of about BATCH documents by a GroupByKey on a hash of the id: vectorised signatures need
        # batches, and BatchElements emits from finish_bundle, whose output Beam's own DaskRunner drops (this job
        # runs on it as it is: tests/test_dedup.py).
        count = docs | "Count" >> beam.combiners.Count.Globally()
        signed = (docs
                  | "ToBatch" >> beam.Map(lambda d, n: (shard_of(d["id"], -(-n // BATCH)), d),
                                          n=beam.pvalue.AsSingleton(count))
                  | "Batch" >> beam.GroupByKey()
                  | "Signatures" >> beam.ParDo(_Signatures(params)))
        pairs = (signed
                 | "Bands" >> beam.FlatMapTuple(lambda kind, value: [value] if kind == "band" else [])
                 | "GroupBands" >> beam.GroupByKey()
                 | "BucketPairs" >> beam.FlatMapTuple(_bucket_edges)
                 | "DistinctPairs" >> beam.Distinct())
        counters = [pairs | "CountCandidates" >> beam.Map(lambda _: ("candidate_pairs", 1))]
        if params.verify:
            shingles = signed | "Shingles" >> beam.FlatMapTuple(
                lambda kind, value: [value] if kind == "shingles" else [])
            candidates = ({"pairs": pairs | "ByFirst" >> beam.Map(lambda e: (e[0], e)), "shingles": shingles}
                          | "JoinFirst" >> beam.CoGroupByKey()
                          | "CarryFirst" >> beam.FlatMapTuple(_with_shingles))
            checked = ({"candidates": candidates, "shingles": shingles}
                       | "JoinSecond" >> beam.CoGroupByKey()
                       | "Confirm" >> beam.FlatMapTuple(_confirm(params.overlap, params.threshold)))
            pairs = checked | "Confirmed" >> beam.FlatMap(lambda c: [(c[0], c[1])] if c[2] else [])
            counters.append(checked | "CountChecks" >> beam.Map(
                lambda c: ("confirmed_pairs" if c[2] else "rejected_pairs", 1)))
        parents, unconverged = pairs | "Components" >> ConnectedComponents(params.max_rounds)
        marked = ({"doc": docs | "ByNode" >> beam.Map(lambda d: (params.order(d), d)), "parent": parents}
                  | "JoinParents" >> beam.CoGroupByKey()
                  | "Mark" >> beam.FlatMapTuple(_mark))
        if not self.stats:
            return marked
        counters += [
            unconverged | "UnconvergedKey" >> beam.Map(lambda n: ("unconverged_nodes", n)),
            (parents
             | "ByRoot" >> beam.MapTuple(lambda child, root: (root, 1))
             | "ClusterSize" >> beam.CombinePerKey(sum)
             | "SizeKey" >> beam.MapTuple(lambda root, n: (f"cluster_size/{n + 1}", 1)))]
        return marked, counters | "NearCounters" >> beam.Flatten()


def _mark(_node, grouped):
    for doc in grouped["doc"]:
        parent = grouped["parent"]
        yield reject(with_meta(doc, duplicate_of=parent[0][2:]), "near_duplicate") if parent else doc


# ----------------------------------------------------------------------------------------------- the job
def temp_dir(out_dir: str) -> str:
    """Where the writer spills rows before merging them into shards; empty once the job has ended."""
    return FileSystems.join(out_dir, ".tmp", "dedup")


def build(p: beam.Pipeline, params: DedupParams, paths: list[str], out_dir: str, num_shards: int) -> None:
    """Read curated documents, remove exact, URL and near duplicates across all of them, write the survivors
    and the rejects per source, and `stats.json`."""
    docs = (p
            | "Files" >> beam.Create(paths)
            | "SpreadFiles" >> beam.Reshuffle()
            | "Read" >> beam.ParDo(ReadParquet(len(paths), "dedup")))
    rejected = []
    if params.exact:
        exact = (docs
                 | "ByContent" >> beam.Map(lambda d: (content_hash(d["text"]), d))
                 | "GroupContent" >> beam.GroupByKey()
                 | "KeepFirstContent" >> beam.FlatMapTuple(keep_first("exact_duplicate", params.order)))
        docs, dropped = split(exact, "Exact")
        rejected.append(dropped)
    if params.url:
        by_url = docs | "ByUrl" >> beam.Map(lambda d: (dedup_key(d["url"]), d))
        urls = (by_url
                | "WithUrl" >> beam.Filter(lambda kv: kv[0] is not None)
                | "GroupUrl" >> beam.GroupByKey()
                | "KeepFirstUrl" >> beam.FlatMapTuple(keep_first("url_duplicate", params.order)))
        no_url = by_url | "WithoutUrl" >> beam.FlatMapTuple(lambda url, d: [] if url is not None else [d])
        kept, dropped = split(urls, "Url")
        docs = (kept, no_url) | "AllByUrl" >> beam.Flatten()
        rejected.append(dropped)
    counters = []
    if params.near:
        near, near_counters = docs | "Near" >> NearDedup(params, stats=True)
        docs, dropped = split(near, "Near")
        rejected.append(dropped)
        counters.append(near_counters | "NearKey" >> beam.MapTuple(lambda k, n: (f"near/{k}", n)))
    dropped = tuple(rejected) | "AllDropped" >> beam.Flatten() if rejected else p | "NoDrops" >> beam.Create([])

    written = ((docs, dropped)
               | "Everything" >> beam.Flatten()
               | "Write" >> WriteShards(functools.partial(outcome_directory, out_dir), num_shards, temp_dir(out_dir)))
    counters.append(written | "FileKeys" >> beam.Map(lambda _: ("files", 1)))
    # One sink that depends on everything: the DaskRunner computes only the last transform and its inputs.
    stats_path = FileSystems.join(out_dir, "stats.json")
    _ = (tuple(counters)
         | "AllCounters" >> beam.Flatten()
         | "Sum" >> beam.CombinePerKey(sum)
         | "AllSums" >> beam.combiners.ToList()
         | "WriteStats" >> beam.Map(lambda sums, outcomes: write_stats(stats_path, params, sums, outcomes),
                                    outcomes=beam.pvalue.AsSingleton(written | "CountOutcomes" >> CountOutcomes())))


def write_stats(path: str, params: DedupParams, sums: list, outcomes: list) -> dict:
    """Per source: read, kept and dropped by reason; files written; near: pairs, clusters, convergence."""
    near, files = {"candidate_pairs": 0, "unconverged_nodes": 0, "cluster_sizes": {}}, 0
    for key, n in sorted(sums):
        if key == "files":
            files = n
        elif key.startswith("near/cluster_size/"):
            near["cluster_sizes"][key.rsplit("/", 1)[1]] = n
        else:
            near[key.removeprefix("near/")] = n
    near["cluster_sizes"] = dict(sorted(near["cluster_sizes"].items(), key=lambda kv: int(kv[0])))
    hasher = params.hasher() if params.near else None
    sources = {}
    for source in sorted({source for (source, _outcome), _counts in outcomes}):
        counts = sources[source] = source_counts(outcomes, source)
        del counts["kept_chars"]
    stats = {"sources": sources, "files": files,
             "params": {k: v for k, v in vars(params).items()},
             "near": near | {"bands": hasher.bands, "rows": hasher.rows, "max_rounds": params.max_rounds,
                             "converged": near["unconverged_nodes"] == 0} if hasher else None}
    write_json(path, stats)
    return stats
