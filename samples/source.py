"""What every source writer shares. A writer is `write(out, n, rng, tick) -> dict`: it writes about n documents
into `out` from its own seeded `rng`, calls `tick` per document and returns its manifest entry ("files",
"documents", counts by kind and, where it plants copies, "duplicates" built with `plant`)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from random import Random

PER_FILE = 1000  # records per WARC / WET / C4 file, so that any N gives bounded files


def pick(rng: Random, i: int, weights: dict[str, int]) -> str:
    """The i-th choice: the first few walk through every option so that even a tiny corpus has each kind."""
    options = list(weights)
    return options[i] if i < len(options) else rng.choices(options, list(weights.values()))[0]


def plant(groups: dict, original: dict, copy: dict, similarity: float) -> None:
    """Record a planted copy in its original's group; members are {"native_id", "url"} dicts."""
    group = groups.setdefault(original["native_id"], {"original": original, "copies": []})
    group["copies"].append(copy | {"jaccard": similarity})


def date_in(rng: Random, year: int, years: int = 1) -> datetime:
    """A moment (UTC) in the `years` years from 1 January `year`."""
    return datetime(year, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(years * 365 * 86400))
