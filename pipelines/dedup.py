"""Deduplication as Beam stages, so that it runs wherever Beam runs and no stage gathers all keys in one worker:

  exact:  normalised-content hash -> bucket -> keep the first copy           (reason `exact_duplicate`)
  url:    normalised http(s) URL  -> bucket -> keep the first copy           (reason `url_duplicate`)
  near:   MinHash band hashes -> bucket -> candidate pairs -> (exact overlap check) -> connected components
          by alternating large-star / small-star rounds, each a GroupByKey    (reason `near_duplicate`)

Each step sees only the documents no earlier step dropped. "First" is the smallest id, after an optional source
priority. Every removed document keeps its row and gains `duplicate_of` in meta: the id of the document it
duplicates (for near duplicates, its component's survivor). The documents are read from their files once for
their keys, candidates once more for their shingles (kept in a file per unit), and every file once more to apply
the decisions (`Deduplicate`); the keys wait in bucket files and are decided on as arrays, a bucket at a time, so
neither texts nor per-document records go through the runner's shuffle, and memory does not grow with the input.
`NearDedup` alone is what a source's curation job uses (Books: 90% containment).
"""
from __future__ import annotations

import dataclasses
import functools
import io
import operator
import sys
from dataclasses import dataclass, field
from typing import Optional

import apache_beam as beam
import numpy as np
from apache_beam.io.filesystems import FileSystems

from curation import duplicates, minhash
from curation.schema import from_row, reject, with_meta
from curation.text import content_hash
from curation.urls import dedup_key
from llama_data.config import check
from pipelines.io import Spill, WriteShards, merged_rows, outcome_directory, shard_of, write_json
from pipelines.outcomes import CountOutcomes, source_counts
from readers import documents

BATCH = 256  # documents per signature batch
MIN_BUCKETS, MAX_BUCKETS = 4, 1024  # key buckets of the dedup job: one per input file within these bounds


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


# ------------------------------------------------------------------------------------- documents as units
# A unit is what one task reads its documents from, in a fixed order: an input Parquet file (the dedup job), or
# a bucket of parked documents (a curation job's books). `read_unit(unit)` yields its documents; a document is
# found again by (unit id, its place in that order). Only these places, ids and hashes are shuffled.
def parquet_unit(path: str):
    """The documents of one Parquet shard, in file order, a row group at a time."""
    with FileSystems.open(path) as f:
        yield from documents.iter_documents(f)


def parked_unit(spills: list[str]):
    """The documents parked in a bucket's spill files (`Park`), merged in the writer's row order."""
    for row in merged_rows(sorted(spills)):
        yield from_row(row)


class Park(beam.PTransform):
    """Documents -> (bucket, [spill files]) units holding them, in BUCKETS buckets by id: the documents wait on
    disk, not in the runner's shuffle, while a step across all of them works on their keys (read with
    `parked_unit`)."""
    BUCKETS = 16

    def __init__(self, temp_dir: str):
        super().__init__()
        self.temp_dir = temp_dir

    def expand(self, docs):
        n = self.BUCKETS
        return (docs
                | "Spill" >> beam.ParDo(Spill(lambda d: shard_of(d["id"], n), self.temp_dir))
                | "Group" >> beam.GroupByKey())


# A document's keys, what the steps across documents shuffle instead of its text, one array per unit
# (`_Keys`): its order (source rank and id: the smallest survives), its position (unit << 32 | row: where it is
# read again), its content and URL hashes and its MinHash band hashes. Each step routes the keys of the documents
# no earlier step dropped into bucket files (`_Route`), and one task per bucket decides on arrays
# (curation/duplicates.py): only file names go through the runner's shuffle, so no worker holds more than a
# bucket's keys, and no Python code runs per key.
ROW_BITS = 32


def _row(pos) -> int:
    return int(pos) & ((1 << ROW_BITS) - 1)


def _unit(pos) -> int:
    return int(pos) >> ROW_BITS


def _write(path: str, data: bytes) -> None:
    """Written to a temporary name, then renamed: a task computed again never leaves half a file to a reader."""
    with FileSystems.create(path + ".tmp") as f:
        f.write(data)
    FileSystems.rename([path + ".tmp"], [path])


def _save(path: str, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    _write(path, buffer.getvalue())


def _load(paths: list[str]) -> np.ndarray:
    arrays = []
    for path in sorted(paths):
        with FileSystems.open(path) as f:
            arrays.append(np.load(io.BytesIO(f.read()), allow_pickle=False))
    return np.concatenate(arrays)


def _save_sets(path: str, positions: np.ndarray, sets: list[np.ndarray], **columns) -> None:
    """Shingle sets (uint64 arrays of any lengths) with their documents' positions, and other columns of the
    same length, in one .npz file (no pickles)."""
    buffer = io.BytesIO()
    lengths = np.array([len(x) for x in sets], dtype=np.int64)
    np.savez(buffer, positions=positions, offsets=np.concatenate(([0], np.cumsum(lengths))),
             values=np.concatenate(sets) if sets else np.zeros(0, dtype=np.uint64), **columns)
    _write(path, buffer.getvalue())


def _load_sets(path: str) -> tuple[dict, list[np.ndarray]]:
    """(the file's columns, its shingle sets in order), as `_save_sets` wrote them."""
    with FileSystems.open(path) as f:
        arrays = dict(np.load(io.BytesIO(f.read()), allow_pickle=False))
    offsets, values = arrays.pop("offsets"), arrays.pop("values")
    return arrays, [values[offsets[i]:offsets[i + 1]] for i in range(len(offsets) - 1)]


class _Keys(beam.DoFn):
    """(unit id, unit) -> (unit id, the file of its documents' keys); signatures in batches of BATCH."""

    def __init__(self, params: DedupParams, read_unit, key_dir: str):
        self.params, self.read_unit, self.key_dir = params, read_unit, key_dir

    def setup(self):
        self.hasher = self.params.hasher() if self.params.near else None

    def process(self, element):
        unit_id, unit = element
        p, orders, contents, urls, texts, bands, signed = self.params, [], [], [], [], [], []
        for doc in self.read_unit(unit):
            orders.append(p.order(doc).encode())
            contents.append(content_hash(doc["text"]) if p.exact else None)
            urls.append(dedup_key(doc["url"]) if p.url else None)
            texts.append(doc["text"])
            if len(texts) == BATCH:
                self._sign(texts, bands, signed)
        self._sign(texts, bands, signed)
        n, width = len(orders), self.hasher.bands if self.hasher else 0
        keys = np.zeros(n, dtype=[("order", f"S{max(map(len, orders), default=1)}"), ("pos", "<i8"),
                                  ("content", "<u8", (2,)), ("url", "<u8", (2,)), ("has_url", "?"),
                                  ("signed", "?"), ("bands", "<u8", (width,))])
        keys["order"], keys["pos"] = orders, (unit_id << ROW_BITS) + np.arange(n)
        if p.exact and n:
            keys["content"] = duplicates.hex_digests(contents)
        has_url = np.array([u is not None for u in urls], dtype=bool)
        if has_url.any():
            keys["has_url"], keys["url"][has_url] = has_url, duplicates.digests([u for u in urls if u is not None])
        if bands:
            keys["bands"], keys["signed"] = np.concatenate(bands), np.concatenate(signed)
        path = FileSystems.join(self.key_dir, "units", f"{unit_id}.npy")
        _save(path, keys)
        print(f"[dedup] keys of {n:,} documents from {unit}", file=sys.stderr, flush=True)
        yield unit_id, path

    def _sign(self, texts: list[str], bands: list, signed: list) -> None:
        if self.hasher is not None and texts:
            shingles = minhash.shingle_batch(texts, self.hasher.ngram)
            bands.append(self.hasher.band_hashes(self.hasher.sign(shingles, len(texts))))
            signed.append(np.bincount(shingles[1], minlength=len(texts)) > 0)  # no words: no match
        texts.clear()


class _Route(beam.DoFn):
    """(unit id, {"keys": [its keys file], "drops": [decisions so far]}) -> (bucket, file) for each bucket its
    entries for `step` ("content", "url" or "bands") fall in; documents an earlier step dropped have none."""

    def __init__(self, step: str, buckets: int, key_dir: str):
        self.step, self.buckets, self.key_dir = step, buckets, key_dir

    def process(self, element):
        unit_id, grouped = element
        keys = _load(grouped["keys"])
        dropped = [row for drops in grouped["drops"] for row, _reason, _of in drops]
        keys = keys[~np.isin(keys["pos"] & ((1 << ROW_BITS) - 1), dropped)]
        if self.step == "content":
            items = duplicates.entries(keys["content"], keys["order"], keys["pos"])
        elif self.step == "url":
            keys = keys[keys["has_url"]]
            items = duplicates.entries(keys["url"], keys["order"], keys["pos"])
        else:
            keys = keys[keys["signed"]]
            per_doc = keys["bands"].shape[1]
            band = keys["bands"].reshape(-1)
            items = duplicates.entries(np.stack((band, np.zeros_like(band)), axis=1),
                                       np.repeat(keys["order"], per_doc), np.repeat(keys["pos"], per_doc))
        yield from _to_bucket_files(items, items["k0"] % np.uint64(self.buckets),
                                    FileSystems.join(self.key_dir, self.step), unit_id)


def _to_bucket_files(items: np.ndarray, bucket: np.ndarray, folder: str, source: int):
    """(bucket, file) for each bucket that `items` fall in, the file `folder/BUCKET-SOURCE.npy` holding those
    items in their order."""
    order = np.argsort(bucket, kind="stable")
    items, bucket = items[order], bucket[order]
    values, starts = np.unique(bucket, return_index=True)
    for b, part in zip(values.tolist(), np.split(items, starts[1:])):
        path = FileSystems.join(folder, f"{b}-{source}.npy")
        _save(path, part)
        yield b, path


def _first_of(reason: str):
    """For FlatMapTuple over (bucket, files): every copy but the first of each key becomes a decision, grouped by
    unit: (unit, [(row, reason, id of the first)])."""
    def first(_bucket, paths):
        copies, originals = duplicates.later_copies(_load(paths))
        units = copies["pos"] >> ROW_BITS
        for u in np.unique(units):
            at = np.flatnonzero(units == u)
            yield int(u), [(_row(copies["pos"][i]), reason, originals["order"][i].decode()[2:]) for i in at]
    return first


class _BandPairs(beam.DoFn):
    """(bucket, files of band entries) -> (edge bucket, file of candidate edges): documents sharing a band are
    linked to the band's first. A pair that shares several bands is found in several buckets; its copies meet
    in one edge bucket (`_distinct_pairs`), so they wait in files rather than in the runner's shuffle."""

    def __init__(self, buckets: int, key_dir: str):
        self.buckets, self.key_dir = buckets, key_dir

    def process(self, element):
        band_bucket, paths = element
        edges = duplicates.star_edges(_load(paths))
        yield from _to_bucket_files(edges, duplicates.edge_buckets(edges, self.buckets),
                                    FileSystems.join(self.key_dir, "pairs"), band_bucket)


def _distinct_pairs(_bucket, paths):
    """(edge bucket, files of edges) -> each candidate pair (center node, other node) once, a node being (order,
    position)."""
    edges = duplicates.distinct_edges(_load(paths))
    for a_order, a_pos, b_order, b_pos in edges.tolist():
        yield (a_order.decode(), a_pos), (b_order.decode(), b_pos)


class _Shingles(beam.DoFn):
    """(unit id, {"unit": [unit], "nodes": [node]}) -> (unit id, file of its candidates' shingle sets): only
    candidates of a near-duplicate pair are read again, and their sets wait in a file per unit, not in the
    runner's shuffle."""

    def __init__(self, ngram: int, read_unit, key_dir: str):
        self.ngram, self.read_unit, self.key_dir = ngram, read_unit, key_dir

    def process(self, element):
        unit_id, grouped = element
        wanted = {_row(node[1]): node for node in grouped["nodes"]}
        if not wanted or not grouped["unit"]:
            return
        last, positions, sets, texts = max(wanted), [], [], []
        for row, doc in enumerate(self.read_unit(grouped["unit"][0])):
            if row in wanted:
                positions.append(wanted[row][1])
                texts.append(doc["text"])
            if len(texts) == BATCH:
                sets += minhash.shingle_sets(texts, self.ngram)
                texts.clear()
            if row == last:
                break  # the rest of the unit holds no candidate
        if texts:
            sets += minhash.shingle_sets(texts, self.ngram)
        path = FileSystems.join(self.key_dir, "shingles", f"{unit_id}.npz")
        _save_sets(path, np.array(positions, dtype=np.int64), sets)
        yield unit_id, path


def _sets_by_position(paths: list[str]) -> dict:
    """{position: shingle set} of a unit's shingle file (none: the unit has no candidate)."""
    if not paths:
        return {}
    columns, sets = _load_sets(paths[0])
    return dict(zip(columns["positions"].tolist(), sets))


class _CarryFirst(beam.DoFn):
    """(unit id, {"sets": [its shingle file], "pairs": [pair whose first node is in the unit]}) -> (unit of the
    second node, file of those pairs with the first node's shingle sets beside them)."""

    def __init__(self, key_dir: str):
        self.key_dir = key_dir

    def process(self, element):
        unit_id, grouped = element
        if not grouped["pairs"]:
            return
        sets = _sets_by_position(grouped["sets"])
        by_unit = {}
        for pair in grouped["pairs"]:
            by_unit.setdefault(_unit(pair[1][1]), []).append(pair)
        empty = np.zeros(0, dtype=np.uint64)
        for other, part in by_unit.items():
            path = FileSystems.join(self.key_dir, "carried", f"{other}-{unit_id}.npz")
            _save_sets(path, np.array([a[1] for a, _b in part], dtype=np.int64),
                       [sets.get(a[1], empty) for a, _b in part],
                       a_order=np.array([a[0].encode() for a, _b in part], dtype="S"),
                       b_order=np.array([b[0].encode() for _a, b in part], dtype="S"),
                       b_pos=np.array([b[1] for _a, b in part], dtype=np.int64))
            yield other, path


class _Confirm(beam.DoFn):
    """(unit id, {"sets": [its shingle file], "carried": [files of pairs whose second node is in the unit]}) ->
    (first node, second node, whether their overlap reaches the threshold)."""

    def __init__(self, overlap: str, threshold: float):
        self.overlap, self.threshold = minhash.OVERLAPS[overlap], threshold

    def process(self, element):
        _unit_id, grouped = element
        if not grouped["carried"]:
            return
        sets, empty = _sets_by_position(grouped["sets"]), np.zeros(0, dtype=np.uint64)
        for path in sorted(grouped["carried"]):
            columns, firsts = _load_sets(path)
            for a_order, a_pos, b_order, b_pos, set_a in zip(
                    columns["a_order"].tolist(), columns["positions"].tolist(), columns["b_order"].tolist(),
                    columns["b_pos"].tolist(), firsts):
                ok = self.overlap(set_a, sets.get(b_pos, empty)) >= self.threshold
                yield (a_order.decode(), a_pos), (b_order.decode(), b_pos), ok


class _Apply(beam.DoFn):
    """(unit id, {"unit": [unit], "drops": [[(row, reason, duplicate_of)]]}) -> the unit's documents, those with a
    decision turned into rejects that point at the document they duplicate (`duplicate_of`). A document has one
    decision at most: a step sees only the documents no earlier step dropped."""

    def __init__(self, read_unit):
        self.read_unit = read_unit

    def process(self, element):
        _unit_id, grouped = element
        drops = {row: (reason, of) for decisions in grouped["drops"] for row, reason, of in decisions}
        for row, doc in enumerate(self.read_unit(grouped["unit"][0])):
            if row in drops:
                reason, duplicate_of = drops[row]
                doc = reject(with_meta(doc, duplicate_of=duplicate_of), reason)
            yield doc


class Deduplicate(beam.PTransform):
    """(unit id, unit) pairs -> the units' documents, duplicates turned into rejects (`exact_duplicate`,
    `url_duplicate`, `near_duplicate`, meta `duplicate_of`), and (key, count) counters for the stats file.

    The steps run in turn, each over the documents no earlier one dropped, on the documents' keys (`_Keys`) in
    `buckets` buckets under `temp_dir`, never on their text: exact and URL copies by their hashes, near copies by
    MinHash bands, candidate pairs confirmed on the shingles of just those documents, read again from their
    units. The decisions, grouped by unit, are applied as each unit is read once more, so a worker holds one
    unit's documents and one bucket's keys at most: more buckets for more documents keep that flat."""

    def __init__(self, params: DedupParams, read_unit, temp_dir: str, buckets: int):
        super().__init__()
        self.params, self.read_unit, self.buckets = params, read_unit, buckets
        self.key_dir = FileSystems.join(temp_dir, "keys")

    def expand(self, units):
        params = self.params
        keys = units | "Keys" >> beam.ParDo(_Keys(params, self.read_unit, self.key_dir))
        drops, counters = [], []
        for name, step, reason, enabled in (("Content", "content", "exact_duplicate", params.exact),
                                            ("Url", "url", "url_duplicate", params.url)):
            if enabled:
                drops.append(self._routed(name, step, keys, drops)
                             | f"First{name}" >> beam.FlatMapTuple(_first_of(reason)))
        if params.near:
            near_drops, counters = self._near(units, self._routed("Bands", "bands", keys, drops))
            drops.append(near_drops)
        decisions = tuple(drops) | "AllDecisions" >> beam.Flatten()
        docs = ({"unit": units, "drops": decisions}
                | "ByUnit" >> beam.CoGroupByKey()
                | "Apply" >> beam.ParDo(_Apply(self.read_unit)))
        counters = tuple(counters) | "AllCounters" >> beam.Flatten() if counters else \
            units.pipeline | "NoCounters" >> beam.Create([])
        return docs, counters

    def _routed(self, name: str, step: str, keys, drops: list):
        """The step's entries of the documents not dropped so far, grouped into (bucket, [files])."""
        earlier = tuple(drops) | f"DropsBefore{name}" >> beam.Flatten() if drops else \
            keys.pipeline | f"NoDropsBefore{name}" >> beam.Create([])
        return ({"keys": keys, "drops": earlier}
                | f"Unit{name}" >> beam.CoGroupByKey()
                | f"Route{name}" >> beam.ParDo(_Route(step, self.buckets, self.key_dir))
                | f"Group{name}" >> beam.GroupByKey())

    def _near(self, units, bands):
        params = self.params
        pairs = (bands
                 | "BandPairs" >> beam.ParDo(_BandPairs(self.buckets, self.key_dir))
                 | "GroupPairs" >> beam.GroupByKey()
                 | "DistinctPairs" >> beam.FlatMapTuple(_distinct_pairs))
        counters = [pairs | "CountCandidates" >> beam.Map(lambda _: ("candidate_pairs", 1))]
        if params.verify:
            nodes = (pairs
                     | "Ends" >> beam.FlatMap(lambda e: e)
                     | "DistinctEnds" >> beam.Distinct()
                     | "ByUnitOfNode" >> beam.Map(lambda node: (_unit(node[1]), node)))
            shingles = ({"unit": units, "nodes": nodes}
                        | "NodesByUnit" >> beam.CoGroupByKey()
                        | "Shingles" >> beam.ParDo(_Shingles(params.ngram, self.read_unit, self.key_dir)))
            by_first = pairs | "ByFirstUnit" >> beam.Map(lambda e: (_unit(e[0][1]), e))
            carried = ({"sets": shingles, "pairs": by_first}
                       | "JoinFirst" >> beam.CoGroupByKey()
                       | "CarryFirst" >> beam.ParDo(_CarryFirst(self.key_dir)))
            checked = ({"sets": shingles, "carried": carried}
                       | "JoinSecond" >> beam.CoGroupByKey()
                       | "Confirm" >> beam.ParDo(_Confirm(params.overlap, params.threshold)))
            pairs = checked | "Confirmed" >> beam.FlatMap(lambda c: [(c[0], c[1])] if c[2] else [])
            counters.append(checked | "CountChecks" >> beam.Map(
                lambda c: ("confirmed_pairs" if c[2] else "rejected_pairs", 1)))
        parents, unconverged = pairs | "Components" >> ConnectedComponents(params.max_rounds)
        drops = parents | "NearDecisions" >> beam.MapTuple(
            lambda node, root: (_unit(node[1]), [(_row(node[1]), "near_duplicate", root[0][2:])]))
        counters += [
            unconverged | "UnconvergedKey" >> beam.Map(lambda n: ("unconverged_nodes", n)),
            (parents
             | "ByRoot" >> beam.MapTuple(lambda child, root: (root, 1))
             | "ClusterSize" >> beam.CombinePerKey(sum)
             | "SizeKey" >> beam.MapTuple(lambda root, n: (f"cluster_size/{n + 1}", 1)))]
        return drops, [c | f"NearKey{i}" >> beam.MapTuple(lambda k, n: (f"near/{k}", n)) for i, c in enumerate(counters)]


class NearDedup(beam.PTransform):
    """Documents -> the same documents, near duplicates by `params` turned into rejects (`near_duplicate`): what a
    curation job runs on its kept documents (Books: 90% containment). The documents are parked on disk under
    `temp_dir` while their keys are compared."""

    def __init__(self, params: DedupParams, temp_dir: str):
        super().__init__()
        self.params, self.temp_dir = dataclasses.replace(params, exact=False, url=False, near=True), temp_dir

    def expand(self, docs):
        units = docs | "Park" >> Park(self.temp_dir)
        deduped, _counters = units | "Dedup" >> Deduplicate(self.params, parked_unit, self.temp_dir, Park.BUCKETS)
        return deduped


# ----------------------------------------------------------------------------------------------- the job
def temp_dir(out_dir: str) -> str:
    """Where the writer spills rows before merging them into shards; empty once the job has ended."""
    return FileSystems.join(out_dir, ".tmp", "dedup")


def build(p: beam.Pipeline, params: DedupParams, paths: list[str], out_dir: str, num_shards: int) -> None:
    """Read curated documents, remove exact, URL and near duplicates across all of them, write the survivors
    and the rejects per source, and `stats.json`."""
    units = p | "Files" >> beam.Create(list(enumerate(paths)))
    buckets = min(max(len(paths), MIN_BUCKETS), MAX_BUCKETS)  # about a file's documents' keys in a bucket
    docs, counters = units | "Dedup" >> Deduplicate(params, parquet_unit, temp_dir(out_dir), buckets)
    written = docs | "Write" >> WriteShards(functools.partial(outcome_directory, out_dir), num_shards,
                                            temp_dir(out_dir))
    stats_path = FileSystems.join(out_dir, "stats.json")
    _ = ((counters, written | "FileKeys" >> beam.Map(lambda _: ("files", 1)))
         | "Counters" >> beam.Flatten()
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
