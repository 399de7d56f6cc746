import random

import numpy as np
import pytest
from datasketch import MinHash
from datasketch.lsh import _optimal_param

from curation.minhash import (MinHasher, candidate_probability, containment, estimated_jaccard, jaccard,
                              lsh_params, shingle_batch, shingle_set)

RNG = random.Random(0)
VOCAB = [f"w{i}" for i in range(3000)]


def text(n_words: int, rng=RNG) -> str:
    return " ".join(rng.choice(VOCAB) for _ in range(n_words))


def edited(t: str, replaced: int, rng=RNG) -> str:
    words = t.split()
    for k in rng.sample(range(len(words)), replaced):
        words[k] = f"new{k}"
    return " ".join(words)


def test_shingles_fold_case_and_spacing_and_stay_inside_their_text():
    a, b = shingle_batch(["One two  three four five six", "one TWO three\nfour five six"])
    assert list(b) == [0, 0, 1, 1]
    assert list(a[:2]) == list(a[2:])
    # A text shorter than the n-gram is one shingle of all its words; words never join across texts.
    joined = shingle_batch(["a b c d e"])[0]
    apart, owner = shingle_batch(["a b c", "d e"])
    assert list(owner) == [0, 1] and joined[0] not in apart


def test_texts_without_words_get_no_shingles_and_match_nothing():
    hashes, text_of = shingle_batch(["", "  \n", "just three words"])
    assert list(text_of) == [2]
    sig = MinHasher().signatures(["", "just three words"])
    assert (sig[0] == np.iinfo(np.uint64).max).all() and not (sig[1] == sig[0]).any()


def test_batched_and_single_signatures_are_identical():
    texts = [text(RNG.randint(1, 400)) for _ in range(50)]
    hasher = MinHasher(num_perm=64)
    batch = hasher.signatures(texts)
    assert all((hasher.signatures([t])[0] == batch[i]).all() for i, t in enumerate(texts))


@pytest.mark.parametrize("replaced", [5, 20, 60])
def test_estimate_tracks_exact_jaccard_like_datasketch(replaced):
    hasher, ours, theirs = MinHasher(num_perm=256), [], []
    for _ in range(20):
        a = text(300)
        b = edited(a, replaced)
        exact = jaccard(shingle_set(a), shingle_set(b))
        sig = hasher.signatures([a, b])
        ours.append(estimated_jaccard(sig[0], sig[1]) - exact)
        m = [MinHash(num_perm=256) for _ in range(2)]
        for mh, t in zip(m, (a, b)):
            words = t.lower().split()
            mh.update_batch([" ".join(words[i:i + 5]).encode() for i in range(len(words) - 4)])
        theirs.append(m[0].jaccard(m[1]) - exact)
    assert abs(np.mean(ours)) < 0.02                         # unbiased
    assert np.mean(np.abs(ours)) < np.mean(np.abs(theirs)) + 0.02


def test_exact_overlaps():
    a, b = np.array([1, 2, 3, 4], dtype=np.uint64), np.array([3, 4, 5, 6, 7, 8], dtype=np.uint64)
    assert jaccard(a, b) == 2 / 8
    assert containment(a, b) == 2 / 4
    assert containment(a, np.array([], dtype=np.uint64)) == 0.0


def test_lsh_params_agree_with_datasketch_and_favour_recall_when_asked():
    for threshold in (0.5, 0.7, 0.8, 0.9):
        assert lsh_params(threshold, 128) == _optimal_param(threshold, 128, 0.5, 0.5)
    bands, rows = lsh_params(0.7, 128, fp_weight=0.1, fn_weight=0.9)
    assert candidate_probability(0.75, bands, rows) > 0.97  # recall 0.05 above the threshold
    assert MinHasher.for_threshold(0.8).bands * MinHasher.for_threshold(0.8).rows <= 128
    with pytest.raises(ValueError):
        MinHasher(num_perm=16, bands=5, rows=4)
