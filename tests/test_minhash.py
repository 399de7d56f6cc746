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


def test_word_hashes_depend_on_the_word_alone_at_every_length():
    # Words are read 8 bytes at a time past their ends: lengths 1 to 40, NUL and UTF-8 bytes, each hashed
    # alone (a one-word text is one shingle of it) and in a text with neighbours on both sides.
    rng = random.Random(1)
    words = sorted({"".join(rng.choice("ab\x00é") for _ in range(rng.randint(1, 40))) for _ in range(3000)})
    alone, owner = shingle_batch(words, ngram=1)
    assert list(owner) == list(range(len(words))) and len(set(alone.tolist())) == len(words)
    in_text, _ = shingle_batch(["x " + " ".join(words) + " y"], ngram=1)
    assert list(in_text[1:-1]) == list(alone)


def test_signatures_are_pinned():
    """The shingle hashes and the signature of a known text; a change to either is a change of format."""
    assert shingle_batch(["The quick brown fox jumps over the lazy dog"])[0][:2].tolist() == [
        9378897802550309209, 8023030125907360776]
    sig = MinHasher().signatures(["The quick brown fox jumps over the lazy dog", "a"])
    assert sig.dtype == np.uint32 and sig.shape == (2, 128)
    assert sig[:, :6].tolist() == [[1282161367, 711529951, 1076711089, 978399855, 95371989, 131700795],
                                   [1180304767, 1462035571, 2682197223, 1434343739, 1483379277, 772524407]]


def test_estimate_on_real_text_has_the_error_of_independent_permutations(samples_dir):
    """Edited copies of 300-word passages of a real book (repeated words and phrases, unlike a random
    vocabulary): the estimate's mean absolute error matches that of 128 independent permutations, the
    binomial sqrt(2 / pi) * sqrt(J (1 - J) / 128) per pair, and it is unbiased."""
    book = (samples_dir / "gutenberg" / "pg1661_adventures_of_sherlock_holmes.txt").read_text().split()
    rng, hasher, errors, binomial = random.Random(2), MinHasher(num_perm=128), [], []
    for start in range(0, len(book) - 300, len(book) // 1600):
        a = book[start:start + 300]
        b = [w if rng.random() > 0.03 else "edit" for w in a]
        exact = jaccard(shingle_set(" ".join(a)), shingle_set(" ".join(b)))
        sig = hasher.signatures([" ".join(a), " ".join(b)])
        errors.append(estimated_jaccard(sig[0], sig[1]) - exact)
        binomial.append(np.sqrt(2 / np.pi * exact * (1 - exact) / 128))
    assert len(errors) >= 1600
    assert abs(np.mean(errors)) < 0.005
    assert np.mean(np.abs(errors)) < 1.1 * np.mean(binomial)


def test_texts_without_words_get_no_shingles_and_match_nothing():
    hashes, text_of = shingle_batch(["", "  \n", "just three words"])
    assert list(text_of) == [2]
    sig = MinHasher().signatures(["", "just three words"])
    assert sig.dtype == np.uint32 and (sig[0] == np.iinfo(np.uint32).max).all() and not (sig[1] == sig[0]).any()


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
