"""The mix: encoded documents -> a shuffled token mix in the configured proportions, as Arrow shards.

Plan. Source s gets `weight_s * tokens` of the budget; with A_s tokens available that is
epochs_s = target_s / A_s (the paper's Table 1). A document counts as `bos ids eos`.
Draw. Documents are ordered by a seeded hash. The first of them, `eval_fraction` of the tokens the mix draws
from the source (at most that share of its data), are held out: one copy each goes to the eval shards, none to
training, so eval documents are never trained on and the eval set follows the mix. Every other document is used
floor(epochs_s) times, plus once more if it comes next in the hash order, up to the remaining tokens (the
fractional epoch). Whole documents are repeated, never cut. The cuts come from a token-weighted histogram of
2^20 hash buckets, one pass and 8 MiB per source, exact to within about one document.
Shuffle. Every drawn copy gets a seeded 64-bit key, and bucket `key % n` of n buckets of about
`shuffle_bucket_tokens` tokens. Each part scatters its copies to disk in runs of its own, ordered by bucket; each
bucket then reads its copies from every run, in part order, and sorts them by key (stably). Bucket by bucket,
sorted by key within each, is one seeded permutation of all copies across all sources. Whatever the budget, a step
holds at most one bucket's worth of scatter buffers or one bucket being sorted (about 1 GiB at the default 128M
tokens); disk holds one temporary copy of the drawn tokens (2.8 TB for 1.4T uint16 tokens, in ~10,400 buckets).
Pack. The shuffled documents, bucket after bucket, are one stream cut into rows of seq_len + 1 tokens (inputs
and targets shifted by one) and shards of `shard_rows` rows, across bucket boundaries; only the last incomplete
row is dropped. The buckets' token counts, summed as the parts scatter, place each bucket in the stream, so each
bucket writes the shards that lie within it and leaves a fragment of each shard it shares with a neighbour, from
which that shard is written (one shard in memory); the bytes are those of cutting the whole stream in one
pass. Every shard file records how many of its tokens came from each source. tokens/shards.py writes the shards
and the manifest; pipelines/mix.py runs these steps as Beam jobs.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from llama_data.config import check
from tokens.parts import read_part
from tokens.shards import shard_name, write_shard

HASH_BITS = 20  # the fractional-epoch cut works on 2^20 hash buckets
SELECT, SHUFFLE = 1, 2  # hash purposes: a document's place in the draw order, a copy's shuffle key
INDEX_DTYPE = np.dtype([("key", "<u8"), ("source", "u1"), ("length", "<u4")])  # one drawn copy in a bucket


@dataclass
class MixConfig:
    weights: dict[str, float] = field(default_factory=dict)  # source -> weight, normalised to sum 1
    tokens: float = 1.4e12  # total token budget of the training shards
    seq_len: int = 2048
    seed: int = 0
    shard_rows: int = 65536  # rows per shard file
    eval_fraction: float = 0.005  # eval tokens held out, as a share of the tokens drawn (never in training)
    available_tokens: dict[str, float] = field(default_factory=dict)  # only for `--dry-run` without data
    shuffle_bucket_tokens: int = 1 << 27  # tokens per shuffle bucket: the memory of the shuffle

    def __post_init__(self):
        from curation.schema import SOURCES

        check(bool(self.weights), "weights", "must give at least one source a weight")
        for source, weight in self.weights.items():
            check(source in SOURCES, f"weights.{source}", f"is not a source (known: {', '.join(SOURCES)})")
            check(weight > 0, f"weights.{source}", f"must be positive, got {weight}")
        total = sum(self.weights.values())
        self.weights = {s: self.weights[s] / total for s in SOURCES if s in self.weights}
        for source, n in self.available_tokens.items():
            check(source in self.weights, f"available_tokens.{source}", "is not a weighted source")
            check(n > 0, f"available_tokens.{source}", f"must be positive, got {n}")
        check(self.tokens >= 1, "tokens", f"must be at least 1, got {self.tokens}")
        check(self.seq_len >= 1, "seq_len", f"must be at least 1, got {self.seq_len}")
        check(self.shard_rows >= 1, "shard_rows", f"must be at least 1, got {self.shard_rows}")
        check(0 <= self.eval_fraction < 1, "eval_fraction", f"must be in [0, 1), got {self.eval_fraction}")
        check(self.shuffle_bucket_tokens >= 1, "shuffle_bucket_tokens", f"must be at least 1, got {self.shuffle_bucket_tokens}")


# ---- plan ---------------------------------------------------------------------------------------------------

def plan(config: MixConfig, available: dict[str, int]) -> dict[str, dict]:
    """Per source: weight, tokens available, tokens to draw and epochs (target / available)."""
    for source in config.weights:
        if not available.get(source):
            raise ValueError(f"'{source}' has no tokens to draw from")
    return {s: {"weight": w, "available": int(available[s]), "target": round(w * config.tokens),
                "epochs": round(w * config.tokens) / available[s]} for s, w in config.weights.items()}


def human(n: float) -> str:
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return f"{n:.0f}"


def format_plan(the_plan: dict[str, dict], config: MixConfig) -> str:
    """The plan as a table in the shape of the paper's Table 1."""
    lines = [f"mix of {human(config.tokens)} tokens in rows of {config.seq_len + 1}, seed {config.seed}",
             f"{'source':<14}{'weight':>8}{'available':>12}{'to draw':>12}{'epochs':>8}"]
    for source, p in the_plan.items():
        lines.append(f"{source:<14}{p['weight']:>8.1%}{human(p['available']):>12}{human(p['target']):>12}"
                     f"{p['epochs']:>8.2f}")
    lines.append(f"{'total':<14}{sum(p['weight'] for p in the_plan.values()):>8.1%}"
                 f"{human(sum(p['available'] for p in the_plan.values())):>12}"
                 f"{human(sum(p['target'] for p in the_plan.values())):>12}")
    return "\n".join(lines)


# ---- seeded hashing -----------------------------------------------------------------------------------------

def _mix64(x):
    """splitmix64's finaliser: a bijection of uint64 that spreads every input bit over the output."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def hash64(ids: np.ndarray, seed: int, purpose: int, copy=0) -> np.ndarray:
    """A seeded 64-bit hash per document (and copy), vectorised and identical on every machine."""
    salt = _mix64(np.array([seed * 4 + purpose], np.uint64))
    with np.errstate(over="ignore"):
        return _mix64(_mix64(ids ^ salt) + np.asarray(copy, np.uint64))


class Draws:
    """What the planner decided for one source. Documents are ordered by a seeded hash (2^20 buckets of it):
    buckets below `eval_cut` are held out, those in [eval_cut, frac_cut) are in the fractional epoch."""

    def __init__(self, seed: int, index: int, full: int = 0, eval_cut: int = 0, frac_cut: int = 0):
        self.seed, self.index = seed, index  # index: the source's number in the shards' composition
        self.full, self.eval_cut, self.frac_cut = full, eval_cut, frac_cut

    def bucket(self, id64):
        return (hash64(id64, self.seed, SELECT) >> np.uint64(64 - HASH_BITS)).astype(np.int64)

    def held_out(self, id64):
        return self.bucket(id64) < self.eval_cut

    def copies(self, id64):
        """Training copies of each document: 0 if held out, else the whole epochs plus the fractional one."""
        b = self.bucket(id64)
        return np.where(b < self.eval_cut, 0, self.full + (b < self.frac_cut))


def part_histogram(path: Path, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Pass 1 over one encoded part's ids: the tokens (as bos ids eos) in each bucket of the seeded document hash,
    as (buckets, tokens) of the buckets it has documents in; `add_histogram` sums them into a source's."""
    draws, h = Draws(seed, 0), np.zeros(1 << HASH_BITS, np.int64)
    for id64, offsets, _ in read_part(path):
        h += np.bincount(draws.bucket(id64), np.diff(offsets) + 2, len(h)).astype(np.int64)
    buckets = np.flatnonzero(h)
    return buckets.astype(np.uint32), h[buckets]


def add_histogram(histogram: np.ndarray, part: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    buckets, tokens = part
    histogram[buckets] += tokens
    return histogram


def cut(histogram: np.ndarray, tokens: float, start: int = 0, reach: bool = False) -> int:
    """The end n of the bucket range [start, n) whose tokens come closest to `tokens` (with `reach`: the first
    that holds at least `tokens`)."""
    cumulative = np.concatenate([[0], np.cumsum(histogram[start:])])
    n = min(int(np.searchsorted(cumulative, tokens)), len(cumulative) - 1)
    if not reach and n > 0 and tokens - cumulative[n - 1] < cumulative[n] - tokens:
        n -= 1
    return start + n


def draw_plan(config: MixConfig, histograms: dict[str, np.ndarray], log=print) -> tuple[dict, dict[str, Draws], int]:
    """From each source's token histogram: the plan (logged), each source's draws and the held-out tokens."""
    eval_cuts, available = {}, {}
    for source, h in histograms.items():  # held out: eval_fraction of what the mix draws (at most of the data),
        total = int(h.sum())               # at least one document when eval_fraction > 0
        eval_cuts[source] = cut(h, config.eval_fraction * min(config.weights[source] * config.tokens, total), reach=True)
        available[source] = total - int(h[:eval_cuts[source]].sum())
    the_plan = plan(config, available)
    log(format_plan(the_plan, config))
    draws = {}
    for k, (source, p) in enumerate(the_plan.items()):
        full, rest = divmod(p["target"], p["available"])
        draws[source] = Draws(config.seed, k, full, eval_cuts[source], cut(histograms[source], rest, eval_cuts[source]))
    eval_tokens = sum(int(histograms[s][:c].sum()) for s, c in eval_cuts.items())
    row_len = config.seq_len + 1
    if config.eval_fraction > 0 and eval_tokens < row_len:
        raise ValueError(f"eval_fraction {config.eval_fraction} holds out {eval_tokens} tokens, less than one row "
                         f"of {row_len}; raise eval_fraction (or set it to 0)")
    return the_plan, draws, eval_tokens


# ---- scatter ------------------------------------------------------------------------------------------------

def _save(path: Path, array: np.ndarray):
    """Write `array`'s raw bytes through a hidden temporary file: a retried step rewrites the same file whole."""
    tmp = path.with_name(f".{path.name}.tmp")
    array.tofile(tmp)
    os.replace(tmp, path)


def run_name(part: int, run: int) -> str:
    return f"{part:05d}-{run:03d}"


class Runs:
    """One part's copies of one kind (training or held out) on disk, as runs. A run is an index file of copies and
    an ids file, ordered by shuffle bucket and in draw order within one, and a ranges file: where each bucket's
    records and ids start. A run is written whole when the buffered ids reach `flush_tokens`, so memory holds
    at most one bucket's worth, and only this part's step writes its files."""

    def __init__(self, folder: Path, part: int, n: int, dtype, flush_tokens: int):
        self.folder, self.part, self.n, self.dtype, self.flush_tokens = folder, part, n, dtype, flush_tokens
        self.index = [[] for _ in range(n)]
        self.ids = [[] for _ in range(n)]
        self.buffered, self.runs = 0, []
        self.tokens = np.zeros(n, np.int64)  # per bucket: the tokens of its documents as bos ids eos
        folder.mkdir(parents=True, exist_ok=True)

    def add(self, bucket: int, record: np.ndarray, ids: np.ndarray):
        self.index[bucket].append(record)
        self.ids[bucket].append(ids)
        self.tokens[bucket] += int(record["length"].sum()) + 2 * len(record)
        self.buffered += len(ids)
        if self.buffered >= self.flush_tokens:
            self.flush()

    def flush(self):
        filled = [b for b in range(self.n) if self.index[b]]
        if not filled:
            return
        index = [np.concatenate(self.index[b]) for b in filled]
        ranges = np.zeros((2, self.n + 1), np.int64)
        ranges[0, 1:][filled] = [len(i) for i in index]
        ranges[1, 1:][filled] = [int(i["length"].sum()) for i in index]
        name = run_name(self.part, len(self.runs))
        _save(self.folder / f"{name}.index", np.concatenate(index))
        _save(self.folder / f"{name}.ids", np.concatenate([i for b in filled for i in self.ids[b]]).astype(self.dtype))
        _save(self.folder / f"{name}.ranges", np.cumsum(ranges, axis=1))
        self.runs.append((self.part, len(self.runs)))
        self.index, self.ids = [[] for _ in range(self.n)], [[] for _ in range(self.n)]
        self.buffered = 0


def scatter_part(path: Path, draws: Draws, seed: int, train: Runs, heldout: Runs) -> tuple[int, int]:
    """Pass 2 over one part: every drawn copy (and every held-out document once) into its bucket by its shuffle
    key. Returns the part's training copies and held-out documents."""
    drawn = held = 0
    for id64, offsets, ids in read_part(path):
        copies = draws.copies(id64)
        drawn += int(copies.sum())
        held += int(draws.held_out(id64).sum())
        for out, count in ((train, copies), (heldout, draws.held_out(id64).astype(np.int64))):
            doc = np.repeat(np.arange(len(id64)), count)  # document of each copy
            copy = np.arange(len(doc)) - np.repeat(np.cumsum(count) - count, count)
            keys = hash64(id64[doc], seed, SHUFFLE, copy)
            bucket = (keys % np.uint64(out.n)).astype(np.int64)
            order = np.argsort(bucket, kind="stable")
            for chosen in np.split(order, np.flatnonzero(np.diff(bucket[order])) + 1):
                if not len(chosen):
                    continue
                record = np.zeros(len(chosen), INDEX_DTYPE)
                record["key"], record["source"] = keys[chosen], draws.index
                record["length"] = offsets[doc[chosen] + 1] - offsets[doc[chosen]]
                body = np.concatenate([ids[offsets[i]:offsets[i + 1]] for i in doc[chosen]])
                out.add(int(bucket[chosen[0]]), record, body)
    train.flush()
    heldout.flush()
    return drawn, held


# ---- shuffle and pack ---------------------------------------------------------------------------------------

def read_bucket(folder: Path, runs: list[tuple[int, int]], b: int, dtype):
    """Bucket b's copies from every run, in run order, sorted by key: (index records, ids, start of each record's
    ids)."""
    index, ids = [], []
    for run in runs:
        name = run_name(*run)
        (r0, r1), (t0, t1) = np.memmap(folder / f"{name}.ranges", np.int64, "r").reshape(2, -1)[:, b:b + 2].tolist()
        if r0 == r1:
            continue
        index.append(np.fromfile(folder / f"{name}.index", INDEX_DTYPE, r1 - r0, offset=r0 * INDEX_DTYPE.itemsize))
        ids.append(np.fromfile(folder / f"{name}.ids", dtype, t1 - t0, offset=t0 * np.dtype(dtype).itemsize))
    index = np.concatenate(index) if index else np.zeros(0, INDEX_DTYPE)
    ids = np.concatenate(ids) if ids else np.zeros(0, dtype)
    starts = np.concatenate([[0], np.cumsum(index["length"], dtype=np.int64)[:-1]])
    order = np.argsort(index["key"], kind="stable")
    return index[order], ids, starts[order]


def bucket_stream(index: np.ndarray, ids: np.ndarray, starts: np.ndarray, bos: int, eos: int):
    """A bucket's shuffled documents as `bos ids eos`: (tokens, source of each token)."""
    tokens = np.empty(int(index["length"].sum()) + 2 * len(index), ids.dtype)
    at = 0
    for start, length in zip(starts.tolist(), index["length"].tolist()):
        tokens[at] = bos
        tokens[at + 1:at + 1 + length] = ids[start:start + length]
        tokens[at + 1 + length] = eos
        at += length + 2
    return tokens, np.repeat(index["source"], index["length"].astype(np.int64) + 2)


def shard_pieces(lo: int, hi: int, total: int, row_len: int, shard_rows: int):
    """Where the stream's tokens [lo, hi) go: (shard, start, end, whole) per shard they reach, [start, end) the
    tokens in it and `whole` when the shard lies within [lo, hi). The stream of `total` tokens is cut into rows
    of `row_len`, `shard_rows` rows per shard; only the last incomplete row is dropped."""
    end, step = total // row_len * row_len, row_len * shard_rows
    upper = min(hi, end)
    for k in range(lo // step, -(-upper // step) if upper > lo else 0):
        first, last = k * step, min((k + 1) * step, end)
        yield k, max(first, lo), min(last, hi), lo <= first and last <= hi


def write_packed(out_dir: Path, kind: str, k: int, tokens: np.ndarray, owner: np.ndarray, row_len: int,
                 sources: list[str]) -> dict:
    """Write shard k of `kind` (`{kind}-NNNNN.arrow`) from its tokens; return its manifest entry."""
    name = shard_name(kind, k)
    sha = write_shard(out_dir / name, tokens.reshape(-1, row_len))
    counts = np.bincount(owner, minlength=len(sources))
    return {"path": name, "rows": len(tokens) // row_len, "sha256": sha,
            "sources": {s: int(n) for s, n in zip(sources, counts) if n}}


def save_fragment(folder: Path, name: str, tokens: np.ndarray, owner: np.ndarray):
    """The part of a shard that one bucket holds, for the shard's `join_fragments`."""
    folder.mkdir(parents=True, exist_ok=True)
    _save(folder / f"{name}.ids", tokens)
    _save(folder / f"{name}.owner", owner)


def join_fragments(folder: Path, names: list[str], dtype) -> tuple[np.ndarray, np.ndarray]:
    """A shard's tokens and their sources from its fragments, in stream order."""
    return (np.concatenate([np.fromfile(folder / f"{n}.ids", dtype) for n in names]),
            np.concatenate([np.fromfile(folder / f"{n}.owner", np.uint8) for n in names]))


def manifest(config: MixConfig, sp, model: bytes, dtype, the_plan: dict, n_buckets: int, shards: list,
             eval_shards: list, drawn: dict, held: dict, dropped: int) -> dict:
    """The mix's manifest.json (tokens/shards.py): the shards, the plan and what each source realised."""
    row_len = config.seq_len + 1
    total = sum(s["rows"] for s in shards) * row_len
    realised = {}
    for source, p in the_plan.items():
        tokens = sum(s["sources"].get(source, 0) for s in shards)
        realised[source] = {"tokens": tokens, "share": round(tokens / total, 6), "target_share": round(p["weight"], 6),
                            "target_tokens": p["target"], "epochs": round(tokens / p["available"], 4),
                            "planned_epochs": round(p["epochs"], 4), "documents": drawn.get(source, 0),
                            "available_tokens": p["available"], "eval_documents": held.get(source, 0)}
    return {"seq_len": config.seq_len, "vocab_size": len(sp), "dtype": np.dtype(dtype).name,
            "seed": config.seed, "tokenizer_sha256": hashlib.sha256(model).hexdigest(),
            "document": "bos ids eos", "bos_id": sp.bos_id(), "eos_id": sp.eos_id(),
            "weights": config.weights, "budget_tokens": int(config.tokens), "dropped_tail_tokens": dropped,
            "shuffle_buckets": n_buckets, "plan": the_plan,
            "realised": realised, "shards": shards, "eval_shards": eval_shards}
