"""CCNet's line-level deduplication (Wenzek et al. 2020, section 3.1): a line that occurs in two or more
documents of a group of shards is boilerplate (menus, cookie notices, footers) and is removed from every one
of them, the first copy included; within one document only the repeats of a line are removed.

Lines are compared after CCNet's normalisation (lower case, accents stripped, digits to 0, punctuation
removed) through a 63-bit hash (a non-negative int64 every Beam coder and numpy carry), so a group's
duplicated lines take 8 bytes each.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import xxhash

_DIGITS = re.compile(r"\d")
_PUNCT = re.compile(r"[^\w\s]|_")  # punctuation, symbols and control characters
_SPACES = re.compile(r"\s+")


def normalize_line(line: str) -> str:
    line = unicodedata.normalize("NFD", line.strip().lower())
    line = "".join(ch for ch in line if unicodedata.category(ch) != "Mn")  # accents
    line = _PUNCT.sub("", _DIGITS.sub("0", line))
    return _SPACES.sub(" ", line).strip()


def line_hash(line: str) -> int:
    return xxhash.xxh3_64_intdigest(normalize_line(line).encode()) >> 1


def doc_line_hashes(text: str) -> set[int]:
    """The distinct hashes of a document's non-blank lines: what it contributes to its group's counts."""
    return {line_hash(line) for line in text.split("\n") if line.strip()}


def remove_lines(text: str, duplicated: np.ndarray) -> tuple[str, int]:
    """The text without lines whose hash is in `duplicated` (the sorted int64 hashes seen in 2+ documents
    of the group) and without repeats of a line already kept; blank lines stay as paragraph breaks.
    Returns (text, lines removed)."""
    lines = text.split("\n")
    hashes = np.array([line_hash(line) if line.strip() else 0 for line in lines], dtype=np.int64)
    at = np.searchsorted(duplicated, hashes).clip(max=max(len(duplicated) - 1, 0))
    in_group = duplicated[at] == hashes if len(duplicated) else np.zeros(len(lines), bool)
    kept, seen, removed = [], set(), 0
    for line, h, dup in zip(lines, hashes.tolist(), in_group.tolist()):
        if not line.strip():
            if kept and kept[-1]:
                kept.append("")
            continue
        if dup or h in seen:
            removed += 1
            continue
        seen.add(h)
        kept.append(line)
    return "\n".join(kept).strip(), removed
