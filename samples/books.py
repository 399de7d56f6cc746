"""Books: Project Gutenberg texts in both header styles, some CRLF or with a BOM, a few revised editions."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from random import Random

from curation.minhash import jaccard, shingle_set
from samples.prose import FOREIGN_LANGS, Prose
from samples.source import date_in, pick, plant
from samples.words import (
    EN_ADJECTIVES, EN_FIRST_NAMES, EN_NAMES, GUTENBERG_NEW_FOOTER, GUTENBERG_NEW_HEADER, GUTENBERG_OLD_FOOTER,
    GUTENBERG_OLD_HEADER,
)

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV", "XVI",
         "XVII", "XVIII", "XIX", "XX"]
CHAPTER = {"en": "CHAPTER", "fr": "CHAPITRE", "de": "KAPITEL", "es": "CAPÍTULO"}
LANGUAGE_NAMES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish"}


def _edit(rng: Random, text: str, share: float) -> str:
    """A near duplicate: replace a small share of the words."""
    words = text.split(" ")
    for _ in range(max(1, int(len(words) * share))):
        k = rng.randrange(len(words))
        if words[k].isalpha():
            words[k] = rng.choice(EN_ADJECTIVES)
    return " ".join(words)


def _wrap(text: str, width: int = 70) -> list[str]:
    """Greedy hard wrap as in Gutenberg texts (textwrap is needlessly slow for megabytes)."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line] if line else lines


def _book_body(rng: Random, lang: str, title: str, author: str) -> str:
    """Chapters of hard-wrapped prose with some dialogue, between 5 and 30 KB."""
    prose, size = Prose(rng, lang), int(5000 * 6 ** rng.random())
    lines, length, chapter = [title.upper(), "", f"by {author}", ""], 0, 0
    while length < size and chapter < len(ROMAN):
        lines += ["", "", f"{CHAPTER[lang]} {ROMAN[chapter]}.", ""]
        chapter += 1
        for _ in range(rng.randint(4, 12)):
            text = prose.paragraph(3, 8)
            if lang == "en" and rng.random() < 0.25:
                text = f'"{prose.sentence()[:-1]}," said {rng.choice(EN_FIRST_NAMES)}. {text}'
            lines += _wrap(text) + [""]
            length += len(text)
    return "\n".join(lines)


def write(out: Path, n: int, rng: Random, tick) -> dict:
    """Project Gutenberg texts in the new and old header styles, some CRLF or with a BOM, a few re-editions."""
    files, kinds, previous, groups = [], Counter(), None, {}
    for i in range(n):
        number = 10000 + 3 * i + rng.randrange(3)
        kind = pick(rng, i, {"english": 87, "near_duplicate": 5, "foreign": 8})
        if kind == "near_duplicate" and previous:
            lang, title, author, body = "en", previous[0], previous[1], _edit(rng, previous[2], 0.01)
            edition = f"[This is a revised edition of eBook #{previous[3]}]\n"
        else:
            lang, edition = (rng.choice(FOREIGN_LANGS) if kind == "foreign" else "en"), ""
            kind = "english" if lang == "en" else kind
            title = Prose(rng, lang).title()
            author = f"{rng.choice(EN_FIRST_NAMES)} {rng.choice(EN_NAMES)}"
            body = _book_body(rng, lang, title, author)
            if lang == "en":
                previous = (title, author, body, number)
        kinds[kind] += 1
        new_style = pick(rng, i, {"new": 60, "old": 40}) == "new"
        fields = {"title": title, "author": author, "upper": title.upper(), "number": number, "edition": edition,
                  "date": f"{date_in(rng, 1995, 28):%B %d, %Y}", "language": LANGUAGE_NAMES[lang],
                  "producer": f"{rng.choice(EN_FIRST_NAMES)} {rng.choice(EN_NAMES)} and the Online Distributed "
                              "Proofreading Team"}
        header, footer = ((GUTENBERG_NEW_HEADER, GUTENBERG_NEW_FOOTER) if new_style
                          else (GUTENBERG_OLD_HEADER, GUTENBERG_OLD_FOOTER))
        text = header.format(**fields) + "\n\n" + body + "\n" + footer.format(**fields)
        if rng.random() < 0.3:
            text = text.replace("\n", "\r\n")
        name = f"pg{number:05d}.txt"
        if edition:
            plant(groups, {"native_id": f"pg{previous[3]:05d}.txt"}, {"native_id": name},
                   round(jaccard(shingle_set(previous[2]), shingle_set(body)), 4))
        (out / name).write_bytes(("\ufeff" if rng.random() < 0.15 else "").encode() + text.encode())
        files.append(name)
        tick()
    return {"files": files, "documents": n, "kinds": dict(sorted(kinds.items())), "duplicates": list(groups.values())}
