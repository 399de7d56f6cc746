"""Main text of web pages (curation/extract.py): which lines of a page are kept and which are dropped."""
from curation.extract import MIN_ARTICLE_CHARS, html_to_text

STORY = ("The river rises in the hills above the town and runs for forty miles before it reaches the sea. "
         "Boats have carried grain, timber and wool along it since the twelfth century, and the old quays "
         "still stand where the merchants once unloaded them. ")


def wordpress_post(body_paragraphs: list[str]) -> str:
    """The shape of a WordPress post page: menu, entry-content, share buttons, related posts, comment form,
    sidebar and footer around the article."""
    paragraphs = "".join(f"<p>{p}</p>" for p in body_paragraphs)
    return ("<html><head><title>River towns</title><script>var x = 1;</script></head><body>"
            "<header><ul id='menu'><li><a href='/'>Home</a></li><li><a href='/about'>About us</a></li></ul></header>"
            "<div id='primary'><article class='post type-post'>"
            "<h1 class='entry-title'>River towns</h1>"
            f"<div class='entry-content'>{paragraphs}"
            "<div class='sharedaddy'><h3>Share this:</h3><a href='#'>Twitter</a> <a href='#'>Facebook</a></div>"
            "</div>"
            "<div class='jp-relatedposts'><h3>Related</h3><p><a href='/a'>Bridges of the north</a></p>"
            "<p><a href='/b'>Mills and weirs</a></p></div>"
            "</article>"
            "<div id='respond'><h3>Leave a Reply</h3><p>Your email address will not be published. "
            "Required fields are marked *</p><form><textarea></textarea></form></div></div>"
            "<aside id='secondary'><h2>Recent Posts</h2><ul><li><a href='/c'>Canal days</a></li></ul></aside>"
            "<footer><p>Copyright 2024 River Blog. Proudly powered by WordPress</p></footer></body></html>")


def test_paragraphs_and_line_breaks_kept_navigation_footer_and_leading_heading_dropped():
    page = ("<html><head><title>T</title><script>var x = 1;</script></head><body>"
            "<nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
            "<main><h1>River towns</h1><p>The river rises in the hills.</p><p>Boats carry goods<br>between towns.</p>"
            "</main><footer>Copyright 2024</footer></body></html>")
    assert html_to_text(page) == "The river rises in the hills.\n\nBoats carry goods\nbetween towns."


def test_article_container_keeps_the_story_and_drops_share_related_comments_and_sidebar():
    paragraphs = [STORY, "Floods came every spring.", STORY.replace("river", "canal") * 2]
    assert len("".join(paragraphs)) >= MIN_ARTICLE_CHARS
    text = html_to_text(wordpress_post(paragraphs))
    assert text.split("\n\n") == [p.strip() for p in paragraphs]


def test_a_container_with_little_text_is_a_teaser_so_the_whole_page_is_read():
    page = ("<html><body><div class='entry-content'><p>Short teaser of another story.</p></div>"
            f"<div><p>{STORY}</p><p>{STORY}</p></div></body></html>")
    text = html_to_text(page)
    assert "Short teaser of another story." in text and text.count("forty miles") == 2


def test_copyright_lines_dropped_prose_mentioning_one_kept_and_inner_short_lines_kept():
    prose_with_sign = ("The photographs in this article are reproduced with permission; each credit line reads "
                       "© the photographer and the year, as the archive asks of everyone who borrows its prints "
                       "for a book or an exhibition.")
    page = (f"<html><body><main><p>{STORY}</p><h2>The old quays</h2><p>{prose_with_sign}</p>"
            "<p>© 2024 River Press. All rights reserved.</p><p>Tags: rivers</p></main></body></html>")
    assert html_to_text(page).split("\n\n") == [STORY.strip(), "The old quays", prose_with_sign]


def test_comment_section_between_paragraphs_dropped():
    page = (f"<html><body><main><p>{STORY}</p><div id='comments' class='comments-area'><h2>3 thoughts on this</h2>"
            "<ol class='comment-list'><li class='comment'><p>Great post, thanks for sharing it with us all here.</p>"
            "</li></ol><div id='respond' class='comment-respond'><h3>Leave a Reply</h3><p>Your email address will "
            f"not be published. Required fields are marked *</p></div></div><p>{STORY.upper()}</p></main></body></html>")
    assert html_to_text(page).split("\n\n") == [STORY.strip(), STORY.upper().strip()]
