"""7z members stream out whole, errors surface, and the site comes from the archive's name."""
import lzma

import py7zr
import pytest

from conftest import SAMPLES
from readers.sevenzip import open_member, site_of_archive


@pytest.fixture(scope="module")
def coffee_7z(tmp_path_factory):
    posts = SAMPLES / "stackexchange" / "coffee.stackexchange.com" / "Posts.xml"
    path = tmp_path_factory.mktemp("7z") / "coffee.stackexchange.com.7z"
    with py7zr.SevenZipFile(path, "w") as z:
        z.write(posts, "Posts.xml")
        z.writestr(b"<tags/>", "Tags.xml")
    return path, posts.read_bytes()


def test_member_bytes_are_the_original_file(coffee_7z):
    path, original = coffee_7z
    with open_member(path, "Posts.xml") as f:
        chunks = []
        while chunk := f.read(4096):
            chunks.append(chunk)
    assert b"".join(chunks) == original and len(original) > 100_000


def test_a_reader_that_stops_early_does_not_hang(coffee_7z):
    path, original = coffee_7z
    with open(path, "rb") as raw, open_member(raw, "Posts.xml") as f:
        assert f.read(100) == original[:100]


def test_missing_member_and_damaged_archive(coffee_7z, tmp_path):
    path, _ = coffee_7z
    with pytest.raises(KeyError, match="no Posts.xml.*Tags.xml"):
        with py7zr.SevenZipFile(tmp_path / "x.7z", "w") as z:
            z.writestr(b"<tags/>", "Tags.xml")
        with open_member(tmp_path / "x.7z", "Posts.xml"):
            pass
    damaged = tmp_path / "damaged.7z"
    data = bytearray(path.read_bytes())
    data[len(data) // 3: len(data) // 3 + 64] = b"\0" * 64
    damaged.write_bytes(bytes(data))
    with pytest.raises(lzma.LZMAError):
        with open_member(damaged, "Posts.xml") as f:
            while f.read(1 << 16):
                pass


def test_site_names():
    assert site_of_archive("dumps/math.stackexchange.com.7z") == ("math.stackexchange.com", "")
    assert site_of_archive("stackoverflow.com-Posts.7z") == ("stackoverflow.com", "Posts.xml")
    assert site_of_archive("stackoverflow.com-Comments.7z") == ("stackoverflow.com", "Comments.xml")
    assert site_of_archive("askubuntu.com.7z") == ("askubuntu.com", "")
    assert site_of_archive("notes.txt") is None
