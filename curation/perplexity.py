"""CCNet's quality signal (Wenzek et al. 2020, section 3.3): the perplexity of a page under a 5-gram language
model of Wikipedia, over SentencePiece pieces of normalised text. Pages far from Wikipedia's style (spam,
lists, keyword soup) score high; CCNet splits a language's pages into head / middle / tail at the 30th and
60th percentiles of perplexity, and LLaMA keeps head and middle.

The 5-gram model is estimated here (interpolated modified Kneser-Ney, Chen & Goodman 1998, as KenLM's lmplz
does it) and written as ARPA, which `kenlm.Model` loads and queries. The estimator holds the counts in
memory: it is meant for a Wikipedia sample of tens of millions of pieces, not a whole dump.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from typing import Iterable, TextIO

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
SP_MODEL, LM_MODEL, CUTOFFS = "sp.model", "lm.arpa", "cutoffs.json"  # the files of a language model directory
PERCENTILES = (30, 60)
BUCKETS = ("head", "middle", "tail")
_DIGITS = re.compile(r"\d")
_SPACES = re.compile(r"\s+")
_PUNCT = str.maketrans({"，": ",", "。": ".", "、": ",", "„": '"', "”": '"', "“": '"', "«": '"', "»": '"',
                        "‘": "'", "’": "'", "´": "'", "‹": '"', "›": '"', "：": ":", "；": ";", "？": "?",
                        "！": "!", "（": "(", "）": ")", "–": "-", "—": " - ", "…": "..."})


def normalize(line: str) -> str:
    """CCNet's normalisation before the language model: lower case, no accents, digits to 0, Unicode
    punctuation to ASCII, control characters dropped, spaces collapsed."""
    line = unicodedata.normalize("NFD", line.lower())
    line = "".join(ch for ch in line if unicodedata.category(ch) not in ("Mn", "Cc", "Cf"))
    return _SPACES.sub(" ", _DIGITS.sub("0", line.translate(_PUNCT))).strip()


# ------------------------------------------------------------------------------------------ the estimator
def _discounts(adjusted: Iterable[int]) -> tuple[float, float, float]:
    """D1, D2, D3+ from the counts of counts (Chen & Goodman); lmplz's fallback when the data is too small."""
    t = Counter(min(a, 4) for a in adjusted)
    try:
        y = t[1] / (t[1] + 2 * t[2])
        d = tuple(k - (k + 1) * y * t[k + 1] / t[k] for k in (1, 2, 3))
    except ZeroDivisionError:
        return 0.5, 1.0, 1.5
    return d if all(0 < dk < k for k, dk in zip((1, 2, 3), d)) else (0.5, 1.0, 1.5)


def estimate(sentences: Iterable[list[str]], order: int = 5) -> tuple[list[dict], list[dict]]:
    """Interpolated modified Kneser-Ney: (log10 p per n-gram, log10 backoff per n-gram) for orders 1..order,
    each a dict from word tuples. The highest order uses raw counts; lower orders count distinct left
    extensions, except n-grams that start with <s>, which cannot be extended and keep raw counts."""
    raw = [Counter() for _ in range(order + 1)]
    for words in sentences:
        seq = (BOS, *words, EOS)
        for n in range(1, order + 1):
            c = raw[n]
            for i in range(len(seq) - n + 1):
                c[seq[i:i + n]] += 1
    adjusted = [None] * (order + 1)
    adjusted[order] = raw[order]
    for n in range(order - 1, 0, -1):
        a = Counter(g[1:] for g in raw[n + 1])
        a.update({g: c for g, c in raw[n].items() if g[0] == BOS})
        adjusted[n] = a
    del adjusted[1][(BOS,)]  # <s> is never predicted

    probs, backoffs = [{}], [{} for _ in range(order + 1)]
    vocab_size = len(adjusted[1]) + 1  # + <unk>
    for n in range(1, order + 1):
        d = (0.0, *_discounts(adjusted[n].values()))
        context = defaultdict(lambda: [0, 0, 0, 0])  # total, N1, N2, N3+
        for g, a in adjusted[n].items():
            s = context[g[:-1]]
            s[0] += a
            s[min(a, 3)] += 1
        gamma = {h: (d[1] * s[1] + d[2] * s[2] + d[3] * s[3]) / s[0] for h, s in context.items()}
        p = {}
        for g, a in adjusted[n].items():
            lower = 1 / vocab_size if n == 1 else probs[n - 1][g[1:]]
            p[g] = (a - d[min(a, 3)]) / context[g[:-1]][0] + gamma[g[:-1]] * lower
        if n == 1:
            p[(UNK,)] = gamma[()] / vocab_size
        probs.append(p)
        backoffs[n - 1] = {h: gamma[h] for h in context if h}  # a context's backoff is its gamma
    return ([{g: math.log10(v) for g, v in p.items()} for p in probs[1:]],
            [{g: math.log10(v) for g, v in b.items() if v > 0} for b in backoffs[1:]])


def write_arpa(logprobs: list[dict], logbackoffs: list[dict], out: TextIO) -> None:
    out.write("\n\\data\\\n")
    for n, p in enumerate(logprobs, 1):
        out.write(f"ngram {n}={len(p) + (n == 1)}\n")  # + <s>
    for n, p in enumerate(logprobs, 1):
        out.write(f"\n\\{n}-grams:\n")
        bo = logbackoffs[n - 1]
        if n == 1:
            out.write(f"-99\t{BOS}\t{bo.get((BOS,), 0.0):.6f}\n")
        for g in sorted(p):
            line = f"{p[g]:.6f}\t{' '.join(g)}"
            out.write(line + (f"\t{bo[g]:.6f}\n" if g in bo else "\n"))
    out.write("\n\\end\\\n")


# ------------------------------------------------------------------------------------------ scoring
class Perplexity:
    """Document perplexity under a SentencePiece + KenLM model pair, the way CCNet computes it: each line
    scored as a sentence, log-probabilities summed over the document, divided by its pieces (+1 per line)."""

    def __init__(self, sp_model: str, lm_model: str):
        import kenlm
        import sentencepiece as spm

        self.sp = spm.SentencePieceProcessor(model_file=sp_model)
        self.lm = kenlm.Model(lm_model)

    def pieces(self, line: str) -> list[str]:
        return self.sp.encode(normalize(line), out_type=str)

    def __call__(self, text: str) -> float:
        log_score, length = 0.0, 0
        for line in text.split("\n"):
            pieces = self.pieces(line)
            if pieces:
                log_score += self.lm.score(" ".join(pieces))
                length += len(pieces) + 1
        return round(10 ** (-log_score / length), 1) if length else math.inf


def cutoffs(perplexities: list[float], percentiles=PERCENTILES) -> list[float]:
    """The perplexities at the given percentiles (linear interpolation between ranks, as numpy does)."""
    import numpy as np

    finite = [p for p in perplexities if math.isfinite(p)]
    if not finite:
        raise ValueError("no finite perplexities to compute cut-offs from")
    return [round(float(v), 1) for v in np.percentile(finite, percentiles)]


def bucket(perplexity: float, head: float, middle: float) -> str:
    """CCNet's bucket: head below the first cut-off, middle below the second, tail from there on."""
    return "head" if perplexity < head else "middle" if perplexity < middle else "tail"
