import hashlib

import numpy as np

from curation import duplicates
from curation.minhash import MinHasher


def make(rows):
    """Entries from (key, order, position) rows."""
    keys = np.array([k if isinstance(k, tuple) else (k, 0) for k, _o, _p in rows], dtype=np.uint64).reshape(-1, 2)
    orders = np.array([o.encode() for _k, o, _p in rows], dtype="S")
    return duplicates.entries(keys, orders, np.array([p for _k, _o, p in rows], dtype=np.int64))


def test_later_copies_keep_the_smallest_order_then_position_of_each_key():
    items = make([(7, "00b", 5), (7, "00a", 9), (3, "00z", 1), (7, "00a", 2), (4, "01a", 0), (4, "00é", 3),
                  ((9, 1), "00a", 10), ((9, 2), "00b", 11)])  # same first word, different keys: no copies
    copies, originals = duplicates.later_copies(items)
    pairs = sorted(zip(copies["pos"].tolist(), originals["pos"].tolist()))
    assert pairs == [(0, 3), (5, 2), (9, 2)]  # key 7: "00a" at 2 before "00a" at 9 and "00b"; key 4: rank 00 first
    assert originals["order"][copies["pos"] == 0][0].decode() == "00é"


def test_orders_sort_as_text_whatever_their_lengths():
    items = make([(1, "00doc-10", 0), (1, "00doc-1", 1), (1, "00doc-2", 2)])
    copies, originals = duplicates.later_copies(items)
    assert set(originals["order"]) == {b"00doc-1"} and sorted(copies["order"].tolist()) == [b"00doc-10", b"00doc-2"]


def test_star_edges_link_each_key_to_its_first_once():
    items = make([(1, "00c", 3), (1, "00a", 1), (1, "00b", 2), (2, "00b", 2), (2, "00a", 1), (5, "00x", 8)])
    edges = duplicates.star_edges(items)
    assert sorted(zip(edges["a_pos"].tolist(), edges["b_pos"].tolist())) == [(1, 2), (1, 3)]
    assert set(edges["a_order"]) == {b"00a"} and sorted(edges["b_order"]) == [b"00b", b"00c"]
    assert len(duplicates.star_edges(make([(1, "00a", 1)]))) == 0


def test_an_edge_found_in_several_bands_is_kept_once_after_its_bucket_gathers_its_copies():
    band_a = duplicates.star_edges(make([(1, "00a", 1), (1, "00b", 2), (1, "00c", 3)]))
    band_b = duplicates.star_edges(make([(8, "00b", 2), (8, "00a", 1), (8, "00d", 4)]))  # (1, 2) again
    edges = np.concatenate([band_a, band_b])
    assert edges["b_pos"].tolist().count(2) == 2
    buckets = duplicates.edge_buckets(edges, 7)
    copies = buckets[edges["b_pos"] == 2]
    assert copies[0] == copies[1] and set(buckets.tolist()) <= set(range(7))  # both (1, 2) in one bucket
    kept = duplicates.distinct_edges(edges[buckets == copies[0]])
    assert kept["b_pos"].tolist().count(2) == 1
    distinct = duplicates.distinct_edges(edges)
    assert list(zip(distinct["a_pos"].tolist(), distinct["b_pos"].tolist())) == [(1, 2), (1, 3), (1, 4)]


def test_digests_are_the_blake2b_of_the_text():
    got = duplicates.digests(["abc", ""])
    want = [hashlib.blake2b(t, digest_size=16).digest() for t in (b"abc", b"")]
    assert [g.tobytes() for g in got] == want
    assert (duplicates.hex_digests([w.hex() for w in want]) == got).all()


def test_band_hashes_are_equal_exactly_for_equal_bands_of_the_same_index():
    hasher = MinHasher(num_perm=12, bands=3, rows=4)
    sig = np.arange(24, dtype=np.uint32).reshape(2, 12)
    sig[1, :4] = sig[0, :4]                         # band 0 shared
    sig[1, 4:8] = sig[0, 8:12]                      # band 1 of one = band 2 of the other: different bands
    h = hasher.band_hashes(sig)
    assert h.shape == (2, 3) and h.dtype == np.uint64
    assert h[0, 0] == h[1, 0] and h[1, 1] != h[0, 2] and h[0, 1] != h[1, 1]
    sig[1, 1] += 1
    assert hasher.band_hashes(sig)[1, 0] != h[0, 0]
