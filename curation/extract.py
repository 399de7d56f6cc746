"""Main text of a web page (issue 16): what a reader of the page came for, without navigation, footers,
share buttons, comments or related links. resiliparse's main-content extraction, narrowed first to the
page's article container when the page marks one, then cut at its edges, where boilerplate gathers; each
step measured with bench/extract_quality.py (docs/BENCHMARKS.md)."""
from __future__ import annotations

import re

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree

# trafilatura's first-choice article containers (its BODY_XPATH), by class (ids as well made the lookup slower and
# found no other container on the tuning pages; docs/BENCHMARKS.md).
_BODY_NAMES = ("post-text", "post_text", "post-body", "post-entry", "postentry", "post-content", "post_content",
               "postcontent", "postContent", "post_inner_wrapper", "article-text", "articletext", "articleText",
               "entry-content", "article-content", "article__content", "article-body", "article__body",
               "articlebody", "articleBody", "ArticleContent", "page-content", "text-content", "body-text",
               "article__container", "art-content")
_ARTICLE_BODY = ":is(article,div,main,section):is({})".format(",".join(
    [f'[class*="{name}"]' for name in _BODY_NAMES] + ['[itemprop="articleBody"]']))
MIN_ARTICLE_CHARS = 600  # a container with less text is a teaser or a widget, not the article
SHORT_WORDS = 8  # an edge line with fewer words and no sentence end is a heading, link or label
_SENTENCE_END = re.compile(r"[.!?…\"”»)。！？]$")
_RIGHTS = re.compile(r"©|\ball rights reserved\b", re.IGNORECASE)
RIGHTS_MAX_WORDS = 30  # a copyright notice is a line of its own; a longer line is prose that mentions one


def _article_container(tree: HTMLTree):
    """The page's article body: the first element whose class (or itemprop) says so, else the first <article>. One
    pass over the page finds the first of either; an <article> found first is searched for a named body."""
    node = tree.body.query_selector(_ARTICLE_BODY + ",article")
    if node is None or node.tag != "article" or node.matches(_ARTICLE_BODY):
        return node
    return node.query_selector(_ARTICLE_BODY) or node


def _is_prose(line: str) -> bool:
    line = line.strip()
    return bool(line) and (len(line.split()) >= SHORT_WORDS or bool(_SENTENCE_END.search(line)))


def _trim_edges(text: str) -> str:
    """Without copyright notices, and without the headings, bylines, 'read more' and related-link lines before
    the first and after the last line that reads as prose."""
    lines = text.split("\n")
    if "©" in text or "eserved" in text or "ESERVED" in text:  # a plain find first: the regex is far slower
        lines = [line for line in lines if not (_RIGHTS.search(line) and len(line.split()) < RIGHTS_MAX_WORDS)]
    first = next((i for i, line in enumerate(lines) if _is_prose(line)), None)
    if first is None:
        return "\n".join(lines)
    last = next(i for i in range(len(lines) - 1, first - 1, -1) if _is_prose(lines[i]))
    return "\n".join(lines[first:last + 1])


def _main_content(tree: HTMLTree) -> str:
    return extract_plain_text(tree, preserve_formatting=True, main_content=True, list_bullets=False,
                              alt_texts=False, comments=False, post_meta=False)


def html_to_text(html: str) -> str:
    """The main content with paragraphs and line breaks kept: the article container's when the page has one
    with text enough, else the whole page's; comment sections and post metadata (dates, authors, tags) left
    out. Bullets and image alt texts are left out too: they are markup, not the page's words."""
    tree = HTMLTree.parse(html)
    article = _article_container(tree) if tree.body is not None else None
    text = _main_content(HTMLTree.parse(article.html)) if article is not None else ""
    if len(text) < MIN_ARTICLE_CHARS:
        text = _main_content(tree)
    return _trim_edges(text).strip()
