"""MinHash-LSH near-duplicate detection as pure functions: word n-gram shingles, signatures, band keys,
LSH parameters from a target Jaccard threshold, and the exact overlap used to confirm candidates.

Everything is vectorised over a batch of documents with numpy, so no Python loop runs per word or shingle:
- a word is hashed once to 64 bits from unaligned 8-byte reads of the batch's bytes (its first and last
  8 bytes, and the ones between for a long word), mixed with murmur3's finaliser;
- a shingle (n consecutive words of one document) is a mixed sum of its words' hashes, 64-bit: exact
  overlaps are computed on these;
- permutation k maps the top 32 bits h of a shingle hash to A[k] * (h | 1) mod 2^32 (A odd: a bijection),
  and the signature keeps the minimum per permutation, for many documents in one `np.minimum.reduceat`.
Text is lowercased and split on ASCII whitespace, so copies that differ in case or spacing shingle alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

U64 = np.uint64
U32 = np.uint32
_CHUNK = 1 << 12                        # shingles per (num_perm x chunk) block: 2 MiB, within L2


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
        """(len(texts), num_perm) uint32; a text without words gets all-max (it matches nothing)."""
        return self.sign(shingle_batch(texts, self.ngram), len(texts))

    def sign(self, shingles: tuple[np.ndarray, np.ndarray], count: int) -> np.ndarray:
        """Signatures of `count` texts from their `shingle_batch`."""
        return minhash(shingles, count, _multipliers(self.num_perm, self.seed))

    def band_hashes(self, signatures: np.ndarray) -> np.ndarray:
        """(n, bands) uint64: a 64-bit hash of each band's index and rows, so equal hashes mean an equal band
        (two unequal bands collide with probability 2^-64: a candidate pair that verification rejects)."""
        n = len(signatures)
        rows = signatures[:, : self.bands * self.rows].reshape(n, self.bands, self.rows).astype(U64)
        h = np.tile((np.arange(self.bands, dtype=U64) + U64(1)) * _GOLDEN, (n, 1))
        for r in range(self.rows):
            h = _fmix64(h ^ (rows[:, :, r] + U64(r)) * _LAST)
        return h


@lru_cache(maxsize=8)
def _multipliers(num_perm: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 1 << 32, size=num_perm, dtype=U32) | U32(1)


def _fmix64(h: np.ndarray) -> np.ndarray:
    """murmur3's 64-bit finaliser, in place: every input bit affects every output bit."""
    h ^= h >> U64(33)
    h *= U64(0xFF51AFD7ED558CCD)
    h ^= h >> U64(33)
    h *= U64(0xC4CEB93FE53B4D63)
    h ^= h >> U64(33)
    return h


_GOLDEN = U64(0x9E3779B97F4A7C15)       # odd multipliers that key a word's length and its last chunk
_LAST = U64(0xC2B2AE3D27D4EB4F)
_PAD = 8                                # spare bytes before and after the text, for 8-byte reads


def _word_hashes(buffer: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each word buffer[start:end], from 8-byte little-endian reads, so that the work is
    per word and not per byte: the first 8 bytes (cut to the word) keyed by the length, the last 8 bytes
    (for a shorter word, the same bytes), and, for a word over 16 bytes, every 8 bytes from offset 8 on."""
    windows = np.ndarray((len(buffer) - 7,), dtype="<u8", buffer=buffer, strides=(1,))
    lengths = ends - starts
    cut = (U64(8) - np.minimum(lengths, 8).astype(U64)) << U64(3)    # bits of a read beyond a short word
    first = (windows[starts] << cut) >> cut
    last = windows[ends - 8] >> cut
    mixed = _fmix64(first ^ lengths.astype(U64) * _GOLDEN) + last * _LAST
    long = np.flatnonzero(lengths > 16)
    if len(long):
        middles = (lengths[long] - 9) >> 3            # reads at offsets 8, 16, ... that end before the end
        word = np.repeat(long, middles)
        offset = (np.arange(len(word)) - np.repeat(np.cumsum(middles) - middles, middles) + 1) << 3
        np.add.at(mixed, word, _fmix64(windows[starts[word] + offset] + offset.astype(U64) * _GOLDEN))
    return _fmix64(mixed)


def shingle_batch(texts: list[str], ngram: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """The 64-bit shingle hashes of all texts, concatenated, and the index of the text each belongs to.

    A shingle is `ngram` consecutive words; a text with fewer words is one shingle of all of them.
    Duplicate shingles within a text are kept (they do not change a minimum).
    """
    encoded = [t.lower().encode() for t in texts]
    buffer = bytes(_PAD) + b"\n".join(encoded) + bytes(_PAD)
    data = np.frombuffer(buffer, dtype=np.uint8)[_PAD:-_PAD]
    # Words: maximal runs of bytes other than ASCII whitespace ("\n" between texts keeps words inside one text).
    ws = np.empty(len(data) + 2, dtype=bool)
    ws[0] = ws[-1] = True
    np.logical_or(data == 32, data - np.uint8(9) < 5, out=ws[1:-1])
    edges = np.flatnonzero(ws[1:] != ws[:-1])
    starts, ends = edges[0::2], edges[1::2]
    if not len(starts):
        return np.zeros(0, dtype=U64), np.zeros(0, dtype=np.int64)
    words = _word_hashes(buffer, starts + _PAD, ends + _PAD)
    text_start = np.cumsum([0] + [len(e) + 1 for e in encoded[:-1]])
    counts = np.diff(np.searchsorted(starts, text_start), append=len(starts))
    first = np.cumsum(counts) - counts
    # Shingle at word i: mixed sum of words i..i+ngram-1, kept where all lie in one text.
    mult = _shingle_multipliers(ngram)
    padded = np.concatenate((words, np.zeros(ngram - 1, dtype=U64)))
    n = len(words)
    acc = words * mult[0]
    for k in range(1, ngram):
        acc += padded[k:k + n] * mult[k]
    full = counts >= ngram
    keep_count = np.where(full, counts - ngram + 1, (counts > 0).astype(np.int64))
    # A text with fewer words than ngram: one shingle of all its words.
    short = np.flatnonzero(~full & (counts > 0))
    if len(short):
        acc[first[short]] = sum(np.where(k < counts[short], padded[first[short] + k], U64(0)) * mult[k]
                                for k in range(ngram - 1))
    index = np.repeat(first - np.cumsum(keep_count) + keep_count, keep_count) + np.arange(keep_count.sum())
    return _fmix64(acc[index]), np.repeat(np.arange(len(texts)), keep_count)


@lru_cache(maxsize=8)
def _shingle_multipliers(ngram: int) -> np.ndarray:
    return np.random.default_rng(ngram).integers(0, 1 << 64, size=ngram, dtype=U64) | U64(1)


def minhash(shingles: tuple[np.ndarray, np.ndarray], count: int, a: np.ndarray) -> np.ndarray:
    """Per text, the minimum of a * h mod 2^32 over its shingles, for every odd multiplier a, where h is the
    top 32 bits of the shingle hash with the lowest bit set (odd times odd permutes the odd numbers, and no
    hash maps to 0 under every permutation). Shingle hashes are already uniform, so a multiply permutes as
    well as a multiply-add does, at one pass instead of two; 32-bit lanes are twice as many per SIMD
    instruction as 64-bit ones."""
    hashes, text_of = shingles
    sig = np.full((count, len(a)), np.iinfo(U32).max, dtype=U32)
    if not len(hashes):
        return sig
    top = (hashes >> U64(32)).astype(U32) | U32(1)
    # Multipliers x shingles, so that each text's minimum is a reduction over contiguous memory.
    buf = np.empty((len(a), _CHUNK), dtype=U32)
    a = a[:, None]
    for lo in range(0, len(hashes), _CHUNK):
        h, owner = top[lo:lo + _CHUNK], text_of[lo:lo + _CHUNK]
        block = buf[:, :len(h)]
        np.multiply(a, h[None, :], out=block)
        seg = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
        texts = owner[seg]
        sig[texts] = np.minimum(sig[texts], np.minimum.reduceat(block, seg, axis=1).T)
    return sig


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    return float(np.mean(sig_a == sig_b))


def shingle_set(text: str, ngram: int = 5) -> np.ndarray:
    """The distinct shingle hashes of one text, sorted: what exact overlap is computed on."""
    return shingle_sets([text], ngram)[0]


def shingle_sets(texts: list[str], ngram: int = 5) -> list[np.ndarray]:
    """`shingle_set` of each text, computed for all of them at once."""
    hashes, text_of = shingle_batch(texts, ngram)
    order = np.lexsort((hashes, text_of))
    hashes, text_of = hashes[order], text_of[order]
    distinct = np.ones(len(hashes), dtype=bool)
    distinct[1:] = (hashes[1:] != hashes[:-1]) | (text_of[1:] != text_of[:-1])
    hashes, text_of = hashes[distinct], text_of[distinct]
    bounds = np.searchsorted(text_of, np.arange(len(texts) + 1))
    return [hashes[bounds[i]:bounds[i + 1]] for i in range(len(texts))]


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
