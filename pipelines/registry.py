"""Source name -> its `Source`, imported on demand so that one job loads only its own dependencies."""
from __future__ import annotations

import importlib

from curation.schema import SOURCES
from pipelines.source import Source


def get_source(name: str) -> Source:
    if name not in SOURCES:
        raise KeyError(f"unknown source {name!r}; expected one of {', '.join(SOURCES)}")
    return importlib.import_module(f"pipelines.{name}").SOURCE
