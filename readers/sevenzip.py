"""One member of a 7z archive as a stream, as the StackExchange data dump ships (`<site>.7z` holding Posts.xml,
or `stackoverflow.com-Posts.7z` for the largest site).

py7zr decompresses by pushing bytes into a writer; a thread runs the extraction into a pipe, so the caller reads
the member front to back with bounded memory whatever its size (Stack Overflow's Posts.xml is ~100 GB).
"""
from __future__ import annotations

import contextlib
import os
import re
import threading

import py7zr
from py7zr.io import Py7zIO, WriterFactory

_SITE = re.compile(r"^(?P<site>.+?\.[a-z]{2,})(?:-(?P<kind>[A-Za-z]+))?\.7z$")


def site_of_archive(name: str) -> tuple[str, str] | None:
    """(site, the file of it that the archive holds, or "" for all of them): `math.stackexchange.com.7z` ->
    (math.stackexchange.com, ""); `stackoverflow.com-Posts.7z` -> (stackoverflow.com, Posts.xml)."""
    m = _SITE.match(os.path.basename(name))
    return (m["site"], f"{m['kind']}.xml" if m["kind"] else "") if m else None


class _PipeWriter(Py7zIO):
    def __init__(self, fd: int):
        self.fd, self.written = fd, 0

    def write(self, s) -> int:
        view = memoryview(s)
        while view:
            view = view[os.write(self.fd, view):]
        self.written += len(s)
        return len(s)

    def read(self, size=None) -> bytes:
        return b""

    def seek(self, offset, whence=0) -> int:
        return self.written

    def flush(self) -> None:
        pass

    def size(self) -> int:
        return self.written


class _OneMember(WriterFactory):
    def __init__(self, fd: int):
        self.fd = fd

    def create(self, filename: str) -> Py7zIO:
        return _PipeWriter(self.fd)


@contextlib.contextmanager
def open_member(archive, member: str):
    """The bytes of `member` of the 7z `archive` (a path or a seekable binary file) as a readable stream.
    A missing member raises KeyError naming the members there are; a damaged archive raises on read."""
    with py7zr.SevenZipFile(archive, mode="r") as z:
        names = z.getnames()
        if member not in names:
            raise KeyError(f"no {member} in the archive (it holds: {', '.join(sorted(names)[:10])})")
        r, w = os.pipe()
        failure: list[BaseException] = []

        def extract():
            try:
                z.extract(targets=[member], factory=_OneMember(w))
            except BaseException as e:  # handed to the reader: raised where the stream ends
                failure.append(e)
            finally:
                os.close(w)

        thread = threading.Thread(target=extract, name="7z-extract", daemon=True)
        thread.start()
        stream = _Checked(os.fdopen(r, "rb"), failure)
        try:
            yield stream
        finally:
            stream.close()  # a reader that stops early closes the pipe: the writer gets EPIPE and ends
            thread.join()


class _Checked:
    """The pipe's read end, raising the extraction's error when the bytes stop because of it."""

    def __init__(self, f, failure: list):
        self.f, self.failure = f, failure

    def read(self, n: int = -1) -> bytes:
        return self._checked(self.f.read(n))

    def read1(self, n: int = -1) -> bytes:
        return self._checked(self.f.read1(n))

    def _checked(self, data: bytes) -> bytes:
        if not data and self.failure:
            raise self.failure[0]
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.f.close()
