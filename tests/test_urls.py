from curation.urls import dedup_key, reference_key


def test_both_keys_ignore_scheme_host_case_trailing_slash_and_fragment():
    spellings = ["https://B.example/page/#top", "http://b.example/page", "http://b.example/page/"]
    assert {dedup_key(u) for u in spellings} == {reference_key(u) for u in spellings} == {"b.example/page"}
    query = "http://b.example/page?id=3"
    assert dedup_key(query + "#x") == reference_key(query) == "b.example/page?id=3"


def test_dedup_key_keeps_www_and_port_and_has_no_key_for_other_urls():
    assert dedup_key("https://www.x.org/a") == "www.x.org/a" != dedup_key("https://x.org/a")
    assert dedup_key("http://x.org:8080/a") == "x.org:8080/a"
    assert dedup_key("/data/books/holmes.txt") is None and dedup_key("ftp://x.org/a") is None


def test_reference_key_merges_www_port_and_user():
    assert reference_key("https://www.X.org:443/a/") == reference_key("http://user@x.org/a") == "x.org/a"
