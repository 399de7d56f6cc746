"""CommonCrawl: WARC and WET files (readers/warc.py) listed by path, folder, glob or Common Crawl's path lists;
then CCNet's line dedup across groups of files, and the curator.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Optional

import apache_beam as beam
import numpy as np
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from curation import linededup
from curation.lang import LanguageId
from curation.perplexity import BUCKETS, CUTOFFS, LM_MODEL, SP_MODEL, Perplexity
from curation.quality import RefClassifier
from curation.schema import from_row, with_meta
from curation.sources import commoncrawl as cc
from llama_data.config import check
from pipelines.io import Spill, spilled_rows
from pipelines.source import Source
from readers import warc

# ------------------------------------------------------------------------------------------ input files
LIST_SUFFIXES = (".paths", ".paths.gz")
DEFAULT_ROOT = "s3://commoncrawl/"


def units(input_path: str, paths: list[str]) -> list[str]:
    """Common Crawl list files (`warc.paths.gz`, `wet.paths.gz`: one path a line, gzip'd or plain) named by the
    input become the files they list; list files inside an input directory are skipped. A relative line is under
    the root the list lies in (`ROOT/crawl-data/CC-MAIN-.../warc.paths.gz`, as in the bucket and its mirrors),
    else under s3://commoncrawl/: Beam has no http(s) filesystem, so https://data.commoncrawl.org/ is not read."""
    named = input_path.endswith(LIST_SUFFIXES) or any(ch in input_path for ch in "*?[")  # not a directory
    out = []
    for path in paths:
        if not path.endswith(LIST_SUFFIXES):
            out.append(path)
        elif named:
            root, sep, _ = path.rpartition("crawl-data/")
            with FileSystems.open(path) as f:  # gzip by the .gz suffix
                lines = [line.strip() for line in f.read().decode("utf-8").splitlines() if line.strip()]
            out += [line if "://" in line or line.startswith("/") else (root if sep else DEFAULT_ROOT) + line
                    for line in lines]
    return out


# ------------------------------------------------------------------------------------------ thresholds
@dataclass
class CommonCrawlParams:
    """The `commoncrawl:` section of configs/curation.yaml. Model paths are relative to the current
    directory (or gs://, s3://); a null model skips its step."""
    languages: list[str] = field(default_factory=lambda: ["en"])
    lang_threshold: float = 0.5
    lang_model: Optional[str] = None          # lid.176.bin; None: the bundled lid.176.ftz
    lang_prefix_chars: int = 1000             # language ID reads this much of a page: enough, and bounded
    min_chars: int = 300                      # CCNet's minimum document length, after line dedup
    line_dedup_files: int = 50                # files per dedup group (CCNet: 50 shards); 0: no line dedup
    gopher_rules: bool = False                # the paper did not apply them to Common Crawl
    perplexity_models: Optional[dict[str, str]] = field(default_factory=lambda: {"en": "models/lm/en"})
    keep_buckets: list[str] = field(default_factory=lambda: ["head", "middle"])
    classifier_model: Optional[str] = "models/classifier/en.bin"
    classifier_threshold: float = 0.25        # RedPajama's

    def __post_init__(self):
        check(0 <= self.lang_threshold <= 1, "lang_threshold", "must be between 0 and 1")
        check(0 <= self.classifier_threshold <= 1, "classifier_threshold", "must be between 0 and 1")
        check(self.line_dedup_files >= 0, "line_dedup_files", "must be 0 (off) or a number of files")
        check(self.lang_prefix_chars > 0, "lang_prefix_chars", "must be positive")
        check(set(self.keep_buckets) <= set(BUCKETS), "keep_buckets", f"must be among {', '.join(BUCKETS)}")
        if self.lang_model is not None:
            check(_exists(self.lang_model), "lang_model", f"{self.lang_model} not found")
        if self.perplexity_models is not None:
            for lang in self.languages:
                check(lang in self.perplexity_models, "perplexity_models",
                      f"has no model for language '{lang}' (or set perplexity_models: null to skip perplexity)")
            for lang, model in self.perplexity_models.items():
                for name, what in ((SP_MODEL, "trained"), (LM_MODEL, "trained"), (CUTOFFS, "computed")):
                    command = (f"llama-data lm train --wiki WIKI_DUMP --lang {lang} --out {model}" if what == "trained"
                               else f"llama-data lm cutoffs --model {model} --input CC_SAMPLE")
                    check(_exists(f"{model}/{name}"), f"perplexity_models.{lang}",
                          f"{model}/{name} not found: {what} by `{command}` "
                          "(or set perplexity_models: null to skip perplexity)")
        if self.classifier_model is not None:
            check(_exists(self.classifier_model), "classifier_model",
                  f"{self.classifier_model} not found: trained by `llama-data classifier train --wiki WIKI_DUMP "
                  f"--warc WARCS --out {self.classifier_model}` (or set classifier_model: null to skip it)")


def _exists(path: str) -> bool:
    return FileSystems.exists(path)


def _local(path: str) -> str:
    """A local copy of a model file (fastText, KenLM and SentencePiece read local files only)."""
    if "://" not in path:
        return path
    local = os.path.join(tempfile.mkdtemp(prefix="llama-data-"), os.path.basename(path))
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as src, open(local, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return local


def load_perplexity(model_dir: str) -> tuple[Perplexity, tuple[float, float]]:
    with FileSystems.open(f"{model_dir}/{CUTOFFS}") as f:
        cut = json.load(f)
    scorer = Perplexity(_local(f"{model_dir}/{SP_MODEL}"), _local(f"{model_dir}/{LM_MODEL}"))
    return scorer, (cut["head"], cut["middle"])


def make_curator(params: CommonCrawlParams):
    lang_id = LanguageId(_local(params.lang_model) if params.lang_model else None)
    perplexity = None
    if params.perplexity_models is not None:
        perplexity = {lang: load_perplexity(d) for lang, d in params.perplexity_models.items()}
    classifier = RefClassifier(_local(params.classifier_model)) if params.classifier_model else None
    return lambda doc: cc.curate(doc, params, lang_id, perplexity, classifier)


# ------------------------------------------------------------------------------------------ line dedup
class LineDedup(beam.PTransform):
    """CCNet's line dedup in two passes over each group of files: count in how many documents of the group each
    line occurs, then remove the lines counted twice or more (and in-document repeats). Between the passes the
    pages wait in spill files under `temp_dir`, not in memory (on the DirectRunner a collection that waits for
    another is held whole). Rejects pass through untouched; each deduplicated page records what it lost in meta."""

    def __init__(self, params: CommonCrawlParams, paths: list[str], temp_dir: str):
        super().__init__()
        self.group_of_file = {p: i // params.line_dedup_files for i, p in enumerate(paths)}
        self.temp_dir = temp_dir

    def expand(self, records):
        group_of_file = self.group_of_file

        def group_of(doc: dict) -> int:
            return group_of_file[doc["meta"]["warc_file"]]

        pages = records | "Pages" >> beam.Filter(lambda d: "reason" not in d and d["text"])
        duplicated = (pages
                      | "LineHashes" >> beam.FlatMap(
                          lambda d: [((group_of(d), h), 1) for h in linededup.doc_line_hashes(d["text"])])
                      | "CountDocs" >> beam.CombinePerKey(sum)
                      | "Duplicated" >> beam.Filter(lambda kv: kv[1] >= 2)
                      | "HashByGroup" >> beam.Map(lambda kv: kv[0]))
        parked = pages | "Park" >> beam.ParDo(Spill(group_of, self.temp_dir))
        deduped = ({"hashes": duplicated, "pages": parked}
                   | "ByGroup" >> beam.CoGroupByKey()
                   | "RemoveLines" >> beam.FlatMapTuple(_remove_lines))
        others = records | "NotPages" >> beam.Filter(lambda d: "reason" in d or not d["text"])
        return (deduped, others) | "Rejoin" >> beam.Flatten()


def _remove_lines(_group, joined):
    """The pages of one group, read back from their spill files, without the group's duplicated lines."""
    duplicated = np.sort(np.fromiter(joined["hashes"], np.int64))
    for path in sorted(joined["pages"]):
        for doc in map(from_row, spilled_rows(path)):
            text, removed = linededup.remove_lines(doc["text"], duplicated)
            Metrics.counter("commoncrawl", "lines_removed").inc(removed)
            if not removed:
                yield doc
                continue
            yield with_meta({**doc, "text": text}, lines_removed=removed, original_length=len(doc["text"]))


def prepare(params: CommonCrawlParams, paths: list[str], temp_dir: str):
    return LineDedup(params, paths, temp_dir) if params.line_dedup_files else None


# No exact dedup here, as in CCNet: line dedup already empties every copy of a page within its group of files,
# and copies across groups (and sources) are what the `dedup` stage removes, exactly and near.
SOURCE = Source(name="commoncrawl", read=warc.read, make_curator=make_curator, params=CommonCrawlParams,
                prepare=prepare, units=units, dedup_key=None)
