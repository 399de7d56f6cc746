"""Small text helpers shared by several sources."""
from __future__ import annotations

import hashlib
import unicodedata

_CONTROL = bytes(range(32)).translate(None, b"\t\n\f\r") + b"\x7f"  # what a text file has none of, beyond a few


def normalize_for_hash(text: str) -> str:
    """Case, Unicode form and whitespace folded, so that trivially different copies hash alike."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())  # split(): the whitespace of regex \s


def content_hash(text: str) -> str:
    """Hash of the normalised text: copies that differ only in case or spacing collide."""
    return exact_hash(normalize_for_hash(text))


def exact_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()



def looks_binary(data: bytes, max_control_share: float) -> bool:
    """Not a text at all (an image, an archive, an executable, a UTF-16 file): NUL bytes, or more than
    `max_control_share` of ASCII control bytes other than tab, line ends and form feed. Latin-1 and UTF-8 text
    have neither."""
    return b"\0" in data or len(data) - len(data.translate(None, _CONTROL)) > max_control_share * len(data)
