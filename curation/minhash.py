"""MinHash-LSH near-duplicate detection as pure functions: word n-gram shingles, signatures, band keys,
LSH parameters from a target Jaccard threshold, and the exact overlap used to confirm candidates.

Everything is vectorised over a batch of documents with numpy, and every hash is 64-bit:
- a word is hashed once, with a polynomial hash mod 2^64 computed for all words of the batch at once from
  prefix sums over the bytes, then mixed with murmur3's finaliser;
- a shingle (n consecutive words of one document) is a mixed sum of its words' hashes;
- permutation k maps a shingle hash h to A[k] * h + B[k] mod 2^64 (A odd: a bijection), and the signature
  keeps the minimum per permutation, computed for many documents in one `np.minimum.reduceat`.
Text is lowercased and split on ASCII whitespace, so copies that differ in case or spacing shingle alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

U64 = np.uint64
_MASK = (1 << 64) - 1
_P = 0x100000001B3                      # the FNV-64 prime: an odd polynomial base
_P_INV = pow(_P, -1, 1 << 64)
_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[9, 10, 11, 12, 13, 32]] = True
_CHUNK = 1 << 13                        # shingles per (num_perm x chunk) block: a few MiB


@dataclass(frozen=True)
class MinHasher:
    """Signatures of `num_perm` permutations over word `ngram`-shingles; `bands` x `rows` LSH bands."""
    num_perm: int = 128
    ngram: int = 5
    bands: int = 0
    rows: int = 0
    seed: int = 1

    def __post_init__(self):
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}")

    @classmethod
    def for_threshold(cls, threshold: float, num_perm: int = 128, ngram: int = 5, seed: int = 1, **weights):
        bands, rows = lsh_params(threshold, num_perm, **weights)
        return cls(num_perm, ngram, bands, rows, seed)

    def signatures(self, texts: list[str]) -> np.ndarray:
        """(len(texts), num_perm) uint64; a text without words gets all-max (it matches nothing)."""
        return self.sign(shingle_batch(texts, self.ngram), len(texts))

    def sign(self, shingles: tuple[np.ndarray, np.ndarray], count: int) -> np.ndarray:
        """Signatures of `count` texts from their `shingle_batch`."""
        return minhash(shingles, count, *_permutations(self.num_perm, self.seed))

    def band_keys(self, signature: np.ndarray) -> list[bytes]:
        """One key per band: the band index and the band's rows, so equal keys mean an equal band."""
        rows = signature[: self.bands * self.rows].reshape(self.bands, self.rows)
        return [b.to_bytes(2, "big") + rows[b].tobytes() for b in range(self.bands)]


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 1 << 64, size=num_perm, dtype=U64, endpoint=False) | U64(1)
    b = rng.integers(0, 1 << 64, size=num_perm, dtype=U64, endpoint=False)
    return a, b


def _fmix64(h: np.ndarray) -> np.ndarray:
    """murmur3's 64-bit finaliser, in place: every input bit affects every output bit."""
    h ^= h >> U64(33)
    h *= U64(0xFF51AFD7ED558CCD)
    h ^= h >> U64(33)
    h *= U64(0xC4CEB93FE53B4D63)
    h ^= h >> U64(33)
    return h


_powers = {"p": np.ones(1, dtype=U64), "inv": np.ones(1, dtype=U64)}


def _power_tables(n: int) -> tuple[np.ndarray, np.ndarray]:
    """P^j and P^-j mod 2^64 for j < n, grown by doubling and kept between calls."""
    if len(_powers["p"]) < n:
        size = 1 << (n - 1).bit_length()
        for key, base in (("p", _P), ("inv", _P_INV)):
            table = np.full(size, base, dtype=U64)
            table[0] = 1
            _powers[key] = np.cumprod(table, dtype=U64)
    return _powers["p"][:n], _powers["inv"][:n]


def shingle_batch(texts: list[str], ngram: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """The 64-bit shingle hashes of all texts, concatenated, and the index of the text each belongs to.

    A shingle is `ngram` consecutive words; a text with fewer words is one shingle of all of them.
    Duplicate shingles within a text are kept (they do not change a minimum).
    """
    encoded = [t.lower().encode() for t in texts]
    data = np.frombuffer(b"\n".join(encoded), dtype=np.uint8)
    if not len(data):
        return np.zeros(0, dtype=U64), np.zeros(0, dtype=np.int64)
    lengths = np.fromiter((len(e) + 1 for e in encoded), dtype=np.int64, count=len(encoded))
    text_start = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    # Words: maximal runs of non-whitespace bytes ("\n" between texts keeps words inside one text).
    ws = np.concatenate(([True], _WHITESPACE[data], [True]))
    edges = np.flatnonzero(ws[1:] != ws[:-1])
    starts, ends = edges[0::2], edges[1::2]
    if not len(starts):
        return np.zeros(0, dtype=U64), np.zeros(0, dtype=np.int64)
    # Word hash: sum_j byte_j * P^(j - start) = (C[end] - C[start]) * P^-start, with C the prefix sums of
    # byte_j * P^j; uint64 arithmetic wraps, which is exactly mod 2^64.
    p, p_inv = _power_tables(len(data) + 1)
    prefix = np.zeros(len(data) + 1, dtype=U64)
    np.cumsum(data * p[:-1], dtype=U64, out=prefix[1:])
    words = _fmix64((prefix[ends] - prefix[starts]) * p_inv[starts])
    text_of = np.searchsorted(text_start, starts, side="right") - 1
    # Shingle at word i: mixed sum of words i..i+ngram-1 that lie in the same text as word i.
    n = len(words)
    mult = _shingle_multipliers(ngram)
    acc = words * mult[0]
    padded_words = np.concatenate((words, np.zeros(ngram, dtype=U64)))
    padded_text = np.concatenate((text_of, np.full(ngram, -1)))
    for k in range(1, ngram):
        same = padded_text[k:k + n] == text_of
        acc += np.where(same, padded_words[k:k + n], U64(0)) * mult[k]
    # Keep full shingles, and the first word's shingle of a text that has fewer than ngram words.
    full = padded_text[ngram - 1:ngram - 1 + n] == text_of
    first = np.concatenate(([True], text_of[1:] != text_of[:-1]))
    short = np.bincount(text_of, minlength=len(texts))[text_of] < ngram
    keep = full | (first & short)
    return _fmix64(acc[keep]), text_of[keep]


@lru_cache(maxsize=8)
def _shingle_multipliers(ngram: int) -> np.ndarray:
    return np.random.default_rng(ngram).integers(0, 1 << 64, size=ngram, dtype=U64) | U64(1)


def minhash(shingles: tuple[np.ndarray, np.ndarray], count: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per text, the minimum of a * h + b over its shingle hashes h, for every permutation (a, b)."""
    hashes, text_of = shingles
    sig = np.full((count, len(a)), _MASK, dtype=U64)
    if not len(hashes):
        return sig
    # Permutations x shingles, so that each text's minimum is a reduction over contiguous memory.
    buf = np.empty((len(a), _CHUNK), dtype=U64)
    a, b = a[:, None], b[:, None]
    for lo in range(0, len(hashes), _CHUNK):
        h, owner = hashes[lo:lo + _CHUNK], text_of[lo:lo + _CHUNK]
        block = buf[:, :len(h)]
        np.multiply(a, h[None, :], out=block)
        block += b
        seg = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
        texts = owner[seg]
        sig[texts] = np.minimum(sig[texts], np.minimum.reduceat(block, seg, axis=1).T)
    return sig


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    return float(np.mean(sig_a == sig_b))


def shingle_set(text: str, ngram: int = 5) -> np.ndarray:
    """The distinct shingle hashes of one text, sorted: what exact overlap is computed on."""
    return np.unique(shingle_batch([text], ngram)[0])


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """|A & B| / |A | B| of two sorted distinct shingle sets."""
    if not len(a) and not len(b):
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """|A & B| / min(|A|, |B|): the share of the smaller document found in the other (the Books rule)."""
    if not len(a) or not len(b):
        return 0.0
    return len(np.intersect1d(a, b, assume_unique=True)) / min(len(a), len(b))


OVERLAPS = {"jaccard": jaccard, "containment": containment}


def candidate_probability(s: float | np.ndarray, bands: int, rows: int):
    """The chance that two documents of Jaccard `s` share at least one band: 1 - (1 - s^r)^b."""
    return 1.0 - (1.0 - np.asarray(s, dtype=float) ** rows) ** bands


def lsh_params(threshold: float, num_perm: int = 128, fp_weight: float = 0.5,
               fn_weight: float = 0.5) -> tuple[int, int]:
    """Bands and rows (bands * rows <= num_perm) minimising the weighted false-positive area (similarity
    below the threshold, yet a candidate) and false-negative area (above it, yet never a candidate) under
    the LSH S-curve; the rule of datasketch's `_optimal_param`, integrated on a fixed grid."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    s = np.linspace(0.0, 1.0, 2001)
    below, above = s <= threshold, s >= threshold
    best, best_err = (1, 1), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            p = candidate_probability(s, bands, rows)
            fp = np.trapezoid(p[below], s[below])
            fn = np.trapezoid(1.0 - p[above], s[above])
            err = fp_weight * fp + fn_weight * fn
            if err < best_err - 1e-12:
                best, best_err = (bands, rows), err
    return best
