"""GitHub code: repository archives and BigQuery rows (readers/repos.py), and checkouts: a directory of
repository folders (`<owner>__<repo>/` or `<repo>/`, each a checkout), or one checkout given as the input itself
(a license file at its root says so), each folder one unit whose files are listed and opened here.
"""
from __future__ import annotations

import os
from functools import partial

from curation.sources import github
from curation.text import exact_hash
from pipelines.io import expand_input, folder_units, read_head
from pipelines.source import Source
from readers import repos
from readers.limits import Limits


def _folder_members(folder: str):
    """(name, is_regular_file, size, read) for each file of a checkout folder, named `checkout/<path>` like an
    archive member. A link leading out of the folder is not a regular file (never read); hidden files (.git) are
    not listed."""
    real_root = None if "://" in folder else os.path.realpath(folder)
    for path in expand_input(folder):
        regular = real_root is None or os.path.realpath(path).startswith(real_root + os.sep)
        size = os.path.getsize(path) if real_root is not None and regular else 0
        yield "checkout/" + path[len(folder):], regular, size, partial(read_head, path, repos.MAX_FILE_BYTES + 1)


def units(input_path: str, paths: list[str]) -> list[str]:
    """One unit per archive, JSON-lines file or repository folder; the input itself when it is one checkout."""
    root = input_path.rstrip("/") + "/"
    if any(github.is_license_file(p[len(root):]) for p in paths if p.startswith(root)):
        return [root]
    return folder_units(input_path, paths)


def read(path: str, f, limits: Limits):
    if path.endswith("/"):
        return repos.read_checkout(path, _folder_members(path))
    return repos.read(path, f, limits)


def make_curator(params: github.GithubParams):
    return lambda doc: github.curate(doc, params)


SOURCE = Source(name="github", read=read, make_curator=make_curator, params=github.GithubParams,
                dedup_key=exact_hash, units=units)
