"""C4: JSON lines (`text`, `url`, `timestamp` or `date`), gzip'd or plain."""
from __future__ import annotations

import gzip
import io
import json

from curation.lang import LanguageId
from curation.schema import make_doc, reject
from curation.sources import c4
from pipelines.source import Source


def read(path: str, f):
    stream = gzip.open(f) if path.endswith(".gz") else f
    for n, raw in enumerate(io.TextIOWrapper(stream, encoding="utf-8", errors="replace"), 1):
        if not raw.strip():
            continue
        native = f"{path.rsplit('/', 1)[-1]}:{n}"  # file name and line: stable wherever the files live
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
