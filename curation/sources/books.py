"""Books (LLaMA section 2.1: Project Gutenberg and Books3): a plain-text file becomes one document with the
Gutenberg header and license footer removed, kept when long enough.

Near-duplicate books (over 90% content overlap) are removed after curation by `pipelines.books.near_dedup`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from curation.schema import reject


@dataclass
class BooksParams:
    min_chars: int = 1000
    max_overlap: float = 0.9    # books sharing more of their word 5-grams with another are near duplicates


def decode(data: bytes) -> tuple[str, str]:
    """Text with LF line ends and no BOM, and the encoding used: UTF-8, else latin-1 (which decodes any
    bytes; older Gutenberg files are ISO-8859-1)."""
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "latin-1"
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


# `*** START OF THE PROJECT GUTENBERG EBOOK X ***` (since 2020s) and `*** START OF THIS ...` (older).
_START = re.compile(r"^[ \t]*\*{3}[ \t]*START OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK.*$", re.M | re.I)
# The end marker in either style (often indented), or the `End of (the) Project Gutenberg('s) ...` line
# that older books put just before it.
_END = re.compile(r"^[ \t]*(?:\*{3}[ \t]*END OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK"
                  r"|End of (?:the )?Project Gutenberg)", re.M | re.I)
# The volunteers' credit that opens many books right after the start marker: a paragraph, not the book.
_CREDIT = re.compile(r"\A\s*(?:Produced by|E-text prepared by|Transcribed from|Transcribed by)\b.*?(?:\n[ \t]*\n|\Z)",
                     re.S | re.I)
# Header fields; `Title:` may even follow other text on its line, and indented lines continue a field.
_FIELDS = {key: re.compile(rf"{label}:[ \t]*(.+(?:\n[ \t]+\S.*)*)")
           for key, label in (("title", "Title"), ("author", "Author"), ("language", "Language"))}
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")


def strip_gutenberg(text: str) -> tuple[str, dict]:
    """The book without the Project Gutenberg header, credits and license footer, and the header's title,
    author and language. Text without a start marker (Books3) keeps everything before any end marker."""
    fields = {}
    start = _START.search(text)
    if start:
        header, text = text[:start.start()], text[start.end():]
        for key, pattern in _FIELDS.items():
            if m := pattern.search(header):
                fields[key] = " ".join(m.group(1).split())
    end = _END.search(text)
    if end:
        text = text[:end.start()]
    if start:
        text = _CREDIT.sub("", text, count=1)
    return _LEADING_BLANK_LINES.sub("", text).rstrip(), fields


def curate(doc: dict, params: BooksParams) -> dict:
    """The document, or a reject: `too_short`."""
    if len(doc["text"]) < params.min_chars:
        return reject(doc, "too_short")
    return doc
