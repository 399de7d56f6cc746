import io
import xml.etree.ElementTree as ET

import pyarrow.parquet as pq
import pytest

from curation.schema import doc_id, from_row, make_doc
from curation.sources.stackexchange import (StackExchangeParams, assemble, curate, html_to_text, parse_tags,
                                            site_ranks, with_site_rank)
from orchestration.curate import run_curation
from readers import posts_xml as reader
from readers.limits import DecompressionLimit, Limits
from readers.posts_xml import read
from conftest import SAMPLES as SAMPLES_ROOT

SAMPLES = SAMPLES_ROOT / "stackexchange"
COFFEE = "coffee.stackexchange.com"


def test_html_to_text_keeps_code_blocks_and_paragraphs():
    html = ("<p>Use <code>x &lt; 1</code> &amp; <a href='u'>this</a>.</p>\n\n"
            "<pre><code>def f():\n    return 1\n</code></pre>\n<ul><li>one</li><li>two <em>2</em></li></ul>"
            "<p>Bye<br>\n now</p>")
    assert html_to_text(html) == "Use x < 1 & this.\n\ndef f():\n    return 1\n\n- one\n- two 2\n\nBye\nnow"


def test_lists_stay_readable():
    html = ("<p>Steps:</p><ol><li>Grind.</li><li><p>Brew:</p><ul><li>hot</li><li>slow\nand long</li></ul></li>"
            "<li>Drink.</li></ol><h2>Notes</h2><p>End.</p>")
    assert html_to_text(html) == ("Steps:\n\n1. Grind.\n2. Brew:\n  - hot\n  - slow and long\n3. Drink.\n\n"
                                  "Notes\n\nEnd.")


def test_tags_in_both_dump_formats():
    assert parse_tags("<espresso><grinder>") == parse_tags("|espresso|grinder|") == ["espresso", "grinder"]
    assert parse_tags("") == []


def _post(post_id, post_type, question_id, score, body, title=""):
    return make_doc("stackexchange", f"s.example/{post_id}", body, "", site="s.example", post_id=post_id,
                    post_type=post_type, question_id=question_id, score=score, title=title, tags=["t"])


def _english(text):
    return "en", 0.9


def test_thread_orders_answers_by_numeric_score_and_rejects_orphans():
    # As strings, "9" > "2" > "10" > "-1" (RedPajama's order); as numbers, 10 > 9 > 2 > -1.
    posts = [_post(3, 2, 1, 9, "<p>Nine</p>"), _post(1, 1, 1, 7, "<p>Why?</p>", "Title"),
             _post(4, 2, 1, 10, "<p>Ten</p>"), _post(5, 2, 1, -1, "<p>Minus one</p>"), _post(6, 2, 1, 2, "<p>Two</p>")]
    [thread] = assemble(posts)
    assert thread["text"] == "Q: Title\n\nWhy?\n\nA: Ten\n\nA: Nine\n\nA: Two\n\nA: Minus one"
    assert thread["id"] == doc_id("stackexchange", "s.example/1")
    assert thread["meta"] == {"site": "s.example", "question_id": 1, "score": 7, "answer_count": 4,
                                "tags": ["t"]}
    assert [r["reason"] for r in assemble([_post(9, 2, 8, 0, "a"), _post(9, 2, 8, 0, "a")])] == [
        "duplicate_post", "orphan_answer"]


def test_curate_by_site_rank_score_length_and_language():
    ranks = site_ranks([("small.example", 3), ("s.example", 50), ("big.example", 50)])
    assert ranks == {"big.example": (1, 50), "s.example": (2, 50), "small.example": (3, 3)}
    [thread] = assemble([_post(1, 1, 1, 7, "<p>Why is the sky blue during the day and red at dusk?</p>", "Sky"),
                         _post(2, 2, 1, 3, "<p>Light scattering.</p>")])
    thread = with_site_rank(thread, ranks)
    assert thread["meta"]["site_rank"] == 2 and thread["meta"]["site_posts"] == 50
    assert curate(thread, StackExchangeParams(top_sites=1), _english)["reason"] == "small_site"
    assert curate(thread, StackExchangeParams(min_score=8), _english)["reason"] == "low_score"
    assert curate(thread, StackExchangeParams(min_chars=1000), _english)["reason"] == "too_short"
    kept = curate(thread, StackExchangeParams(min_score=7, min_chars=40, top_sites=2), _english)
    assert "reason" not in kept and kept["meta"]["language"] == "en"
    assert curate(thread, StackExchangeParams(min_chars=40), lambda t: ("ru", 0.95))["reason"] == "lang"
    assert "reason" not in curate(thread, StackExchangeParams(min_chars=40), lambda t: ("ru", 0.3))  # unsure: kept
    assert "reason" not in curate(thread, StackExchangeParams(min_chars=40, languages=None), lambda t: ("ru", 0.95))


def test_reader_refuses_a_doctype_resynchronises_after_damage_and_rejects_other_files(monkeypatch):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><posts>'
            b'<row Id="1" PostTypeId="1" Body="&b;"/></posts>')
    [row] = read(f"x/{COFFEE}/Posts.xml", io.BytesIO(bomb), Limits())
    assert row["reason"] == "refused_doctype"
    monkeypatch.setattr(reader, "CHUNK", 16)  # rows cut across reads
    damaged = (b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'
               b'  <row Id="1" PostTypeId="1" Score="2" Title="T" Body="&lt;p&gt;Q&lt;/p&gt;" />\n'
               b'  <row Id="2" PostTypeId="2" ParentId="1" Body="cut off here\n'
               b'  <row Id="3" PostTypeId="2" ParentId="1" Score="5" Body="&undefined; entity" />\n'
               b'  <row Id="4" PostTypeId="2" ParentId="1" Score="-3" Body="fine" />\n'
               b'  garbage & more\n</posts>\n')
    rows = list(read(f"x/{COFFEE}/Posts.xml", io.BytesIO(damaged), Limits()))
    assert [(r.get("reason"), r["meta"].get("post_id")) for r in rows] == [
        (None, 1), ("bad_xml", None), ("bad_xml", None), (None, 4), ("bad_xml", None)]
    assert rows[4]["text"] == "\n  garbage & more\n"
    assert rows[1]["text"].startswith('<row Id="2"') and "undefined entity" in rows[2]["meta"]["error"]
    assert rows[3]["meta"]["score"] == -3
    [row] = read(f"x/{COFFEE}/Comments.xml", io.BytesIO(b"<comments/>"), Limits())
    assert row["reason"] == "unsupported_file"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return run_curation("stackexchange", str(SAMPLES), out), out


def test_curates_real_sites(run):
    stats, out = run
    # coffee: 225 questions (their 327 answers inside them) + 40 tag-wiki rows; blender.meta: 5 questions
    # (4 answers inside); Comments.xml: one unsupported file.
    assert (stats["files"], stats["read"], stats["kept"]) == (3, 271, 230)
    assert stats["dropped"] == {"post_type": 40, "unsupported_file": 1}
    kept = {r["id"]: r for r in map(from_row, pq.read_table(out / "curated" / "stackexchange").to_pylist())}
    metas = [r["meta"] for r in kept.values()]
    assert sum(m["answer_count"] for m in metas if m["site"] == COFFEE) == 327
    assert {m["site"] for m in metas} == {COFFEE, "blender.meta.stackexchange.com"}

    rows = [r.attrib for r in ET.parse(SAMPLES / COFFEE / "Posts.xml").getroot()]
    answers = sorted((r for r in rows if r.get("ParentId") == "70"), key=lambda r: -int(r["Score"]))
    thread = kept[doc_id("stackexchange", f"{COFFEE}/70")]
    assert thread["url"] == f"https://{COFFEE}/questions/70"
    assert thread["text"].startswith("Q: How can I minimize the amount of grounds at the bottom of my French press")
    positions = [thread["text"].index("A: " + html_to_text(a["Body"])) for a in answers]
    assert len(answers) == 6 and positions == sorted(positions)
    meta = thread["meta"]
    assert meta.pop("language") == "en" and meta.pop("language_score") > 0.5
    assert meta == {"site": COFFEE, "question_id": 70, "score": 16, "answer_count": 6, "site_rank": 1,
                    "site_posts": 552, "tags": ["ground-coffee", "french-press"]}
    assert {m["site_rank"] for m in metas if m["site"] != COFFEE} == {2}

    wikis = {doc_id("stackexchange", f"{COFFEE}/{r['Id']}") for r in rows if r["PostTypeId"] in ("4", "5")}
    rejected = pq.read_table(out / "rejects" / "stackexchange" / "post_type").to_pylist()
    assert {r["id"] for r in rejected} == wikis and len(wikis) == 40


def test_a_7z_dump_gives_the_documents_of_its_posts_xml(tmp_path):
    """A real dump ships `<site>.7z`: the job reads Posts.xml inside it, the site named by the archive, with the
    same documents as from the extracted file; an archive without Posts.xml is a counted read error."""
    import py7zr

    plain, packed = tmp_path / "plain" / COFFEE, tmp_path / "packed"
    plain.mkdir(parents=True)
    packed.mkdir()
    (plain / "Posts.xml").write_bytes((SAMPLES / COFFEE / "Posts.xml").read_bytes())
    with py7zr.SevenZipFile(packed / f"{COFFEE}.7z", "w") as z:
        z.write(SAMPLES / COFFEE / "Posts.xml", "Posts.xml")
        z.writestr(b"<comments/>", "Comments.xml")
    with py7zr.SevenZipFile(packed / "empty.stackexchange.com.7z", "w") as z:
        z.writestr(b"<tags/>", "Tags.xml")
    with py7zr.SevenZipFile(packed / "stackoverflow.com-Comments.7z", "w") as z:  # not posts: skipped, counted
        z.writestr(b"<comments/>", "Comments.xml")
    a = run_curation("stackexchange", str(tmp_path / "plain"), tmp_path / "a")
    b = run_curation("stackexchange", str(packed), tmp_path / "b")
    assert (b["files"], b["read"], b["kept"]) == (3, a["read"] + 2, a["kept"]) and a["kept"] > 200
    assert b["dropped"] == {**a["dropped"], "read_error": 1, "unsupported_file": 1}

    def rows(run, folder):
        return sorted(map(from_row, pq.read_table(run / folder / "stackexchange").to_pylist()), key=lambda r: r["id"])
    assert rows(tmp_path / "b", "curated") == rows(tmp_path / "a", "curated")
    [error] = pq.read_table(tmp_path / "b" / "rejects" / "stackexchange" / "read_error").to_pylist()
    assert "no Posts.xml in the archive" in from_row(error)["meta"]["error"]

    with (packed / f"{COFFEE}.7z").open("rb") as f, pytest.raises(DecompressionLimit):  # a bomb stops at the limit
        list(read(f"x/{COFFEE}.7z", f, Limits(max_decompressed_bytes=1 << 16)))
