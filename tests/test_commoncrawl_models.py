"""The CommonCrawl stage's models, built by the real commands: the Kneser-Ney LM queried through kenlm, the
bucket cut-offs, the Wikipedia-reference classifier, and a curation run that carries every annotation."""
import bz2
import io
import json
import random
import uuid

import kenlm
import pyarrow.parquet as pq
from click.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from curation.perplexity import bucket, cutoffs, estimate, write_arpa
from curation.quality import RefClassifier, ref_urls
from curation.schema import from_row
from curation.urls import reference_key
from orchestration.cli import main
from samples.make import make_samples

WORDS = "the river rises in the hills and flows to the sea past old towns where boats carry goods".split()


def cli(*args, code=0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result.output


def test_kneser_ney_arpa_is_a_distribution_under_kenlm(tmp_path):
    rng = random.Random(0)
    sentences = [WORDS[k:k + rng.randint(4, 8)] for k in (rng.randrange(len(WORDS) - 6) for _ in range(300))]
    with open(tmp_path / "lm.arpa", "w") as f:
        write_arpa(*estimate(sentences, 5), f)
    model = kenlm.Model(str(tmp_path / "lm.arpa"))
    assert model.order == 5
    for context in ([], ["the"], ["in", "the", "hills", "and"]):
        state = kenlm.State()
        model.NullContextWrite(state)
        for word in context:
            nxt = kenlm.State()
            model.BaseScore(state, word, nxt)
            state = nxt
        total = sum(10 ** model.BaseScore(state, w, kenlm.State()) for w in [*set(WORDS), "</s>", "<unk>"])
        assert abs(total - 1) < 1e-4, context
    assert model.perplexity("the river rises in the hills") < model.perplexity("hills the in rises river the")


def test_cutoffs_are_the_30th_and_60th_percentiles_by_hand():
    # ranks 0..9; 30th: rank 2.7 -> 30 + 0.7 * 10 = 37; 60th: rank 5.4 -> 60 + 0.4 * 10 = 64
    assert cutoffs([100.0, 10.0, 90.0, 20.0, 80.0, 30.0, 70.0, 40.0, 60.0, 50.0, float("inf")]) == [37.0, 64.0]
    assert [bucket(p, 37.0, 64.0) for p in (36.9, 37.0, 63.9, 64.0)] == ["head", "middle", "middle", "tail"]


def test_ref_urls_and_their_keys():
    wikitext = ("Text.<ref>{{cite web |url=https://www.Example.org/a/ |title=A}}</ref> more "
                '<ref name="b">[http://b.example/page?id=3#top B page].</ref><ref name="b" /> [http://not.cited/ x]')
    assert ref_urls(wikitext) == {"https://www.Example.org/a/", "http://b.example/page?id=3#top"}
    assert reference_key("https://www.Example.org/a/") == reference_key("http://example.org/a") == "example.org/a"


SCIENCE = ("study measured samples laboratory results published journal researchers university data analysis "
           "observed temperature experiment evidence theory peer review method statistical").split()
SHOP = ("buy cheap discount sale shipping cart offer price deal order coupon free best bargain checkout "
        "shop store save now today").split()


def _warc(pages) -> bytes:
    """Record ids made from the URL (warcio would draw random UUIDs): document ids, and the held-out split
    drawn from them, are the same on every run."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    for url, text in pages:
        body = f"<html><body><main><p>{text}</p></main></body></html>".encode()
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        headers = {"WARC-Record-ID": f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}>",
                   "WARC-Date": "2023-03-20T00:00:00Z"}
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                                      warc_headers_dict=headers))
    return out.getvalue()


def _dump(urls) -> bytes:
    pages = "".join(f"<page><title>T{i}</title><ns>0</ns><id>{i}</id><revision><text>Article.&lt;ref&gt;"
                    f"[{u} source]&lt;/ref&gt;</text></revision></page>" for i, u in enumerate(urls))
    return bz2.compress(f"<mediawiki>{pages}</mediawiki>".encode())


def test_classifier_separates_cited_pages_from_random_pages(tmp_path):
    rng = random.Random(1)
    text = lambda words: ". ".join(" ".join(rng.choices(words + WORDS, k=12)).capitalize()  # noqa: E731
                                   for _ in range(12)) + "."
    cited = [(f"https://journal.example/{i}", text(SCIENCE)) for i in range(30)]
    others = [(f"https://shop.example/{i}", text(SHOP)) for i in range(60)]
    (tmp_path / "crawl.warc.gz").write_bytes(_warc(cited + others))
    (tmp_path / "enwiki.xml.bz2").write_bytes(_dump([u.replace("https://", "http://www.") for u, _ in cited]))
    # 50 epochs: at 25, 3 of 150 other held-out splits scored a shop page >= 0.5; at 50, none of 550 did
    out = cli("classifier", "train", "--wiki", tmp_path / "enwiki.xml.bz2", "--warc", tmp_path / "crawl.warc.gz",
              "--out", tmp_path / "ref.bin", "--epoch", 50)
    report = json.loads((tmp_path / "ref.json").read_text())
    assert (report["positives"], report["negatives"]) == (30, 30) and "30 cited pages found" in out
    assert report["held_out"] == 13 and report["precision"] == 1.0 and report["recall"] == 1.0  # a fixed split
    score = RefClassifier(str(tmp_path / "ref.bin"))
    assert score(text(SCIENCE)) > 0.5 > score(text(SHOP))


def test_generated_corpus_curated_with_every_annotation(tmp_path):
    corpus, models = tmp_path / "samples", tmp_path / "models"
    make_samples(corpus, 80, seed=3)
    enwiki = corpus / "wikipedia" / "enwiki-20230401-pages-articles.xml.bz2"
    config = tmp_path / "cc.yaml"
    config.write_text(f"commoncrawl:\n  perplexity_models: {{en: {models}/lm/en}}\n"
                      f"  classifier_model: {models}/ref.bin\n")
    missing = cli("curate", "--source", "commoncrawl", "--input", corpus / "commoncrawl", "--out", tmp_path / "run",
                  "--config", config, code=2)
    assert "'commoncrawl.perplexity_models.en'" in missing and "llama-data lm train" in missing
    cli("lm", "train", "--wiki", enwiki, "--lang", "en", "--out", models / "lm" / "en", "--vocab-size", 400)
    assert "head <" in cli("lm", "cutoffs", "--model", models / "lm" / "en", "--input", corpus / "commoncrawl")
    cut = json.loads((models / "lm" / "en" / "cutoffs.json").read_text())
    assert 0 < cut["head"] < cut["middle"] and cut["percentiles"] == [30, 60]
    cli("classifier", "train", "--wiki", enwiki, "--warc", corpus / "commoncrawl", "--out", models / "ref.bin")
    cli("curate", "--source", "commoncrawl", "--input", corpus / "commoncrawl", "--out", tmp_path / "run",
        "--config", config)
    stats = json.loads((tmp_path / "run" / "curate" / "stats.json").read_text())["commoncrawl"]
    assert stats["kept"] > 0 and stats["dropped"]["perplexity"] > 0 and stats["dropped"]["lang"] > 0
    for row in map(from_row, pq.read_table(tmp_path / "run" / "curate" / "curated" / "commoncrawl").to_pylist()):
        meta = row["meta"]
        assert meta["language"] == "en" and meta["bucket"] in ("head", "middle") and meta["wiki_prob"] >= 0.25
        assert meta["perplexity"] < cut["middle"] and meta["record_id"] and meta["warc_date"] and meta["digest"]
    tail = [from_row(r) for r in pq.read_table(tmp_path / "run" / "curate" / "rejects" / "commoncrawl" / "perplexity").to_pylist()]
    assert all(r["meta"]["bucket"] == "tail" and r["meta"]["perplexity"] >= cut["middle"] for r in tail)
