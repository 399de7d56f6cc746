"""Books: plain-text files, one book each (readers/books.py), and near-duplicate books removed after curation."""
from __future__ import annotations

from curation.sources import books
from pipelines.source import Source
from readers import books as book_files


def make_curator(params: books.BooksParams):
    return lambda doc: books.curate(doc, params)


def near_dedup(params: books.BooksParams, temp_dir: str):
    """Books overlapping another by more than `max_overlap` (containment of word 5-gram shingles, MinHash-LSH
    candidates confirmed exactly): one of each group is kept, the smallest id. The books wait in `temp_dir`."""
    from pipelines.dedup import DedupParams, NearDedup

    return NearDedup(DedupParams(threshold=params.max_overlap, overlap="containment"), temp_dir)


SOURCE = Source(name="books", read=book_files.read, make_curator=make_curator, params=books.BooksParams,
                finish=near_dedup)
