import pyarrow.parquet as pq

from curation.schema import doc_id, from_row, make_doc
from curation.sources.books import BooksParams, curate, decode, strip_gutenberg
from curation.text import looks_binary
from orchestration.curate import run_curation

NEW_STYLE = """The Project Gutenberg eBook of A Tale

This ebook is for the use of anyone anywhere in the United States.

Title: A Tale
        of Two Lines

Author: Jane Doe

Language: English

*** START OF THE PROJECT GUTENBERG EBOOK A TALE ***



A TALE

It was the first line.
It was the last line.



            *** END OF THE PROJECT GUTENBERG EBOOK A TALE ***

Updated editions will replace the previous one.
"""

OLD_STYLE = """Project Gutenberg's Un Conte, by Jean Dupont

This eBook is for the use of anyone anywhere at no cost and with
re-use it under the terms of the Project Gutenberg License at www.gutenberg.orgTitle: Un Conte

Author: Jean Dupont

Language: French

*** START OF THIS PROJECT GUTENBERG EBOOK UN CONTE ***

Produced by Some Volunteers and the Online Distributed
Proofreading Team


  Il était une fois.
Fin.



End of Project Gutenberg's Un Conte, by Jean Dupont

*** END OF THIS PROJECT GUTENBERG EBOOK UN CONTE ***
"""


def test_decode_strips_bom_normalises_line_ends_and_falls_back_to_latin1():
    assert decode("\ufeffOne\r\nTwo\rThree\n".encode()) == ("One\nTwo\nThree\n", "utf-8")
    assert decode("Café\r\n".encode("latin-1")) == ("Café\n", "latin-1")


def test_strip_new_style_gutenberg():
    text, fields = strip_gutenberg(NEW_STYLE)
    assert text == "A TALE\n\nIt was the first line.\nIt was the last line."
    assert fields == {"title": "A Tale of Two Lines", "author": "Jane Doe", "language": "English"}


def test_strip_old_style_gutenberg_with_credits_and_end_of_line():
    text, fields = strip_gutenberg(OLD_STYLE)
    assert text == "  Il était une fois.\nFin."
    assert fields == {"title": "Un Conte", "author": "Jean Dupont", "language": "French"}


def test_books3_style_text_is_kept_whole():
    assert strip_gutenberg("\n\nChapter 1\n\nA story with no header.\n") == (
        "Chapter 1\n\nA story with no header.", {})


def test_curate_drops_short_books():
    assert curate(make_doc("books", "a", "x" * 9), BooksParams(min_chars=10))["reason"] == "too_short"
    assert "reason" not in curate(make_doc("books", "b", "x" * 10), BooksParams(min_chars=10))


def _rows(path):
    return [from_row(r) for r in pq.read_table(path).to_pylist()]


def test_curates_real_gutenberg_books(tmp_path, samples_dir):
    books = tmp_path / "in"
    books.mkdir()
    for path in (samples_dir / "gutenberg").glob("*.txt"):
        (books / path.name).symlink_to(path)
    (books / "books3_novel.txt").write_bytes(("Chapter One\r\n\r\nThe café was quiet. " * 60).encode("latin-1"))
    (books / "pamphlet.txt").write_text("*** START OF THE PROJECT GUTENBERG EBOOK X ***\nToo short.\n")

    stats = run_curation("books", str(books), tmp_path / "run")
    assert (stats["files"], stats["read"], stats["kept"]) == (5, 5, 4)
    assert stats["dropped"] == {"too_short": 1}
    short = _rows(tmp_path / "run/rejects/books/too_short/part-00000-of-00001.parquet")
    assert [r["id"] for r in short] == [doc_id("books", "pamphlet.txt")] and short[0]["text"] == "Too short."

    kept = {r["id"]: r for r in _rows(tmp_path / "run/curated/books/part-00000-of-00001.parquet")}
    holmes = kept[doc_id("books", "pg1661_adventures_of_sherlock_holmes.txt")]
    lines = holmes["text"].split("\n")
    assert lines[0] == "The Adventures of Sherlock Holmes"
    assert lines[-1] == "Walsall, where I believe that she has met with considerable success."
    assert holmes["meta"] == {"title": "The Adventures of Sherlock Holmes", "author": "Arthur Conan Doyle",
                                "language": "English", "encoding": "utf-8"}
    wallpaper = kept[doc_id("books", "1952-0_the_yellow_wallpaper.txt")]
    lines = wallpaper["text"].split("\n")
    assert lines[0] == "THE YELLOW WALLPAPER"
    assert lines[-1] == "by the wall, so that I had to creep over him every time!"
    assert wallpaper["meta"]["title"] == "The Yellow Wallpaper"
    proust = kept[doc_id("books", "pg15288_sodome_et_gomorrhe_v1_fr.txt")]
    assert proust["text"].startswith("_A LA RECHERCHE DU TEMPS PERDU_\n\n  DU CÔTÉ DE CHEZ SWANN")
    assert proust["text"].endswith("\n\nFIN DU VOL. I")
    assert proust["meta"]["language"] == "French"
    for book in (holmes, wallpaper, proust):
        assert not any(s in book["text"] for s in ("Gutenberg", "\r", "\ufeff", "Produced by"))
    books3 = kept[doc_id("books", "books3_novel.txt")]
    assert books3["text"].startswith("Chapter One\n\nThe café was quiet.")
    assert books3["meta"] == {"encoding": "latin-1"}


def test_binary_is_told_by_a_nul_or_by_control_bytes_beyond_a_share():
    text = b"a line\tof text\r\n\f" * 100  # 1,700 bytes: tab, line ends and form feed are text
    assert not looks_binary(text, max_control_share=0.01)
    assert looks_binary(text + b"\0", max_control_share=0.01)
    assert looks_binary(text + b"\x7f" * 30, max_control_share=0.01)  # DEL is a control byte
    assert not looks_binary(text + b"\x7f" * 30, max_control_share=0.1)
