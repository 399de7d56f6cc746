"""The CommonCrawl job on damaged input and CCNet's line dedup, run through the real Beam pipeline."""
import gzip
import io

import numpy as np
import pyarrow.parquet as pq
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from curation.linededup import line_hash, normalize_line, remove_lines
from curation.schema import from_row
from orchestration.curate import run_curation
from readers.limits import Limits
from readers.warc import MAX_RECORD_BYTES, read

NO_MODELS = "commoncrawl:\n  perplexity_models: null\n  classifier_model: null\n  min_chars: 100\n"
PROSE = ("The river rises in the hills above the old town and flows west for many miles. Boats carried wool and "
         "grain down to the harbour, where merchants sold them to traders from across the sea. ")
GERMAN = ("Der Fluss entspringt in den Hügeln über der alten Stadt und fließt viele Kilometer nach Westen. Boote "
          "brachten Wolle und Getreide zum Hafen, wo Händler sie an Kaufleute von jenseits des Meeres verkauften. ")


def page(url: str, body: bytes, content_type="text/html; charset=utf-8", gzip_=True) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzip_)
    http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))
    return out.getvalue()


def html(*paragraphs: str) -> bytes:
    return ("<html><body><main>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</main></body></html>").encode()


def reasons(docs):
    return [d.get("reason") for d in docs]


def test_normalisation_and_removal_follow_ccnet():
    assert normalize_line("  Café, 2023 — All Rights Reserved!  ") == "cafe 0000 all rights reserved"
    assert line_hash("Home | About") == line_hash("HOME  about") != line_hash("Home | Abut")
    shared = np.array([line_hash("Sign up for our newsletter")], np.int64)
    text = "Sign up for our newsletter!\nFirst line.\n\nFirst line.\nSecond line.\n\n\nSIGN UP for our newsletter"
    assert remove_lines(text, shared) == ("First line.\n\nSecond line.", 3)
    assert remove_lines("a\nb", np.zeros(0, np.int64)) == ("a\nb", 0)


def test_every_kind_of_damage_is_counted_and_the_intact_records_are_read(tmp_path):
    good = [page(f"http://ok.example/{i}", html(PROSE * 3)) for i in range(3)]
    truncated = good[0] + page("http://cut.example/", html(PROSE * 3))[:-40]
    corrupt = bytearray(page("http://bad.example/", html(PROSE * 20)))
    corrupt[60:90] = b"\x00" * 30
    cases = {
        "truncated.warc.gz": truncated,
        "corrupt_middle.warc.gz": good[1] + bytes(corrupt) + good[2],
        "not_gzip.warc.gz": b"<html>this is not a WARC file</html>",
        "empty.warc.gz": b"",
        "plain.warc": page("http://plain.example/", html(PROSE * 3), gzip_=False),
        "encodings.warc.gz": (page("http://latin.example/", html(PROSE * 3 + "Café").decode().encode("cp1252"))
                              + page("http://binary.example/", bytes(range(256)) * 40)
                              + page("http://junk.example/", b"\x81\x8d\x8f\x90\x9d" * 400, "text/html; charset=cp1252")),
        "huge.warc.gz": page("http://huge.example/", b"<p>" + b"big page " * (50_000_000 // 9) + b"</p>")
                        + good[0],
    }
    got = {}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with open(tmp_path / name, "rb") as f:
            got[name] = list(read(str(tmp_path / name), f, Limits()))
    assert reasons(got["truncated.warc.gz"]) == [None, "truncated"]
    assert reasons(got["corrupt_middle.warc.gz"]) == [None, "corrupt_gzip", None]
    lost = got["corrupt_middle.warc.gz"][1]  # its header was in the corrupt bytes: the file and offset say where
    assert lost["url"] == str(tmp_path / "corrupt_middle.warc.gz") and lost["meta"]["offset"] > 0
    assert got["corrupt_middle.warc.gz"][2]["url"] == "http://ok.example/2"
    assert reasons(got["not_gzip.warc.gz"]) == ["not_warc"] and reasons(got["empty.warc.gz"]) == ["empty_file"]
    assert reasons(got["plain.warc"]) == [None]
    latin, binary, junk = got["encodings.warc.gz"]
    assert "reason" not in latin and latin["text"].endswith("Café") and latin["meta"]["encoding"] == "cp1252"
    assert (binary["reason"], junk["reason"]) == ("binary", "bad_encoding")
    huge, after = got["huge.warc.gz"]
    assert huge["reason"] == "too_large" and huge["url"] == "http://huge.example/" and "reason" not in after
    assert len(cases["huge.warc.gz"]) > 0 and 50_000_000 > MAX_RECORD_BYTES

    (tmp_path / "cc.yaml").write_text(NO_MODELS)
    stats = run_curation("commoncrawl", str(tmp_path / "*.warc*"), tmp_path / "run", tmp_path / "cc.yaml")
    assert stats["files"] == 7 and stats["read"] == stats["kept"] + sum(stats["dropped"].values())
    for reason in ("truncated", "corrupt_gzip", "not_warc", "empty_file", "binary", "bad_encoding", "too_large"):
        assert stats["dropped"][reason] == 1, reason


def test_boilerplate_shared_by_pages_is_removed_from_all_and_german_is_dropped(tmp_path):
    nav, footer = "Home | News | Sport | Contact us", "Copyright 2023 Example Media. All rights reserved."
    pages = [page(f"http://news.example/{i}", html(nav, f"Story {i}: " + PROSE * (i + 1), footer, f"Story {i}: "
                                                   + PROSE * (i + 1))) for i in range(3)]
    pages.append(page("http://de.example/", html(GERMAN * 3)))
    pages.append(page("http://one.example/", html("A line only this page has. " + PROSE * 2, "Only here.")))
    (tmp_path / "a.warc.gz").write_bytes(b"".join(pages[:2]))
    (tmp_path / "b.warc.gz").write_bytes(b"".join(pages[2:]))
    (tmp_path / "cc.yaml").write_text(NO_MODELS)
    stats = run_curation("commoncrawl", str(tmp_path / "*.warc.gz"), tmp_path / "run", tmp_path / "cc.yaml")
    assert stats["dropped"] == {"lang": 1}
    kept = {r["url"]: r for r in map(from_row, pq.read_table(tmp_path / "run" / "curated" / "commoncrawl").to_pylist())}
    assert sorted(kept) == ["http://news.example/0", "http://news.example/1", "http://news.example/2",
                            "http://one.example/"]
    for i in range(3):
        doc = kept[f"http://news.example/{i}"]
        assert doc["text"] == f"Story {i}: " + (PROSE * (i + 1)).strip()  # nav, footer and the repeat are gone
        # The copyright footer is left out by extraction; line dedup removes the menu and the repeat.
        assert doc["meta"]["lines_removed"] == 2 and doc["meta"]["language"] == "en"
    assert kept["http://one.example/"]["text"].endswith("Only here.")  # unique lines stay
    assert "lines_removed" not in kept["http://one.example/"]["meta"]
    german = [from_row(r) for r in pq.read_table(tmp_path / "run" / "rejects" / "commoncrawl" / "lang").to_pylist()]
    assert [r["url"] for r in german] == ["http://de.example/"] and german[0]["meta"]["language"] == "de"

    (tmp_path / "groups.yaml").write_text(NO_MODELS + "  line_dedup_files: 1\n")  # one file per group
    run_curation("commoncrawl", str(tmp_path / "*.warc.gz"), tmp_path / "run1", tmp_path / "groups.yaml")
    kept = {r["url"]: r for r in pq.read_table(tmp_path / "run1" / "curated" / "commoncrawl").to_pylist()}
    assert nav not in kept["http://news.example/0"]["text"]  # shared within a.warc.gz
    assert nav in kept["http://news.example/2"]["text"]  # the only page with it in b.warc.gz


def test_a_common_crawl_list_file_is_read_as_the_files_it_lists(tmp_path):
    crawl = tmp_path / "mirror" / "crawl-data" / "CC-MAIN-2024-22"
    (crawl / "segments").mkdir(parents=True)
    for i in range(2):
        (crawl / "segments" / f"{i}.warc.gz").write_bytes(page(f"http://list.example/{i}", html(PROSE * 3)))
    other = tmp_path / "elsewhere.warc.gz"
    other.write_bytes(page("http://list.example/abs", html(PROSE * 3)))
    listed = "crawl-data/CC-MAIN-2024-22/segments/0.warc.gz\n\ncrawl-data/CC-MAIN-2024-22/segments/1.warc.gz\n"
    (crawl / "warc.paths.gz").write_bytes(gzip.compress((listed + f"{other}\n").encode()))
    (tmp_path / "warc.paths").write_text(listed)  # outside a crawl-data tree: relative to s3://commoncrawl/

    from pipelines.commoncrawl import units
    assert units(str(tmp_path / "warc.paths"), [str(tmp_path / "warc.paths")]) == [
        "s3://commoncrawl/crawl-data/CC-MAIN-2024-22/segments/0.warc.gz",
        "s3://commoncrawl/crawl-data/CC-MAIN-2024-22/segments/1.warc.gz"]
    assert units(str(crawl), [str(crawl / "warc.paths.gz")]) == []  # a directory's list files are not inputs
    (tmp_path / "cc.yaml").write_text(NO_MODELS)
    stats = run_curation("commoncrawl", str(crawl / "warc.paths.gz"), tmp_path / "run", tmp_path / "cc.yaml")
    assert (stats["files"], stats["read"], stats["kept"]) == (3, 3, 0)  # the same page thrice: its lines go
    assert stats["dropped"] == {"too_short": 3}
