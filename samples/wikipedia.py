"""Wikipedia: a bz2 pages-articles dump per language, with the markup and namespaces wikitext cleaning meets."""
from __future__ import annotations

import bz2
import hashlib
from collections import Counter
from pathlib import Path
from random import Random
from xml.sax.saxutils import escape

from samples.prose import SYLLABLES, Prose, coined_name
from samples.source import date_in
from samples.words import EN_FIRST_NAMES, EN_NAMES

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
        f"'''{title}''' {w['lead'].format(region=coined_name(rng.randrange(32 ** 3), 1))} "
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
            f"      <timestamp>{date_in(rng, 2022):%Y-%m-%dT%H:%M:%SZ}</timestamp>\n"
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


def write(out: Path, n: int, rng: Random, tick, cited: list[str] = ()) -> dict:
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
                title = coined_name(i, offset)
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
