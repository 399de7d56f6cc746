"""Stack Exchange: one document per question, its answers after it sorted by score (highest first, as numbers:
RedPajama sorted the scores as strings, which puts 9 above 10) and HTML removed with code blocks and lists kept
readable, formatted as `Q: title / question / A: answer ...`, as the paper does.

Posts arrive as partial documents, one per `Posts.xml` row, whose text is the row's HTML body and whose meta
carries site, post_id, post_type, question_id (the parent of an answer), score, title and tags. The paper keeps
the 28 largest sites: each thread carries its site's rank by number of posts, and `top_sites` keeps the largest.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from curation.schema import make_doc, reject, with_meta

QUESTION, ANSWER = 1, 2


@dataclass
class StackExchangeParams:
    top_sites: int | None = 28      # the paper's 28 largest sites by number of posts; None keeps every site
    # Threads confidently (score >= lang_threshold) in another language are dropped; code- and math-heavy
    # threads that the identifier is unsure about are kept. None keeps every language.
    languages: list[str] | None = field(default_factory=lambda: ["en"])
    lang_threshold: float = 0.5
    min_score: int | None = None    # of the question; None keeps every question
    min_chars: int = 100


class _Text(HTMLParser):
    """Collects text blocks: block elements separate paragraphs, <br> breaks a line, <pre> keeps its layout, list
    items become `- item` or `1. item` lines (nested lists indented) and headings stay lines of their own."""

    BLOCKS = {"p", "div", "pre", "blockquote", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
              "tr", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks, self.current, self.pre = [], [], False  # blocks: (text, is_list_item)
        self.lists, self.marker = [], None                   # open lists: [tag, items so far]; next item's marker

    def _flush(self):
        text = "".join(self.current)
        self.current = []
        text = text.strip("\n").rstrip() if self.pre else "\n".join(line.strip() for line in text.split("\n")).strip()
        if text:
            if self.marker is not None:
                text = self.marker + text.replace("\n", "\n" + " " * len(self.marker))
            self.blocks.append((text, self.marker is not None))
            self.marker = None

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.current.append("\n")
        elif tag in self.BLOCKS:
            self._flush()
            self.pre = self.pre or tag == "pre"
            if tag in ("ul", "ol"):
                self.lists.append([tag, 0])
            elif tag == "li" and self.lists:
                self.lists[-1][1] += 1
                kind, n = self.lists[-1]
                self.marker = "  " * (len(self.lists) - 1) + (f"{n}. " if kind == "ol" else "- ")

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self._flush()
            if tag == "pre":
                self.pre = False
            elif tag in ("ul", "ol") and self.lists:
                self.lists.pop()

    def handle_data(self, data):
        self.current.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Plain text of a post body: tags removed, entities decoded, paragraphs separated by a blank line, list items
    one per line and code blocks kept as they are."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    parser._flush()
    text = ""
    for i, (block, item) in enumerate(parser.blocks):
        text += ("" if i == 0 else "\n" if item and parser.blocks[i - 1][1] else "\n\n") + block
    return text


def parse_tags(tags: str) -> list[str]:
    """`<a><b>` (older dumps) or `|a|b|` (newer ones) as a list."""
    return re.findall(r"[^<>|]+", tags)


def thread(question: dict, answers: list[dict]) -> dict:
    """The question's document: title, question and answers (highest score first, then oldest first)."""
    q = question["meta"]
    answers = sorted(answers, key=lambda a: (-int(a["meta"]["score"]), a["meta"]["post_id"]))
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
    questions = [p for p in posts if p["meta"]["post_type"] == QUESTION]
    answers = [p for p in posts if p["meta"]["post_type"] == ANSWER]
    if not questions:
        return copies + [reject(a, "orphan_answer") for a in answers]
    return copies + [thread(questions[0], answers)]


def with_site_rank(thread: dict, ranks: dict[str, tuple[int, int]]) -> dict:
    """The thread with its site's rank by number of posts (1: the largest) and that number in meta."""
    rank, posts = ranks[thread["meta"]["site"]]
    return with_meta(thread, site_rank=rank, site_posts=posts)


def site_ranks(post_counts: list[tuple[str, int]]) -> dict[str, tuple[int, int]]:
    """Site -> (rank, posts), the most posts first (ties by site name, so every run ranks alike)."""
    ordered = sorted(post_counts, key=lambda sc: (-sc[1], sc[0]))
    return {site: (rank, posts) for rank, (site, posts) in enumerate(ordered, 1)}


def curate(doc: dict, params: StackExchangeParams, lang_id) -> dict:
    """The thread with its language in meta, or a reject: `small_site`, `low_score`, `too_short` or `lang`."""
    meta = doc["meta"]
    if params.top_sites is not None and meta["site_rank"] > params.top_sites:
        return reject(doc, "small_site")
    if params.min_score is not None and meta["score"] < params.min_score:
        return reject(doc, "low_score")
    if len(doc["text"]) < params.min_chars:
        return reject(doc, "too_short")
    language, score = lang_id(doc["text"])
    doc = with_meta(doc, language=language, language_score=score)
    if params.languages is not None and language not in params.languages and score >= params.lang_threshold:
        return reject(doc, "lang")
    return doc
