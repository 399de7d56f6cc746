"""C4: JSON lines (`text`, `url`, `timestamp` or `date`), gzip'd or plain."""
from __future__ import annotations

import json

from curation.lang import LanguageId
from curation.schema import make_doc, reject
from curation.sources import c4
from pipelines.io import Oversized, open_decompressed, read_lines
from pipelines.source import Source


def read(path: str, f):
    """One document per JSON line; a line longer than the document limit is `too_large`, skipped unread."""
    name = path.rsplit("/", 1)[-1]
    for n, line in enumerate(read_lines(open_decompressed(path, f)), 1):
        native = f"{name}:{n}"  # file name and line: stable wherever the files live
        if isinstance(line, Oversized):
            yield reject(make_doc("c4", native, "", path, bytes=line.size), "too_large")
            continue
        raw = line.decode("utf-8", errors="replace")
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
            text, url = row["text"], row.get("url", "")
            if not isinstance(text, str):
                raise TypeError("text is not a string")
        except (ValueError, KeyError, TypeError) as e:
            yield reject(make_doc("c4", native, raw[:100_000], path, error=str(e)), "bad_json")
            continue
        yield make_doc("c4", native, text, url, timestamp=row.get("timestamp") or row.get("date"))


def make_curator(params: c4.C4Params):
    lang_id = LanguageId()
    return lambda doc: c4.curate(doc, params, lang_id)


SOURCE = Source(name="c4", read=read, make_curator=make_curator, params=c4.C4Params)
