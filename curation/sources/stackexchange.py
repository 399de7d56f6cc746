"""Stack Exchange: one document per question, its answers after it sorted by score (highest first) and HTML
tags removed, as the paper does.

Posts arrive as partial documents, one per `Posts.xml` row, whose text is the row's HTML body and whose meta
carries site, post_id, post_type, question_id (the parent of an answer), score, title and tags.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from curation.schema import get_meta, make_doc, reject

QUESTION, ANSWER = 1, 2


@dataclass
class StackExchangeParams:
    min_score: int | None = None  # of the question; None keeps every question
    min_chars: int = 100


class _Text(HTMLParser):
    """Collects text blocks: block elements separate paragraphs, <br> breaks a line, <pre> keeps its layout."""

    BLOCKS = {"p", "div", "pre", "blockquote", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
              "tr", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks, self.current, self.pre = [], [], False

    def _flush(self):
        text = "".join(self.current)
        self.current = []
        text = text.strip("\n").rstrip() if self.pre else "\n".join(line.strip() for line in text.split("\n")).strip()
        if text:
            self.blocks.append(text)

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.current.append("\n")
        elif tag in self.BLOCKS:
            self._flush()
            self.pre = self.pre or tag == "pre"

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self._flush()
            if tag == "pre":
                self.pre = False

    def handle_data(self, data):
        self.current.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Plain text of a post body: tags removed, entities decoded, paragraphs separated by a blank line and code
    blocks kept as they are."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    parser._flush()
    return "\n\n".join(parser.blocks)


def parse_tags(tags: str) -> list[str]:
    """`<a><b>` (older dumps) or `|a|b|` (newer ones) as a list."""
    return re.findall(r"[^<>|]+", tags)


def thread(question: dict, answers: list[dict]) -> dict:
    """The question's document: title, question and answers (highest score first, then oldest first)."""
    q = get_meta(question)
    answers = sorted(answers, key=lambda a: (-get_meta(a)["score"], get_meta(a)["post_id"]))
    text = "\n\n".join([f"Q: {q['title']}", html_to_text(question["text"])]
                       + [f"A: {html_to_text(a['text'])}" for a in answers])
    return make_doc("stackexchange", f"{q['site']}/{q['post_id']}", text, question["url"], site=q["site"],
                    question_id=q["post_id"], score=q["score"], answer_count=len(answers), tags=q["tags"])


def assemble(posts: list[dict]) -> list[dict]:
    """The posts of one question id joined into its thread; answers without their question are rejected, and
    so is a second copy of a post (the same site read twice)."""
    unique, copies = {}, []
    for post in sorted(posts, key=lambda p: (p["id"], p["text"])):
        if post["id"] in unique:
            copies.append(reject(post, "duplicate_post"))
        else:
            unique[post["id"]] = post
    posts = list(unique.values())
    questions = [p for p in posts if get_meta(p)["post_type"] == QUESTION]
    answers = [p for p in posts if get_meta(p)["post_type"] == ANSWER]
    if not questions:
        return copies + [reject(a, "orphan_answer") for a in answers]
    return copies + [thread(questions[0], answers)]


def curate(doc: dict, params: StackExchangeParams) -> dict:
    if params.min_score is not None and get_meta(doc)["score"] < params.min_score:
        return reject(doc, "low_score")
    if len(doc["text"]) < params.min_chars:
        return reject(doc, "too_short")
    return doc
