"""C4: json.gz shards of mostly clean English rows with the noise C4's rules were written against."""
from __future__ import annotations

import json
from collections import Counter, deque
from pathlib import Path
from random import Random

from samples.files import open_gzip
from samples.prose import FOREIGN_LANGS, Prose, coined_name
from samples.source import PER_FILE, date_in, pick, plant


C4_NOISE = {
    "no_punctuation": ["Read more", "Click here to download the brochure", "Posted by admin", "Tags: news, updates",
                       "Previous article", "Next article"],
    "lorem_ipsum": ["Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt "
                    "ut labore et dolore magna aliqua."],
    "javascript": ["Javascript must be enabled for the correct page display.",
                   "Please enable JavaScript to view the comments powered by Disqus."],
    "curly_braces": ["function toggle(el) { el.classList.toggle('open'); return false; }", "{{ item.title }}"],
}
C4_KINDS = {"clean": 74, "no_punctuation": 5, "lorem_ipsum": 3, "javascript": 3, "curly_braces": 3,
            "duplicate": 5, "foreign": 7}


def write(out: Path, n: int, rng: Random, tick) -> dict:
    """C4-style json.gz shards; mostly clean English with the noise C4's rules were written against."""
    n_files, kinds, recent, files, groups = max(1, -(-n // PER_FILE)), Counter(), deque(maxlen=50), [], {}
    for k in range(n_files):
        name = f"c4-train.{k:05d}-of-{n_files:05d}.json.gz"
        with open_gzip(out / name) as gz:
            for i in range(k * PER_FILE, min(n, (k + 1) * PER_FILE)):
                member = {"native_id": f"{name}:{i - k * PER_FILE + 1}"}  # the reader's file name and line
                kind = pick(rng, i, C4_KINDS)
                if kind == "duplicate" and not recent:
                    kind = "clean"
                if kind == "duplicate":
                    row, original = rng.choice(recent)
                    plant(groups, original, member | {"url": row["url"]}, 1.0)
                else:
                    prose = Prose(rng, rng.choice(FOREIGN_LANGS) if kind == "foreign" else "en")
                    lines = [prose.paragraph(2, 6) for _ in range(rng.randint(2, 6))]
                    if kind in C4_NOISE:
                        lines.insert(rng.randrange(len(lines) + 1), rng.choice(C4_NOISE[kind]))
                    row = {"text": "\n".join(lines),
                           "url": f"https://{coined_name(i, 11).lower()}.com/{prose.noun()}-{i}",
                           "timestamp": f"{date_in(rng, 2019):%Y-%m-%dT%H:%M:%SZ}"}
                    recent.append((row, member | {"url": row["url"]}))
                kinds[kind] += 1
                gz.write((json.dumps(row, ensure_ascii=False) + "\n").encode())
                tick()
        files.append(name)
    return {"files": files, "documents": n, "kinds": dict(sorted(kinds.items())), "duplicates": list(groups.values())}
