"""GitHub repositories in any of three layouts:

- one archive per repository, `<owner>__<repo>.tar.gz` (or `.tgz`, `.tar`, `.zip`) as GitHub serves it, every
  file under one top folder `<repo>-<sha>/`;
- a checkout folder (`<owner>__<repo>/` or `<repo>/`), read file by file from the members its caller lists;
- JSON lines as exported from BigQuery's `github_repos` (`repo_name`, `path`, `content`, `license`, optionally
  `binary` and `ref`), plain or gzip'd: the license comes with each row.

Members are read in memory only (never extracted, so no name can write anywhere), each one bounded in size;
names with an absolute or `..` path, and links that lead out of a checkout, are rejected `bad_path`.
The repository's license is decided when the whole repository has been read, because a streamed tar may put
LICENSE after the code: until then the repository's text files are held in memory, up to `REPO_BUFFER_BYTES`.
"""
from __future__ import annotations

import io
import posixpath
import re
import stat
import tarfile
import zipfile

from curation.schema import make_doc, reject, with_meta
from curation.sources import github
from readers.jsonl import read_rows
from readers.limits import Limits, open_decompressed
from readers.tar import check_tar_end

# Memory bounds of the reader, not curation thresholds (those are in GithubParams).
MAX_FILE_BYTES = 8 << 20            # a larger member is rejected unread
REPO_BUFFER_BYTES = 256 << 20       # text held per repository until its license is known; also the .zip limit

_ARCHIVE = re.compile(r"^(?P<owner>[^/]+?)__(?P<repo>[^/]+?)\.(?P<kind>tar\.gz|tgz|tar|zip)$")
_JSONL = re.compile(r"\.(?:jsonl|ndjson|json)(?:\.gz)?$")


def _tar_members(f):
    """(name, is_regular_file, size, read) for each non-directory member, streaming ("r|*" never seeks)."""
    with tarfile.open(fileobj=f, mode="r|*") as tar:
        for m in tar:
            if not m.isdir():
                yield m.name, m.isfile(), m.size, lambda m=m: tar.extractfile(m).read(MAX_FILE_BYTES + 1)
        check_tar_end(tar)


def _zip_members(data: bytes):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            if not info.is_dir():
                regular = not stat.S_ISLNK(info.external_attr >> 16)
                yield info.filename, regular, info.file_size, lambda i=info: zf.open(i).read(MAX_FILE_BYTES + 1)


def _leaves(name: str) -> bool:
    """An absolute name, or one with a `..` part."""
    return name.startswith("/") or ".." in name.split("/")


def _repo_path(name: str) -> str | None:
    """The path inside the repository (the top folder removed), or None for a name that leaves it."""
    parts = name.split("/")
    if _leaves(name) or len(parts) < 2 or not parts[1]:
        return None
    return "/".join(parts[1:])


def _decode(data: bytes) -> str | None:
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read(path: str, f, limits: Limits):
    """An archive of one repository, or a file of BigQuery rows, as one document or reject per file."""
    name = path.rsplit("/", 1)[-1]
    if _JSONL.search(name):
        yield from read_rows(path, f, limits, "github", _row_fields, _row_document)
        return
    m = _ARCHIVE.match(name)
    if m is None:
        yield reject(make_doc("github", name, "", path), "unsupported_file")
        return
    repo = f"{m['owner']}/{m['repo']}"
    if m["kind"] == "zip":  # the zip directory is at the end: the archive is read whole, if small enough
        data = f.read(REPO_BUFFER_BYTES + 1)
        if len(data) > REPO_BUFFER_BYTES:
            yield reject(make_doc("github", repo, "", path, repo=repo), "too_large")
            return
        members = _zip_members(data)
    else:
        members = _tar_members(open_decompressed(path, f, limits.max_decompressed_bytes))
    yield from _read_repo(repo, members)


def read_checkout(folder: str, members):
    """A checkout folder as one document or reject per file: `members` are (name, is_regular_file, size, read)
    of its files, each named `checkout/<path>` like an archive member, `read()` returning at most
    MAX_FILE_BYTES + 1 bytes."""
    name = folder.rstrip("/").rsplit("/", 1)[-1]
    owner, sep, repo = name.partition("__")
    yield from _read_repo(f"{owner}/{repo}" if sep and owner and repo else name, members)


def _row_fields(row) -> tuple:
    """The repository, path and content a BigQuery export row must have (its license is the row's own)."""
    repo, file_path, text = row.get("repo_name") or row["repo"], row["path"], row["content"]
    if not all(isinstance(v, str) for v in (repo, file_path)) or not isinstance(text, (str, type(None))):
        raise TypeError("repo_name, path and content must be strings")
    return repo, file_path, text


def _row_document(_native: str, row: dict, repo: str, file_path: str, text: str | None) -> dict:
    ref = (row.get("ref") or "HEAD").removeprefix("refs/heads/")
    doc = make_doc("github", f"{repo}/{file_path}", text or "", f"https://github.com/{repo}/blob/{ref}/{file_path}",
                   repo=repo, path=file_path, extension=posixpath.splitext(file_path)[1].lower())
    license = github.normalize_spdx(row["license"]) if row.get("license") else "none"
    doc = with_meta(doc, license=github.file_license(license, text or ""))
    if row.get("binary") or text is None or "\0" in text:
        return reject(doc, "binary")
    if _leaves(file_path):
        return reject(doc, "bad_path")
    return doc


def _read_repo(repo: str, members):
    """One document per file, all carrying the repository's license; each member yields a document or a reject."""
    held, held_bytes, license_files, seen = [], 0, [], set()
    try:
        for n, (name, regular, size, read_member) in enumerate(members):
            path = _repo_path(name)
            native = f"{repo}/{path or name}"
            duplicate = native in seen
            native = f"{native}#{n}" if duplicate else native
            seen.add(native)
            doc = make_doc("github", native, "", f"https://github.com/{repo}/blob/HEAD/{path or name}",
                           repo=repo, path=path or name, extension=posixpath.splitext(path or "")[1].lower())
            if path is None:
                reason = "bad_path"
            elif duplicate:
                reason = "duplicate_path"
            elif not regular:
                reason = "not_file"
            elif size > MAX_FILE_BYTES:
                reason = "too_large"
            elif held_bytes + size > REPO_BUFFER_BYTES:
                reason = "repo_too_large"
            else:
                data = read_member()  # bounded: a zip may understate a member's size
                text = _decode(data)
                reason = "too_large" if len(data) > MAX_FILE_BYTES else "binary" if text is None else None
            if reason:
                yield reject(doc, reason)
                continue
            held_bytes += len(data)
            doc = {**doc, "text": text}
            if github.is_license_file(path):
                license_files.append(doc)
            else:
                held.append(doc)
    except Exception:
        for doc in held + license_files:  # a damaged archive loses nothing silently
            yield reject(doc, "bad_archive")
        raise
    license = github.repo_license({d["meta"]["path"]: d["text"] for d in license_files})
    for doc in held:
        yield with_meta(doc, license=github.file_license(license, doc["text"]))
    for doc in license_files:  # read for the decision, not training text
        yield reject(with_meta(doc, license=license), "license_file")
