"""Benchmark decontamination: a document that shares a long n-gram with an evaluation example is dropped.

GPT-3 (Brown et al. 2020, appendix C) and dolma use 13-grams of lower-cased words: long enough that a shared one
is a copy, not a common phrase. Words are runs of word characters (`\w`), so punctuation and spacing do not
hide a copy. Each n-gram is kept as a 64-bit hash with the benchmark it came from; examples shorter than n words have
no n-gram and cannot be matched (`Index.short` counts them).
"""
from __future__ import annotations

import hashlib
import re

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _word_id(word: str, cache: dict) -> int:
    wid = cache.get(word)
    if wid is None:
        wid = cache[word] = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
    return wid


def ngram_hashes(text: str, n: int, cache: dict | None = None):
    """The 64-bit hash of every n-gram of the text's words (stable across processes and runs)."""
    cache = {} if cache is None else cache
    ids = [_word_id(w, cache) for w in words(text)]
    for i in range(len(ids) - n + 1):
        yield hash(tuple(ids[i:i + n]))  # a tuple of ints hashes the same in every process


class Index:
    """The n-grams of every evaluation example, each with the benchmark that holds it."""

    def __init__(self, n: int = 13):
        self.n = n
        self.grams: dict[int, str] = {}
        self.examples: dict[str, int] = {}
        self.short: dict[str, int] = {}
        self.vocabulary: dict[str, int] = {}  # the evaluation sets' words and their ids

    def add(self, benchmark: str, text: str) -> None:
        found = False
        for h in ngram_hashes(text, self.n, self.vocabulary):
            self.grams.setdefault(h, benchmark)
            found = True
        bucket = self.examples if found else self.short
        bucket[benchmark] = bucket.get(benchmark, 0) + 1

    def match(self, text: str) -> str | None:
        """The benchmark whose n-gram `text` contains first, or None. A word no evaluation example has cannot be in
        a shared n-gram: it ends the run of words looked at, and the index never learns the documents' words."""
        run: list[int] = []
        for word in words(text):
            wid = self.vocabulary.get(word)
            if wid is None:
                run = []
                continue
            run.append(wid)
            if len(run) >= self.n:
                benchmark = self.grams.get(hash(tuple(run[-self.n:])))
                if benchmark is not None:
                    return benchmark
        return None
