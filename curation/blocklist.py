"""A URL blocklist in RefinedWeb's and datatrove's manner: whole domains (with their subdomains) and single URLs.

The list is text, one entry per line, `#` comments: an entry with a `/` is a page, matched after the
normalisation of `curation.urls.reference_key` (scheme, `www.`, case of the host and a trailing slash ignored);
any other entry is a domain, which blocks itself and every subdomain.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from curation.urls import reference_key


class Blocklist:
    def __init__(self, lines):
        self.domains: set[str] = set()
        self.pages: set[str] = set()
        for line in lines:
            entry = line.split("#", 1)[0].strip()
            if not entry:
                continue
            if "/" in entry:  # a page: its path keeps its case, as URLs do
                self.pages.add(reference_key(entry if "://" in entry else f"http://{entry}"))
            else:
                self.domains.add(entry.lower().removeprefix("www.").strip("."))

    def __len__(self) -> int:
        return len(self.domains) + len(self.pages)

    def match(self, url: str) -> str | None:
        """The entry that blocks `url`, or None."""
        if not url:
            return None
        host = (urlsplit(url.strip()).hostname or "").lower().removeprefix("www.")
        labels = host.split(".")
        for i in range(len(labels) - 1):
            if ".".join(labels[i:]) in self.domains:
                return ".".join(labels[i:])
        key = reference_key(url)
        return key if key in self.pages else None
