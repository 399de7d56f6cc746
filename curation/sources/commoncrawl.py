"""CommonCrawl pages (LLaMA section 2.1, after CCNet): an HTML payload or WET text becomes a document's text;
after line dedup (curation/linededup.py) a page is kept when it is long enough, in a wanted language, in a
kept perplexity bucket of its language's Wikipedia LM, and looks like a page Wikipedia cites.
"""
from __future__ import annotations

from resiliparse.parse.encoding import detect_encoding, map_encoding_to_html5

from curation.perplexity import bucket
from curation.quality import gopher_problem
from curation.schema import reject, with_meta

HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_UNDECODABLE = 0.01  # share of U+FFFD after every decoding was tried: more means the page is not text


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


def undecodable_share(text: str) -> float:
    return text.count("\ufffd") / max(1, len(text))


def curate(doc: dict, params, lang_id, perplexity: dict | None = None, classifier=None) -> dict:
    """The document annotated in meta (language, language_score, perplexity, bucket, wiki_prob), or a reject:
    `empty`, `too_short`, `lang`, `gopher_*`, `perplexity` (a bucket not kept) or `classifier`.
    `perplexity` maps a language to (scorer, (head, middle) cut-offs); None skips that step, as does
    `classifier` None."""
    text, ann = doc["text"], {}

    def out(reason: str | None = None) -> dict:
        judged = with_meta(doc, **ann) if ann else doc
        return reject(judged, reason) if reason else judged

    if len(text) < params.min_chars:
        emptied = doc["meta"].get("lines_removed")
        return out("too_short" if text.strip() or emptied else "empty")
    language, score = lang_id(text[:params.lang_prefix_chars])
    ann.update(language=language, language_score=score)
    if language not in params.languages or score < params.lang_threshold:
        return out("lang")
    if params.gopher_rules and (problem := gopher_problem(text)):
        return out(problem)
    if perplexity is not None:
        scorer, (head, middle) = perplexity[language]
        ann["perplexity"] = ppl = scorer(text)
        ann["bucket"] = bucket(ppl, head, middle)
        if ann["bucket"] not in params.keep_buckets:
            return out("perplexity")
    if classifier is not None:
        ann["wiki_prob"] = p = classifier(text)
        if p < params.classifier_threshold:
            return out("classifier")
    return out()
