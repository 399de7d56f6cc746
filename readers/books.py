"""Books: plain-text files, one book each (Project Gutenberg with its header and footer, or Books3-style
text with none). The native id is the file name, so a book keeps its id wherever the files are moved."""
from __future__ import annotations

from curation.schema import make_doc, reject
from curation.sources import books
from curation.text import looks_binary
from readers.limits import Limits


def read(path: str, f, limits: Limits):
    """One book per file; a file over the document limit is `too_large` (read no further), and one that is not
    text is `binary`: neither is held in the rejects beyond its name and size."""
    name, limit = path.rsplit("/", 1)[-1], limits.max_document_bytes
    data = f.read(limit + 1)
    if not data:  # no book: the curation job counts the file `no_documents`
        return
    if len(data) > limit:
        yield reject(make_doc("books", name, "", path, limit=limit), "too_large")
    elif looks_binary(data, max_control_share=0.01):
        yield reject(make_doc("books", name, "", path, bytes=len(data)), "binary")
    else:
        text, encoding = books.decode(data)
        body, fields = books.strip_gutenberg(text)
        yield make_doc("books", name, body, path, encoding=encoding, **fields)
