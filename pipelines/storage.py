"""The file operations a command does around its job (list, read, clear), through Beam's FileSystems like the
job's own reads and writes, so that a run directory or an input may be local, gs:// or s3://. An object store
has no folders: there a folder is the objects under a prefix ending in "/". FileSystems takes an object store's
endpoint and keys from the job's options (`pipelines.launch.job_options`)."""
from __future__ import annotations

import contextlib
import os
import shutil

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems


def is_remote(path: str) -> bool:
    return "://" in path


def is_glob(path: str) -> bool:
    return any(ch in path for ch in "*?[")


def join(path, *parts: str) -> str:
    return FileSystems.join(str(path), *parts)


def dirname(path: str) -> str:
    return FileSystems.split(path.rstrip("/"))[0]


def basename(path: str) -> str:
    return FileSystems.split(path.rstrip("/"))[1]


def match(pattern: str) -> list[str]:
    """The files a path or glob names, sorted; an object store's folder markers ("name/") are left out."""
    return sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list if not m.path.endswith("/"))


def is_dir(path: str) -> bool:
    """A local folder, or a prefix with at least one object under it (one listing request)."""
    if not is_remote(path):
        return os.path.isdir(path)
    return bool(FileSystems.match([path.rstrip("/") + "/**"], limits=[1])[0].metadata_list)


def read_text(path: str) -> str:
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        return f.read().decode("utf-8")


def remove(path: str) -> None:
    """A file, if it is there."""
    if FileSystems.exists(path):
        FileSystems.delete([path])


def remove_tree(path: str) -> None:
    """A folder and everything under it, if it is there, an empty one too. (Beam deletes a local folder's files
    but not its sub-folders, and fails on a folder without files: local folders are removed here.)"""
    if not is_remote(path):
        shutil.rmtree(path, ignore_errors=True)
    elif is_dir(path):
        FileSystems.delete([path.rstrip("/") + "/"])


def remove_empty_dir(path: str) -> None:
    """A local folder that holds nothing (on an object store an empty folder does not exist)."""
    if not is_remote(path):
        with contextlib.suppress(OSError):
            os.rmdir(path)
