"""Wikipedia (LLaMA section 2.1): wikitext to plain text, and the keep/drop decision on the dump's language
and the article's length.

The paper removes "hyperlinks, comments and other formatting boilerplate". Here that means: templates
(infoboxes, citations, navboxes), tables, references, comments, file/image links and category tags go with
their content; links, bold/italic, headings and lists keep their words and lose their markup. Inline HTML
tags keep their inner text (<b>, <span>, <blockquote>, ...) except the ones in DROPPED_ELEMENTS, whose
content is not prose (<ref> citations, <math> TeX, <gallery> file lists, <syntaxhighlight> code, ...).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from curation.schema import reject

# The 20 Latin- and Cyrillic-script languages of the paper's Wikipedia dumps (June-August 2022).
LLAMA_LANGUAGES = ["bg", "ca", "cs", "da", "de", "en", "es", "fr", "hr", "hu",
                   "it", "nl", "pl", "pt", "ro", "ru", "sl", "sr", "sv", "uk"]

# Link prefixes whose links are not prose: the canonical names of the Media, File and Category namespaces
# (every wiki accepts them). A dump's localised names (Datei, Kategorie, ...) come from its siteinfo.
NON_PROSE_NAMESPACES = (-2, 6, 14)
CANONICAL_NON_PROSE_PREFIXES = frozenset({"media", "file", "image", "category"})

DROPPED_ELEMENTS = ("ref", "references", "math", "chem", "ce", "score", "gallery", "imagemap", "timeline",
                    "graph", "mapframe", "templatedata", "syntaxhighlight", "source", "hiero")


@dataclass
class WikipediaParams:
    languages: list[str] = field(default_factory=lambda: list(LLAMA_LANGUAGES))
    min_chars: int = 100


def wiki_language(dbname: str | None, xml_lang: str | None) -> str:
    """The wiki's language code, which is also its subdomain: `enwiki` -> `en`, `zh_min_nanwiki` ->
    `zh-min-nan`; the export's xml:lang when the dump names no wiki database."""
    if dbname and dbname.endswith("wiki"):
        return dbname.removesuffix("wiki").replace("_", "-")
    return xml_lang or ""


def is_redirect_text(wikitext: str) -> bool:
    """Old export schemas mark a redirect only by its text."""
    return wikitext.lstrip()[:9].lower() == "#redirect"


_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_DROPPED_NAMES = "|".join(DROPPED_ELEMENTS)
_DROPPED_EMPTY = re.compile(rf"<(?:{_DROPPED_NAMES})\b[^>]*/\s*>", re.I)
_DROPPED_ELEMENT = re.compile(rf"<({_DROPPED_NAMES})\b[^>]*>.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"</?[a-zA-Z][\w:-]*(?:\s[^<>]*)?/?>")
# Innermost template: no `{{` or `}}` inside (single braces are fine); removed repeatedly, inside out.
_TEMPLATE = re.compile(r"\{\{(?:[^{}]|\{(?!\{)|\}(?!\}))*\}\}")
_TABLE_START = re.compile(r"^[ \t]*(?::*[ \t]*)\{\|")
_TABLE_END = re.compile(r"^[ \t]*\|\}")
_EXTERNAL_LINK = re.compile(r"\[(?:https?://|ftp://|//|mailto:)[^\s\]]*(?:\s+([^\]]*))?\]", re.I)
# Innermost internal link: no brackets inside, so links nested in a file caption go first.
_LINK = re.compile(r"\[\[([^\[\]]*)\]\]")
_INTERLANGUAGE_PREFIX = re.compile(r"[a-z]{2,3}(?:-[a-z]+)*")
_HEADING = re.compile(r"^(={1,6})[ \t]*(.+?)[ \t]*\1[ \t]*$", re.M)
_LIST_MARKER = re.compile(r"^[*#:;]+[ \t]*", re.M)
_RULE = re.compile(r"^-{4,}[ \t]*$", re.M)
_BEHAVIOUR_SWITCH = re.compile(r"__[A-Z]+__")
_BOLD_ITALIC = re.compile(r"'{2,}")
_LEFTOVER = re.compile(r"\{\{|\}\}|\[\[|\]\]")
_SPACES = re.compile(r"[ \t\xa0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def wikitext_to_text(wikitext: str, non_prose_prefixes=CANONICAL_NON_PROSE_PREFIXES) -> str:
    """Plain text of an article's wikitext. `non_prose_prefixes`: lower-case link prefixes whose links are
    dropped whole (files, images, categories), nested links in their captions included."""
    text = _COMMENT.sub("", wikitext)
    text = _DROPPED_EMPTY.sub("", text)
    text = _DROPPED_ELEMENT.sub("", text)
    text = _remove_innermost_first(text, _TEMPLATE)
    text = _remove_tables(text)
    text = _TAG.sub("", text)
    text = _EXTERNAL_LINK.sub(lambda m: m.group(1) or "", text)
    while True:
        text, n = _LINK.subn(lambda m: _link_text(m.group(1), non_prose_prefixes), text)
        if not n:
            break
    text = _LEFTOVER.sub("", text)  # unbalanced markup is dropped, never left half-parsed
    text = _BOLD_ITALIC.sub("", text)
    text = _HEADING.sub(r"\2", text)
    text = _LIST_MARKER.sub("", text)
    text = _RULE.sub("", text)
    text = _BEHAVIOUR_SWITCH.sub("", text)
    text = html.unescape(text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _remove_innermost_first(text: str, pattern: re.Pattern) -> str:
    while True:
        text, n = pattern.subn("", text)
        if not n:
            return text


def _remove_tables(text: str) -> str:
    """Drops `{| ... |}` tables, nested ones included; like MediaWiki, an unclosed table ends with the page."""
    kept, depth = [], 0
    for line in text.split("\n"):
        if _TABLE_START.match(line):
            depth += 1
        elif depth and _TABLE_END.match(line):
            depth -= 1
        elif not depth:
            kept.append(line)
    return "\n".join(kept)


def _link_text(inner: str, non_prose_prefixes) -> str:
    """What a reader sees of `[[inner]]`: the label, else the target; nothing for a file or category link,
    nor for an interlanguage link (`[[de:Anarchismus]]`: lower-case code, no label, no space after the
    colon, unlike `[[CSI: Miami]]`). A leading colon (`[[:Category:X]]`) makes a link visible, as in MediaWiki."""
    target, _, label = inner.partition("|")
    prefix, colon, rest = target.strip().partition(":")
    if colon and (prefix.strip().lower() in non_prose_prefixes
                  or (not label and _INTERLANGUAGE_PREFIX.fullmatch(prefix) and not rest.startswith(" "))):
        return ""
    return (label.strip() or target.strip()).lstrip(":")


def curate(doc: dict, params: WikipediaParams) -> dict:
    """The document, or a reject: `language` (the dump's language is not wanted) or `too_short`."""
    if doc["meta"]["language"] not in params.languages:
        return reject(doc, "language")
    if len(doc["text"]) < params.min_chars:
        return reject(doc, "too_short")
    return doc
