"""Filters every source's curation job can apply around the source's own curator, chosen per source in the
`filters:` section of the curation config (dolma's way: which text gets which treatment is config).

- `url_blocklist`: pages whose URL a list names are dropped `url_blocklist` before curation (RefinedWeb).
- `pii`: e-mail and public IP addresses in kept text are replaced by placeholders (curation/pii.py), counted in
  the document's meta (`pii`) and in the source's stats.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from curation.schema import SOURCES
from llama_data.config import check


@dataclass
class UrlBlocklistParams:
    file: str | None = None  # one domain or URL per line, `#` comments (local, gs://, s3://); null: off
    sources: list[str] = field(default_factory=lambda: ["commoncrawl", "c4"])

    def __post_init__(self):
        _check_sources(self.sources)


@dataclass
class PiiParams:
    sources: list[str] = field(default_factory=lambda: ["commoncrawl", "c4", "github"])
    emails: bool = True
    ips: bool = True

    def __post_init__(self):
        _check_sources(self.sources)


@dataclass
class Filters:
    url_blocklist: UrlBlocklistParams = field(default_factory=UrlBlocklistParams)
    pii: PiiParams = field(default_factory=PiiParams)

    def blocklist_for(self, source: str) -> str | None:
        """The blocklist file that applies to `source`, or None."""
        return self.url_blocklist.file if source in self.url_blocklist.sources else None

    def scrubs(self, source: str) -> bool:
        return source in self.pii.sources and (self.pii.emails or self.pii.ips)


def _check_sources(sources: list[str]) -> None:
    unknown = [s for s in sources if s not in SOURCES]
    check(not unknown, "sources", f"names no source {unknown[0] if unknown else ''!r} (known: {', '.join(SOURCES)})")
