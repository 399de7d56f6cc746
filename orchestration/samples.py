"""`llama-data samples make`: a deterministic multi-source corpus in the real file formats.

It is the demo's input and the benchmarks' load generator, so it streams (N can be millions: files are
bounded and nothing holds the corpus in memory) and plants what the curation stages must handle: shared web
boilerplate, near duplicates, other languages, junk, legacy charsets, licenses, markup. The same seed gives
byte-identical files: every random choice comes from `random.Random`, and gzip and tar timestamps are fixed.

The planted duplicates are listed in the manifest, per source under `duplicates`: groups of an original and
its copies, each by native id (what `curation.schema.doc_id` hashes with the source) and URL, every copy with
the exact Jaccard of its word 5-gram shingles to the original's (`curation.minhash`): 1.0 for C4's exact
copies, 0.9-0.99 for Common Crawl's re-posted pages (one word replaced) and 0.92-0.97 for the books' revised
editions (1% of words replaced). Planted copies of a page or row that curation drops are dropped with it.
"""
from __future__ import annotations

import bz2
import contextlib
import gzip
import hashlib
import html
import io
import json
import re
import shutil
import struct
import tarfile
import tempfile
import uuid
import zlib
from collections import Counter, deque
from datetime import datetime, timedelta, timezone
from pathlib import Path
from random import Random
from string import Template
from xml.sax.saxutils import escape

import click

from curation.minhash import jaccard, shingle_set
from orchestration.samples_words import (
    CODE_NOUNS, CODE_VERBS, EN_ADJECTIVES, EN_ADVERBS, EN_CONJUNCTIONS, EN_FIRST_NAMES, EN_NAMES, EN_NOUNS,
    EN_OPENERS, EN_PLURALS, EN_PREPOSITIONS, EN_VERBS, FOREIGN, GUTENBERG_NEW_FOOTER, GUTENBERG_NEW_HEADER,
    GUTENBERG_OLD_FOOTER, GUTENBERG_OLD_HEADER, LICENSE_HEADERS, LICENSES, SPAM_WORDS, TOPICS, WEB_BOILER,
    WEB_NAV,
)

PER_FILE = 1000  # records per WARC / WET / C4 file, so that any N gives bounded files
FOREIGN_LANGS = ("fr", "de", "es")
ISO3 = {"en": "eng", "fr": "fra", "de": "deu", "es": "spa"}


# ----------------------------------------------------------------------------------------------- text
def _plural(noun: str) -> str:
    if noun in EN_PLURALS:
        return EN_PLURALS[noun]
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def _verb_forms(entry: str) -> tuple[str, str, str]:
    """(base, third person singular, past) from a `base` or `base:past` word-list entry."""
    base, _, past = entry.partition(":")
    if base.endswith("y") and base[-2] not in "aeiou":
        third, past = base[:-1] + "ies", past or base[:-1] + "ied"
    else:
        third = base + ("es" if base.endswith(("s", "x", "ch", "sh")) else "s")
    return base, third, past or base + ("d" if base.endswith("e") else "ed")


VERBS = [_verb_forms(v) for v in EN_VERBS]
DET_SINGULAR = ["the", "the", "the", "a", "a", "this", "that", "every", "its", "their", "our", "one"]
DET_PLURAL = ["the", "the", "many", "some", "these", "several", "most", "their", "our", "few", "", ""]
MODALS = ["can", "could", "will", "may", "should", "must", "would", "might"]
AN = re.compile(r"\b([Aa]) (?=[aeioAEIO]|[uU](?!ni|s[eu]))")
ACCENTED_NAMES = ["José Núñez", "Zoë Brontë", "François Dupré", "Jürgen Weiß", "Renée Côté",
                  "Søren Åberg"]


def _article_fix(text: str) -> str:
    """"a" -> "an" before a vowel sound ("an urban", but "a unique", "a useful")."""
    return AN.sub(r"\1n ", text)


class Prose:
    """Sentences for one document in one language. English comes from a small grammar so that texts vary;
    topic words recur within a document, giving each its own flavour as real pages have."""

    def __init__(self, rng: Random, lang: str = "en", topic: str | None = None):
        self.rng, self.lang = rng, lang
        self.topic = TOPICS[topic or rng.choice(sorted(TOPICS))]
        self.tense = rng.choice(("past", "present", "present", "modal"))

    def sentence(self) -> str:
        s = _article_fix(self._english()) if self.lang == "en" else self._foreign()
        return s[0].upper() + s[1:] + "."

    def sentences(self, k: int) -> str:
        return " ".join(self.sentence() for _ in range(k))

    def paragraph(self, lo: int = 3, hi: int = 7) -> str:
        return self.sentences(self.rng.randint(lo, hi))

    def title(self) -> str:
        r = self.rng
        if self.lang != "en":
            words = FOREIGN[self.lang]
            text = f"{r.choice(words['subjects'])} {r.choice(words['verbs'])[0]} {r.choice(words['objects'])}"
            return text[0].upper() + text[1:]
        noun, topic = r.choice(EN_NOUNS), r.choice(self.topic)
        return r.choice([
            f"The {r.choice(EN_ADJECTIVES)} {noun} of the {topic}".title(),
            f"How {_plural(noun)} {r.choice(VERBS)[0]} the {topic}".capitalize(),
            f"{r.choice(EN_ADJECTIVES)} {_plural(topic)} and the {noun}".capitalize(),
            f"Why the {topic} {r.choice(VERBS)[1]} {r.choice(EN_ADJECTIVES)} {_plural(noun)}".capitalize(),
        ])

    def noun(self, plural: bool = False) -> str:
        noun = self.rng.choice(self.topic if self.rng.random() < 0.35 else EN_NOUNS)
        return _plural(noun) if plural else noun

    def _np(self, plural: bool | None = None) -> str:
        r = self.rng
        plural = r.random() < 0.4 if plural is None else plural
        det = r.choice(DET_PLURAL if plural else DET_SINGULAR)
        words = ([det] if det else []) + ([r.choice(EN_ADJECTIVES)] if r.random() < 0.45 else [])
        words.append(self.noun(plural))
        if r.random() < 0.12:
            words += ["of", "the", self.noun(r.random() < 0.3)]
        return " ".join(words)

    def _clause(self) -> str:
        r = self.rng
        if r.random() < 0.08:
            subject, plural = r.choice(("Professor ", "Dr. ", "")) + r.choice(EN_NAMES), False
        else:
            plural = r.random() < 0.4
            subject = self._np(plural)
        base, third, past = r.choice(VERBS)
        tense = self.tense if r.random() < 0.7 else r.choice(("past", "present", "modal"))
        adverb = r.choice(EN_ADVERBS) + " " if r.random() < 0.2 else ""
        if tense == "modal":
            verb = f"{r.choice(MODALS)} {adverb}{base}"
        else:
            verb = adverb + (past if tense == "past" else base if plural else third)
        tail = f" {r.choice(EN_PREPOSITIONS)} {self._np()}" if r.random() < 0.4 else ""
        return f"{subject} {verb} {self._np()}{tail}"

    def _english(self) -> str:
        r = self.rng
        pattern = r.randrange(11)
        if pattern <= 2:
            return self._clause()
        if pattern == 3:
            return f"{r.choice(EN_OPENERS)} {self._clause()}"
        if pattern == 4:
            return f"{self._clause()}, {r.choice(EN_CONJUNCTIONS)} {self._clause()}"
        if pattern == 5:
            return f"{r.choice(EN_PREPOSITIONS)} {self._np()}, {self._clause()}"
        if pattern == 6:
            plural = r.random() < 0.5
            be = ("were" if plural else "was") if self.tense == "past" else ("are" if plural else "is")
            return f"there {be} {self._np(plural)} {r.choice(EN_PREPOSITIONS)} {self._np()}"
        if pattern == 7:
            return f"it is {r.choice(EN_ADJECTIVES)} that {self._clause()}"
        if pattern == 8:
            return f"{r.choice(('when', 'after', 'before', 'if', 'once'))} {self._clause()}, {self._clause()}"
        if pattern == 9:
            return f"in {r.randint(1600, 2022)}, {self._clause()}"
        return f"{r.choice(EN_FIRST_NAMES)} {r.choice(EN_NAMES)}, a {r.choice(EN_ADJECTIVES)} {self.noun()}, " \
               f"{r.choice(VERBS)[2]} {self._np()}"

    def _foreign(self) -> str:
        r, words = self.rng, FOREIGN[self.lang]
        plural = r.random() < 0.35
        subject = r.choice(words["subjects_pl" if plural else "subjects"])
        verb = r.choice(words["verbs"])[plural]
        rest = [r.choice(words["objects"])] + ([r.choice(words["complements"])] if r.random() < 0.7 else [])
        if r.random() < 0.3:
            opener = r.choice(words["openers"])
            if self.lang == "de":  # German puts the verb second: "Heute plant die Stadt ..."
                return " ".join([opener, verb, subject[0].lower() + subject[1:], *rest])
            return " ".join([opener, subject, verb, *rest])
        return " ".join([subject, verb, *rest])


SYLLABLES = ["ba", "ker", "lo", "mi", "ran", "sel", "tor", "vin", "da", "fel", "gor", "hal", "in", "jor", "ka",
             "lin", "mar", "nor", "os", "pel", "qua", "ris", "sam", "tal", "ul", "ven", "wil", "yar", "zen",
             "bri", "cas", "dor"]


def _name(i: int, offset: int) -> str:
    """A pronounceable name, unique per i: an odd multiplier permutes the 32**k syllable codes."""
    k = 3 if i < 32 ** 3 else 4 if i < 32 ** 4 else 5
    code = (i * 2654435761 + offset) % 32 ** k
    return "".join(SYLLABLES[code >> (5 * j) & 31] for j in range(k)).capitalize()


def _pick(rng: Random, i: int, weights: dict[str, int]) -> str:
    """The i-th choice: the first few walk through every option so that even a tiny corpus has each kind."""
    options = list(weights)
    return options[i] if i < len(options) else rng.choices(options, list(weights.values()))[0]


def _edit(rng: Random, text: str, share: float) -> str:
    """A near duplicate: replace a small share of the words."""
    words = text.split(" ")
    for _ in range(max(1, int(len(words) * share))):
        k = rng.randrange(len(words))
        if words[k].isalpha():
            words[k] = rng.choice(EN_ADJECTIVES)
    return " ".join(words)


def _plant(groups: dict, original: dict, copy: dict, similarity: float) -> None:
    """Record a planted copy in its original's group; members are {"native_id", "url"} dicts."""
    group = groups.setdefault(original["native_id"], {"original": original, "copies": []})
    group["copies"].append(copy | {"jaccard": similarity})


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


# ----------------------------------------------------------------------------------------------- bytes
def _png(rng: Random, width: int = 8, height: int = 8) -> bytes:
    """A valid tiny RGB PNG with random pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + rng.randbytes(3 * width) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


@contextlib.contextmanager
def _gzip(path: Path):
    """A gzip stream with no file name and mtime 0 in its header, so the bytes depend only on the data."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        yield gz


def _write_tar_gz(path: Path, files: dict[str, bytes], mtime: int, comment: str | None = None) -> None:
    """A gzip'd tar with sorted members, their folders, fixed owner and mtime (as `git archive` writes)."""
    folders = {name[:i + 1] for name in files for i, c in enumerate(name) if c == "/"}
    pax = {"comment": comment} if comment else {}
    with _gzip(path) as gz, tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT, pax_headers=pax) as tar:
        for name in sorted(folders | set(files)):
            info = tarfile.TarInfo(name.rstrip("/"))
            info.mtime = mtime
            if name in folders:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(files[name]), 0o644
                tar.addfile(info, io.BytesIO(files[name]))


def _when(rng: Random, year: int, years: int = 1) -> datetime:
    return datetime(year, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(years * 365 * 86400))


def _uuid(rng: Random) -> str:
    return f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}>"


# ----------------------------------------------------------------------------------------------- Common Crawl
PAGE_KINDS = {"english": 63, "near_duplicate": 8, "foreign": 12, "junk": 8, "not_found": 2, "redirect": 2,
              "pdf": 2, "png": 2}


def _sites(rng: Random) -> list[dict]:
    """Web sites whose navigation and footer lines repeat on every one of their pages."""
    sites = []
    for i in range(40):
        lang = "en" if i < 28 else FOREIGN_LANGS[i % 3]
        name = _name(i, 7)
        if lang == "en":
            name = f"The {rng.choice(EN_ADJECTIVES).capitalize()} {name}"
            nav = sorted(rng.sample(WEB_NAV, 6), key=WEB_NAV.index)
            boiler = rng.sample(WEB_BOILER, 3) + [f"Copyright 2023 {name}. All rights reserved."]
        else:
            nav, boiler = FOREIGN[lang]["nav"], FOREIGN[lang]["boiler"] + [f"© 2023 {name}"]
        tld = {"en": rng.choice(("com", "org", "net", "co.uk")), "fr": "fr", "de": "de", "es": "es"}[lang]
        sites.append({"lang": lang, "name": name, "nav": nav, "boiler": boiler,
                      "domain": f"www.{name.split()[-1].lower()}{i}.{tld}"})
    return sites


def _article(rng: Random, lang: str) -> dict:
    prose = Prose(rng, lang)
    return {"lang": lang, "title": prose.title(),
            "paragraphs": [prose.paragraph() for _ in range(rng.randint(3, 8))]}


def _junk(rng: Random) -> dict:
    """A page quality filters should drop: a stub, keyword spam or random characters."""
    kind = rng.randrange(3)
    if kind == 0:
        lines = ["Home | Login | Register", "Page 1 of 1"]
    elif kind == 1:
        words = rng.sample(SPAM_WORDS, 5)
        lines = [" ".join(rng.choice(words) for _ in range(rng.randint(60, 200)))]
    else:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789#$%&*@!?"
        lines = ["".join(rng.choice(alphabet) for _ in range(rng.randint(200, 800)))]
    return {"lang": None, "title": lines[0][:40], "paragraphs": lines}


def _page_text(site: dict, article: dict, byline: str) -> list[str]:
    """The visible text lines of a page, boilerplate included, as Common Crawl's WET extraction keeps them."""
    top, bottom = site["boiler"][:1], site["boiler"][1:]
    return [f"{article['title']} | {site['name']}", *site["nav"], *top, article["title"], byline,
            *article["paragraphs"], *bottom]


def _html(site: dict, article: dict, byline: str, charset: str) -> bytes:
    e = html.escape
    nav = "".join(f'<li><a href="/{x.lower()}">{e(x)}</a></li>' for x in site["nav"])
    body = "\n".join(f"<p>{e(p)}</p>" for p in article["paragraphs"])
    bottom = "".join(f"<p>{e(x)}</p>" for x in site["boiler"][1:])
    page = (f'<!DOCTYPE html>\n<html lang="{site["lang"]}">\n<head>\n<meta charset="{charset}">\n'
            f"<title>{e(article['title'])} | {e(site['name'])}</title>\n</head>\n<body>\n"
            f'<nav><ul>{nav}</ul></nav>\n<div class="banner">{e(site["boiler"][0])}</div>\n'
            f"<article>\n<h1>{e(article['title'])}</h1>\n<p class=\"byline\">{e(byline)}</p>\n{body}\n</article>\n"
            f"<footer>{bottom}</footer>\n</body>\n</html>\n")
    return page.encode(charset, "xmlcharrefreplace")


def _repost(rng: Random, paragraphs: list[str], copy: int) -> list[str]:
    """The paragraphs of a re-posted article: each broken into two lines after its `copy`-th sentence (so that
    no line equals one of the original or of its other copy, and CCNet's line dedup keeps them all), and one
    word of paragraph `copy - 1` replaced: a bounded edit, a few word 5-grams of the whole article."""
    lines = []
    for k, paragraph in enumerate(paragraphs):
        if k == (copy - 1) % len(paragraphs):
            words = paragraph.split(" ")
            at = rng.choice([j for j, w in enumerate(words) if w.isalpha()])
            words[at] = rng.choice([a for a in EN_ADJECTIVES if a != words[at]])
            paragraph = " ".join(words)
        ends = [m.start() for m in re.finditer(r"\. ", paragraph) if not paragraph[:m.start()].endswith("Dr")]
        cut = ends[copy - 1]
        lines += [paragraph[:cut + 1], paragraph[cut + 2:]]
    return lines


def _cc_page(rng: Random, i: int, sites: list[dict], recent: deque, html_only: bool) -> dict:
    """One crawled page: status, content type, body bytes, its text lines and language (None for junk).

    English articles go into `recent`; a near duplicate re-posts one of them on another URL of its site (title,
    byline and charset kept, see `_repost`), and `page["original"]` is that article's entry. An article is
    re-posted at most twice."""
    kinds = {k: w for k, w in PAGE_KINDS.items() if not html_only or k not in ("not_found", "redirect", "pdf", "png")}
    kind = _pick(rng, i, kinds)
    if kind == "near_duplicate" and not recent:
        kind = "english"
    lang = FOREIGN_LANGS[i % 3] if kind == "foreign" else "en"
    original = rng.choice(recent) if kind == "near_duplicate" else None
    site = original["site"] if original else rng.choice([s for s in sites if s["lang"] == lang])
    url = f"https://{site['domain']}/{rng.choice(('news', 'blog', 'articles', 'p'))}/{i}-{rng.getrandbits(24):x}"
    page = {"kind": kind, "url": url, "status": "200 OK", "headers": [], "lang": None, "text": None}
    if kind in ("pdf", "png"):
        body = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + rng.randbytes(600)
                + b"\n%%EOF\n") if kind == "pdf" else _png(rng, 16, 16)
        return page | {"type": "application/pdf" if kind == "pdf" else "image/png", "body": body}
    if kind in ("not_found", "redirect"):
        if kind == "redirect":
            page |= {"status": "301 Moved Permanently", "headers": [("Location", url + "/")]}
            body = b"<html><body><h1>Moved Permanently</h1></body></html>\n"
        else:
            page["status"] = "404 Not Found"
            body = b"<html><body><h1>404 Not Found</h1><p>The requested URL was not found.</p></body></html>\n"
        return page | {"type": "text/html; charset=UTF-8", "body": body}
    if original:
        original["copies"] += 1
        if original["copies"] == 2:
            recent.remove(original)
        article = original["article"] | {"paragraphs": _repost(rng, original["article"]["paragraphs"],
                                                               original["copies"])}
        charset, byline = original["charset"], original["byline"]
        page["original"] = original
        page["jaccard"] = round(jaccard(*(shingle_set(" ".join(a["paragraphs"])) for a in (original["article"],
                                                                                           article))), 4)
    else:
        article = _junk(rng) if kind == "junk" else _article(rng, lang)
        charset = _pick(rng, i, {"UTF-8": 88, "windows-1252": 6, "iso-8859-1": 6})
        accented = charset != "UTF-8" or rng.random() < 0.2  # legacy-charset pages always carry accents
        author = rng.choice(ACCENTED_NAMES) if accented else f"{rng.choice(EN_FIRST_NAMES)} {rng.choice(EN_NAMES)}"
        byline = f"{author} | {_when(rng, 2022):%B %d, %Y}"
        if kind != "junk" and lang == "en":
            page["entry"] = {"article": article, "site": site, "charset": charset, "byline": byline, "url": url,
                             "copies": 0}
            recent.append(page["entry"])
    return page | {"type": f"text/html; charset={charset}", "body": _html(site, article, byline, charset),
                   "lang": article["lang"], "text": "\n".join(_page_text(site, article, byline))}


def _warcinfo(writer, rng: Random, filename: str, description: str) -> str:
    record_id = _uuid(rng)
    info = (f"isPartOf: CC-MAIN-SAMPLE\r\npublisher: Common Crawl (sample)\r\ndescription: {description}\r\n"
            "format: WARC File Format 1.0\r\noperator: llama-data samples\r\n").encode()
    writer.write_record(writer.create_warc_record("", "warcinfo", payload=io.BytesIO(info), length=len(info),
                        warc_headers_dict={"WARC-Date": "2023-03-20T00:00:00Z", "WARC-Filename": filename,
                                           "WARC-Record-ID": record_id}))
    return record_id


def _cld2(lang: str | None, text: str) -> str:
    if lang is None:
        return ""
    return ('languages-cld2: {"reliable":true,"text-bytes":%d,"languages":[{"code":"%s","code-iso-639-3":"%s",'
            '"text-covered":0.97,"score":980.0}]}\r\n' % (len(text.encode()), lang, ISO3[lang]))


def _commoncrawl(out: Path, n: int, rng: Random, tick) -> dict:
    """WARC files (request, response, metadata per page) and, for other pages, WET conversion records."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    sites, recent, kinds, files, cited, groups = _sites(rng), deque(maxlen=20), Counter(), [], [], {}

    def planted(page: dict, native_id: str) -> None:
        if "entry" in page:
            page["entry"]["native_id"] = native_id
        if "original" in page:
            original = {k: page["original"][k] for k in ("native_id", "url")}
            _plant(groups, original, {"native_id": native_id, "url": page["url"]}, page["jaccard"])

    n_wet = n // 5
    n_warc = n - n_wet
    for start in range(0, n_warc, PER_FILE):
        name = f"CC-MAIN-SAMPLE-{len(files):05d}.warc.gz"
        with open(out / name, "wb") as f:
            writer = WARCWriter(f, gzip=True)
            info_id = _warcinfo(writer, rng, name, "Sample crawl: request, response and metadata records")
            for i in range(start, min(n_warc, start + PER_FILE)):
                page = _cc_page(rng, i, sites, recent, html_only=False)
                kinds[page["kind"]] += 1
                if page["kind"] == "english" and kinds["english"] % 4 == 1:
                    cited.append(page["url"])  # the English Wikipedia cites it in a <ref>
                date = f"{_when(rng, 2023):%Y-%m-%dT%H:%M:%SZ}"
                request_id, response_id = _uuid(rng), _uuid(rng)
                planted(page, response_id)
                host, path = page["url"][8:].split("/", 1)
                common = {"WARC-Date": date, "WARC-Warcinfo-ID": info_id}
                request = StatusAndHeaders(f"GET /{path} HTTP/1.1", [
                    ("Host", host), ("User-Agent", "CCBot/2.0 (https://commoncrawl.org/faq/)"),
                    ("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")], is_http_request=True)
                writer.write_record(writer.create_warc_record(page["url"], "request", http_headers=request,
                                    warc_headers_dict=common | {"WARC-Record-ID": request_id}))
                response = StatusAndHeaders(page["status"], [
                    ("Content-Type", page["type"]), ("Content-Length", str(len(page["body"]))),
                    ("Server", "nginx"), *page["headers"]], protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(
                    page["url"], "response", payload=io.BytesIO(page["body"]), length=len(page["body"]),
                    http_headers=response, warc_headers_dict=common | {
                        "WARC-Record-ID": response_id, "WARC-Concurrent-To": request_id,
                        "WARC-IP-Address": f"10.{i % 256}.{rng.randrange(256)}.{rng.randrange(1, 255)}"}))
                charset = page["type"].partition("charset=")[2]
                fields = (f"fetchTimeMs: {rng.randint(20, 2000)}\r\n"
                          + (f"charset-detected: {charset}\r\n" if charset else "")
                          + _cld2(page["lang"], page["text"] or "")).encode()
                writer.write_record(writer.create_warc_record(
                    page["url"], "metadata", payload=io.BytesIO(fields), length=len(fields),
                    warc_content_type="application/warc-fields",
                    warc_headers_dict=common | {"WARC-Record-ID": _uuid(rng), "WARC-Concurrent-To": response_id}))
                tick()
        files.append(name)
    warc_files = len(files)
    for start in range(0, n_wet, PER_FILE):
        name = f"CC-MAIN-SAMPLE-{len(files):05d}.warc.wet.gz"
        with open(out / name, "wb") as f:
            writer = WARCWriter(f, gzip=True)
            _warcinfo(writer, rng, name, "Sample crawl: text extracted from the pages of another segment")
            for i in range(n_warc + start, n_warc + min(n_wet, start + PER_FILE)):
                page = _cc_page(rng, i, sites, recent, html_only=True)
                kinds[page["kind"]] += 1
                text = page["text"].encode()
                headers = {"WARC-Date": f"{_when(rng, 2023):%Y-%m-%dT%H:%M:%SZ}", "WARC-Record-ID": _uuid(rng),
                           "WARC-Refers-To": _uuid(rng)}
                planted(page, headers["WARC-Record-ID"])
                if page["lang"]:
                    headers["WARC-Identified-Content-Language"] = ISO3[page["lang"]]
                writer.write_record(writer.create_warc_record(
                    page["url"], "conversion", payload=io.BytesIO(text), length=len(text),
                    warc_content_type="text/plain", warc_headers_dict=headers))
                tick()
        files.append(name)
    return {"files": files, "documents": n, "responses": n_warc, "wet_records": n_wet,
            "warc_files": warc_files, "wet_files": len(files) - warc_files, "kinds": dict(sorted(kinds.items())),
            "cited_by_wikipedia": cited, "duplicates": list(groups.values())}


# ----------------------------------------------------------------------------------------------- C4
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


def _c4(out: Path, n: int, rng: Random, tick) -> dict:
    """C4-style json.gz shards; mostly clean English with the noise C4's rules were written against."""
    n_files, kinds, recent, files, groups = max(1, -(-n // PER_FILE)), Counter(), deque(maxlen=50), [], {}
    for k in range(n_files):
        name = f"c4-train.{k:05d}-of-{n_files:05d}.json.gz"
        with _gzip(out / name) as gz:
            for i in range(k * PER_FILE, min(n, (k + 1) * PER_FILE)):
                member = {"native_id": f"{name}:{i - k * PER_FILE + 1}"}  # the reader's file name and line
                kind = _pick(rng, i, C4_KINDS)
                if kind == "duplicate" and not recent:
                    kind = "clean"
                if kind == "duplicate":
                    row, original = rng.choice(recent)
                    _plant(groups, original, member | {"url": row["url"]}, 1.0)
                else:
                    prose = Prose(rng, rng.choice(FOREIGN_LANGS) if kind == "foreign" else "en")
                    lines = [prose.paragraph(2, 6) for _ in range(rng.randint(2, 6))]
                    if kind in C4_NOISE:
                        lines.insert(rng.randrange(len(lines) + 1), rng.choice(C4_NOISE[kind]))
                    row = {"text": "\n".join(lines), "url": f"https://{_name(i, 11).lower()}.com/{prose.noun()}-{i}",
                           "timestamp": f"{_when(rng, 2019):%Y-%m-%dT%H:%M:%SZ}"}
                    recent.append((row, member | {"url": row["url"]}))
                kinds[kind] += 1
                gz.write((json.dumps(row, ensure_ascii=False) + "\n").encode())
                tick()
        files.append(name)
    return {"files": files, "documents": n, "kinds": dict(sorted(kinds.items())), "duplicates": list(groups.values())}


# ----------------------------------------------------------------------------------------------- GitHub
CODE = {  # (file skeleton, function templates) with $names; one to four functions per file
    "py": ('"""$doc"""\nimport json\nimport os\n\n$CONST = $num\n\n$funcs', [
        'def $fn($arg, $arg2=None):\n    """$doc"""\n    result = {}\n    for key, value in $arg.items():\n'
        '        result[key] = value if $arg2 is None else $arg2(value)\n    return result\n',
        'class $Name:\n    """$doc"""\n\n    def __init__(self, $arg):\n        self.$arg = $arg\n'
        '        self.count = 0\n\n'
        '    def $fn(self, $arg2):\n        if not $arg2:\n            raise ValueError("$msg")\n'
        '        self.count += 1\n        return [x for x in $arg2 if x != self.$arg]\n',
        'def $fn($arg):\n    with open(os.path.join("$arg2", $arg)) as f:\n        return json.load(f)\n']),
    "js": ("'use strict';\n\nconst $CONST = $num;\n\n$funcs\nmodule.exports = { $CONST };\n", [
        "function $fnCamel($arg, $arg2) {\n  // $doc\n  if (!$arg) {\n    throw new Error('$msg');\n  }\n"
        "  return $arg.map((x) => x + $arg2);\n}\n",
        "class $Name {\n  constructor($arg) {\n    this.$arg = $arg;\n  }\n\n  $fnCamel() {\n"
        "    return Object.keys(this.$arg).length > $CONST;\n  }\n}\n",
        "async function $fnCamel(url) {\n  const res = await fetch(url);\n  return res.json();\n}\n"]),
    "c": ('#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n#define $CONST $num\n\n$funcs', [
        "/* $doc */\nint $fn(const char *$arg, size_t $arg2)\n{\n    if ($arg == NULL) {\n"
        '        fprintf(stderr, "$msg\\n");\n        return -1;\n    }\n    return (int)(strlen($arg) % $arg2);\n}\n',
        "static void $fn(int *$arg, int $arg2)\n{\n    for (int i = 0; i < $arg2; i++) {\n"
        "        $arg[i] = $arg[i] * 2 + $CONST;\n    }\n}\n"]),
    "h": ("#ifndef ${CONST}_H\n#define ${CONST}_H\n\n#include <stddef.h>\n\n$funcs\n#endif /* ${CONST}_H */\n", [
        "/* $doc */\nint $fn(const char *$arg, size_t $arg2);\n",
        "typedef struct {\n    int $arg;\n    double $arg2;\n} $Name;\n"]),
    "java": ("package com.$owner.$pkg;\n\nimport java.util.List;\nimport java.util.ArrayList;\n\n"
             "public class $Name {\n    private static final int $CONST = $num;\n\n$funcs}\n", [
        "    /** $doc */\n    public List<String> $fnCamel(List<String> $arg) {\n"
        "        List<String> out = new ArrayList<>();\n        for (String s : $arg) {\n"
        "            if (s.length() > $CONST) {\n                out.add(s);\n            }\n        }\n"
        "        return out;\n    }\n",
        '    public int $fnCamel(int $arg) {\n        if ($arg < 0) {\n'
        '            throw new IllegalArgumentException("$msg");\n'
        "        }\n        return $arg * $CONST;\n    }\n"]),
    "go": ('package $pkg\n\nimport (\n\t"errors"\n\t"strings"\n)\n\nconst $CONST = $num\n\n$funcs', [
        "// $fnPascal $doc\nfunc $fnPascal($arg string) (string, error) {\n\tif $arg == \"\" {\n"
        '\t\treturn "", errors.New("$msg")\n\t}\n\treturn strings.ToUpper($arg), nil\n}\n',
        "type $Name struct {\n\t$Arg int\n}\n\nfunc (x *$Name) $fnPascal() int {\n\treturn x.$Arg + $CONST\n}\n"]),
    "rs": ("use std::collections::HashMap;\n\nconst $CONST: usize = $num;\n\n$funcs", [
        "/// $doc\npub fn $fn($arg: &str) -> Result<usize, String> {\n    if $arg.is_empty() {\n"
        '        return Err("$msg".to_string());\n    }\n    Ok($arg.len() % $CONST)\n}\n',
        "pub struct $Name {\n    $arg: HashMap<String, usize>,\n}\n\nimpl $Name {\n"
        "    pub fn $fn(&self, key: &str) -> usize {\n        *self.$arg.get(key).unwrap_or(&0)\n    }\n}\n"]),
}
COMMENT = {"py": "# ", "js": "// ", "go": "// ", "rs": "// ", "c": " * ", "h": " * ", "java": " * "}
REPO_LANGS = ("py", "js", "c", "java", "go", "rs")
REPO_LICENSES = {"MIT": 30, "BSD-3-Clause": 15, "Apache-2.0": 20, "GPL-3.0": 15, "none": 20}
LICENSE_FILES = {"MIT": "LICENSE", "BSD-3-Clause": "LICENSE.md", "Apache-2.0": "LICENSE", "GPL-3.0": "COPYING"}


def _source(rng: Random, ext: str, owner: str, license_header: str | None) -> str:
    """A plausible source file: a skeleton with one to four functions built from identifier parts."""
    verb, noun = rng.choice(CODE_VERBS), rng.choice(CODE_NOUNS)
    arg, arg2 = rng.sample(CODE_NOUNS, 2)
    names = {"doc": Prose(rng, topic="technology").sentence(), "CONST": f"MAX_{rng.choice(CODE_NOUNS).upper()}",
             "num": rng.choice((8, 16, 64, 100, 256, 1024)), "owner": owner.replace("-", ""), "pkg": noun,
             "Name": f"{noun.capitalize()}{rng.choice(CODE_NOUNS).capitalize()}", "arg": arg, "arg2": arg2,
             "Arg": arg.capitalize(), "msg": f"invalid {arg}"}
    skeleton, templates = CODE[ext]
    funcs = []
    for k in range(rng.randint(1, 4)):
        v, nn = (verb, noun) if k == 0 else (rng.choice(CODE_VERBS), rng.choice(CODE_NOUNS))
        fn = {"fn": f"{v}_{nn}", "fnCamel": f"{v}{nn.capitalize()}", "fnPascal": f"{v.capitalize()}{nn.capitalize()}",
              "Name": f"{nn.capitalize()}{v.capitalize()}er"}
        funcs.append(Template(rng.choice(templates)).substitute(names | fn))
    text = Template(skeleton).substitute(names | {"funcs": "\n\n".join(funcs)})
    if license_header:
        prefix = COMMENT[ext]
        lines = [prefix + x if x else prefix.rstrip() for x in license_header.splitlines()]
        wrapped = ["/*", *lines, " */"] if prefix == " * " else lines
        text = "\n".join(wrapped) + "\n\n" + text
    return text


def _readme(rng: Random, repo: str, ext: str, license_name: str | None) -> str:
    prose = Prose(rng, topic="technology")
    install = {"py": f"pip install {repo}", "js": f"npm install {repo}", "go": f"go get github.com/x/{repo}",
               "rs": f"cargo add {repo}", "c": "make && sudo make install", "java": "mvn install"}[ext]
    text = f"# {repo}\n\n{prose.paragraph(2, 4)}\n\n## Installation\n\n```bash\n{install}\n```\n\n" \
           f"## Usage\n\n{prose.paragraph(2, 5)}\n"
    return text + (f"\n## License\n\n{license_name}\n" if license_name else "")


def _config(rng: Random, ext: str, repo: str, license_name: str | None) -> tuple[str, str]:
    if ext == "json":
        data = {"name": repo, "version": f"{rng.randint(0, 3)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
                "description": Prose(rng, topic="technology").title(), "main": "index.js",
                "scripts": {"test": "jest", "build": "webpack --mode production"},
                "license": license_name or "UNLICENSED",
                "dependencies": {d: f"^{rng.randint(1, 9)}.{rng.randint(0, 9)}.0"
                                 for d in rng.sample(["lodash", "express", "axios", "react", "chalk", "yargs"], 3)}}
        return "package.json", json.dumps(data, indent=2) + "\n"
    version = rng.choice(("3.10", "3.11", "18", "20", "1.21", "stable"))
    return ".github/workflows/ci.yaml", (
        f"name: CI\non:\n  push:\n    branches: [main]\n  pull_request:\njobs:\n  test:\n"
        f"    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
        f"      - name: Set up toolchain\n        with:\n          version: \"{version}\"\n"
        f"      - name: Test\n        run: make test\n")


def _shared_files(rng: Random) -> list[tuple[str, bytes]]:
    """Files vendored into many repositories, so exact file-level dedup has something to find."""
    return [(f"vendor/{rng.choice(CODE_VERBS)}_{rng.choice(CODE_NOUNS)}.{ext}",
             _source(rng, ext, "vendor", LICENSE_HEADERS["MIT"].format(year=2015, owner="Vendor Inc.")).encode())
            for ext in ("py", "js", "c", "h", "go", "js", "py", "rs")]


def _github(out: Path, n: int, rng: Random, tick) -> dict:
    """One `git archive`-style tarball per repository, until about n files are written."""
    shared, used, files, licenses, written = _shared_files(rng), Counter(), [], Counter(), 0
    while written < n:
        owner = rng.choice((f"{rng.choice(EN_FIRST_NAMES)}{rng.choice(EN_NAMES)}".lower(),
                            f"{rng.choice(CODE_NOUNS)}-labs", f"{_name(rng.randrange(9999), 3).lower()}"))
        repo = f"{rng.choice(EN_ADJECTIVES)}-{rng.choice(CODE_NOUNS)}"
        used[owner, repo] += 1
        repo += f"-{used[owner, repo]}" if used[owner, repo] > 1 else ""
        sha = "%040x" % rng.getrandbits(160)
        top, ext = f"{repo}-{sha[:7]}/", rng.choice(REPO_LANGS)
        license_name = _pick(rng, len(files), REPO_LICENSES)
        licenses[license_name] += 1
        license_name = None if license_name == "none" else license_name
        year = rng.randint(2012, 2023)
        content = {"README.md": _readme(rng, repo, ext, license_name)}
        if license_name:
            path = LICENSE_FILES[license_name] if rng.random() < 0.7 else "license.txt"
            content[path] = LICENSES[license_name].format(year=year, owner=owner)
        header = LICENSE_HEADERS[license_name].format(year=year, owner=owner) if license_name else None
        for _ in range(rng.randint(2, 7)):
            kind = ext if ext != "c" else rng.choice(("c", "h"))
            folder = repo.replace("-", "_") if kind == "py" else "src"
            path = f"{folder}/{rng.choice(CODE_VERBS)}_{rng.choice(CODE_NOUNS)}.{kind}"
            content[path] = _source(rng, kind, owner, header if rng.random() < 0.4 else None)
        for config in rng.sample(("json", "yaml"), rng.randint(0, 2)):
            path, text = _config(rng, config, repo, license_name)
            content[path] = text
        if rng.random() < 0.06:
            content[f"dist/{repo}.min.js"] = "".join(
                f"function {rng.choice(CODE_VERBS)}{k}(a,b){{return a+b*{k}}};var x{k}={k};" for k in range(300))
        if rng.random() < 0.12:
            content["assets/logo.png"] = _png(rng, 24, 24)
            content[f"data/{rng.choice(CODE_NOUNS)}.csv"] = "id,value,label\n" + "".join(
                f"{k},{rng.random():.4f},{rng.choice(CODE_NOUNS)}\n" for k in range(rng.randint(10, 60)))
        if len(files) % 4 in (1, 2):  # pairs of repositories vendor the same file
            path, data = shared[len(files) // 8 % len(shared)]
            content[path] = data
        blobs = {top + path: data if isinstance(data, bytes) else data.encode() for path, data in content.items()}
        name = f"{owner}__{repo}.tar.gz"
        _write_tar_gz(out / name, blobs, mtime=int(_when(rng, year).timestamp()), comment=sha)
        files.append(name)
        written += len(blobs)
        for _ in blobs:
            tick()
    return {"files": files, "documents": written, "repositories": len(files),
            "licenses": dict(sorted(licenses.items()))}


# ----------------------------------------------------------------------------------------------- Wikipedia
WIKI = {  # per language: namespaces, section names, template and redirect words
    "en": {"share": 70, "ns": {1: "Talk", 6: "File", 10: "Template", 14: "Category"}, "redirect": "#REDIRECT",
           "sections": ["History", "Geography", "Economy", "Culture", "Notable people"], "refs": "References",
           "links": "External links",
           "lead": "is a town in the [[{region}]] region.",
           "infobox": "Infobox settlement", "area": "It covers an area of {n}&nbsp;km<sup>2</sup>.",
           "category": "Populated places established in {year}", "sitename": "Wikipedia"},
    "de": {"share": 15, "ns": {1: "Diskussion", 6: "Datei", 10: "Vorlage", 14: "Kategorie"},
           "redirect": "#WEITERLEITUNG", "sections": ["Geschichte", "Geographie", "Wirtschaft", "Kultur"],
           "refs": "Einzelnachweise", "links": "Weblinks",
           "lead": "ist eine Gemeinde in der Region [[{region}]].", "infobox": "Infobox Ort",
           "area": "Die Fläche beträgt {n}&nbsp;km².",
           "category": "Gegründet {year}", "sitename": "Wikipedia"},
    "fr": {"share": 15, "ns": {1: "Discussion", 6: "Fichier", 10: "Modèle", 14: "Catégorie"},
           "redirect": "#REDIRECTION", "sections": ["Histoire", "Géographie", "Économie", "Culture"],
           "refs": "Références", "links": "Liens externes",
           "lead": "est une commune de la région [[{region}]].", "infobox": "Infobox Commune",
           "area": "Sa superficie est de {n}&nbsp;km².",
           "category": "Fondation en {year}", "sitename": "Wikipédia"},
}


def _wikify(rng: Random, text: str) -> str:
    """Sprinkle links and italics over plain sentences."""
    words = text.split(" ")
    for k, word in enumerate(words):
        if len(word) > 5 and word.isalpha():
            roll = rng.random()
            if roll < 0.06:
                words[k] = f"[[{word}]]"
            elif roll < 0.09:
                words[k] = f"[[{word.capitalize()}|{word}]]"
            elif roll < 0.11:
                words[k] = f"''{word}''"
    return " ".join(words)


def _wikitext(rng: Random, lang: str, title: str, cited: str | None = None) -> str:
    """An article with the markup wikitext cleaning must handle: nested templates, refs, links, tables."""
    w, prose, ns = WIKI[lang], Prose(rng, lang), WIKI[lang]["ns"]
    year, site = rng.randint(1100, 1950), f"http://www.{title.lower()}.org"
    author, published = rng.choice(EN_NAMES), rng.randint(1950, 2020)
    ref = f'<ref name="{author}{published}"'
    parts = ([f"{{{{Short description|{prose.title()}}}}}"] if lang == "en" else []) + [
        f"{{{{{w['infobox']}\n| name = {title}\n| image = {title}_view.jpg\n"
        f"| population_total = {rng.randint(200, 900000):,}\n"
        f"| established = {{{{Start date|{year}|{rng.randint(1, 12)}}}}}\n"
        f"| website = {{{{URL|{site}}}}}\n}}}}",
        f"'''{title}''' {w['lead'].format(region=_name(rng.randrange(32 ** 3), 1))} "
        f"{_wikify(rng, prose.paragraph(2, 4))} "
        f"{w['area'].format(n=rng.randint(3, 900))}"
        f"<ref>{{{{cite web |url={site}/about |title={title} |access-date=2021-03-04}}}}</ref>"
        + (f"<ref>[{cited} {title} on the web]</ref>" if cited else "")]
    for k, section in enumerate(rng.sample(w["sections"], rng.randint(2, len(w["sections"])))):
        parts.append(f"== {section} ==")
        if k == 0:
            parts.append(f"<!-- {prose.sentence()} -->\n[[{ns[6]}:{title}_view.jpg|thumb|{prose.title()}]]")
        for j in range(rng.randint(1, 3)):
            cite = (f"{ref}>{author}, {rng.choice(EN_FIRST_NAMES)[0]}. ({published}). ''{prose.title()}''. "
                    f"{rng.choice(EN_NAMES)} Press.</ref>") if k == j == 0 else f"{ref} />"
            parts.append(_wikify(rng, prose.paragraph()) + cite)
        if rng.random() < 0.4:
            parts.append("\n".join(f"* {_wikify(rng, prose.sentence())}" for _ in range(rng.randint(2, 5))))
    rows = "\n".join(f"|-\n| {y} || {rng.randint(100, 90000):,}" for y in range(1900, 2021, rng.choice((20, 40, 60))))
    parts += [f'{{| class="wikitable"\n! Year !! Population\n{rows}\n|}}', f"== {w['refs']} ==", "{{Reflist}}",
              f"== {w['links']} ==", f"* [{site} {prose.title()}]", f"[[{ns[14]}:{w['category'].format(year=year)}]]"]
    return "\n\n".join(parts) + "\n"


def _wiki_page(rng: Random, title: str, ns: int, page_id: int, text: str, redirect: str | None = None) -> str:
    digest, base36 = int(hashlib.sha1(text.encode()).hexdigest(), 16), ""
    while digest:
        digest, d = divmod(digest, 36)
        base36 = "0123456789abcdefghijklmnopqrstuvwxyz"[d] + base36
    redirect_tag = f'    <redirect title="{escape(redirect, {chr(34): "&quot;"})}" />\n' if redirect else ""
    return (f"  <page>\n    <title>{escape(title)}</title>\n    <ns>{ns}</ns>\n    <id>{page_id}</id>\n{redirect_tag}"
            f"    <revision>\n      <id>{1140000000 + page_id}</id>\n"
            f"      <timestamp>{_when(rng, 2022):%Y-%m-%dT%H:%M:%SZ}</timestamp>\n"
            f"      <contributor>\n        <username>{rng.choice(EN_NAMES)}Bot</username>\n"
            f"        <id>{rng.randint(1000, 9999999)}</id>\n      </contributor>\n"
            f"      <model>wikitext</model>\n      <format>text/x-wiki</format>\n"
            f'      <text bytes="{len(text.encode())}" xml:space="preserve">{escape(text)}</text>\n'
            f"      <sha1>{base36.rjust(31, '0')}</sha1>\n    </revision>\n  </page>\n")


def _siteinfo(lang: str) -> str:
    w = WIKI[lang]
    names = {-2: "Media", -1: "Special", 0: "", **w["ns"]}
    spaces = "\n".join(f'      <namespace key="{k}" case="first-letter">{v}</namespace>' if v else
                       f'      <namespace key="{k}" case="first-letter" />' for k, v in sorted(names.items()))
    return (f'<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://www.mediawiki.org/xml/export-0.10/ '
            'http://www.mediawiki.org/xml/export-0.10.xsd" '
            f'version="0.10" xml:lang="{lang}">\n  <siteinfo>\n    <sitename>{w["sitename"]}</sitename>\n'
            f"    <dbname>{lang}wiki</dbname>\n    <base>https://{lang}.wikipedia.org/wiki/Main_Page</base>\n"
            f"    <generator>MediaWiki 1.41.0-wmf.4</generator>\n    <case>first-letter</case>\n"
            f"    <namespaces>\n{spaces}\n    </namespaces>\n  </siteinfo>\n")


def _wikipedia(out: Path, n: int, rng: Random, tick, cited: list[str] = ()) -> dict:
    """A pages-articles dump per language: articles plus redirects and talk, category and template pages."""
    counts, files, offset = {}, [], rng.randrange(32 ** 5)
    shares = {lang: n * w["share"] // 100 for lang, w in WIKI.items() if lang != "en"}
    shares = {"en": n - sum(shares.values()), **shares}
    for lang, articles in shares.items():
        name, ns, c = f"{lang}wiki-20230401-pages-articles.xml.bz2", WIKI[lang]["ns"], Counter()
        with bz2.open(out / name, "wt", encoding="utf-8") as f:
            f.write(_siteinfo(lang))
            page_id = 10
            for i in range(articles):
                title = _name(i, offset)
                url = cited[i] if lang == "en" and i < len(cited) else None
                extra = [(title, 0, _wikitext(rng, lang, title, url), None)]
                if i % 7 == 1:
                    alias = f"{title} {rng.choice(SYLLABLES).capitalize()}"
                    extra.append((alias, 0, f"{WIKI[lang]['redirect']} [[{title}]]\n", title))
                if i % 10 == 2:
                    talk = f"== {Prose(rng, lang).title()} ==\n{Prose(rng, lang).paragraph(1, 3)} ~~~~\n"
                    extra.append((f"{ns[1]}:{title}", 1, talk, None))
                if i % 25 == 0:
                    category = f"{ns[14]}:{WIKI[lang]['category'].format(year=1800 + i // 25 % 200)}"
                    extra.append((category, 14, f"{Prose(rng, lang).sentence()}\n\n[[{ns[14]}:Contents]]\n", None))
                    template = f"{{| class=\"infobox\"\n! {{{{{{name|{{{{PAGENAME}}}}}}}}}}\n|}}<noinclude>\n" \
                               f"{Prose(rng).sentence()}\n[[{ns[14]}:Infobox templates]]</noinclude>\n"
                    extra.append((f"{ns[10]}:Infobox {title.lower()}", 10, template, None))
                for page_title, page_ns, text, redirect in extra:
                    page_id += rng.randint(1, 30)
                    f.write(_wiki_page(rng, page_title, page_ns, page_id, text, redirect))
                    c["redirects" if redirect else "articles" if page_ns == 0 else "other_namespaces"] += 1
                tick()
            f.write("</mediawiki>\n")
        files.append(name)
        counts[lang] = dict(sorted(c.items()))
    return {"files": files, "documents": n, "languages": counts}


# ----------------------------------------------------------------------------------------------- books
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV", "XVI",
         "XVII", "XVIII", "XIX", "XX"]
CHAPTER = {"en": "CHAPTER", "fr": "CHAPITRE", "de": "KAPITEL", "es": "CAPÍTULO"}
LANGUAGE_NAMES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish"}


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


def _books(out: Path, n: int, rng: Random, tick) -> dict:
    """Project Gutenberg texts in the new and old header styles, some CRLF or with a BOM, a few re-editions."""
    files, kinds, previous, groups = [], Counter(), None, {}
    for i in range(n):
        number = 10000 + 3 * i + rng.randrange(3)
        kind = _pick(rng, i, {"english": 87, "near_duplicate": 5, "foreign": 8})
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
        new_style = _pick(rng, i, {"new": 60, "old": 40}) == "new"
        fields = {"title": title, "author": author, "upper": title.upper(), "number": number, "edition": edition,
                  "date": f"{_when(rng, 1995, 28):%B %d, %Y}", "language": LANGUAGE_NAMES[lang],
                  "producer": f"{rng.choice(EN_FIRST_NAMES)} {rng.choice(EN_NAMES)} and the Online Distributed "
                              "Proofreading Team"}
        header, footer = ((GUTENBERG_NEW_HEADER, GUTENBERG_NEW_FOOTER) if new_style
                          else (GUTENBERG_OLD_HEADER, GUTENBERG_OLD_FOOTER))
        text = header.format(**fields) + "\n\n" + body + "\n" + footer.format(**fields)
        if rng.random() < 0.3:
            text = text.replace("\n", "\r\n")
        name = f"pg{number:05d}.txt"
        if edition:
            _plant(groups, {"native_id": f"pg{previous[3]:05d}.txt"}, {"native_id": name},
                   round(jaccard(shingle_set(previous[2]), shingle_set(body)), 4))
        (out / name).write_bytes(("\ufeff" if rng.random() < 0.15 else "").encode() + text.encode())
        files.append(name)
        tick()
    return {"files": files, "documents": n, "kinds": dict(sorted(kinds.items())), "duplicates": list(groups.values())}


# ----------------------------------------------------------------------------------------------- arXiv
EQUATIONS = [r"\mathcal{L}(\theta) = -\sum_{i=1}^{N} \log p_\theta(x_i \mid x_{<i})",
             r"\|\nabla f(x) - \nabla f(y)\| \le L \|x - y\|, \quad x, y \in \R^d",
             r"\E_{x \sim \mathcal{D}}\left[ \ell(h(x), y) \right] \le \hat{R}(h) + \sqrt{\frac{\log(1/\delta)}{2n}}",
             r"\mathrm{softmax}(z)_j = \frac{e^{z_j}}{\sum_{k=1}^{K} e^{z_k}}",
             r"\theta_{t+1} = \theta_t - \eta \, \nabla_\theta \mathcal{L}(\theta_t) + \eps",
             r"\int_0^\infty e^{-\lambda t} \, dt = \frac{1}{\lambda}"]


def _tex(rng: Random, paper_id: str, single_file: bool) -> tuple[str, str, str]:
    """(main.tex, sections/intro.tex, bibliography) for one paper; a single file inlines the last two."""
    prose = Prose(rng, topic=rng.choice(("mathematics", "science", "technology")))
    keys = [f"{rng.choice(EN_NAMES).lower()}{rng.randint(1990, 2023)}{'abc'[k % 3]}" for k in range(rng.randint(3, 8))]

    def para() -> str:
        return f"{prose.paragraph()} We {rng.choice(VERBS)[0]} \\model{{}} as in~\\cite{{{rng.choice(keys)}}}."

    intro = f"\\section{{Introduction}}\n\\label{{sec:intro}}\n{para()}\n\n{para()}\n"
    sections = []
    for _ in range(rng.randint(2, 4)):
        sections.append(f"\\section{{{prose.title()}}}\n{para()}\n% TODO: {prose.sentence()}\n"
                        f"\\begin{{equation}}\n\\label{{eq:{len(sections)}}}\n{rng.choice(EQUATIONS)}\n"
                        f"\\end{{equation}}\n"
                        f"{para()}\n\n\\subsection{{{prose.title()}}}\n{para()} Let $\\eps > 0$ and $x \\in \\R^d$.\n")
    bib = "\\begin{thebibliography}{99}\n" + "".join(
        f"\\bibitem{{{key}}}\n{rng.choice(EN_FIRST_NAMES)[0]}.~{rng.choice(EN_NAMES)}.\n\\newblock {prose.title()}.\n"
        f"\\newblock {{\\em Journal of {prose.noun().capitalize()} Studies}}, "
        f"{rng.randint(1, 40)}:{rng.randint(1, 300)}, "
        f"{key[-5:-1]}.\n\n" for key in keys) + "\\end{thebibliography}\n"
    figure = ("\\begin{figure}[t]\n\\centering\n\\includegraphics[width=0.8\\linewidth]{figures/fig1.png}\n"
              f"\\caption{{{prose.sentence()}}}\n\\end{{figure}}\n")
    main = (f"% arXiv:{paper_id}\n\\documentclass[11pt]{{article}}\n\\usepackage{{amsmath,amssymb}}\n"
            "\\usepackage{graphicx}\n% \\usepackage{hyperref} % breaks the arXiv build\n"
            "\\newcommand{\\R}{\\mathbb{R}}\n\\newcommand{\\E}{\\mathbb{E}}\n"
            f"\\newcommand{{\\model}}{{\\textsc{{{_name(rng.randrange(9999), 5)}}}}}\n\\def\\eps{{\\varepsilon}}\n"
            f"\\title{{{prose.title()}}}\n\\author{{{rng.choice(EN_FIRST_NAMES)} {rng.choice(EN_NAMES)} \\and "
            f"{rng.choice(EN_FIRST_NAMES)} {rng.choice(EN_NAMES)}}}\n\\begin{{document}}\n\\maketitle\n"
            f"\\begin{{abstract}}\n{prose.paragraph(3, 6)}\n\\end{{abstract}}\n\n"
            + (intro if single_file else "\\input{sections/intro}\n") + "\n" + "\n".join(sections)
            + ("" if single_file else figure) + f"\n\\section{{Conclusion}}\n{para()}\n\n"
            + (bib if single_file else "\\bibliographystyle{plain}\n\\bibliography{refs}\n") + "\\end{document}\n")
    return main, intro, bib


def _arxiv(out: Path, n: int, rng: Random, tick) -> dict:
    """e-prints as arXiv serves them: gzip'd tarballs, gzip'd single .tex files, a few without \\documentclass."""
    files, kinds = [], Counter()
    for i in range(n):
        month = i // 50000
        paper_id = f"{23 + month // 12:02d}{month % 12 + 1:02d}.{i % 50000 + 1:05d}"
        kind = _pick(rng, i, {"tarball": 62, "single_file": 33, "no_documentclass": 5})
        kinds[kind] += 1
        main, intro, bib = _tex(rng, paper_id, kind != "tarball")
        if kind == "tarball":
            name = f"{paper_id}.tar.gz"
            _write_tar_gz(out / name, {"main.tex": main.encode(), "sections/intro.tex": intro.encode(),
                                       "main.bbl": bib.encode(), "figures/fig1.png": _png(rng, 32, 24)},
                          mtime=int(_when(rng, 2023).timestamp()))
        else:
            if kind == "no_documentclass":  # a fragment: what survives when only an \input'ed file is sent
                main = main[main.index("\\section"):main.index("\\end{document}")]
            name = f"{paper_id}.gz"
            with _gzip(out / name) as gz:
                gz.write(main.encode())
        files.append(name)
        tick()
    return {"files": files, "documents": n, "kinds": dict(sorted(kinds.items()))}


# ----------------------------------------------------------------------------------------------- Stack Exchange
SHELL = ["find . -name '*.log' -mtime +7 -delete", "grep -rn \"$PATTERN\" /etc | head -20",
         "for f in *.txt; do\n    mv \"$f\" \"${f%.txt}.md\"\ndone", "tar -czf backup.tar.gz ~/docs && echo ok",
         "awk -F: '$3 >= 1000 {print $1}' /etc/passwd", "sed -i 's/foo/bar/g' config.ini",
         "ps aux | sort -k3 -nr | head -5 > top.txt"]
SE_SITES = {"unix": "technology", "cooking": "cooking"}


def _se_attr(value) -> str:
    return escape(str(value), {'"': "&quot;", "\n": "&#xA;"})


def _se_body(rng: Random, prose: Prose, code: bool) -> str:
    body = [f"<p>{html.escape(prose.paragraph(2, 5))}</p>" for _ in range(rng.randint(1, 3))]
    if code:
        body.insert(1, f"<pre><code>{html.escape(rng.choice(SHELL))}\n</code></pre>")
    elif rng.random() < 0.3:
        body.append("<ul>\n" + "".join(f"<li>{html.escape(prose.sentence())}</li>\n" for _ in range(3)) + "</ul>")
    return "\n\n".join(body) + "\n"


def _stackexchange(out: Path, n: int, rng: Random, tick) -> dict:
    """Posts.xml for two sites: questions, answers pointing at them, and tag-wiki rows."""
    files, counts = [], Counter()
    for k, (site, topic) in enumerate(SE_SITES.items()):
        folder = out / f"{site}.stackexchange.com"
        folder.mkdir()
        when, post_id = _when(rng, 2012), 0
        with open(folder / "Posts.xml", "w", encoding="utf-8") as f:
            f.write('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n')
            for i in range(n // 2 if k else n - n // 2):
                rows, prose = [], Prose(rng, topic=topic)
                if i % 40 == 0:
                    tag = prose.noun()
                    for kind in (4, 5):
                        post_id += 1
                        rows.append({"Id": post_id, "PostTypeId": kind, "CreationDate": when,
                                     "Score": 0, "Body": f"<p>{html.escape(prose.sentence())} ({tag})</p>\n"})
                question_id, n_answers = post_id + 1, rng.choices(range(5), (15, 35, 25, 15, 10))[0]
                answer_ids = list(range(question_id + 1, question_id + 1 + n_answers))
                tags = "".join(f"<{t}>" for t in sorted({prose.noun(), prose.noun()}))
                question = {"Id": question_id, "PostTypeId": 1, "CreationDate": when, "Score": rng.randint(-2, 80),
                            "ViewCount": rng.randint(10, 90000), "Body": _se_body(rng, prose, site == "unix"),
                            "OwnerUserId": rng.randint(1, 50000), "Title": prose.title() + "?", "Tags": tags,
                            "AnswerCount": n_answers, "CommentCount": rng.randint(0, 6),
                            "ContentLicense": "CC BY-SA 4.0"}
                if answer_ids and rng.random() < 0.6:
                    accepted = {"AcceptedAnswerId": rng.choice(answer_ids)}
                    question = {"Id": question_id, "PostTypeId": 1, **accepted} | question
                rows.append(question)
                for answer_id in answer_ids:
                    when += timedelta(minutes=rng.randint(1, 600))
                    rows.append({"Id": answer_id, "PostTypeId": 2, "ParentId": question_id, "CreationDate": when,
                                 "Score": rng.choice((-1, 0, 0, 1, 2, 3, 5, 8, 13, 40, 120)),
                                 "Body": _se_body(rng, prose, site == "unix" and rng.random() < 0.6),
                                 "OwnerUserId": rng.randint(1, 50000), "CommentCount": rng.randint(0, 4),
                                 "ContentLicense": "CC BY-SA 4.0"})
                post_id = question_id + n_answers
                when += timedelta(minutes=rng.randint(5, 900))
                for row in rows:
                    if isinstance(row["CreationDate"], datetime):
                        row["CreationDate"] = f"{row['CreationDate']:%Y-%m-%dT%H:%M:%S}.{rng.randrange(1000):03d}"
                    f.write("  <row " + " ".join(f'{key}="{_se_attr(v)}"' for key, v in row.items()) + " />\n")
                    counts[{1: "questions", 2: "answers"}.get(row["PostTypeId"], "tag_wiki")] += 1
                tick()
            f.write("</posts>\n")
        files.append(f"{folder.name}/Posts.xml")
    return {"files": files, "documents": n, **dict(sorted(counts.items()))}


# ----------------------------------------------------------------------------------------------- driver
WRITERS = {"commoncrawl": _commoncrawl, "c4": _c4, "github": _github, "wikipedia": _wikipedia, "books": _books,
           "arxiv": _arxiv, "stackexchange": _stackexchange}


def make_samples(out: Path, docs: int, seed: int, force: bool = False) -> dict:
    """Write the corpus into a temp folder beside `out`, rename it to `out`, then mark it `.complete`.

    Returns {source: {"files", "documents", "bytes"}}. Each source draws from its own seeded generator, so
    a change in one source leaves the others' bytes alone.
    """
    from tqdm import tqdm

    out = Path(out)
    if out.exists() and not force:
        if (out / ".complete").exists():
            raise FileExistsError(f"{out} already holds complete samples; pass --force to regenerate them")
        if any(out.iterdir()):
            raise FileExistsError(f"{out} exists and is not a complete samples folder; pass --force to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        sources = {}
        for name, write in WRITERS.items():
            (tmp / name).mkdir()
            with tqdm(total=docs, desc=f"{name:>13}", unit="doc", leave=False) as bar:
                cited = {"cited": sources["commoncrawl"]["cited_by_wikipedia"]} if name == "wikipedia" else {}
                result = write(tmp / name, docs, Random(f"{seed}/{name}"), bar.update, **cited)
            result["files"] = [f"{name}/{f}" for f in result["files"]]
            result["bytes"] = sum((tmp / f).stat().st_size for f in result["files"])
            sources[name] = result
        manifest = {"seed": seed, "docs": docs, "sources": sources}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    (out / ".complete").write_text(f"seed {seed} docs {docs}\n")
    return {name: {k: len(r["files"]) if k == "files" else r[k] for k in ("files", "documents", "bytes")}
            for name, r in sources.items()}


@click.group()
def samples():
    """Generate the bundled multi-source sample corpus."""


@samples.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder to create.")
@click.option("--docs", type=click.IntRange(min=1), default=400, show_default=True,
              help="Documents per source (pages, rows, code files, articles, books, papers, questions).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--force", is_flag=True, help="Replace OUT even if it already holds complete samples.")
def make(out: Path, docs: int, seed: int, force: bool):
    """Write a deterministic corpus in the real formats of the seven LLaMA sources."""
    try:
        counts = make_samples(out, docs, seed, force)
    except FileExistsError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{'source':<14}{'files':>8}{'documents':>12}{'MiB':>9}")
    for name, c in counts.items():
        click.echo(f"{name:<14}{c['files']:>8}{c['documents']:>12}{c['bytes'] / 2 ** 20:>9.2f}")
    total = {k: sum(c[k] for c in counts.values()) for k in ("files", "documents", "bytes")}
    click.echo(f"{'total':<14}{total['files']:>8}{total['documents']:>12}{total['bytes'] / 2 ** 20:>9.2f}")
    click.echo(f"wrote {out} (seed {seed}, {docs} documents per source)")
