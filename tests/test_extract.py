"""Main text of web pages (curation/extract.py)."""
from curation.extract import html_to_text


def test_html_to_text_keeps_main_content_paragraphs_and_line_breaks():
    page = ("<html><head><title>T</title><script>var x = 1;</script></head><body>"
            "<nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
            "<main><h1>River towns</h1><p>The river rises in the hills.</p><p>Boats carry goods<br>between towns.</p>"
            "</main><footer>Copyright 2024</footer></body></html>")
    assert html_to_text(page) == "River towns\n\nThe river rises in the hills.\n\nBoats carry goods\nbetween towns."
