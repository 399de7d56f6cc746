"""Main text of a web page (issue 16): what a reader of the page came for, without navigation, footers,
share buttons, comments or related links. resiliparse's main-content extraction, cut at its edges, where
boilerplate gathers; each step measured with bench/extract_quality.py (docs/BENCHMARKS.md)."""
from __future__ import annotations

import re

from resiliparse.extract.html2text import extract_plain_text

SHORT_WORDS = 8  # an edge line with fewer words and no sentence end is a heading, link or label
_SENTENCE_END = re.compile(r"[.!?…\"”»)。！？]$")
_RIGHTS = re.compile(r"©|\ball rights reserved\b", re.IGNORECASE)
RIGHTS_MAX_WORDS = 30  # a copyright notice is a line of its own; a longer line is prose that mentions one


def _is_prose(line: str) -> bool:
    line = line.strip()
    return bool(line) and (len(line.split()) >= SHORT_WORDS or bool(_SENTENCE_END.search(line)))


def _trim_edges(text: str) -> str:
    """Without copyright notices, and without the headings, bylines, 'read more' and related-link lines before
    the first and after the last line that reads as prose."""
    lines = text.split("\n")
    if "©" in text or "eserved" in text or "ESERVED" in text:  # str.find first: the regex is 20x slower
        lines = [line for line in lines if not (_RIGHTS.search(line) and len(line.split()) < RIGHTS_MAX_WORDS)]
    first = next((i for i, line in enumerate(lines) if _is_prose(line)), None)
    if first is None:
        return "\n".join(lines)
    last = next(i for i in range(len(lines) - 1, first - 1, -1) if _is_prose(lines[i]))
    return "\n".join(lines[first:last + 1])


def html_to_text(html: str) -> str:
    """The main content with paragraphs and line breaks kept, comment sections and post metadata (dates,
    authors, tags) left out. Bullets and image alt texts are left out too: they are markup, not the page's
    words."""
    text = extract_plain_text(html, preserve_formatting=True, main_content=True, list_bullets=False,
                              alt_texts=False, comments=False, post_meta=False)
    return _trim_edges(text).strip()
