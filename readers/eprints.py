"""arXiv e-prints as arXiv serves them, one paper per file named by its id: a gzip'd tar (`<id>.tar.gz`, or a
bare `<id>` / `<id>.gz`), a gzip'd single .tex file (`<id>.gz`), or the same uncompressed. The format is told
by the content, not the name. Only .tex members are read (in memory, bounded); figures stream past unread.
An e-print already extracted is a folder named by its id (`2004.14974/`, or any name starting with the id),
whose files its caller lists: the folder is the paper.
"""
from __future__ import annotations

import gzip
import io
import posixpath
import re
import tarfile
import zlib

from curation.schema import make_doc, reject, with_meta
from curation.sources import arxiv
from readers.limits import Limits, limited
from readers.tar import check_tar_end

MAX_TEX_BYTES = 32 << 20  # all .tex of one e-print together (arXiv caps a whole submission at 50 MB)

_SUFFIX = re.compile(r"\.(?:tar\.gz|tgz|tar|gz)$")
_ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?\d{7}(?:v\d+)?")


class _Rejected(Exception):
    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


def _content(f, max_decompressed_bytes: int) -> io.BufferedReader:
    """The e-print's bytes, gunzipped if they start with the gzip magic; peek() lets the caller sniff them."""
    stream = io.BufferedReader(f)
    if stream.peek(2)[:2] == b"\x1f\x8b":
        stream = limited(gzip.GzipFile(fileobj=stream), max_decompressed_bytes)
    return stream


def _is_tar(block: bytes) -> bool:
    try:
        tarfile.TarInfo.frombuf(block, tarfile.ENCODING, "surrogateescape")  # checks the header checksum
        return True
    except tarfile.HeaderError:
        return False


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # older papers; every byte sequence decodes


def _tex_files(f, single_name: str, max_decompressed_bytes: int) -> dict[str, str]:
    """The e-print's .tex files by normalised path (a single-file e-print is one file named `single_name`)."""
    stream = _content(f, max_decompressed_bytes)
    if not _is_tar(stream.peek(512)[:512]):
        data = stream.read(MAX_TEX_BYTES + 1)
        if len(data) > MAX_TEX_BYTES:
            raise _Rejected("too_large", f"single file over {MAX_TEX_BYTES} bytes")
        return {single_name: _decode(data)}
    files, total = {}, 0
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            name = posixpath.normpath(member.name)
            if name.startswith("/") or name == ".." or name.startswith("../"):
                raise _Rejected("bad_archive", f"member name outside the archive: {member.name!r}")
            if member.isfile() and name.lower().endswith(".tex"):
                total += member.size
                if total > MAX_TEX_BYTES:
                    raise _Rejected("too_large", f".tex files over {MAX_TEX_BYTES} bytes")
                files[name] = _decode(tar.extractfile(member).read())
        check_tar_end(tar)
    return files


def _folder_tex_files(files) -> dict[str, str]:
    """The .tex files of an extracted e-print by path inside the folder."""
    tex, total = {}, 0
    for name, read in files:
        if name.lower().endswith(".tex"):
            data = read(MAX_TEX_BYTES + 1 - total)
            total += len(data)
            if total > MAX_TEX_BYTES:
                raise _Rejected("too_large", f".tex files over {MAX_TEX_BYTES} bytes")
            tex[name] = _decode(data)
    return tex


def read(path: str, f, limits: Limits):
    """An e-print file as one paper: a document, or a reject (`no_tex`, `too_large`, `bad_archive`)."""
    arxiv_id = _SUFFIX.sub("", path.rsplit("/", 1)[-1])
    return _paper(arxiv_id, lambda: _tex_files(f, arxiv_id, limits.max_decompressed_bytes))


def read_folder(folder: str, files):
    """An extracted e-print as one paper, as `read`: `files` are (path inside the folder, read(max_bytes)) of
    its files."""
    name = folder.rstrip("/").rsplit("/", 1)[-1]
    m = _ARXIV_ID.match(name)
    return _paper(m.group() if m else _SUFFIX.sub("", name), lambda: _folder_tex_files(files))


def _paper(arxiv_id: str, tex_files):
    doc = make_doc("arxiv", arxiv_id, "", f"https://arxiv.org/abs/{arxiv_id}", arxiv_id=arxiv_id)
    try:
        files = tex_files()
    except _Rejected as e:
        yield reject(with_meta(doc, error=str(e)), e.reason)
        return
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
        yield reject(with_meta(doc, error=f"{type(e).__name__}: {e}"), "bad_archive")
        return
    main = arxiv.main_file(files)
    if main is None:
        yield reject(with_meta(doc, tex_files=sorted(files)), "no_tex")
        return
    yield with_meta({**doc, "text": arxiv.flatten(files, main)}, main_file=main)
