"""URL blocklist: domains block their subdomains, pages block exactly themselves."""
from curation.blocklist import Blocklist

LIST = """# shipped for tests
casino-spam.test
www.Badsite.example   # www. and case do not matter
news.example.org/2020/leaked-page/
https://Docs.Example.net/Private/Report.PDF
"""


def test_domains_block_themselves_and_subdomains_only():
    block = Blocklist(LIST.splitlines())
    assert len(block) == 4
    assert block.match("https://casino-spam.test/") == "casino-spam.test"
    assert block.match("http://www.casino-spam.test/win?x=1") == "casino-spam.test"
    assert block.match("https://cdn.eu.badsite.example/a.js") == "badsite.example"
    assert block.match("https://notcasino-spam.test/") is None  # a suffix of the name, not a subdomain
    assert block.match("https://casino-spam.test.example.com/") is None
    assert block.match("") is None


def test_pages_match_after_normalisation():
    block = Blocklist(LIST.splitlines())
    assert block.match("https://NEWS.example.org/2020/leaked-page") == "news.example.org/2020/leaked-page"
    assert block.match("http://www.news.example.org/2020/leaked-page/#comments") is not None
    assert block.match("https://news.example.org/2020/other-page") is None
    assert block.match("https://news.example.org/2020/leaked-page?page=2") is None
    assert block.match("https://docs.example.net/Private/Report.PDF") is not None  # the host's case never matters
    assert block.match("https://docs.example.net/private/report.pdf") is None  # the path's does
