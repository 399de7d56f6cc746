"""GitHub: one `git archive`-style tarball per repository, with licenses, vendored files and generated code."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from random import Random
from string import Template

from samples.files import png, write_tar_gz
from samples.prose import Prose, coined_name
from samples.source import date_in, pick
from samples.words import CODE_NOUNS, CODE_VERBS, EN_ADJECTIVES, EN_FIRST_NAMES, EN_NAMES, LICENSE_HEADERS, LICENSES

CODE = {  # (file skeleton, function templates) with $names; one to four functions per file
    "py": ('"""$doc"""\nimport json\nimport os\n\n$CONST = $num\n\n$funcs', [
        'def $fn($arg, $arg2=None):\n    """$doc"""\n    result = {}\n    for key, value in $arg.items():\n'
        '        result[key] = value if $arg2 is None else $arg2(value)\n    return result\n',
        'class $Name:\n    """$doc"""\n\n    def __init__(self, $arg):\n        self.$arg = $arg\n'
        '        self.count = 0\n\n'
        '    def $fn(self, $arg2):\n        if not $arg2:\n            raise ValueError("$msg")\n'
        '        self.count += 1\n        return [x for x in $arg2 if x != self.$arg]\n',
        'def $fn($arg):\n    with open(os.path.join("$arg2", $arg)) as f:\n        return json.load(f)\n']),
    "js": ("'use strict';\n\nconst $CONST = $num;\n\n$funcs\nmodule.exports = { $CONST };\n", [
        "function $fnCamel($arg, $arg2) {\n  // $doc\n  if (!$arg) {\n    throw new Error('$msg');\n  }\n"
        "  return $arg.map((x) => x + $arg2);\n}\n",
        "class $Name {\n  constructor($arg) {\n    this.$arg = $arg;\n  }\n\n  $fnCamel() {\n"
        "    return Object.keys(this.$arg).length > $CONST;\n  }\n}\n",
        "async function $fnCamel(url) {\n  const res = await fetch(url);\n  return res.json();\n}\n"]),
    "c": ('#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n#define $CONST $num\n\n$funcs', [
        "/* $doc */\nint $fn(const char *$arg, size_t $arg2)\n{\n    if ($arg == NULL) {\n"
        '        fprintf(stderr, "$msg\\n");\n        return -1;\n    }\n    return (int)(strlen($arg) % $arg2);\n}\n',
        "static void $fn(int *$arg, int $arg2)\n{\n    for (int i = 0; i < $arg2; i++) {\n"
        "        $arg[i] = $arg[i] * 2 + $CONST;\n    }\n}\n"]),
    "h": ("#ifndef ${CONST}_H\n#define ${CONST}_H\n\n#include <stddef.h>\n\n$funcs\n#endif /* ${CONST}_H */\n", [
        "/* $doc */\nint $fn(const char *$arg, size_t $arg2);\n",
        "typedef struct {\n    int $arg;\n    double $arg2;\n} $Name;\n"]),
    "java": ("package com.$owner.$pkg;\n\nimport java.util.List;\nimport java.util.ArrayList;\n\n"
             "public class $Name {\n    private static final int $CONST = $num;\n\n$funcs}\n", [
        "    /** $doc */\n    public List<String> $fnCamel(List<String> $arg) {\n"
        "        List<String> out = new ArrayList<>();\n        for (String s : $arg) {\n"
        "            if (s.length() > $CONST) {\n                out.add(s);\n            }\n        }\n"
        "        return out;\n    }\n",
        '    public int $fnCamel(int $arg) {\n        if ($arg < 0) {\n'
        '            throw new IllegalArgumentException("$msg");\n'
        "        }\n        return $arg * $CONST;\n    }\n"]),
    "go": ('package $pkg\n\nimport (\n\t"errors"\n\t"strings"\n)\n\nconst $CONST = $num\n\n$funcs', [
        "// $fnPascal $doc\nfunc $fnPascal($arg string) (string, error) {\n\tif $arg == \"\" {\n"
        '\t\treturn "", errors.New("$msg")\n\t}\n\treturn strings.ToUpper($arg), nil\n}\n',
        "type $Name struct {\n\t$Arg int\n}\n\nfunc (x *$Name) $fnPascal() int {\n\treturn x.$Arg + $CONST\n}\n"]),
    "rs": ("use std::collections::HashMap;\n\nconst $CONST: usize = $num;\n\n$funcs", [
        "/// $doc\npub fn $fn($arg: &str) -> Result<usize, String> {\n    if $arg.is_empty() {\n"
        '        return Err("$msg".to_string());\n    }\n    Ok($arg.len() % $CONST)\n}\n',
        "pub struct $Name {\n    $arg: HashMap<String, usize>,\n}\n\nimpl $Name {\n"
        "    pub fn $fn(&self, key: &str) -> usize {\n        *self.$arg.get(key).unwrap_or(&0)\n    }\n}\n"]),
}
COMMENT = {"py": "# ", "js": "// ", "go": "// ", "rs": "// ", "c": " * ", "h": " * ", "java": " * "}
REPO_LANGS = ("py", "js", "c", "java", "go", "rs")
REPO_LICENSES = {"MIT": 30, "BSD-3-Clause": 15, "Apache-2.0": 20, "GPL-3.0": 15, "none": 20}
LICENSE_FILES = {"MIT": "LICENSE", "BSD-3-Clause": "LICENSE.md", "Apache-2.0": "LICENSE", "GPL-3.0": "COPYING"}


def _source(rng: Random, ext: str, owner: str, license_header: str | None) -> str:
    """A plausible source file: a skeleton with one to four functions built from identifier parts."""
    verb, noun = rng.choice(CODE_VERBS), rng.choice(CODE_NOUNS)
    arg, arg2 = rng.sample(CODE_NOUNS, 2)
    names = {"doc": Prose(rng, topic="technology").sentence(), "CONST": f"MAX_{rng.choice(CODE_NOUNS).upper()}",
             "num": rng.choice((8, 16, 64, 100, 256, 1024)), "owner": owner.replace("-", ""), "pkg": noun,
             "Name": f"{noun.capitalize()}{rng.choice(CODE_NOUNS).capitalize()}", "arg": arg, "arg2": arg2,
             "Arg": arg.capitalize(), "msg": f"invalid {arg}"}
    skeleton, templates = CODE[ext]
    funcs = []
    for k in range(rng.randint(1, 4)):
        v, nn = (verb, noun) if k == 0 else (rng.choice(CODE_VERBS), rng.choice(CODE_NOUNS))
        fn = {"fn": f"{v}_{nn}", "fnCamel": f"{v}{nn.capitalize()}", "fnPascal": f"{v.capitalize()}{nn.capitalize()}",
              "Name": f"{nn.capitalize()}{v.capitalize()}er"}
        funcs.append(Template(rng.choice(templates)).substitute(names | fn))
    text = Template(skeleton).substitute(names | {"funcs": "\n\n".join(funcs)})
    if license_header:
        prefix = COMMENT[ext]
        lines = [prefix + x if x else prefix.rstrip() for x in license_header.splitlines()]
        wrapped = ["/*", *lines, " */"] if prefix == " * " else lines
        text = "\n".join(wrapped) + "\n\n" + text
    return text


def _readme(rng: Random, repo: str, ext: str, license_name: str | None) -> str:
    prose = Prose(rng, topic="technology")
    install = {"py": f"pip install {repo}", "js": f"npm install {repo}", "go": f"go get github.com/x/{repo}",
               "rs": f"cargo add {repo}", "c": "make && sudo make install", "java": "mvn install"}[ext]
    text = f"# {repo}\n\n{prose.paragraph(2, 4)}\n\n## Installation\n\n```bash\n{install}\n```\n\n" \
           f"## Usage\n\n{prose.paragraph(2, 5)}\n"
    return text + (f"\n## License\n\n{license_name}\n" if license_name else "")


def _config(rng: Random, ext: str, repo: str, license_name: str | None) -> tuple[str, str]:
    if ext == "json":
        data = {"name": repo, "version": f"{rng.randint(0, 3)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
                "description": Prose(rng, topic="technology").title(), "main": "index.js",
                "scripts": {"test": "jest", "build": "webpack --mode production"},
                "license": license_name or "UNLICENSED",
                "dependencies": {d: f"^{rng.randint(1, 9)}.{rng.randint(0, 9)}.0"
                                 for d in rng.sample(["lodash", "express", "axios", "react", "chalk", "yargs"], 3)}}
        return "package.json", json.dumps(data, indent=2) + "\n"
    version = rng.choice(("3.10", "3.11", "18", "20", "1.21", "stable"))
    return ".github/workflows/ci.yaml", (
        f"name: CI\non:\n  push:\n    branches: [main]\n  pull_request:\njobs:\n  test:\n"
        f"    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
        f"      - name: Set up toolchain\n        with:\n          version: \"{version}\"\n"
        f"      - name: Test\n        run: make test\n")


def _shared_files(rng: Random) -> list[tuple[str, bytes]]:
    """Files vendored into many repositories, so exact file-level dedup has something to find."""
    return [(f"vendor/{rng.choice(CODE_VERBS)}_{rng.choice(CODE_NOUNS)}.{ext}",
             _source(rng, ext, "vendor", LICENSE_HEADERS["MIT"].format(year=2015, owner="Vendor Inc.")).encode())
            for ext in ("py", "js", "c", "h", "go", "js", "py", "rs")]


def write(out: Path, n: int, rng: Random, tick) -> dict:
    """One `git archive`-style tarball per repository, until about n files are written."""
    shared, used, files, licenses, written = _shared_files(rng), Counter(), [], Counter(), 0
    while written < n:
        owner = rng.choice((f"{rng.choice(EN_FIRST_NAMES)}{rng.choice(EN_NAMES)}".lower(),
                            f"{rng.choice(CODE_NOUNS)}-labs", f"{coined_name(rng.randrange(9999), 3).lower()}"))
        repo = f"{rng.choice(EN_ADJECTIVES)}-{rng.choice(CODE_NOUNS)}"
        used[owner, repo] += 1
        repo += f"-{used[owner, repo]}" if used[owner, repo] > 1 else ""
        sha = "%040x" % rng.getrandbits(160)
        top, ext = f"{repo}-{sha[:7]}/", rng.choice(REPO_LANGS)
        license_name = pick(rng, len(files), REPO_LICENSES)
        licenses[license_name] += 1
        license_name = None if license_name == "none" else license_name
        year = rng.randint(2012, 2023)
        content = {"README.md": _readme(rng, repo, ext, license_name)}
        if license_name:
            path = LICENSE_FILES[license_name] if rng.random() < 0.7 else "license.txt"
            content[path] = LICENSES[license_name].format(year=year, owner=owner)
        header = LICENSE_HEADERS[license_name].format(year=year, owner=owner) if license_name else None
        for _ in range(rng.randint(2, 7)):
            kind = ext if ext != "c" else rng.choice(("c", "h"))
            folder = repo.replace("-", "_") if kind == "py" else "src"
            path = f"{folder}/{rng.choice(CODE_VERBS)}_{rng.choice(CODE_NOUNS)}.{kind}"
            content[path] = _source(rng, kind, owner, header if rng.random() < 0.4 else None)
        for config in rng.sample(("json", "yaml"), rng.randint(0, 2)):
            path, text = _config(rng, config, repo, license_name)
            content[path] = text
        if rng.random() < 0.06:
            content[f"dist/{repo}.min.js"] = "".join(
                f"function {rng.choice(CODE_VERBS)}{k}(a,b){{return a+b*{k}}};var x{k}={k};" for k in range(300))
        if rng.random() < 0.12:
            content["assets/logo.png"] = png(rng, 24, 24)
            content[f"data/{rng.choice(CODE_NOUNS)}.csv"] = "id,value,label\n" + "".join(
                f"{k},{rng.random():.4f},{rng.choice(CODE_NOUNS)}\n" for k in range(rng.randint(10, 60)))
        if len(files) % 4 in (1, 2):  # pairs of repositories vendor the same file
            path, data = shared[len(files) // 8 % len(shared)]
            content[path] = data
        blobs = {top + path: data if isinstance(data, bytes) else data.encode() for path, data in content.items()}
        name = f"{owner}__{repo}.tar.gz"
        write_tar_gz(out / name, blobs, mtime=int(date_in(rng, year).timestamp()), comment=sha)
        files.append(name)
        written += len(blobs)
        for _ in blobs:
            tick()
    return {"files": files, "documents": written, "repositories": len(files),
            "licenses": dict(sorted(licenses.items()))}
