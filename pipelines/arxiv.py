"""arXiv: e-prints (readers/eprints.py), one paper per file, or per folder of an e-print already extracted (a
folder in the input directory, named by its id), whose files are listed and opened here.
"""
from __future__ import annotations

from functools import partial

from curation.sources import arxiv
from pipelines.io import expand_input, folder_units, read_head
from pipelines.source import Source
from readers import eprints
from readers.limits import Limits


def _folder_files(folder: str):
    """(path inside the folder, read(max_bytes)) for each file of a folder (hidden files are not listed)."""
    for path in expand_input(folder):
        yield path[len(folder):], partial(read_head, path)


def read(path: str, f, limits: Limits):
    if path.endswith("/"):
        return eprints.read_folder(path, _folder_files(path))
    return eprints.read(path, f, limits)


def make_curator(params: arxiv.ArxivParams):
    return lambda doc: arxiv.curate(doc, params)


SOURCE = Source(name="arxiv", read=read, make_curator=make_curator, params=arxiv.ArxivParams, units=folder_units)
