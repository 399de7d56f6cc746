"""C4's page heuristics (Raffel et al. 2020, section 2.2, as its `c4_utils.clean_page` applies them), on C4-style
JSON rows: line by line, citation markers are removed and a line is kept only if it ends in terminal punctuation
(not an ellipsis), has enough words, no word over 1000 characters, no "javascript" notice and no cookie/policy
notice; a kept line with "lorem ipsum" or a curly brace drops the whole page, and so do too few sentences."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from curation.schema import reject, with_meta

# C4's end marks, and the typographic closing quotes that it misses.
TERMINAL = (".", "!", "?", '"', "”", "’", "'")
POLICY_SUBSTRINGS = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies",
                     "use cookies")
_CITATION = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]", re.I)
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


@dataclass
class C4Params:
    languages: list[str] = field(default_factory=lambda: ["en"])
    lang_threshold: float = 0.5
    min_words_per_line: int = 3
    min_sentences: int = 5
    max_word_length: int = 1000


def clean_page(text: str, params: C4Params) -> tuple[str, str | None]:
    """The page's kept lines, and the reason C4 discards the whole page (None if it is kept)."""
    kept, sentences = [], 0
    for line in text.splitlines():
        line = line.strip()
        if any(len(word) > params.max_word_length for word in line.split()):
            continue
        line = _CITATION.sub("", line)
        if not line.endswith(TERMINAL) or line.endswith("...") or len(line.split()) < params.min_words_per_line:
            continue
        lowered = line.lower()
        if "lorem ipsum" in lowered:
            return text, "lorem_ipsum"
        if "{" in line or "}" in line:
            return text, "curly_brace"
        if "javascript" in lowered or any(p in lowered for p in POLICY_SUBSTRINGS):
            continue
        sentences += len(_SENTENCE_END.findall(line))
        kept.append(line)
    if sentences < params.min_sentences:
        return "\n".join(kept), "too_few_sentences"
    return "\n".join(kept), None


def curate(doc: dict, params: C4Params, lang_id) -> dict:
    """The document with its text cleaned and language in meta, or a reject with the reason."""
    text, problem = clean_page(doc["text"], params)
    if problem:
        return reject(doc, problem)
    language, score = lang_id(text)
    doc = with_meta({**doc, "text": text}, language=language, language_score=score)
    if language not in params.languages or score < params.lang_threshold:
        return reject(doc, "lang")
    return doc
