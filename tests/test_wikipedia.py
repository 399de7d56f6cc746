import bz2
import io

import pyarrow.parquet as pq
import pytest

from curation.schema import doc_id, from_row, make_doc
from curation.sources.wikipedia import (WikipediaParams, curate, is_redirect_text, wiki_language,
                                        wikitext_to_text)
from orchestration.curate import run_curation
from readers import mediawiki as reader
from readers.limits import Limits
from readers.mediawiki import read


@pytest.mark.parametrize("wikitext, text", [
    # nested and multi-line templates, parser functions and template parameters
    ("{{Infobox person\n| name = {{nowrap|A {{small|B}}}}\n| born = {{#if:x|{{{1}}}|y}}\n}}\nText after.",
     "Text after."),
    ("A [[political philosophy]] of [[self-governance|self-governed]] [[society|societies]].",
     "A political philosophy of self-governed societies."),
    ("Claim.<ref>{{cite web|url=http://x.org|title=X}}</ref> More<ref name=\"a\" /> text.<ref name=b>Note\n</ref>",
     "Claim. More text."),
    ("[[File:Levellers.gif|thumb|upright|Woodcut from a [[Diggers]] document by [[William Everard (Digger)|"
     "William Everard]]]]\n[[Image:x.png|[http://x.org source] and [[y]]]]Body.", "Body."),
    ("Before.\n{| class=\"wikitable\"\n|-\n! Head\n|-\n| cell {{x}}\n{|\n| inner\n|}\n| more\n|}\nAfter.",
     "Before.\nAfter."),
    ("Visible<!-- hidden\nmulti-line -->text.<!-- never closed", "Visibletext."),
    ("End.\n\n[[Category:Anarchism| ]]\n[[category:Political ideologies]]\n[[de:Anarchismus]]", "End."),
    ("See [http://example.com/a?b=1 the site] and [https://bare.example].", "See the site and ."),
    ("'''Bold''', ''italic'' and '''''both'''''.", "Bold, italic and both."),
    ("Intro.\n\n== History ==\n=== Origins ===\n* one\n** two\n# three\n: indented\n----\nDone.",
     "Intro.\n\nHistory\nOrigins\none\ntwo\nthree\nindented\n\nDone."),
    ("A&nbsp;B &amp; C &mdash; <b>bold</b>, <span style=\"x\">span</span> <math>x^2</math><br/>end",
     "A B & C — bold, span end"),
    ("[[CSI: Miami]], [[:Category:Foo]], [[wikt:anarchy|anarchy]] and [[Foo (band)|]].",
     "CSI: Miami, Category:Foo, anarchy and Foo (band)."),
    ("Broken {{template never closed and [[link]] here.", "Broken template never closed and link here."),
    ("__NOTOC__\nText.<gallery>\nFile:a.jpg|A\n</gallery>", "Text."),
])
def test_wikitext_to_text(wikitext, text):
    assert wikitext_to_text(wikitext) == text


def test_localised_file_and_category_links_are_dropped():
    prefixes = frozenset({"file", "category", "datei", "kategorie"})
    assert wikitext_to_text("Text [[Datei:a.jpg|mini|Bild]].\n[[Kategorie:Stadt]]", prefixes) == "Text ."


def test_language_from_dbname_else_xml_lang():
    assert wiki_language("enwiki", "en") == "en"
    assert wiki_language("zh_min_nanwiki", "nan") == "zh-min-nan"
    assert wiki_language(None, "de") == "de"
    assert is_redirect_text(" #REDIRECT [[A]]") and is_redirect_text("#redirect[[A]]")
    assert not is_redirect_text("Redirects are pages.")


def test_curate_drops_other_languages_and_short_articles():
    params = WikipediaParams(min_chars=10)
    doc = lambda text, lang: make_doc("wikipedia", text + lang, text, language=lang)  # noqa: E731
    assert curate(doc("Long enough text.", "ltg"), params)["reason"] == "language"
    assert curate(doc("Short.", "de"), params)["reason"] == "too_short"
    assert "reason" not in curate(doc("Long enough text.", "sr"), params)
    assert len(WikipediaParams().languages) == 20


DUMP = """<?xml version="1.0" encoding="utf-8"?>
<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="de">
  <siteinfo><dbname>dewiki</dbname><namespaces>
    <namespace key="6" case="first-letter">Datei</namespace>
    <namespace key="14" case="first-letter">Kategorie</namespace></namespaces></siteinfo>
  <page><title>Köln am Rhein</title><ns>0</ns><id>7</id>
    <revision><id>1</id><timestamp>2023-04-01T00:00:00Z</timestamp>
      <text xml:space="preserve">'''Köln''' ist eine [[Stadt]].[[Datei:Dom.jpg|mini|Der [[Dom]]]]
[[Kategorie:Ort]]</text></revision></page>
  <page><title>Cologne</title><ns>0</ns><id>8</id>
    <revision><timestamp>2023-04-01T00:00:00Z</timestamp><text>#WEITERLEITUNG [[Köln am Rhein]]</text></revision>
    <redirect title="Köln am Rhein"/></page>
  <page><title>Vorlage:Info</title><ns>10</ns><id>9</id><revision><text>{{{1}}}</text></revision></page>
</mediawiki>
"""


def test_reader_streams_any_schema_version_and_gives_reasons():
    docs = list(read("dewiki.xml.bz2", io.BytesIO(bz2.compress(DUMP.encode())), Limits()))
    assert [d.get("reason") for d in docs] == [None, "redirect", "namespace"]
    article = docs[0]
    assert article["text"] == "Köln ist eine Stadt."
    assert article["url"] == "https://de.wikipedia.org/wiki/K%C3%B6ln_am_Rhein"
    assert article["id"] == doc_id("wikipedia", "dewiki:7")
    assert article["meta"] == {"title": "Köln am Rhein", "page_id": 7, "language": "de",
                                 "timestamp": "2023-04-01T00:00:00Z"}
    assert docs[2]["meta"]["namespace"] == 10


def test_reader_refuses_a_doctype():
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">'
            '<!ENTITY ext SYSTEM "file:///etc/passwd">]>\n<mediawiki><page><title>&b;&ext;</title></page></mediawiki>')
    [row] = read("bomb.xml", io.BytesIO(bomb.encode()), Limits())
    assert row["reason"] == "refused_doctype" and row["text"] == ""


def test_reader_decodes_the_declared_encoding_and_a_byte_order_mark():
    latin = DUMP.replace('encoding="utf-8"', 'encoding="ISO-8859-1"').encode("latin-1")
    utf16 = DUMP.replace('encoding="utf-8"', 'encoding="UTF-16"').encode("utf-16")  # with its BOM
    for data in (latin, utf16):
        docs = list(read("dewiki.xml", io.BytesIO(data), Limits()))
        assert [d.get("reason") for d in docs] == [None, "redirect", "namespace"]
        assert docs[0]["text"] == "Köln ist eine Stadt." and docs[0]["meta"]["title"] == "Köln am Rhein"


def test_reader_resynchronises_after_a_malformed_page(monkeypatch):
    monkeypatch.setattr(reader, "CHUNK", 64)  # pages cut across reads
    pages = DUMP.split("  <page>")
    broken = ["<title>Broken & bad</title><ns>0</ns><id>20</id><revision><text>x</text></revision></page>\n",
              "<title>Unclosed</title><ns>0</ns><id>21</id><revision><text>never ends\n"]
    damaged = "  <page>".join([pages[0], broken[0], broken[1], *pages[1:]]).replace(
        "</mediawiki>", "stray text\n</mediawiki>")
    docs = list(read("dewiki.xml", io.BytesIO(damaged.encode()), Limits()))
    assert [d.get("reason") for d in docs] == ["bad_xml", "bad_xml", None, "redirect", "namespace", "bad_xml"]
    assert [d["meta"].get("title") for d in docs[:3]] == ["Broken & bad", "Unclosed", "Köln am Rhein"]
    assert docs[0]["text"].startswith("<page><title>Broken & bad</title>") and "not well-formed" in docs[0]["meta"][
        "error"]
    assert docs[1]["meta"]["error"] == "not a complete page"
    assert docs[5]["text"].split() == ["stray", "text", "</mediawiki>"]
    assert docs[2]["text"] == "Köln ist eine Stadt." and docs[2]["id"] == doc_id("wikipedia", "dewiki:7")
    assert len({d["id"] for d in docs}) == 6


def _rows(path):
    return [from_row(r) for r in pq.read_table(path).to_pylist()]


def test_curates_real_dumps(tmp_path, samples_dir):
    stats = run_curation("wikipedia", str(samples_dir / "wikipedia"), tmp_path)
    assert (stats["files"], stats["read"]) == (2, 206 + 2004)
    assert stats["read"] == stats["kept"] + sum(stats["dropped"].values())
    # enwiki: 100 redirects, but one of them is the ns-4 page, which is dropped for its namespace first.
    # ltgwiki: Latgalian is not among the 20 languages, so all its articles are dropped.
    assert stats["kept"] == 106
    assert stats["dropped"] == {"redirect": 99 + 147, "namespace": 1 + 954, "language": 903}

    kept = {r["meta"]["title"]: r for r in _rows(tmp_path / "curated/wikipedia/part-00000-of-00001.parquet")}
    anarchism = kept["Anarchism"]
    assert anarchism["id"] == doc_id("wikipedia", "enwiki:12")
    assert anarchism["url"] == "https://en.wikipedia.org/wiki/Anarchism"
    assert anarchism["meta"] == {"title": "Anarchism", "page_id": 12, "language": "en",
                                   "timestamp": "2016-04-22T10:19:33Z"}
    assert anarchism["text"].startswith("Anarchism is a political philosophy that advocates self-governed "
                                        "societies based on voluntary institutions. These are often described "
                                        "as stateless societies, although several authors")
    assert "\nEtymology and terminology\n" in anarchism["text"]
    for row in kept.values():
        assert not any(mark in row["text"] for mark in ("[[", "]]", "{{", "}}", "<ref", "{|", "<!--"))

    redirects = {r["id"] for r in _rows(tmp_path / "rejects/wikipedia/redirect/part-00000-of-00001.parquet")}
    assert doc_id("wikipedia", "enwiki:10") in redirects  # AccessibleComputing
    namespace = _rows(tmp_path / "rejects/wikipedia/namespace/part-00000-of-00001.parquet")
    assert doc_id("wikipedia", "enwiki:724") in {r["id"] for r in namespace}
    language = _rows(tmp_path / "rejects/wikipedia/language/part-00000-of-00001.parquet")
    assert {r["meta"]["language"] for r in language} == {"ltg"}
    assert all(r["url"].startswith("https://ltg.wikipedia.org/wiki/") for r in language)
