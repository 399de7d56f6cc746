"""Page quality beyond language and perplexity.

- LLaMA's reference classifier (section 2.1): a linear model (fastText) telling pages that Wikipedia cites in
  its references from random Common Crawl pages; pages it finds unlike references are dropped.
- Gopher's quality rules (Rae et al. 2021, appendix A.1.1), the heuristics most web pipelines share; optional
  for Common Crawl (the paper did not use them there) and what the throughput benchmark compares.
"""
from __future__ import annotations

import re

WIKI, OTHER = "__label__wiki", "__label__cc"
_REF = re.compile(r"<ref(?:\s[^>]*)?>(.*?)</ref\s*>", re.I | re.S)
_URL = re.compile(r"https?://[^\s|\]\[}{<>\"']+", re.I)


# ------------------------------------------------------------------------------------------ reference pages
def ref_urls(wikitext: str) -> set[str]:
    """The URLs cited inside <ref>...</ref> of an article (cite templates and bare or bracketed links)."""
    return {m.rstrip(".,;:)") for ref in _REF.findall(wikitext) for m in _URL.findall(ref)}


def classifier_line(text: str, max_words: int = 1000) -> str:
    """A document as one fastText line: lower case, whitespace collapsed, bounded length."""
    return " ".join(text.lower().split()[:max_words])


class RefClassifier:
    """p(wiki): the fastText probability that a page looks like one Wikipedia cites."""

    def __init__(self, model_path: str):
        import fasttext

        self.model = fasttext.load_model(model_path)

    def __call__(self, text: str) -> float:
        labels, probs = self.model.predict(classifier_line(text), k=2)
        p = dict(zip(labels, probs)).get(WIKI, 0.0)
        return round(float(min(max(p, 0.0), 1.0)), 4)


# ------------------------------------------------------------------------------------------ Gopher rules
STOP_WORDS = frozenset(("the", "be", "to", "of", "and", "that", "have", "with"))
BULLETS = ("•", "*", "-", "–", "‣", "·")


def gopher_problem(text: str) -> str | None:
    """The first Gopher rule a document breaks (as `gopher_<rule>`), or None."""
    words = text.split()
    n = len(words)
    if not 50 <= n <= 100_000:
        return "gopher_word_count"
    if not 3 <= sum(map(len, words)) / n <= 10:
        return "gopher_mean_word_length"
    if (text.count("#") + text.count("...") + text.count("…")) / n > 0.1:
        return "gopher_symbol_ratio"
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if sum(line.startswith(BULLETS) for line in lines) > 0.9 * len(lines):
        return "gopher_bullet_lines"
    if sum(line.endswith(("...", "…")) for line in lines) > 0.3 * len(lines):
        return "gopher_ellipsis_lines"
    if sum(w.isalpha() or any(map(str.isalpha, w)) for w in words) < 0.8 * n:  # fast path: all letters
        return "gopher_alpha_words"
    if len(STOP_WORDS.intersection(text.lower().split())) < 2:
        return "gopher_stop_words"
    return None
