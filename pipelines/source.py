"""What a source plugs into the generic curation job: how to read its files and how to judge a document.

Each `pipelines/<source>.py` defines one `Source`; `pipelines/curate.py` composes the Beam job around it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Iterator, Optional

from curation.text import content_hash

# read(path, raw_binary_stream) yields documents (curation.schema.make_doc) or rejects (with a reason).
Reader = Callable[[str, BinaryIO], Iterator[dict]]
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
    # An optional PTransform factory run between reading and curating, for sources whose documents are
    # assembled from several records (StackExchange: a question joined with its answers).
    assemble: Optional[Callable[[], Any]] = field(default=None)
