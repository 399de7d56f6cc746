"""The LLaMA recipe as stages of orchestration/dag.py, read top to bottom:

    samples? -> models? -> curate.<source> (one per source) -> dedup -> decontaminate? -> tokenizer -> encode
    -> mix -> train

With `models:` in the run config, the `models` stage trains the CommonCrawl step's models from the run's own
inputs into RUN/models (`lm train` on the Wikipedia dump, `lm cutoffs` and `classifier train` on the commoncrawl
input) and curate.commoncrawl uses them in place of the curation config's model paths; without it the curation
config's paths (or nulls) apply as they are.

Layout (llama_data/layout.py): every stage writes RUN/<stage>/, the same folder its own command writes: each
source's curation job RUN/curate/{curated,rejects,stats}/<source>; dedup reads them all and writes the final
documents to RUN/dedup/curated/<source> (its drops to RUN/dedup/rejects/, counts to RUN/dedup/stats.json), which
the tokenizer and the encode stage read.

Every stage is fingerprinted by its parameters (config sections, input file listings) and its upstream outputs
(orchestration/dag.py), and resumes at the granularity it can guarantee: a Beam job writes its shards in one job,
so the unit of curation is the source (a run killed while curating three of seven sources redoes those three);
the tokenizer and the mix, a single pass and a global shuffle, redo themselves; training resumes from its last
checkpoint (`--resume auto`), since a same-fingerprint rerun keeps RUN/train. Every stage is deterministic,
so an interrupted run ends with the bytes of an uninterrupted one (training checkpoints aside, which depend on
where it was cut).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import click

from llama_data import layout
from llama_data.config import ConfigError, check, from_dict, load_config
from orchestration.dag import Stage


@dataclass
class SamplesConfig:
    docs: int = 400  # documents per source of the generated corpus

    def __post_init__(self):
        check(self.docs >= 1, "docs", "must be at least 1")


@dataclass
class ModelsConfig:
    """The CommonCrawl perplexity LM, its cut-offs and the Wikipedia-reference classifier, trained by the run."""
    lang: str = "en"
    wiki: str | None = None  # pages-articles dump(s), path or glob; null: RUN/samples/wikipedia/<lang>wiki-*
    vocab_size: int = 16000  # SentencePiece pieces of the LM
    max_chars: int = 50_000_000  # Wikipedia text the LM is trained on
    sample: int = 10000  # commoncrawl documents the cut-offs are computed on


@dataclass
class BeamConfig:
    runner: str = "direct"  # direct | dask | flink | spark | dataflow (docs/RUNNERS.md)
    options: list[str] = field(default_factory=list)  # Beam pipeline options passed through, e.g. --dask_client_address=...
    shards: int = 1  # Parquet files per source (and per reject reason)

    def __post_init__(self):
        from orchestration.runners import RUNNERS

        check(self.runner in RUNNERS, "runner", f"must be one of {', '.join(RUNNERS)}, got {self.runner!r}")
        check(self.shards >= 1, "shards", "must be at least 1")


@dataclass
class TokenizerConfig:
    vocab_size: int = 32000
    sample_chars: int = 100_000_000  # characters to train on, drawn in the mix's proportions

    def __post_init__(self):
        check(self.vocab_size >= 16, "vocab_size", "must be at least 16")
        check(self.sample_chars >= 1, "sample_chars", "must be at least 1")


@dataclass
class TrainStageConfig:
    config: str  # pretrain TrainConfig YAML
    launcher_args: list[str] = field(default_factory=list)  # for `deepspeed`, e.g. [--num_gpus, "8"] or a hostfile


@dataclass
class RunConfig:
    """A run. Relative paths are relative to this file's folder, so a config travels with the files it names."""
    sources: dict[str, str | None]  # source -> input file, folder or glob (local, gs://, s3://); null: RUN/samples/<source>
    mix: str  # MixConfig YAML: weights, token budget, seq_len, seed
    samples: SamplesConfig | None = None  # generate the bundled corpus into RUN/samples first
    models: ModelsConfig | None = None  # train the commoncrawl models into RUN/models; null: the curation config's
    curation: str | None = None  # per-source thresholds [default: the bundled configs/curation.yaml]
    dedup: str | None = None  # exact, URL and near-dedup settings [default: the bundled configs/dedup.yaml]
    decontaminate: str | None = None  # benchmarks to decontaminate against (configs/decontaminate.yaml); null: no stage
    beam: BeamConfig = field(default_factory=BeamConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    train: TrainStageConfig | None = None  # no train stage when absent
    seed: int = 0  # of the generated corpus and of the tokenizer's document sample

    def __post_init__(self):
        from curation.schema import SOURCES

        check(bool(self.sources), "sources", "must name at least one source")
        for name, path in self.sources.items():
            check(name in SOURCES, f"sources.{name}", f"is not a source (known: {', '.join(SOURCES)})")
            check(path is not None or self.samples is not None, f"sources.{name}",
                  "needs an input path unless 'samples' generates the corpus")
        if self.models:
            check("commoncrawl" in self.sources, "models", "trains the commoncrawl models: needs sources.commoncrawl")
            check(self.models.wiki is not None or self.samples is not None, "models.wiki",
                  "needs a Wikipedia dump unless 'samples' generates the corpus")


def load_run_config(path: Path) -> tuple[RunConfig, object]:
    """The run config with its paths resolved, and its mix config; errors name the key and the file."""
    from llama_data.config import CONFIGS
    from tokens.mix import MixConfig

    path = Path(path)
    cfg = load_config(path, RunConfig)
    base = path.resolve().parent

    def resolve(p):
        return p if p is None or "://" in p else str((base / p).resolve())

    cfg.sources = {s: resolve(p) for s, p in cfg.sources.items()}
    cfg.mix = resolve(cfg.mix)
    cfg.curation = resolve(cfg.curation) or str(CONFIGS / "curation.yaml")
    cfg.dedup = resolve(cfg.dedup) or str(CONFIGS / "dedup.yaml")
    cfg.decontaminate = resolve(cfg.decontaminate)
    if cfg.models:
        cfg.models.wiki = resolve(cfg.models.wiki)
    if cfg.train:
        cfg.train.config = resolve(cfg.train.config)
    mix = load_config(cfg.mix, MixConfig)
    missing = [s for s in mix.weights if s not in cfg.sources]
    if missing:
        raise ConfigError(f"{path}: 'sources' lacks '{missing[0]}', which the mix {cfg.mix} gives a weight")
    return cfg, mix


def stages(cfg: RunConfig, mix, run_dir: Path, beam_args: list[str]) -> list[Stage]:
    """The DAG of a run, in an order where every stage comes after the stages it reads."""
    from curation.schema import SOURCES
    from orchestration.curate import load_filters, load_params
    from orchestration.decontaminate import load_params as load_decontaminate
    from orchestration.tokens_cli import encode_stage
    from pipelines.dedup import DedupParams
    from pipelines.registry import get_source

    out: list[Stage] = []
    if cfg.samples:
        out.append(Stage("samples", [], ["samples"], {"docs": cfg.samples.docs, "seed": cfg.seed},
                         lambda: _make_samples(run_dir, cfg.samples.docs, cfg.seed)))
    inputs = {name: cfg.sources[name] or str(run_dir / "samples" / name) for name in cfg.sources}
    if cfg.models:
        m = cfg.models
        wiki = m.wiki or str(run_dir / "samples" / "wikipedia" / f"{m.lang}wiki-*")
        after = ["samples"] if not (m.wiki and cfg.sources["commoncrawl"]) else []
        params = {**dataclasses.asdict(m), "seed": cfg.seed, "wiki": m.wiki and _listing(wiki),
                  "warc": cfg.sources["commoncrawl"] and _listing(inputs["commoncrawl"])}
        out.append(Stage("models", after, ["models"], params,
                         lambda: _train_models(run_dir, m, wiki, inputs["commoncrawl"], cfg.seed)))
    curated, filters = [], load_filters(Path(cfg.curation))
    for name in [s for s in SOURCES if s in cfg.sources]:
        after = [] if cfg.sources[name] else ["samples"]
        if name == "commoncrawl" and cfg.models:  # checked without the models, which are the models stage's
            after.append("models")
            section = curation_with_models(Path(cfg.curation), None, cfg.models.lang)["commoncrawl"]
            thresholds = from_dict(get_source(name).params, section, cfg.curation, "commoncrawl.")
        else:
            thresholds = load_params(Path(cfg.curation), get_source(name))
        blocklist = filters.blocklist_for(name)
        params = {"input": cfg.sources[name] and _listing(inputs[name]), "shards": cfg.beam.shards,
                  "thresholds": dataclasses.asdict(thresholds),
                  "pii": filters.scrubs(name) and dataclasses.asdict(filters.pii),
                  "url_blocklist": blocklist and _listing(blocklist)}
        out.append(Stage(f"curate.{name}", after,
                         [f"curate/curated/{name}", f"curate/rejects/{name}", f"curate/stats/{name}.json"],
                         params, _curate_work(name, inputs[name], run_dir, cfg, beam_args)))
        curated.append(f"curate.{name}")
    dedup = load_config(cfg.dedup, DedupParams)
    out.append(Stage("dedup", curated, ["dedup"],
                     {**dataclasses.asdict(dedup), "shards": cfg.beam.shards},
                     lambda: _dedup(run_dir, cfg, beam_args)))
    documents = "dedup"
    if cfg.decontaminate:
        decon = load_decontaminate(Path(cfg.decontaminate))
        if not decon.benchmarks:
            raise ConfigError(f"{cfg.decontaminate}: 'benchmarks' is empty; name the evaluation sets to remove")
        listings = {name: _listing(path) for name, path in sorted(decon.benchmarks.items())}
        out.append(Stage("decontaminate", ["dedup"], ["decontaminate"],
                         {**dataclasses.asdict(decon), "benchmarks": listings, "shards": cfg.beam.shards},
                         lambda: _decontaminate(run_dir, decon, cfg, beam_args)))
        documents = "decontaminate"
    # Without a decontaminate stage the tokenizer stage also owns RUN/decontaminate, so that it clears what an
    # earlier run with one left there and the final documents are the dedup stage's (llama_data/layout.py).
    out.append(Stage("tokenizer", [documents], ["tokenizer"] if cfg.decontaminate else ["tokenizer", "decontaminate"],
                     {**dataclasses.asdict(cfg.tokenizer), "seed": cfg.seed, "weights": mix.weights},
                     lambda: _train_tokenizer(run_dir, cfg, mix)))
    out.append(Stage("encode", [documents, "tokenizer"], ["encode"], {}, lambda: encode_stage(run_dir, beam_args)))
    out.append(Stage("mix", ["encode"], ["mix"], dataclasses.asdict(mix), lambda: _mix(run_dir, mix, beam_args)))
    if cfg.train:
        out.append(Stage("train", ["mix"], ["train"],
                         {"config": Path(cfg.train.config).read_text(), "launcher_args": cfg.train.launcher_args},
                         lambda: _train(run_dir, cfg.train), resumable=True))
    return out


def _listing(input_path: str) -> list:
    """Path, size and mtime of every input file: a changed input reruns its source."""
    from apache_beam.io.filesystems import FileSystems

    from pipelines.io import expand_input

    paths = expand_input(input_path)
    if not paths:
        raise click.UsageError(f"input {input_path}: no files found")
    meta = {m.path: m for r in FileSystems.match(paths) for m in r.metadata_list}
    return [[p, meta[p].size_in_bytes, meta[p].last_updated_in_seconds] for p in paths]


def _make_samples(run_dir: Path, docs: int, seed: int) -> str:
    from samples.make import make_samples

    sources = make_samples(run_dir / "samples", docs, seed, force=True)
    return f"{docs} documents per source, {sum(s['bytes'] for s in sources.values()) / 1e6:.1f} MB"


def curation_with_models(curation: Path, models: Path | None, lang: str) -> dict:
    """The curation config with its commoncrawl models where `lm train` and `classifier train` wrote them under
    `models` (models/lm/<lang>, models/classifier/<lang>.bin); None: null."""
    from orchestration.curate import read_curation_config

    raw = read_curation_config(Path(curation))
    section = raw.get("commoncrawl") or {}
    if not isinstance(section, dict):
        raise ConfigError(f"{curation}: 'commoncrawl' must be a mapping of thresholds")
    raw["commoncrawl"] = section | {"perplexity_models": models and {lang: str(models / "lm" / lang)},
                                    "classifier_model": models and str(models / "classifier" / f"{lang}.bin")}
    return raw


def write_curation_with_models(curation: Path, models: Path, lang: str, out: Path) -> Path:
    """`curation_with_models` written to `out` (`make crawl-shards` passes it to `llama-data curate --config`)."""
    import yaml

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(curation_with_models(curation, models, lang), sort_keys=False))
    return out


def _train_models(run_dir: Path, m: ModelsConfig, wiki: str, warc: str, seed: int) -> str:
    """`lm train`, `lm cutoffs` and `classifier train` into RUN/models/lm/<lang> and RUN/models/classifier."""
    from orchestration.ccmodels import compute_cutoffs, train_classifier, train_lm

    lm_dir = run_dir / "models" / "lm" / m.lang
    info = train_lm([wiki], m.lang, lm_dir, m.vocab_size, max_chars=m.max_chars)
    cut = compute_cutoffs(lm_dir, [warc], m.sample)
    c = train_classifier([wiki], [warc], run_dir / "models" / "classifier" / f"{m.lang}.bin", m.lang, seed=seed)
    return (f"LM of {info['paragraphs']:,} paragraphs, cut-offs {cut['head']:.0f}/{cut['middle']:.0f} on "
            f"{cut['documents']:,} pages, classifier of {c['positives']:,}+{c['negatives']:,} pages "
            f"(held-out precision {c['precision']:.2f}, recall {c['recall']:.2f})")


def _curate_work(name, input_path, run_dir, cfg, beam_args):
    def work():
        from orchestration.curate import run_curation

        config = Path(cfg.curation)
        if name == "commoncrawl" and cfg.models:
            config = write_curation_with_models(config, run_dir.resolve() / "models", cfg.models.lang,
                                                run_dir / "curate" / "commoncrawl.curation.yaml")
        s = run_curation(name, input_path, run_dir / "curate", config, cfg.beam.shards, tuple(beam_args))
        top = ", ".join(f"{r} {n:,}" for r, n in sorted(s["dropped"].items(), key=lambda kv: -kv[1])[:3])
        return f"{s['read']:,} read, {s['kept']:,} kept" + (f" (dropped: {top})" if top else "")
    return work


def _dedup(run_dir: Path, cfg: RunConfig, beam_args: list[str]) -> str:
    from orchestration.dedup import run_dedup

    s = run_dedup(str(run_dir / layout.CURATE), run_dir / layout.DEDUP, Path(cfg.dedup), cfg.beam.shards,
                  tuple(beam_args))
    read = sum(v["read"] for v in s["sources"].values())
    kept = sum(v["kept"] for v in s["sources"].values())
    return f"{read:,} read, {kept:,} kept, {read - kept:,} duplicates removed"


def _decontaminate(run_dir: Path, params, cfg: RunConfig, beam_args: list[str]) -> str:
    from orchestration.decontaminate import run_decontaminate

    s = run_decontaminate(str(layout.documents(run_dir, decontaminated=False)), run_dir / layout.DECONTAMINATE,
                          params, cfg.beam.shards, tuple(beam_args))
    read = sum(v["read"] for v in s["sources"].values())
    kept = sum(v["kept"] for v in s["sources"].values())
    found = ", ".join(f"{b} {v['contaminated']:,}" for b, v in s["benchmarks"].items())
    return f"{read:,} read, {kept:,} kept, {read - kept:,} contaminated ({found})"


def _train_tokenizer(run_dir: Path, cfg: RunConfig, mix) -> str:
    from tokens.tokenizer import train


    t = train(run_dir, mix.weights, cfg.tokenizer.vocab_size, cfg.tokenizer.sample_chars, cfg.seed)
    return f"{t['vocab_size']} pieces from {sum(t['chars'].values()):,} sampled characters"


def _mix(run_dir: Path, mix, beam_args: list[str]) -> str:
    from pipelines.mix import run_mix

    m = run_mix(mix, run_dir, run_dir / layout.MIX, tuple(beam_args))
    rows = sum(s["rows"] for s in m["shards"] + m["eval_shards"])
    return f"{len(m['shards'])} shards + {len(m['eval_shards'])} eval, {rows:,} rows of {m['seq_len'] + 1} tokens"


def _train(run_dir: Path, train: TrainStageConfig) -> str:
    """`deepspeed pretrain/run.py` with --resume auto; its output is appended to RUN/train/train.log."""
    from pretrain.launch import launch

    run_dir = run_dir.resolve()  # the launcher runs in the repository root
    out = run_dir / layout.TRAIN
    return launch(train.config, run_dir / layout.MIX, out, train.launcher_args, out / "train.log")
