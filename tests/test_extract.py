"""Main text of web pages (curation/extract.py): which lines of a page are kept and which are dropped."""
from curation.extract import html_to_text

STORY = ("The river rises in the hills above the town and runs for forty miles before it reaches the sea. "
         "Boats have carried grain, timber and wool along it since the twelfth century, and the old quays "
         "still stand where the merchants once unloaded them. ")


def test_paragraphs_and_line_breaks_kept_navigation_footer_and_leading_heading_dropped():
    page = ("<html><head><title>T</title><script>var x = 1;</script></head><body>"
            "<nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
            "<main><h1>River towns</h1><p>The river rises in the hills.</p><p>Boats carry goods<br>between towns.</p>"
            "</main><footer>Copyright 2024</footer></body></html>")
    assert html_to_text(page) == "The river rises in the hills.\n\nBoats carry goods\nbetween towns."


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
