"""Deterministic file bytes: gzip and tar headers carry fixed times and no local names, PNGs are tiny."""
from __future__ import annotations

import contextlib
import gzip
import io
import struct
import tarfile
import zlib
from pathlib import Path
from random import Random


def png(rng: Random, width: int = 8, height: int = 8) -> bytes:
    """A valid tiny RGB PNG with random pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + rng.randbytes(3 * width) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


@contextlib.contextmanager
def open_gzip(path: Path):
    """A gzip stream with no file name and mtime 0 in its header, so the bytes depend only on the data."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        yield gz


def write_tar_gz(path: Path, files: dict[str, bytes], mtime: int, comment: str | None = None) -> None:
    """A gzip'd tar with sorted members, their folders, fixed owner and mtime (as `git archive` writes)."""
    folders = {name[:i + 1] for name in files for i, c in enumerate(name) if c == "/"}
    pax = {"comment": comment} if comment else {}
    with open_gzip(path) as gz, tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT, pax_headers=pax) as tar:
        for name in sorted(folders | set(files)):
            info = tarfile.TarInfo(name.rstrip("/"))
            info.mtime = mtime
            if name in folders:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(files[name]), 0o644
                tar.addfile(info, io.BytesIO(files[name]))
