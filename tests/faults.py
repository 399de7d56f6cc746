"""A fault-injection corpus: damaged files in each source's own format, made from a generated sample corpus.

`faults(source, template_dir, rng)` returns `Fault`s: each is one file (or folder) to add to the source's input,
the kind of damage, the reason it must be counted under, and a marker found in the url or meta of its rejects.
The damaged files are built from another seed's corpus than the intact files they are read beside, and every
one carries ids of its own (renamed file, repository, site or e-print; page and record ids rewritten), so the
intact files' documents must come out exactly as in a run without the damage. Sizes assume the test limits
`LIMITS` (a bomb decompresses past `max_decompressed_bytes`; an oversized record exceeds `max_document_bytes`).
"""
from __future__ import annotations

import bz2
import gzip
import io
import re
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from random import Random

LIMITS = {"max_decompressed_bytes": 4 << 20, "max_document_bytes": 1 << 20}
BOMB = 16 << 20     # decompressed bytes of a bomb: four times the limit
HUGE = 2 << 20      # one oversized document or record: twice the limit
BILLION_LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b"]>\n")
EXTERNAL_ENTITY = b'<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


@dataclass
class Fault:
    kind: str
    name: str            # path under the source's input folder
    data: bytes
    reason: str          # the reason the damage must be counted under ("kept" where the record must survive)
    marker: str          # found in the url or meta of its records


def truncate(data: bytes, share: float = 0.6) -> bytes:
    return data[:int(len(data) * share)]


def flip_bits(data: bytes, rng: Random, skip: int = 20, flips: int = 8) -> bytes:
    """Bits flipped inside the compressed stream (its header and trailer left alone)."""
    out = bytearray(data)
    for _ in range(flips):
        i = rng.randrange(skip, max(skip + 1, len(out) - 8))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def noise(rng: Random, n: int = 4096) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(n))


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _tar_gz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    return _gz(buf.getvalue())


def _tar_members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}


def _c4(t: Path, rng: Random) -> list[Fault]:
    lines = gzip.decompress(next(t.glob("*.json.gz")).read_bytes())
    good = lines.split(b"\n", 1)[0] + b"\n"
    f = lambda kind, data, reason, ext=".json.gz": Fault(kind, f"dmg-{kind}{ext}", data, reason, f"dmg-{kind}")
    return [
        f("truncated", truncate(_gz(lines)), "read_error"),
        f("bit_flips", flip_bits(_gz(lines), rng), "read_error"),
        f("invalid_utf8", lines.replace(b'"text": "', b'"text": "\xff\xfe\xc3(', 3) + b'{"text": "cut off\n', "bad_json",
          ".jsonl"),
        f("oversized", _gz(good + b'{"text": "' + b"a" * HUGE + b'"}\n' + good), "too_large"),
        f("gzip_bomb", _gz(good + b" " * BOMB), "decompression_limit"),
        f("empty", b"", "no_documents"),
        f("binary", noise(rng), "read_error"),
    ]


def _books(t: Path, rng: Random) -> list[Fault]:
    book = sorted(t.glob("*.txt"))[0].read_text()
    f = lambda kind, data, reason: Fault(kind, f"dmg-{kind}.txt", data, reason, f"dmg-{kind}")
    return [
        f("empty", b"", "no_documents"),
        f("binary", noise(rng, 20000), "binary"),
        f("utf16", book.encode("utf-16"), "binary"),  # a text in an encoding books never use
        f("oversized", (book * (HUGE // len(book) + 1)).encode(), "too_large"),
        f("latin1", (book + "\nCafé, naïve, Zürich.\n").encode("latin-1", "replace"), "kept"),  # read as latin-1
    ]


def _wiki_ids(xml: bytes, k: int) -> bytes:
    """The dump with page and revision ids of its own, so its documents never share an id with another's."""
    return re.sub(rb"<id>(\d+)</id>", lambda m: b"<id>%d</id>" % (int(m.group(1)) + 100_000 * (k + 1)), xml)


def _wikipedia(t: Path, rng: Random) -> list[Fault]:
    dump = bz2.decompress(next(t.glob("enwiki-*.xml.bz2")).read_bytes())
    header, _, rest = dump.partition(b"<page>")
    page = b"<page>" + rest.partition(b"</page>")[0] + b"</page>\n"
    faults = []

    def f(kind, reason, make, ext=".xml"):
        xml = _wiki_ids(dump, len(faults))
        faults.append(Fault(kind, f"enwiki-dmg-{kind}{ext}", make(xml), reason, f"enwiki-dmg-{kind}"))
    f("truncated_bz2", "read_error", lambda x: truncate(bz2.compress(x)), ".xml.bz2")  # one bz2 block: all lost
    f("bit_flips_bz2", "read_error", lambda x: flip_bits(bz2.compress(x), rng), ".xml.bz2")
    f("malformed_xml", "bad_xml", lambda x: x.replace(b"</title>", b"</titl>", 1))
    f("truncated_xml", "bad_xml", truncate)
    f("entity_bomb", "refused_doctype", lambda x: BILLION_LAUGHS + x.replace(b"<sitename>", b"<sitename>&lol9;"))
    f("external_entity", "refused_doctype", lambda x: EXTERNAL_ENTITY + x.replace(b"<sitename>", b"<sitename>&xxe;"))
    f("oversized", "too_large", lambda x: x.replace(b"</text>", b"a" * HUGE + b"</text>", 1))
    f("bz2_bomb", "decompression_limit", lambda x: bz2.compress(header + page.replace(b"</text>", b" " * BOMB + b"</text>")),
      ".xml.bz2")
    f("binary", "bad_xml", lambda x: x.replace(b"</page>", b"</page>" + noise(rng, 2000), 1))
    return faults


def _stackexchange(t: Path, rng: Random) -> list[Fault]:
    posts = sorted(t.glob("*/Posts.xml"))[0].read_bytes()
    site = lambda kind: f"dmg-{kind.replace('_', '-')}.stackexchange.com"  # a host name: no underscore
    f = lambda kind, data, reason: Fault(kind, f"{site(kind)}/Posts.xml", data, reason, site(kind))
    row = b'  <row Id="999999" PostTypeId="1" Score="1" Title="t" Body="'
    return [
        f("truncated", posts[:posts.index(b"<row", len(posts) // 2) + 30], "bad_xml"),
        f("invalid_utf8", posts.replace(b"Body=\"", b"Body=\"\xff\xfe", 1), "bad_xml"),
        f("entity_bomb", posts.replace(b"<posts>", BILLION_LAUGHS + b"<posts>", 1), "refused_doctype"),
        f("external_entity", posts.replace(b"<posts>", EXTERNAL_ENTITY + b"<posts>", 1), "refused_doctype"),
        f("oversized", posts.replace(b"</posts>", row + b"a" * HUGE + b'" />\n</posts>'), "too_large"),
        f("binary", noise(rng).replace(b"<", b"") + b"<" + noise(rng), "bad_xml"),
        f("empty", b"", "no_documents"),
    ]


def _github(t: Path, rng: Random) -> list[Fault]:
    archive = sorted(t.glob("*.tar.gz"))[0]
    files = _tar_members(archive)
    top = next(iter(files)).split("/")[0]
    data = _tar_gz(files)
    f = lambda kind, data, reason: Fault(kind, f"dmg{kind.replace('_', '')}__repo.tar.gz", data, reason,
                                         f"dmg{kind.replace('_', '')}")
    return [
        f("truncated", truncate(data), "read_error"),
        f("bit_flips", flip_bits(data, rng), "read_error"),
        f("path_traversal", _tar_gz({**files, f"{top}/../../escaped.py": b"print('out')\n",
                                     "/tmp/absolute.py": b"print('abs')\n"}), "bad_path"),
        f("gzip_bomb", _tar_gz({**files, f"{top}/zeros.py": bytes(BOMB)}), "decompression_limit"),
        f("binary_member", _tar_gz({**files, f"{top}/blob.py": noise(rng)}), "binary"),
        f("empty", b"", "read_error"),
    ]


def _arxiv(t: Path, rng: Random) -> list[Fault]:
    files = _tar_members(sorted(t.glob("*.tar.gz"))[0])
    main = next(n for n, d in files.items() if b"\\documentclass" in d)
    faults = []

    def f(kind, reason, data):
        paper = f"2399.{len(faults) + 1:05d}"
        faults.append(Fault(kind, f"{paper}.tar.gz", data, reason, paper))
    f("truncated", "bad_archive", truncate(_tar_gz(files)))
    f("bit_flips", "bad_archive", flip_bits(_tar_gz(files), rng))
    f("path_traversal", "bad_archive", _tar_gz({**files, "../../escaped.tex": b"\\input{x}"}))
    macros = b"\\def\\loop{\\loop\\loop}\\newcommand{\\again}[1]{\\again{#1 #1}}\n"
    f("recursive_macros", "kept", _tar_gz({**files, main: files[main].replace(
        b"\\begin{document}", macros + b"\\begin{document}\n\\loop \\again{x}\n", 1)}))
    f("gzip_bomb", "decompression_limit", _tar_gz({**files, "zeros.tex": bytes(BOMB)}))
    f("binary", "no_tex", noise(rng))
    return faults


def _commoncrawl(t: Path, rng: Random) -> list[Fault]:
    wet = next(t.glob("*.warc.wet.gz")).read_bytes()
    faults = []

    def relabel(data: bytes) -> bytes:
        """Each gzip member (one record) with record ids of its own, recompressed as its own member."""
        out, tag = [], b"dmg%d-" % len(faults)
        while data:
            d = zlib.decompressobj(31)
            record = d.decompress(data)
            out.append(_gz(record.replace(b"<urn:uuid:", b"<urn:uuid:" + tag)))
            data = d.unused_data
        return b"".join(out)

    def f(kind, reason, make):
        name = f"CC-DMG-{kind}.warc.wet.gz"
        faults.append(Fault(kind, name, make(relabel(wet)), reason, name))
    f("truncated", "truncated", truncate)
    f("bit_flips", "corrupt_gzip", lambda d: flip_bits(d, rng, skip=len(d) // 3, flips=3))
    f("binary", "not_warc", lambda d: b"\x00" + noise(rng))
    f("empty", "empty_file", lambda d: b"")
    big = b"WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: http://big.example/\r\nContent-Length: %d\r\n\r\n"
    f("oversized", "too_large", lambda d: d + _gz(big % (9 << 20) + b"a" * (9 << 20) + b"\r\n\r\n"))
    return faults


GENERATORS = {"c4": _c4, "books": _books, "wikipedia": _wikipedia, "stackexchange": _stackexchange,
              "github": _github, "arxiv": _arxiv, "commoncrawl": _commoncrawl}


def faults(source: str, template_dir: Path, rng: Random) -> list[Fault]:
    return GENERATORS[source](template_dir, rng)


def write(faults_: list[Fault], folder: Path) -> None:
    for fault in faults_:
        path = folder / fault.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(fault.data)
