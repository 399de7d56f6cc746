"""What makes two spellings of a URL the same page, at the two strictnesses the project needs.

Both keys ignore the scheme (http or https), the host's case, a trailing slash and the fragment. They differ on
purpose, by what a wrong match costs:
- `dedup_key` removes documents, so it merges only spellings of one resource on one server: the port and
  `www.` stay (www.x.org and x.org may be different sites), and a URL that is not a web URL (books and code
  carry origin paths) has no key, so it is never deduplicated by URL.
- `reference_key` only finds the crawled pages that Wikipedia cites (the reference classifier's positives),
  where a missed match loses a training example: it also drops `www.`, the port and any user name.
"""
from __future__ import annotations

from typing import Optional
from urllib.parse import SplitResult, urlsplit


def dedup_key(url: str) -> Optional[str]:
    """The key under which the dedup job's URL step groups copies of a web page, or None for any other URL."""
    if not url.startswith(("http://", "https://")):
        return None
    parts = urlsplit(url.strip())
    return parts.netloc.lower() + _path_query(parts)


def reference_key(url: str) -> str:
    """The key under which a cited URL and a crawled page's URL meet: host without www. and case, path, query."""
    parts = urlsplit(url.strip())
    return (parts.hostname or "").lower().removeprefix("www.") + _path_query(parts)


def _path_query(parts: SplitResult) -> str:
    return parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")
