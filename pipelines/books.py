"""Books: plain-text files, one book each (Project Gutenberg with its header and footer, or Books3-style
text with none). The native id is the file name, so a book keeps its id wherever the files are moved."""
from __future__ import annotations

from curation.schema import make_doc
from curation.sources import books
from pipelines.source import Source


def read(path: str, f):
    text, encoding = books.decode(f.read())
    body, fields = books.strip_gutenberg(text)
    yield make_doc("books", path.rsplit("/", 1)[-1], body, path, encoding=encoding, **fields)


def make_curator(params: books.BooksParams):
    return lambda doc: books.curate(doc, params)


def near_dedup(params: books.BooksParams):
    """Books overlapping another by more than `max_overlap` (containment of word 5-gram shingles, MinHash-LSH
    candidates confirmed exactly): one of each group is kept, the smallest id."""
    from pipelines.dedup import DedupParams, NearDedup

    return NearDedup(DedupParams(threshold=params.max_overlap, overlap="containment"))


SOURCE = Source(name="books", read=read, make_curator=make_curator, params=books.BooksParams, finish=near_dedup)
