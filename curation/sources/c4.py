"""C4's page heuristics (Raffel et al. 2020, section 2.2), applied to C4-style JSON rows."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from curation.schema import reject, with_meta

TERMINAL = (".", "!", "?", '"', "'", "”", "’")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


@dataclass
class C4Params:
    languages: list[str] = field(default_factory=lambda: ["en"])
    lang_threshold: float = 0.5
    min_words_per_line: int = 3
    min_sentences: int = 5


def clean_lines(text: str, min_words_per_line: int) -> str:
    """Keep lines that end in terminal punctuation, have enough words and carry no JavaScript notice."""
    kept = []
    for line in text.splitlines():
        line = line.strip()
        if (line.endswith(TERMINAL) and len(line.split()) >= min_words_per_line
                and "javascript" not in line.lower()):
            kept.append(line)
    return "\n".join(kept)


def page_problem(text: str, min_sentences: int) -> str | None:
    """The reason C4 discards a whole page, or None."""
    lowered = text.lower()
    if "lorem ipsum" in lowered:
        return "lorem_ipsum"
    if "{" in text or "}" in text:
        return "curly_brace"
    if len(_SENTENCE_END.findall(text)) < min_sentences:
        return "too_few_sentences"
    return None


def curate(doc: dict, params: C4Params, lang_id) -> dict:
    """The document with its text cleaned and language in meta, or a reject with the reason."""
    problem = page_problem(doc["text"], params.min_sentences)
    if problem:
        return reject(doc, problem)
    text = clean_lines(doc["text"], params.min_words_per_line)
    if page_problem(text, params.min_sentences):
        return reject(doc, "too_few_sentences")
    language, score = lang_id(text)
    doc = with_meta({**doc, "text": text}, language=language, language_score=score)
    if language not in params.languages or score < params.lang_threshold:
        return reject(doc, "lang")
    return doc
