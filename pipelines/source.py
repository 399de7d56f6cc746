"""What a source plugs into the generic curation job: how to read its files and how to judge a document.

Each `pipelines/<source>.py` defines one `Source`; `pipelines/curate.py` composes the Beam job around it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Iterator, Optional

from curation.text import content_hash
from readers.limits import Limits

# read(path, raw_binary_stream, limits) yields documents (curation.schema.make_doc) or rejects (with a reason),
# the byte formats parsed by readers/ under the job's limits; the stream is None where the path is a folder unit
# (see `units`).
Reader = Callable[[str, Optional[BinaryIO], Limits], Iterator[dict]]
# make_curator(params) is called once per worker (it may load models) and returns doc -> doc or reject.
CuratorFactory = Callable[[Any], Callable[[dict], dict]]


@dataclass(frozen=True)
class Source:
    name: str
    read: Reader
    make_curator: CuratorFactory
    params: type                      # the dataclass of this source's thresholds (configs/curation.yaml)
    # Exact dedup: documents whose text has the same key as another kept document's are dropped (None: no dedup).
    # Prose folds case and whitespace; code keeps them, since indentation and case carry meaning there.
    dedup_key: Optional[Callable[[str], str]] = content_hash
    # An optional PTransform factory (temp dir) -> PTransform run between reading and curating, for sources whose
    # documents are assembled from several records (StackExchange: a question joined with its answers); the temp
    # dir is for records that wait to be grouped (pipelines.io.SpilledGroupByKey).
    assemble: Optional[Callable[[str], Any]] = field(default=None)
    # An optional factory (params, input paths, temp dir) -> PTransform or None, run after assembling and before
    # curating, for work across documents of many files (CommonCrawl: CCNet's line dedup over groups of files);
    # the temp dir is for documents that wait between passes (pipelines.io.Spill).
    prepare: Optional[Callable[[Any, list, str], Any]] = field(default=None)
    # units(input_path, files) -> what the reader is called on, for sources whose unit may be a folder of files
    # (a repository, an extracted e-print): see pipelines.io.folder_units. None: every file is a unit.
    units: Optional[Callable[[str, list[str]], list[str]]] = None
    # An optional factory (params, temp dir) -> PTransform run on the kept documents after exact dedup; it returns
    # the documents, some turned into rejects (Books: near duplicates by content overlap, pipelines.dedup.NearDedup,
    # which parks the documents in the temp dir).
    finish: Optional[Callable[[Any, str], Any]] = None
