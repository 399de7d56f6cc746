"""Builds the main-text extraction evaluation set (issue 16) from test fixtures of extraction libraries on PyPI.

    .venv/bin/python bench/extract_eval_data.py [--out bench/data/extract]

Two pinned sdists, each checked against its sha256 before anything is read from it:
- newspaper4k 0.9.6: tests/data/html/NAME.html with the article's whole main text in tests/data/txt/NAME.txt
  (23 pages, 9 languages): ground truth for bag-of-words precision/recall/F1.
- trafilatura 1.0.0: tests/cache/*.html, real pages whose tests/realworld_tests.py `test_extract` asserts
  strings that must be in the extracted text ("with": main text) and strings that must not ("without":
  navigation, footers, share and comment widgets, related links): ground truth for boilerplate removal.
  A version whose sdist still ships them (1.2.2's and 1.4.1's do not); its assertions were written against
  trafilatura's own output.

Each page goes to tune.jsonl or heldout.jsonl by the parity of sha256(its id): a fixed split that does not
depend on the order of files. One JSON object per line: id, source, html, text (full ground truth or null),
with, without. Nothing here is committed: run the script to get the set.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SDISTS = {
    "newspaper4k==0.9.6": "a3f2f0e017dddb6f1019ee77aaa8980e13e6ecea0b949abc7167aae4770d2d0e",
    "trafilatura==1.0.0": "10222e9475363091d38d4aa92349974a23363e8a98692b5f902d60bba3e53383",
}


def download(spec: str, sha256: str, into: Path) -> tarfile.TarFile:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                    "-d", str(into), spec], check=True)
    name = spec.split("==")[0]
    path, = (p for p in into.iterdir() if p.name.lower().startswith(name) and p.name.endswith(".tar.gz"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{path.name}: sha256 {digest}, expected {sha256}")
    return tarfile.open(path)


def decode(body: bytes) -> str:
    """As the CommonCrawl job decodes a page without an HTTP charset."""
    sys.path.insert(0, str(ROOT))
    from curation.sources.commoncrawl import decode_html

    return decode_html(body, None)[0]


def members(tar: tarfile.TarFile) -> dict[str, bytes]:
    """Files of the sdist by their path inside the package's folder."""
    return {m.name.split("/", 1)[1]: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def newspaper_pages(files: dict[str, bytes]) -> list[dict]:
    pages = []
    for path in sorted(files):
        if path.startswith("tests/data/html/") and path.endswith(".html"):
            name = path.rsplit("/", 1)[1].removesuffix(".html")
            text = files.get(f"tests/data/txt/{name}.txt")
            if text is not None:
                pages.append({"id": f"newspaper4k/{name}", "source": "newspaper4k 0.9.6",
                              "html": decode(files[path]), "text": text.decode("utf-8").strip(),
                              "with": [], "without": []})
    return pages


def asserted_strings(test: ast.FunctionDef) -> list[tuple[str, str, bool]]:
    """(url, string, must_be_in) for every `'...' in result` / `not in result` after `result = load_mock_page(url)`."""
    found, url = [], None

    def statements(body):  # in source order, into if-blocks
        for node in body:
            yield node
            yield from statements(getattr(node, "body", []))

    for node in statements(test.body):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                getattr(node.value.func, "id", "") == "load_mock_page":
            url = node.value.args[0].value
        elif isinstance(node, ast.Assert):
            for cmp in ast.walk(node.test):
                if isinstance(cmp, ast.Compare) and isinstance(cmp.left, ast.Constant) and \
                        isinstance(cmp.comparators[0], ast.Name) and cmp.comparators[0].id == "result":
                    found.append((url, cmp.left.value, isinstance(cmp.ops[0], ast.In)))
    return found


def trafilatura_pages(files: dict[str, bytes]) -> list[dict]:
    source = ast.parse(files["tests/realworld_tests.py"].decode("utf-8"))
    mock = next(ast.literal_eval(n.value) for n in source.body
                if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "MOCK_PAGES")
    test = next(n for n in source.body if isinstance(n, ast.FunctionDef) and n.name == "test_extract")
    pages: dict[str, dict] = {}
    for url, string, must_be_in in asserted_strings(test):
        name = mock[url]
        page = pages.setdefault(name, {"id": f"trafilatura/{name.removesuffix('.html')}", "url": url,
                                       "source": "trafilatura 1.0.0", "text": None, "with": [], "without": [],
                                       "html": decode(files[f"tests/cache/{name}"])})
        (page["with"] if must_be_in else page["without"]).append(string)
    return [pages[name] for name in sorted(pages)]


def split_of(page_id: str) -> str:
    return "heldout" if hashlib.sha256(page_id.encode()).digest()[0] % 2 else "tune"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "bench" / "data" / "extract"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tars = {spec: members(download(spec, sha, Path(tmp))) for spec, sha in SDISTS.items()}
    pages = newspaper_pages(tars["newspaper4k==0.9.6"]) + trafilatura_pages(tars["trafilatura==1.0.0"])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for split in ("tune", "heldout"):
        chosen = [p for p in pages if split_of(p["id"]) == split]
        with open(out / f"{split}.jsonl", "w", encoding="utf-8") as f:
            f.writelines(json.dumps(page, ensure_ascii=False) + "\n" for page in chosen)
        full = sum(p["text"] is not None for p in chosen)
        print(f"{split}: {len(chosen)} pages, {full} with full main text, "
              f"{sum(bool(p['without']) for p in chosen)} with boilerplate strings -> {out / split}.jsonl")


if __name__ == "__main__":
    main()
