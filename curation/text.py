"""Small text helpers shared by several sources."""
from __future__ import annotations

import hashlib
import re
import unicodedata

_WS = re.compile(r"\s+")


def normalize_for_hash(text: str) -> str:
    """Case, Unicode form and whitespace folded, so that trivially different copies hash alike."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def content_hash(text: str) -> str:
    """Hash of the normalised text: copies that differ only in case or spacing collide."""
    return exact_hash(normalize_for_hash(text))


def exact_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def word_count(text: str) -> int:
    return len(text.split())
