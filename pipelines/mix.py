"""The mix stage as Beam jobs: encoded parts -> token histograms -> plan -> scattered copies -> packed shards.

The count job sums each part's token histogram per source (a ParDo over part paths, then a combine); the
plan, from those histograms, is made and printed here, between the jobs. The shuffle job then scatters every
part's drawn copies into runs of its own (no two steps write one file), adds up each bucket's tokens (a combine
per kind: training or held out), so that every bucket knows where its tokens start in the stream, and packs
each bucket on its own: it reads its copies from every run, sorts them by key and writes the shards that lie
within it. A shard that spans buckets is written from the fragments that each of them leaves (a GroupByKey over
the shard: file names, never tokens). Only names, counts and manifest entries travel between steps, and no step
uses a side input. The steps are tokens/mix.py's; the shards are the bytes a single process writing the stream
in bucket order would write, whatever the runner. The combines hold one histogram per source and one count per
bucket per kind; on a runner that does not combine before grouping (Beam's Dask runner) one step also holds
all parts' histograms (12 bytes per hash bucket a part has documents in) or counts (8 bytes per bucket and part).
"""
from __future__ import annotations

import json
import math
import shutil
from collections import Counter
from pathlib import Path

import apache_beam as beam
import numpy as np

from tokens.mix import (HASH_BITS, MixConfig, Runs, add_histogram, bucket_stream, draw_plan, join_fragments,
                        manifest, part_histogram, read_bucket, save_fragment, scatter_part, shard_pieces,
                        write_packed)
from tokens.parts import encoded_parts, require_current, token_dtype
from tokens.shards import KINDS, remove_manifest, remove_stale_shards, write_manifest
from tokens.tokenizer import load, model_path

TRAIN = 0  # kinds of copy are numbered by their place in KINDS: training (shard-*), held out (eval-*)


class SumHistograms(beam.CombineFn):
    """A source's token histogram from its parts' (bucket, tokens) pairs; 8 MiB per accumulator."""

    def create_accumulator(self):
        return np.zeros(1 << HASH_BITS, np.int64)

    def add_input(self, histogram, part):
        return add_histogram(histogram, part)

    def merge_accumulators(self, histograms):
        histograms = iter(histograms)
        total = next(histograms)
        for h in histograms:
            total += h
        return total

    def extract_output(self, histogram):
        return histogram


class ScatterPart(beam.DoFn):
    """Writes one part's drawn copies into its own runs; yields (kind, (runs, tokens per bucket, documents))
    for each kind it drew copies of."""

    def __init__(self, draws: dict, seed: int, tmp: str, n_buckets: tuple[int, int], dtype: str, flush_tokens: int):
        self.draws, self.seed, self.tmp, self.n_buckets = draws, seed, tmp, n_buckets
        self.dtype, self.flush_tokens = dtype, flush_tokens

    def process(self, item):
        part, source, path = item
        outs = [Runs(Path(self.tmp) / KINDS[kind], part, n, np.dtype(self.dtype), self.flush_tokens)
                for kind, n in enumerate(self.n_buckets)]
        counts = scatter_part(Path(path), self.draws[source], self.seed, *outs)
        for kind, (out, documents) in enumerate(zip(outs, counts)):
            if documents:
                yield kind, (out.runs, out.tokens, Counter({source: documents}))


class MergeRuns(beam.CombineFn):
    """One kind's runs (in part order), tokens per bucket and documents per source."""

    def create_accumulator(self):
        return [], 0, Counter()

    def add_input(self, acc, piece):
        runs, tokens, documents = acc
        runs.extend(piece[0])
        documents.update(piece[2])
        return runs, tokens + piece[1], documents

    def merge_accumulators(self, accs):
        accs = iter(accs)
        total = next(accs)
        for acc in accs:
            total = self.add_input(total, acc)
        return total

    def extract_output(self, acc):
        return sorted(acc[0]), acc[1], acc[2]


def bucket_tasks(kind_runs, tmp: str):
    """One kind's buckets to pack, each with where its tokens start in the stream; its runs go to a file that
    every bucket reads (a list as long as the runs, not sent with each bucket)."""
    kind, (runs, tokens, _) = kind_runs
    (Path(tmp) / KINDS[kind] / "runs.json").write_text(json.dumps(runs))
    starts, total = np.concatenate([[0], np.cumsum(tokens)]).tolist(), int(np.sum(tokens))
    for b in np.flatnonzero(tokens).tolist():
        yield (kind, b), (starts[b], starts[b + 1], total)


class PackBucket(beam.DoFn):
    """Sorts one bucket's copies by key and cuts its stream of `bos ids eos` documents: writes the shards that lie
    within it, leaves a fragment of those it shares with a neighbour; yields ((kind, shard), entry or fragment)."""

    def __init__(self, tmp: str, out_dir: str, row_len: int, shard_rows: int, bos: int, eos: int, dtype: str,
                 sources: list[str]):
        self.tmp, self.out_dir, self.row_len, self.shard_rows = tmp, out_dir, row_len, shard_rows
        self.bos, self.eos, self.dtype, self.sources = bos, eos, dtype, sources

    def process(self, bucket):
        (kind, b), [(lo, hi, total)] = bucket
        folder = Path(self.tmp) / KINDS[kind]
        runs = [tuple(run) for run in json.loads((folder / "runs.json").read_text())]
        tokens, owner = bucket_stream(*read_bucket(folder, runs, b, np.dtype(self.dtype)), self.bos, self.eos)
        for k, start, end, whole in shard_pieces(lo, hi, total, self.row_len, self.shard_rows):
            piece = slice(start - lo, end - lo)
            if whole:
                yield (kind, k), (start, write_packed(Path(self.out_dir), KINDS[kind], k, tokens[piece], owner[piece],
                                                      self.row_len, self.sources))
            else:
                name = f"{k:05d}-{start:015d}"
                save_fragment(folder / "fragments", name, tokens[piece], owner[piece])
                yield (kind, k), (start, name)


def join_shard(keyed, tmp: str, out_dir: str, row_len: int, dtype: str, sources: list[str]):
    """A shard's manifest entry: the one a bucket wrote whole, or written here from its buckets' fragments."""
    (kind, k), pieces = keyed
    pieces = sorted(pieces)
    if isinstance(pieces[0][1], dict):
        return "shard", kind, k, pieces[0][1]
    tokens, owner = join_fragments(Path(tmp) / KINDS[kind] / "fragments", [name for _, name in pieces], np.dtype(dtype))
    return "shard", kind, k, write_packed(Path(out_dir), KINDS[kind], k, tokens, owner, row_len, sources)


def write_result(keyed, tmp: str):
    """The shuffle job's answer to the driver: shard entries, stream tokens and documents per kind."""
    result = {"shards": [[], []], "tokens": [0, 0], "documents": [{}, {}]}
    for what, kind, value, detail in sorted(keyed[1], key=lambda item: item[:3]):
        if what == "shard":
            result["shards"][kind].append(detail)
        else:
            result["tokens"][kind], result["documents"][kind] = value, detail
    (Path(tmp) / "result.json").write_text(json.dumps(result))


def run_mix(config: MixConfig, run_dir: str | Path, out_dir: str | Path, beam_args: tuple[str, ...] = (),
            log=print) -> dict:
    """Plan, draw, shuffle and pack RUN/encode into `out_dir` with two Beam jobs (DirectRunner unless `beam_args`
    name a runner); return the manifest (written last). RUN/encode must be current (StaleTokens if not)."""
    from pipelines.launch import run_job

    sp = load(run_dir)  # a missing tokenizer or curated source, or stale tokens, fail before anything is written
    sources = list(config.weights)
    model = model_path(run_dir).read_bytes()
    require_current(run_dir, sources, model)
    parts = [(s, str(path.absolute())) for s, paths in encoded_parts(run_dir, sources).items() for path in paths]
    dtype = token_dtype(len(sp))
    row_len = config.seq_len + 1
    if config.tokens < row_len:
        raise ValueError(f"a budget of {config.tokens:g} tokens does not fill one row of {row_len}; raise tokens")

    out_dir = Path(out_dir).absolute()  # workers need not share this process's working directory
    tmp = out_dir / ".tmp-mix"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    seed = config.seed

    def count(p):
        _ = (p
             | "Parts" >> beam.Create(parts)
             | "SpreadParts" >> beam.Reshuffle()
             | "Count" >> beam.Map(lambda part: (part[0], part_histogram(Path(part[1]), seed)))
             | "SumPerSource" >> beam.CombinePerKey(SumHistograms())
             | "Save" >> beam.MapTuple(lambda source, h: np.save(tmp / f"{source}.npy", h)))
    run_job(count, beam_args)
    histograms = {s: np.load(tmp / f"{s}.npy") for s in sources}
    shutil.rmtree(tmp)
    the_plan, draws, eval_tokens = draw_plan(config, histograms, log)

    remove_manifest(out_dir)  # the folder is incomplete until the new manifest
    n_buckets = (max(1, math.ceil(config.tokens / config.shuffle_bucket_tokens)),
                 max(1, math.ceil(eval_tokens / config.shuffle_bucket_tokens)))
    where = (str(tmp), str(out_dir))
    tmp.mkdir()

    def shuffle(p):
        runs = (p
                | "Parts" >> beam.Create([(k, s, path) for k, (s, path) in enumerate(parts)])
                | "SpreadParts" >> beam.Reshuffle()
                | "Scatter" >> beam.ParDo(ScatterPart(draws, seed, str(tmp), n_buckets, dtype,
                                                      config.shuffle_bucket_tokens))
                | "RunsPerKind" >> beam.CombinePerKey(MergeRuns()))
        # Grouped per bucket, which spreads the buckets over the workers on every runner (Dask's Reshuffle does not).
        shards = (runs
                  | "Buckets" >> beam.FlatMap(bucket_tasks, str(tmp))
                  | "PerBucket" >> beam.GroupByKey()
                  | "Pack" >> beam.ParDo(PackBucket(*where, row_len, config.shard_rows, sp.bos_id(), sp.eos_id(),
                                                    dtype, sources))
                  | "PiecesPerShard" >> beam.GroupByKey()
                  | "JoinShard" >> beam.Map(join_shard, *where, row_len, dtype, sources))
        totals = runs | "Totals" >> beam.MapTuple(lambda kind, r: ("total", kind, int(np.sum(r[1])), dict(r[2])))
        _ = ((shards, totals)
             | "Outputs" >> beam.Flatten()
             | "KeyAll" >> beam.Map(lambda item: (0, item))
             | "All" >> beam.GroupByKey()
             | "WriteResult" >> beam.Map(write_result, str(tmp)))
    run_job(shuffle, beam_args)

    result = json.loads((tmp / "result.json").read_text())
    shards, eval_shards = result["shards"]
    written = sum(s["rows"] for s in shards) * row_len
    shutil.rmtree(tmp)
    remove_stale_shards(out_dir, {s["path"] for s in shards + eval_shards})
    m = manifest(config, sp, model, dtype, the_plan, n_buckets[TRAIN], shards, eval_shards, *result["documents"],
                 result["tokens"][TRAIN] - written)
    write_manifest(out_dir, m)
    return m
