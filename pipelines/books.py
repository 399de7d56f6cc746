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


SOURCE = Source(name="books", read=read, make_curator=make_curator, params=books.BooksParams)
