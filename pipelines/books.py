"""Books: plain-text files, one book each (Project Gutenberg with its header and footer, or Books3-style
text with none). The native id is the file name, so a book keeps its id wherever the files are moved."""
from __future__ import annotations

from curation.schema import make_doc, reject
from curation.sources import books
from pipelines.io import limits
from pipelines.source import Source


def read(path: str, f):
    """One book per file; a file over the document limit is `too_large` (read no further), and one that is not
    text is `binary`: neither is held in the rejects beyond its name and size."""
    name, limit = path.rsplit("/", 1)[-1], limits().max_document_bytes
    data = f.read(limit + 1)
    if not data:  # no book: ReadFiles counts the file `no_documents`
        return
    if len(data) > limit:
        yield reject(make_doc("books", name, "", path, limit=limit), "too_large")
    elif books.looks_binary(data):
        yield reject(make_doc("books", name, "", path, bytes=len(data)), "binary")
    else:
        text, encoding = books.decode(data)
        body, fields = books.strip_gutenberg(text)
        yield make_doc("books", name, body, path, encoding=encoding, **fields)


def make_curator(params: books.BooksParams):
    return lambda doc: books.curate(doc, params)


def near_dedup(params: books.BooksParams):
    """Books overlapping another by more than `max_overlap` (containment of word 5-gram shingles, MinHash-LSH
    candidates confirmed exactly): one of each group is kept, the smallest id."""
    from pipelines.dedup import DedupParams, NearDedup

    return NearDedup(DedupParams(threshold=params.max_overlap, overlap="containment"))


SOURCE = Source(name="books", read=read, make_curator=make_curator, params=books.BooksParams, finish=near_dedup)
