import hashlib
import importlib.metadata
import io
import tarfile
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from curation.schema import doc_id, from_row, make_doc
from curation.sources.github import (GithubParams, code_problem, curate, detect_license, file_license,
                                     is_license_file, repo_license, spdx_license, strip_license_header)
from orchestration.curate import run_curation
from readers import repos as reader
from readers.limits import Limits
from conftest import SAMPLES as SAMPLES_ROOT

CLICK_LICENSE = next(f for f in importlib.metadata.files("click") if f.name == "LICENSE.txt").locate()
CLICK_SOURCES = sorted(Path(importlib.metadata.distribution("click").locate_file("click")).glob("*.py"))


@pytest.mark.parametrize("path, spdx", [
    ("apache-2.0__commoncrawl_whirlwind-python/LICENSE", "Apache-2.0"),
    ("mit__Caspia_seekoff/license", "MIT"),
    ("gpl-2.0__RU-ECE_ECE451-Parallel/LICENSE", "GPL-2.0"),
    ("lgpl-2.1__piskvorky_gensim/COPYING", "LGPL-2.1"),
])
def test_detects_each_sample_license(samples_dir, path, spdx):
    assert detect_license((samples_dir / "github_licenses" / path).read_text()) == spdx


def test_detects_bsd_variants_notices_and_unknown_texts():
    assert detect_license(CLICK_LICENSE.read_text()) == "BSD-3-Clause"
    two_clause = ("Redistribution and use in source and binary forms, with or without modification, are permitted "
                  "provided that the following conditions are met: 1. ... 2. ...")
    assert detect_license(two_clause) == "BSD-2-Clause"
    assert detect_license('Licensed under the Apache License, Version 2.0 (the "License")') == "Apache-2.0"
    assert detect_license("under the terms of the GNU General Public License as published by the Free "
                          "Software Foundation; either version 3 of the License") == "GPL-3.0"
    assert detect_license("All rights reserved. Do not copy.") == "unknown"


def test_license_files_spdx_lines_and_the_repository_decision():
    assert [is_license_file(p) for p in ("LICENSE", "license", "COPYING", "LICENSE.md", "LICENSE-MIT",
                                         "src/LICENSE", "license.py", "LICENSES.json")] == [
        True, True, True, True, True, False, False, False]
    assert spdx_license("// SPDX-License-Identifier: GPL-2.0-or-later\nint x;") == "GPL-2.0"
    assert spdx_license("# SPDX-License-Identifier: Zlib\n") == "unknown"
    assert spdx_license("import os\n") is None
    mit = "Permission is hereby granted, free of charge, to any person"
    assert repo_license({"LICENSE-MIT": mit, "LICENSE-APACHE": "Apache License, Version 2.0"}) == "Apache-2.0"
    assert repo_license({"LICENSE": "Some custom terms."}) == "unknown"
    assert repo_license({}) == "none"
    vendored = "/* SPDX-License-Identifier: MIT */\nint x;\n"
    assert file_license("GPL-2.0", vendored) == "GPL-2.0"
    assert file_license("none", vendored) == "MIT"
    assert file_license("none", "int x;\n") == "none"


def test_header_stripping_keeps_the_first_code_line():
    py = "#!/usr/bin/env python\n# Copyright 2020 Someone\n# Licensed under the MIT License.\n\nimport os\n"
    assert strip_license_header(py, ".py") == "#!/usr/bin/env python\nimport os\n"
    c = "/*\n * Copyright (c) 2020 Someone\n * SPDX-License-Identifier: MIT\n */\n#include <stdio.h>\nint x;\n"
    assert strip_license_header(c, ".c") == "#include <stdio.h>\nint x;\n"
    js = "// Copyright 2021 A\n// Permission is hereby granted...\n\n// Parses things.\n  const a = 1;\n"
    assert strip_license_header(js, ".js") == "// Parses things.\n  const a = 1;\n"
    sql = "-- Licensed under the Apache License\nSELECT 1;\n"
    assert strip_license_header(sql, ".sql") == "SELECT 1;\n"
    plain = "# Helpers for the CLI.\nimport os\n"
    assert strip_license_header(plain, ".py") == plain
    assert strip_license_header("<!-- Copyright -->\n# Title\n", ".md") == "<!-- Copyright -->\n# Title\n"


def test_file_heuristics_and_license_first():
    params = GithubParams()
    assert code_problem("x = 1\n" * 3, params) is None
    assert code_problem("\n \n", params) == "empty"
    assert code_problem("x" * 1001, params) == "long_line"
    assert code_problem(("y" * 150 + "\n") * 3, params) == "mean_line_length"
    assert code_problem("{ } ( ) ; ; ; ;\n" * 3, params) == "alnum_fraction"

    def doc(license, extension=".py", text="print('hi')\n"):
        return make_doc("github", "o/r/a" + extension, text, "", license=license, extension=extension)

    assert curate(doc("GPL-2.0", extension=".txt"), params)["reason"] == "license"
    assert curate(doc("MIT", extension=".txt"), params)["reason"] == "extension"
    assert curate(doc("MIT", text="x = 1\n" * 200_000), params)["reason"] == "too_large"
    assert "reason" not in curate(doc("Apache-2.0"), params)


def _tar(path: Path, top: str, files: dict[str, bytes], symlinks=(), raw_names: dict[str, bytes] = None):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in [*((f"{top}/{n}", d) for n, d in files.items()), *(raw_names or {}).items()]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name in symlinks:
            info = tarfile.TarInfo(f"{top}/{name}")
            info.type, info.linkname = tarfile.SYMTYPE, "README.md"
            tar.addfile(info)


def _zip(path: Path, top: str, files: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(f"{top}/{name}", data)


def _license(samples_dir, name):
    return next((samples_dir / "github_licenses").glob(f"{name}__*/*")).read_bytes()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    samples_dir = SAMPLES_ROOT
    src, out = tmp_path_factory.mktemp("in"), tmp_path_factory.mktemp("run")
    click = {f"src/click/{p.name}": p.read_bytes() for p in CLICK_SOURCES}
    # LICENSE last: the decision waits for the end of the stream.
    _tar(src / "pallets__click.tar.gz", "click-1a2b3c4",
         {**click, "docs/logo.png": b"\x89PNG\r\n\x1a\n\0\0\0", "setup.cfg": b"[metadata]\nname = click\n",
          "LICENSE.txt": CLICK_LICENSE.read_bytes()},
         symlinks=["README.rst"], raw_names={"../evil.py": b"import os\n"})
    _tar(src / "someone__gpl-tool.tar.gz", "gpl-tool-0000000",
         {"tool.py": b"def main():\n    return 0\n", "LICENSE": _license(samples_dir, "gpl-2.0")})
    _zip(src / "someone__lgpl-lib.zip", "lgpl-lib-1111111",
         {"lib/core.py": b"def core():\n    return 1\n", "lib/util.py": b"def util():\n    return 2\n",
          "COPYING": _license(samples_dir, "lgpl-2.1")})
    _zip(src / "caspia__seekoff.zip", "seekoff-2222222",
         {"license": _license(samples_dir, "mit"),
          "index.js": b"// Copyright (c) R. Kent James\n// Licensed under the MIT license.\n\n"
                      b"const seekoff = require('./seekoff');\nmodule.exports = seekoff;\n",
          "data/blob.js": b"var d = '" + b"x" * 2000 + b"';\n"})
    # No license file: a file's own SPDX line licenses that file only.
    _tar(src / "nobody__vendored.tar.gz", "vendored-3333333",
         {"vendor/fast.c": b"// SPDX-License-Identifier: MIT\nint fast(void) { return 1; }\n",
          "main.py": b"print('unlicensed')\n"})
    (src / "NOTES.txt").write_text("not an archive\n")
    return run_curation("github", str(src), out), out


def _ids(out, reason):
    return {r["id"]: from_row(r)["meta"] for r in pq.read_table(out / "rejects" / "github" / reason).to_pylist()}


def test_curates_repository_archives_by_license(run):
    stats, out = run
    n_click = len(CLICK_SOURCES)
    assert stats["files"] == 6
    assert stats["read"] == stats["kept"] + sum(stats["dropped"].values())
    assert stats["kept"] == n_click + 2
    assert stats["dropped"] == {"license": 4, "license_file": 4, "extension": 1, "binary": 1, "not_file": 1,
                                "bad_path": 1, "long_line": 1, "unsupported_file": 1}
    licensed = _ids(out, "license")
    assert set(licensed) == {doc_id("github", p) for p in ("someone/gpl-tool/tool.py", "someone/lgpl-lib/lib/core.py",
                                                           "someone/lgpl-lib/lib/util.py", "nobody/vendored/main.py")}
    assert sorted(m["license"] for m in licensed.values()) == ["GPL-2.0", "LGPL-2.1", "LGPL-2.1", "none"]
    assert doc_id("github", "pallets/click/../evil.py") in _ids(out, "bad_path")

    kept = {r["id"]: r for r in map(from_row, pq.read_table(out / "curated" / "github").to_pylist())}
    core = kept[doc_id("github", "pallets/click/src/click/core.py")]
    assert core["url"] == "https://github.com/pallets/click/blob/HEAD/src/click/core.py"
    assert core["meta"] == {"repo": "pallets/click", "path": "src/click/core.py", "license": "BSD-3-Clause",
                              "extension": ".py"}
    assert core["text"] == (CLICK_SOURCES[0].parent / "core.py").read_text()
    index = kept[doc_id("github", "caspia/seekoff/index.js")]
    assert index["text"] == "const seekoff = require('./seekoff');\nmodule.exports = seekoff;\n"
    assert index["meta"]["license"] == "MIT"
    vendored = kept[doc_id("github", "nobody/vendored/vendor/fast.c")]
    assert (vendored["text"], vendored["meta"]["license"]) == ("int fast(void) { return 1; }\n", "MIT")


def test_reader_bounds_what_it_holds_and_keeps_nothing_back_from_a_damaged_archive(tmp_path, monkeypatch):
    archive = tmp_path / "o__r.tar.gz"
    _tar(archive, "r-abc", {"a.py": b"a = 1\n" * 10, "b.py": b"b = 2\n" * 10, "LICENSE": b"MIT"})
    monkeypatch.setattr(reader, "REPO_BUFFER_BYTES", 80)
    rows = list(reader.read(str(archive), archive.open("rb"), Limits()))
    assert [(r["meta"]["path"], r.get("reason")) for r in rows] == [
        ("b.py", "repo_too_large"), ("a.py", None), ("LICENSE", "license_file")]
    assert rows[1]["meta"]["license"] == "unknown"

    monkeypatch.undo()
    noise = "".join(hashlib.sha256(str(i).encode()).hexdigest() + "\n" for i in range(2000)).encode()
    _tar(archive, "r-abc", {"a.py": b"a = 1\n", "big.py": noise})
    truncated = tmp_path / "o__cut.tar.gz"
    truncated.write_bytes(archive.read_bytes()[:len(archive.read_bytes()) // 2])
    rows = []
    with pytest.raises((EOFError, tarfile.TarError, OSError)):
        for row in reader.read(str(truncated), truncated.open("rb"), Limits()):
            rows.append(row)
    assert [(r["meta"]["path"], r["reason"]) for r in rows] == [("a.py", "bad_archive")]


def test_license_names_are_normalised_to_spdx():
    from curation.sources.github import normalize_spdx
    assert [normalize_spdx(n) for n in ("mit", "apache-2.0", "BSD-3-Clause", "gpl-3.0-or-later", "wtfpl", None)] == [
        "MIT", "Apache-2.0", "BSD-3-Clause", "GPL-3.0", "unknown", "unknown"]


@pytest.fixture(scope="module")
def run_folders(tmp_path_factory):
    """A directory of checkouts (an MIT one, a GPL one, one without a license) and a BigQuery export."""
    import gzip
    import json
    import os

    samples_dir = SAMPLES_ROOT
    src, out = tmp_path_factory.mktemp("repos"), tmp_path_factory.mktemp("run")
    mit = src / "caspia__seekoff"
    (mit / "lib").mkdir(parents=True)
    (mit / "license").write_bytes(_license(samples_dir, "mit"))
    (mit / "lib" / "seek.js").write_text("// Copyright (c) R. Kent James\n\nfunction seek(x) {\n  return x + 1;\n}\n")
    (mit / "logo.js").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")  # binary, whatever its name says
    (mit / ".git").mkdir()
    (mit / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    os.symlink("/etc/hostname", mit / "host.js")  # a link out of the checkout is never read
    gpl = src / "ru-ece__parallel"
    gpl.mkdir()
    (gpl / "LICENSE").write_bytes(_license(samples_dir, "gpl-2.0"))
    (gpl / "main.c").write_text("int main(void) {\n    return 0;\n}\n")
    bare = src / "loose-scripts"
    bare.mkdir()
    (bare / "run.sh").write_text("echo hello world\n")
    rows = [{"repo_name": "apache/tiny", "path": "src/tiny.py", "content": "def tiny():\n    return 1\n",
             "license": "apache-2.0", "ref": "refs/heads/main"},
            {"repo_name": "fsf/tool", "path": "tool.py", "content": "print('gpl')\n", "license": "gpl-3.0"},
            {"repo_name": "apache/tiny", "path": "img.py", "content": None, "binary": True, "license": "apache-2.0"},
            {"repo_name": "x/y", "path": "../escape.py", "content": "x = 1\n", "license": "mit"},
            {"repo_name": "x/y", "content": "no path"}]
    with gzip.open(src / "github-000000000000.json.gz", "wt") as f:
        f.write("\n".join(json.dumps(r) for r in rows) + "\n")
    return run_curation("github", str(src), out), out


def test_curates_a_directory_of_checkouts_and_bigquery_rows(run_folders):
    stats, out = run_folders
    assert stats["files"] == 4  # three repository folders and one export file
    assert stats["read"] == stats["kept"] + sum(stats["dropped"].values())
    assert stats["dropped"] == {"license": 3, "license_file": 2, "binary": 2, "not_file": 1, "bad_path": 1,
                                "bad_json": 1}
    kept = {r["id"]: r for r in map(from_row, pq.read_table(out / "curated" / "github").to_pylist())}
    assert set(kept) == {doc_id("github", "caspia/seekoff/lib/seek.js"), doc_id("github", "apache/tiny/src/tiny.py")}
    seek = kept[doc_id("github", "caspia/seekoff/lib/seek.js")]
    assert seek["text"] == "function seek(x) {\n  return x + 1;\n}\n"  # the copyright header is gone
    assert seek["meta"] == {"repo": "caspia/seekoff", "path": "lib/seek.js", "license": "MIT", "extension": ".js"}
    tiny = kept[doc_id("github", "apache/tiny/src/tiny.py")]
    assert tiny["url"] == "https://github.com/apache/tiny/blob/main/src/tiny.py"
    assert tiny["meta"]["license"] == "Apache-2.0"
    licensed = _ids(out, "license")
    assert {m["license"] for m in licensed.values()} == {"GPL-2.0", "GPL-3.0", "none"}
    assert doc_id("github", "ru-ece/parallel/main.c") in licensed
    assert doc_id("github", "loose-scripts/run.sh") in licensed
    assert set(_ids(out, "binary")) == {doc_id("github", "caspia/seekoff/logo.js"), doc_id("github", "apache/tiny/img.py")}
    assert set(_ids(out, "not_file")) == {doc_id("github", "caspia/seekoff/host.js")}
    assert set(_ids(out, "bad_path")) == {doc_id("github", "x/y/../escape.py")}


def test_one_checkout_given_as_the_input_is_one_repository(tmp_path, samples_dir):
    repo = tmp_path / "seekoff"
    repo.mkdir()
    (repo / "license").write_bytes(_license(samples_dir, "mit"))
    (repo / "index.js").write_text("module.exports = 1;\n")
    stats = run_curation("github", str(repo), tmp_path / "run")
    assert (stats["files"], stats["kept"], stats["dropped"]) == (1, 1, {"license_file": 1})
    [row] = map(from_row, pq.read_table(tmp_path / "run" / "curated" / "github").to_pylist())
    assert row["id"] == doc_id("github", "seekoff/index.js") and row["meta"]["license"] == "MIT"


def test_runs_on_the_sample_license_folders(tmp_path, samples_dir):
    # Each sample folder is a checkout holding only its license: nothing to keep, every file accounted for.
    stats = run_curation("github", str(samples_dir / "github_licenses"), tmp_path)
    assert (stats["files"], stats["read"], stats["kept"], stats["dropped"]) == (4, 4, 0, {"license_file": 4})
    rows = [from_row(r) for r in pq.read_table(tmp_path / "rejects" / "github" / "license_file").to_pylist()]
    assert sorted(r["meta"]["license"] for r in rows) == ["Apache-2.0", "GPL-2.0", "LGPL-2.1", "MIT"]
