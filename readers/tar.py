"""Streamed tar archives (GitHub repositories, arXiv e-prints)."""
from __future__ import annotations

import tarfile


def check_tar_end(tar: tarfile.TarFile) -> None:
    """Raise tarfile.ReadError unless a streamed tar really ended: `tarfile` stops at the first header it cannot
    read as if the archive ended there, so what follows must be zero padding; reading it to the end also checks
    a compressed stream's own end (a gzip CRC, a cut-off file)."""
    while block := tar.fileobj.read(1 << 20):
        if block.strip(b"\0"):
            raise tarfile.ReadError("damaged archive: data after the last readable member")
