import io

import pyarrow.parquet as pq
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.warcwriter import WARCWriter

from curation.schema import doc_id, from_row, make_doc
from curation.sources.commoncrawl import curate, decode_html, parse_content_type
from curation.pii import EMAIL, IP, scrub
from orchestration.curate import run_curation
from pipelines.commoncrawl import CommonCrawlParams
from readers.limits import Limits
from readers.warc import _headers, read

NO_MODELS = "commoncrawl:\n  perplexity_models: null\n  classifier_model: null\n"

PAGE_1252 = "<html><body><p>Café “quoted” – costs €5.</p></body></html>"


def test_content_type_gives_media_type_and_charset():
    assert parse_content_type('Text/HTML; charset="Windows-1252"') == ("text/html", "Windows-1252")
    assert parse_content_type("text/html") == ("text/html", None)
    assert parse_content_type(None) == ("", None)


def test_windows_1252_page_decoded_from_http_charset_or_meta_tag():
    body = PAGE_1252.encode("cp1252")
    assert decode_html(body, "windows-1252") == (PAGE_1252, "cp1252")
    assert decode_html(body, "ISO-8859-1") == (PAGE_1252, "cp1252")  # WHATWG: latin-1 labels mean 1252
    with_meta = PAGE_1252.replace("<html>", '<html><head><meta charset="windows-1252"></head>')
    assert decode_html(with_meta.encode("cp1252"), None) == (with_meta, "cp1252")


def test_mislabelled_or_broken_bytes_never_fail():
    assert decode_html("café".encode("cp1252"), "utf-8") == ("café", "cp1252")
    assert decode_html(b"\xef\xbb\xbfok", "utf-8") == ("ok", "utf-8")
    assert decode_html(b"ok \x81\x8d", "utf-8") == ("ok \ufffd\ufffd", "utf-8")
    assert decode_html(b"ok", "no-such-charset") == ("ok", "utf-8")


def test_curate_drops_empty_short_foreign_tail_and_unlike_reference_pages_with_annotations():
    params = CommonCrawlParams(languages=["en"], lang_threshold=0.5, min_chars=20, perplexity_models=None,
                               classifier_model=None, keep_buckets=["head", "middle"], classifier_threshold=0.25)
    doc = lambda text: make_doc("commoncrawl", text, text)  # noqa: E731
    en = lambda t: ("en", 0.9)  # noqa: E731
    assert curate(doc(" \n"), params, en)["reason"] == "empty"
    assert curate(doc("Too short."), params, en)["reason"] == "too_short"
    emptied = make_doc("commoncrawl", "x", "", lines_removed=4)  # all of it was boilerplate
    assert curate(emptied, params, en)["reason"] == "too_short"
    french = curate(doc("La rivière traverse la ville."), params, lambda t: ("fr", 0.9))
    assert french["reason"] == "lang" and french["meta"] == {"language": "fr", "language_score": 0.9}
    assert curate(doc("An English page, long enough."), params, lambda t: ("en", 0.4))["reason"] == "lang"
    ppl = {"en": (lambda t: 30.0 if "river" in t else 900.0, (100.0, 500.0))}
    tail = curate(doc("Keyword keyword keyword soup."), params, en, ppl)
    assert tail["reason"] == "perplexity" and tail["meta"]["bucket"] == "tail" and tail["meta"]["perplexity"] == 900.0
    unlike = curate(doc("The river rises in the hills."), params, en, ppl, lambda t: 0.1)
    assert unlike["reason"] == "classifier" and unlike["meta"]["wiki_prob"] == 0.1
    kept = curate(doc("The river rises in the hills."), params, en, ppl, lambda t: 0.7)
    assert "reason" not in kept
    assert kept["meta"] == {"language": "en", "language_score": 0.9, "perplexity": 30.0, "bucket": "head",
                              "wiki_prob": 0.7}


def test_lang_id_reads_a_bounded_prefix():
    params = CommonCrawlParams(min_chars=1, lang_prefix_chars=10, perplexity_models=None, classifier_model=None)
    seen = []
    curate(make_doc("commoncrawl", "x", "An English page. " * 100), params, lambda t: seen.append(t) or ("en", 1))
    assert seen == ["An English"]


def _warc(records, gzip=True) -> bytes:
    """A WARC file of (type, url, http status or None, content type, payload) records."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzip)
    for rec_type, url, status, content_type, payload in records:
        if rec_type == "revisit":
            writer.write_record(writer.create_revisit_record(url, payload.decode(), url, "2024-05-01T00:00:00Z"))
            continue
        http = None
        if status:
            http = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
        kwargs = {} if http else {"warc_content_type": content_type}
        writer.write_record(writer.create_warc_record(url, rec_type, payload=io.BytesIO(payload),
                                                      http_headers=http, **kwargs))
    return out.getvalue()


def test_headers_parsed_as_warcio_parses_them():
    blocks = [b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-A:  v\r\nx-a: second\r\n\r\n<p>body",
              b"HTTP/1.1 404 Not Found\nContent-Type:text/html\n  ; charset=utf-8\nNoColon\n\nbody\r\n\r\nmore",
              b"HTTP/1.0 301\r\nLocation: caf\xe9\r\n   \r\nX-After: blank\r\n\r\n",
              b"HTTP/1.1 200 OK\r\nServer: \xe2\x82\xac\r\n\r\n", b"HTTP/1.1 200 OK\r\nCut: off"]
    for block in blocks:
        stream = io.BytesIO(block)
        theirs = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"]).parse(stream)
        status, fields, end = _headers(block)
        assert status.split(" ", 1)[1].strip() == theirs.statusline and end == stream.tell()
        assert fields == {name.lower(): theirs.get_header(name) for name, _ in theirs.headers}


def test_reader_reads_every_page_record_and_gives_reasons():
    data = _warc([
        ("warcinfo", None, None, "application/warc-fields", b"software: test\r\n"),
        ("request", "http://a.example/", None, "application/http; msgtype=request", b"GET / HTTP/1.1\r\n\r\n"),
        ("response", "http://a.example/", "200 OK", "text/html; charset=windows-1252", PAGE_1252.encode("cp1252")),
        ("response", "http://a.example/gone", "404 Not Found", "text/html", b"<p>Not here</p>"),
        ("response", "http://a.example/logo.png", "200 OK", "image/png", b"\x89PNG\r\n"),
        ("metadata", "http://a.example/", None, "application/warc-fields", b"fetchTimeMs: 5\r\n"),
        ("revisit", "http://a.example/again", None, None, b"sha1:KZDSZYZ7BD64SAYFKGMBKGJCGTOYU3GS"),
    ], gzip=False)
    docs = list(read("plain.warc", io.BytesIO(data), Limits()))
    assert [d.get("reason") for d in docs] == [None, "http_status", "not_html", "revisit"]
    page = docs[0]
    meta = page["meta"]
    assert page["text"] == "Café “quoted” – costs €5." and page["url"] == "http://a.example/"
    assert meta["encoding"] == "cp1252" and meta["content_type"] == "text/html; charset=windows-1252"
    assert meta["record_id"].startswith("<urn:uuid:") and meta["digest"].startswith("sha1:") and meta["warc_date"]
    assert page["id"] == doc_id("commoncrawl", meta["record_id"])
    assert docs[1]["meta"]["http_status"] == "404" and docs[1]["text"] == ""


def _rows(path):
    return [from_row(r) for r in pq.read_table(path).to_pylist()]


def test_curates_real_warc_and_wet_samples(tmp_path, samples_dir):
    (tmp_path / "cc.yaml").write_text(NO_MODELS + "  line_dedup_files: 0\n")
    stats = run_curation("commoncrawl", str(samples_dir / "commoncrawl_w*" / "*.gz"), tmp_path,
                         tmp_path / "cc.yaml")
    # 16 resiliparse + 1 whirlwind + 15 dolma responses and 1 WET conversion; no request/metadata/resource.
    assert (stats["files"], stats["read"]) == (4, 33)
    assert stats["read"] == stats["kept"] + sum(stats["dropped"].values())
    # Two of the foreign pages are link and label pages (a cycling tipping game's statistics, a Chinese company's
    # page): extraction leaves them a line or two, too short before language ID sees them.
    assert stats["dropped"] == {"lang": 10, "too_short": 7}
    kept = _rows(tmp_path / "curated/commoncrawl/part-00000-of-00001.parquet")
    by_url = {r["url"]: r for r in kept}
    assert sum(url.startswith("https://creativecommons.org/") for url in by_url) == 4
    assert all(r["meta"]["language"] == "en" and r["meta"]["language_score"] >= 0.5 for r in kept)
    mission = by_url["https://creativecommons.org/mission/"]
    assert mission["text"].startswith("Creative Commons (CC) is an international nonprofit")  # heading "Who We Are" left out
    assert mission["meta"]["record_id"] == "<urn:uuid:3999732B-E27A-4CC9-9967-1E9DDB83E7FB>"
    assert mission["id"] == doc_id("commoncrawl", "<urn:uuid:3999732B-E27A-4CC9-9967-1E9DDB83E7FB>")

    lang = _rows(tmp_path / "rejects/commoncrawl/lang/part-00000-of-00001.parquet")
    by_url = {r["url"]: r["meta"] for r in lang}
    assert by_url["http://01spb.ru/company/"]["language"] == "ru"
    assert by_url["http://01spb.ru/company/"]["encoding"] == "cp1251"  # from the HTTP header
    too_short = {r["url"]: r for r in _rows(tmp_path / "rejects/commoncrawl/too_short/part-00000-of-00001.parquet")}
    chinese = too_short["http://041696.com/15477/list_6_4.html"]  # a company's link page: one line of main text
    assert chinese["meta"]["encoding"] == "gbk" and chinese["text"].startswith("耐磨板特价销售NM360")  # from its <meta>
    escopete = [r for r in lang if r["url"] == "https://an.wikipedia.org/wiki/Escopete"]  # Aragonese
    assert sorted(r["meta"]["content_type"] for r in escopete) == ["text/html; charset=UTF-8", "text/plain"]
    wet = next(r for r in escopete if r["meta"]["content_type"] == "text/plain")
    assert wet["text"].startswith("Escopete - Biquipedia, a enciclopedia libre")
    # allenai.org was fetched three times: no exact dedup here (CCNet has none); with line dedup off all are kept,
    allenai = [r for r in kept if r["url"] == "https://allenai.org/"]
    assert len(allenai) == 3 and len({r["text"] for r in allenai}) == 1
    # with line dedup on, every line of each copy is in another document of the group: all three are emptied.
    (tmp_path / "cc.yaml").write_text(NO_MODELS)
    stats = run_curation("commoncrawl", str(samples_dir / "commoncrawl_w*" / "*.gz"), tmp_path, tmp_path / "cc.yaml")
    short = _rows(tmp_path / "rejects/commoncrawl/too_short/part-00000-of-00001.parquet")
    emptied = [r for r in short if r["url"] == "https://allenai.org/"]
    assert len(emptied) == 3 and all(r["text"] == "" and r["meta"]["lines_removed"] == 27 for r in emptied)
    kept = _rows(tmp_path / "curated/commoncrawl/part-00000-of-00001.parquet")
    assert "https://allenai.org/" not in {r["url"] for r in kept}
    assert not (tmp_path / ".tmp").exists()  # the pages parked between passes and the writer's spills are gone


def test_gopher_rules_name_the_first_rule_broken():
    from curation.quality import gopher_problem

    good = "The river rises in the hills and flows to the sea with boats that carry wool. " * 5
    assert gopher_problem(good) is None
    assert gopher_problem("the river and the sea " * 5) == "gopher_word_count"
    assert gopher_problem("a b of to the and " * 10) == "gopher_mean_word_length"
    assert gopher_problem(good + " #river" * 10) == "gopher_symbol_ratio"
    assert gopher_problem("\n".join(f"- {good}" for _ in range(3))) == "gopher_bullet_lines"
    assert gopher_problem("\n".join([good] + ["and then the river..."] * 2)) == "gopher_ellipsis_lines"
    assert gopher_problem(good + " 1234 567" * 40) == "gopher_alpha_words"
    assert gopher_problem("Rivers rise in hills, flowing seaward; boats carry wool. " * 8) == "gopher_stop_words"


def test_url_blocklist_and_pii_scrubbing_on_real_pages(tmp_path, samples_dir):
    (tmp_path / "block.txt").write_text("# test list\ncreativecommons.org\nhttps://allenai.org/\n")
    (tmp_path / "cc.yaml").write_text(
        NO_MODELS + "  line_dedup_files: 0\n"
        f"filters:\n  url_blocklist: {{file: {tmp_path / 'block.txt'}, sources: [commoncrawl]}}\n")
    stats = run_curation("commoncrawl", str(samples_dir / "commoncrawl_w*" / "*.gz"), tmp_path,
                         tmp_path / "cc.yaml")
    blocked = _rows(tmp_path / "rejects/commoncrawl/url_blocklist/part-00000-of-00001.parquet")
    assert {r["meta"]["blocked_by"] for r in blocked} == {"creativecommons.org", "allenai.org"}
    assert sum(r["url"] == "https://allenai.org/" for r in blocked) == 3  # its three fetches
    assert stats["dropped"]["url_blocklist"] == len(blocked) and stats["read"] == 33
    kept = _rows(tmp_path / "curated/commoncrawl/part-00000-of-00001.parquet")
    assert not any("creativecommons.org/" in r["url"] or r["url"] == "https://allenai.org/" for r in kept)
    assert "https://prior.allenai.org/" in {r["url"] for r in kept}  # a page entry blocks that page only
    # The real pages carry contact addresses; kept text holds only the placeholder, and the stats count them.
    scrubbed = [r for r in kept if "pii" in r["meta"]]
    assert {r["url"] for r in scrubbed} == {"https://commoncrawl.org/faq", "http://037426.cn/"}
    assert all(r["text"].count(EMAIL) >= r["meta"]["pii"]["emails"] and r["text"].count(IP) >= r["meta"]["pii"]["ips"]
               for r in scrubbed)
    assert all(scrub(r["text"]).text == r["text"] for r in kept)  # nothing left to replace
    assert stats["pii"] == {"documents": len(scrubbed), "emails": sum(r["meta"]["pii"]["emails"] for r in scrubbed),
                            "ips": sum(r["meta"]["pii"]["ips"] for r in scrubbed)}
