"""CommonCrawl pages (LLaMA section 2.1, after CCNet): an HTML payload or WET text becomes a document's text,
then a page is kept when it has text, is in a wanted language and is long enough.

Line-level dedup, KenLM perplexity and the reference-page quality classifier are later stages.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.encoding import detect_encoding, map_encoding_to_html5

from curation.schema import reject, with_meta

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class CommonCrawlParams:
    languages: list[str] = field(default_factory=lambda: ["en"])
    lang_threshold: float = 0.5
    min_chars: int = 300


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """(lower-case media type, charset or None) of a Content-Type header value."""
    media_type, *params = (value or "").split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'") or None
    return media_type.strip().lower(), charset


def decode_html(body: bytes, charset: str | None) -> tuple[str, str]:
    """The page as text and the encoding that decoded it. Tried in turn: the HTTP charset when declared,
    else the page's own <meta charset>, else a detected one (labels read as browsers read them, WHATWG:
    latin-1 means windows-1252); then UTF-8 and windows-1252 for mislabelled pages; last, the first choice
    with U+FFFD for invalid bytes, so a page never fails the job."""
    first = map_encoding_to_html5(charset) if charset else detect_encoding(body, from_html_meta=True)
    for encoding in dict.fromkeys((first, "utf-8", "cp1252")):
        try:
            return body.decode(encoding).removeprefix("\ufeff"), encoding
        except UnicodeDecodeError:
            pass
    return body.decode(first, errors="replace").removeprefix("\ufeff"), first


def html_to_text(html: str) -> str:
    """The main content (navigation, footers and scripts dropped) with paragraphs and line breaks kept.
    Bullets and image alt texts are left out: they are markup, not the page's words."""
    text = extract_plain_text(html, preserve_formatting=True, main_content=True, list_bullets=False,
                              alt_texts=False)
    return text.strip()


def curate(doc: dict, params: CommonCrawlParams, lang_id) -> dict:
    """The document with its language in meta, or a reject: `empty`, `lang` or `too_short`."""
    text = doc["text"]
    if not text.strip():
        return reject(doc, "empty")
    language, score = lang_id(text)
    doc = with_meta(doc, language=language, language_score=score)
    if language not in params.languages or score < params.lang_threshold:
        return reject(doc, "lang")
    if len(text) < params.min_chars:
        return reject(doc, "too_short")
    return doc
