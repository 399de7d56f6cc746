"""Common Crawl: WARC files (request, response, metadata per page) and WET conversion records of other pages,
on web sites that share boilerplate, with re-posted near duplicates, other languages, junk and non-HTML."""
from __future__ import annotations

import html
import io
import re
import uuid
from collections import Counter, deque
from pathlib import Path
from random import Random

from curation.minhash import jaccard, shingle_set
from samples.files import png
from samples.prose import FOREIGN_LANGS, Prose, coined_name
from samples.source import PER_FILE, date_in, pick, plant
from samples.words import EN_ADJECTIVES, EN_FIRST_NAMES, EN_NAMES, FOREIGN, SPAM_WORDS, WEB_BOILER, WEB_NAV

PAGE_KINDS = {"english": 63, "near_duplicate": 8, "foreign": 12, "junk": 8, "not_found": 2, "redirect": 2,
              "pdf": 2, "png": 2}
ISO3 = {"en": "eng", "fr": "fra", "de": "deu", "es": "spa"}
ACCENTED_NAMES = ["José Núñez", "Zoë Brontë", "François Dupré", "Jürgen Weiß", "Renée Côté",
                  "Søren Åberg"]


def _uuid(rng: Random) -> str:
    return f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}>"


def _sites(rng: Random) -> list[dict]:
    """Web sites whose navigation and footer lines repeat on every one of their pages."""
    sites = []
    for i in range(40):
        lang = "en" if i < 28 else FOREIGN_LANGS[i % 3]
        name = coined_name(i, 7)
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
    kind = pick(rng, i, kinds)
    if kind == "near_duplicate" and not recent:
        kind = "english"
    lang = FOREIGN_LANGS[i % 3] if kind == "foreign" else "en"
    original = rng.choice(recent) if kind == "near_duplicate" else None
    site = original["site"] if original else rng.choice([s for s in sites if s["lang"] == lang])
    url = f"https://{site['domain']}/{rng.choice(('news', 'blog', 'articles', 'p'))}/{i}-{rng.getrandbits(24):x}"
    page = {"kind": kind, "url": url, "status": "200 OK", "headers": [], "lang": None, "text": None}
    if kind in ("pdf", "png"):
        body = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + rng.randbytes(600)
                + b"\n%%EOF\n") if kind == "pdf" else png(rng, 16, 16)
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
        charset = pick(rng, i, {"UTF-8": 88, "windows-1252": 6, "iso-8859-1": 6})
        accented = charset != "UTF-8" or rng.random() < 0.2  # legacy-charset pages always carry accents
        author = rng.choice(ACCENTED_NAMES) if accented else f"{rng.choice(EN_FIRST_NAMES)} {rng.choice(EN_NAMES)}"
        byline = f"{author} | {date_in(rng, 2022):%B %d, %Y}"
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


def write(out: Path, n: int, rng: Random, tick) -> dict:
    """WARC files (request, response, metadata per page) and, for other pages, WET conversion records."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    sites, recent, kinds, files, cited, groups = _sites(rng), deque(maxlen=20), Counter(), [], [], {}

    def planted(page: dict, native_id: str) -> None:
        if "entry" in page:
            page["entry"]["native_id"] = native_id
        if "original" in page:
            original = {k: page["original"][k] for k in ("native_id", "url")}
            plant(groups, original, {"native_id": native_id, "url": page["url"]}, page["jaccard"])

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
                date = f"{date_in(rng, 2023):%Y-%m-%dT%H:%M:%SZ}"
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
                headers = {"WARC-Date": f"{date_in(rng, 2023):%Y-%m-%dT%H:%M:%SZ}", "WARC-Record-ID": _uuid(rng),
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
