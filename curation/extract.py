"""Main text of a web page (issue 16): what a reader of the page came for, without navigation, footers,
share buttons or related links."""
from __future__ import annotations

from resiliparse.extract.html2text import extract_plain_text


def html_to_text(html: str) -> str:
    """The main content (navigation, footers and scripts dropped) with paragraphs and line breaks kept.
    Bullets and image alt texts are left out: they are markup, not the page's words."""
    text = extract_plain_text(html, preserve_formatting=True, main_content=True, list_bullets=False,
                              alt_texts=False)
    return text.strip()
