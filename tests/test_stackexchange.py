import io
import xml.etree.ElementTree as ET

import pyarrow.parquet as pq
import pytest

from curation.schema import doc_id, get_meta, make_doc
from curation.sources.stackexchange import StackExchangeParams, assemble, curate, html_to_text, parse_tags
from orchestration.curate import run_curation
from pipelines.stackexchange import read
from conftest import SAMPLES as SAMPLES_ROOT

SAMPLES = SAMPLES_ROOT / "stackexchange"
COFFEE = "coffee.stackexchange.com"


def test_html_to_text_keeps_code_blocks_and_paragraphs():
    html = ("<p>Use <code>x &lt; 1</code> &amp; <a href='u'>this</a>.</p>\n\n"
            "<pre><code>def f():\n    return 1\n</code></pre>\n<ul><li>one</li><li>two <em>2</em></li></ul>"
            "<p>Bye<br>\n now</p>")
    assert html_to_text(html) == "Use x < 1 & this.\n\ndef f():\n    return 1\n\none\n\ntwo 2\n\nBye\nnow"


def test_tags_in_both_dump_formats():
    assert parse_tags("<espresso><grinder>") == parse_tags("|espresso|grinder|") == ["espresso", "grinder"]
    assert parse_tags("") == []


def _post(post_id, post_type, question_id, score, body, title=""):
    return make_doc("stackexchange", f"s.example/{post_id}", body, "", site="s.example", post_id=post_id,
                    post_type=post_type, question_id=question_id, score=score, title=title, tags=["t"])


def test_thread_orders_answers_by_score_and_rejects_orphans():
    posts = [_post(3, 2, 1, 1, "<p>Low</p>"), _post(1, 1, 1, 7, "<p>Why?</p>", "Title"),
             _post(4, 2, 1, 5, "<p>High</p>"), _post(5, 2, 1, 1, "<p>Low, later</p>")]
    [thread] = assemble(posts)
    assert thread["text"] == "Q: Title\n\nWhy?\n\nA: High\n\nA: Low\n\nA: Low, later"
    assert thread["id"] == doc_id("stackexchange", "s.example/1")
    assert get_meta(thread) == {"site": "s.example", "question_id": 1, "score": 7, "answer_count": 3,
                                "tags": ["t"]}
    assert [r["reason"] for r in assemble([_post(9, 2, 8, 0, "a"), _post(9, 2, 8, 0, "a")])] == [
        "duplicate_post", "orphan_answer"]
    assert curate(thread, StackExchangeParams(min_score=8))["reason"] == "low_score"
    assert curate(thread, StackExchangeParams(min_chars=1000))["reason"] == "too_short"
    assert "reason" not in curate(thread, StackExchangeParams(min_score=7, min_chars=40))


def test_reader_refuses_a_doctype_and_rejects_other_files():
    bomb = b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa">]><posts><row Id="1" Body="&a;"/></posts>'
    with pytest.raises(ValueError, match="DOCTYPE"):
        list(read(f"x/{COFFEE}/Posts.xml", io.BytesIO(bomb)))
    [row] = read(f"x/{COFFEE}/Comments.xml", io.BytesIO(b"<comments/>"))
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
    kept = {r["id"]: r for r in pq.read_table(out / "curated" / "stackexchange").to_pylist()}
    metas = [get_meta(r) for r in kept.values()]
    assert sum(m["answer_count"] for m in metas if m["site"] == COFFEE) == 327
    assert {m["site"] for m in metas} == {COFFEE, "blender.meta.stackexchange.com"}

    rows = [r.attrib for r in ET.parse(SAMPLES / COFFEE / "Posts.xml").getroot()]
    answers = sorted((r for r in rows if r.get("ParentId") == "70"), key=lambda r: -int(r["Score"]))
    thread = kept[doc_id("stackexchange", f"{COFFEE}/70")]
    assert thread["url"] == f"https://{COFFEE}/questions/70"
    assert thread["text"].startswith("Q: How can I minimize the amount of grounds at the bottom of my French press")
    positions = [thread["text"].index("A: " + html_to_text(a["Body"])) for a in answers]
    assert len(answers) == 6 and positions == sorted(positions)
    assert get_meta(thread) == {"site": COFFEE, "question_id": 70, "score": 16, "answer_count": 6,
                                "tags": ["ground-coffee", "french-press"]}

    wikis = {doc_id("stackexchange", f"{COFFEE}/{r['Id']}") for r in rows if r["PostTypeId"] in ("4", "5")}
    rejected = pq.read_table(out / "rejects" / "stackexchange" / "post_type").to_pylist()
    assert {r["id"] for r in rejected} == wikis and len(wikis) == 40
