"""Duplicates among key entries, as arrays: what one bucket of a deduplication step decides, with no Python
loop per document.

An entry is a document's key in one step (its content hash, URL hash or one MinHash band hash), the document's
order (the text whose smallest value survives: source rank, then id, as UTF-8 bytes, which sort as the text
does) and its position (unit << 32 | row: where it is read again). Entries with equal keys are copies of each
other; among them the smallest (order, position) comes first.
"""
from __future__ import annotations

import hashlib

import numpy as np

U64 = np.uint64


def entry_dtype(order_width: int) -> np.dtype:
    return np.dtype([("k0", "<u8"), ("k1", "<u8"), ("order", f"S{max(order_width, 1)}"), ("pos", "<i8")])


def entries(keys: np.ndarray, orders: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Entries from (n, 2) uint64 keys (a 64-bit key has 0 as its second word), orders and positions."""
    out = np.empty(len(keys), dtype=entry_dtype(orders.dtype.itemsize))
    out["k0"], out["k1"], out["order"], out["pos"] = keys[:, 0], keys[:, 1], orders, positions
    return out


def digests(texts: list[str]) -> np.ndarray:
    """(n, 2) uint64: the 128-bit blake2b of each text."""
    joined = b"".join(hashlib.blake2b(t.encode(), digest_size=16).digest() for t in texts)
    return np.frombuffer(joined, dtype="<u8").reshape(-1, 2).copy()


def hex_digests(hexes: list[str]) -> np.ndarray:
    """(n, 2) uint64 from 32-hex-digit hashes."""
    return np.frombuffer(bytes.fromhex("".join(hexes)), dtype="<u8").reshape(-1, 2).copy()


def _shared(items: np.ndarray) -> np.ndarray:
    """The entries whose first key word some other entry has: most keys are unique, and only these few need
    sorting by order (a run split by the second word is handled as its own run)."""
    by_key = np.argsort(items["k0"])
    k0 = items["k0"][by_key]
    shared = np.zeros(len(items), dtype=bool)
    same = k0[1:] == k0[:-1]
    shared[1:] |= same
    shared[:-1] |= same
    return items[by_key[shared]]


def _sorted_runs(items: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The entries with a shared key, sorted by (key, order, position), the index of each one's run of equal
    keys' first entry, and whether each is the first of its run."""
    items = _shared(items)
    items = items[np.lexsort((items["pos"], items["order"], items["k1"], items["k0"]))]
    first = np.ones(len(items), dtype=bool)
    first[1:] = (items["k0"][1:] != items["k0"][:-1]) | (items["k1"][1:] != items["k1"][:-1])
    head = np.maximum.accumulate(np.where(first, np.arange(len(items)), 0))
    return items, head, first


def later_copies(items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(copies, originals): every entry that is not the first of its key, and that first entry beside it."""
    items, head, first = _sorted_runs(items)
    return items[~first], items[head[~first]]


def edge_dtype(order_width: int) -> np.dtype:
    """A candidate edge between two documents: (order, position) of its center a and of the other end b."""
    w = f"S{max(order_width, 1)}"
    return np.dtype([("a_order", w), ("a_pos", "<i8"), ("b_order", w), ("b_pos", "<i8")])


def distinct_edges(edges: np.ndarray) -> np.ndarray:
    """Each (a, b) position pair once, the first of its copies, in the order the edges came."""
    _, once = np.unique(np.stack((edges["a_pos"], edges["b_pos"]), axis=1), axis=0, return_index=True)
    return edges[np.sort(once)]


def star_edges(items: np.ndarray) -> np.ndarray:
    """Each entry linked to the first entry of its key (a: that first, b: the entry), each pair once. A star
    keeps the pairs linear in a key's size (a MinHash band shared by k documents gives k - 1 pairs)."""
    items, head, first = _sorted_runs(items)
    centers, others = items[head[~first]], items[~first]
    edges = np.empty(len(others), dtype=edge_dtype(items.dtype["order"].itemsize))
    edges["a_order"], edges["a_pos"], edges["b_order"], edges["b_pos"] = (
        centers["order"], centers["pos"], others["order"], others["pos"])
    return distinct_edges(edges)


def edge_buckets(edges: np.ndarray, buckets: int) -> np.ndarray:
    """The bucket of each edge, by a mix of its other end's position: the copies of an edge, found in different
    MinHash bands (so in different key buckets), meet in one edge bucket, where `distinct_edges` keeps one."""
    mixed = edges["b_pos"].astype(U64) * U64(0x9E3779B97F4A7C15)
    return (mixed >> U64(32)) % U64(buckets)
