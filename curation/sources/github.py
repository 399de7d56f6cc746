"""GitHub code: repository license detection, license-header removal and RedPajama's file heuristics.

The paper keeps code under Apache, BSD and MIT licenses, filters files with heuristics on line length and the
share of alphanumeric characters, and removes boilerplate such as headers with regular expressions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from curation.schema import reject

KNOWN_LICENSES = ("MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "GPL-2.0", "GPL-3.0",
                  "LGPL-2.0", "LGPL-2.1", "LGPL-3.0", "AGPL-3.0", "MPL-2.0", "EPL-1.0", "ISC", "CC0-1.0",
                  "Unlicense", "Artistic-2.0")
_KNOWN_BY_LOWER = {name.lower(): name for name in KNOWN_LICENSES}


@dataclass
class GithubParams:
    allowed_licenses: list[str] = field(default_factory=lambda: ["MIT", "BSD-2-Clause", "BSD-3-Clause",
                                                                 "Apache-2.0"])
    # RedPajama's whitelist, programming languages only, plus Markdown: RedPajama keeps it, and READMEs and
    # docs are the natural language written about the code beside it.
    extensions: list[str] = field(default_factory=lambda: [
        ".py", ".js", ".ts", ".java", ".c", ".h", ".cpp", ".hpp", ".cc", ".go", ".rs", ".rb", ".php", ".cs",
        ".scala", ".swift", ".kt", ".sh", ".sql", ".m", ".r", ".jl", ".lua", ".pl", ".hs", ".md"])
    max_line_length: int = 1000
    max_mean_line_length: float = 100
    min_alnum_fraction: float = 0.25
    max_file_bytes: int = 1_000_000


# --- license detection --------------------------------------------------------------------------------------

_LICENSE_FILE = re.compile(r"(?i)^(?:licen[cs]e|copying)(?:[-_][\w.-]*)?(?:\.(?:md|txt|rst))?$")
# Each license is recognised by its title or first sentence; the earliest one in the text wins, because full
# license texts mention others further down (the GPL-2.0 preamble names the Library GPL, Apache NOTICE-style
# files append the MIT text of bundled code).
_SIGNATURES = re.compile(r"(?P<lgpl>gnu lesser general public license)|(?P<lgpl2>gnu library general public license)"
                         r"|(?P<gpl>gnu general public license)|(?P<apache>apache license)"
                         r"|(?P<mit>permission is hereby granted, free of charge)"
                         r"|(?P<bsd>redistribution and use in source and binary forms)")
_VERSION = re.compile(r"\b(?:version|v)\s*(\d(?:\.\d)?)")
_VERSIONED = {("lgpl", "2.1"): "LGPL-2.1", ("lgpl", "3"): "LGPL-3.0", ("lgpl", "3.0"): "LGPL-3.0",
              ("gpl", "2"): "GPL-2.0", ("gpl", "2.0"): "GPL-2.0", ("gpl", "3"): "GPL-3.0", ("gpl", "3.0"): "GPL-3.0",
              ("apache", "2.0"): "Apache-2.0"}
_SPDX = re.compile(r"SPDX-License-Identifier:\s*([A-Za-z0-9.+-]+)")


def is_license_file(path: str) -> bool:
    """LICENSE, LICENSE.md, COPYING, license, LICENSE-MIT, ... at the repository root."""
    return "/" not in path and bool(_LICENSE_FILE.match(path))


def detect_license(text: str) -> str:
    """The SPDX id of a license text (full text or a short notice), or "unknown"."""
    flat = " ".join(text.lower().split())
    m = _SIGNATURES.search(flat)
    if m is None:
        return "unknown"
    family = m.lastgroup
    if family == "mit":
        return "MIT"
    if family == "lgpl2":
        return "LGPL-2.0"
    if family == "bsd":
        rest = flat[m.end():]
        return "BSD-3-Clause" if "neither the name" in rest or "endorse or promote" in rest else "BSD-2-Clause"
    version = _VERSION.search(flat, m.end(), m.end() + 120)
    return _VERSIONED.get((family, version.group(1) if version else ""), "unknown")


def normalize_spdx(name: str | None) -> str:
    """A license id in SPDX spelling (BigQuery's `licenses` table writes `mit`, `apache-2.0`, ...);
    `-only`/`-or-later`/`+` suffixes dropped; "unknown" for one not in KNOWN_LICENSES."""
    name = re.sub(r"(-only|-or-later|\+)$", "", (name or "").strip())
    return _KNOWN_BY_LOWER.get(name.lower(), "unknown")


def spdx_license(text: str) -> str | None:
    """The license of an `SPDX-License-Identifier:` line in a file's first lines ("unknown" if unlisted)."""
    m = _SPDX.search(text[:2000])
    if m is None:
        return None
    return normalize_spdx(m.group(1))


def repo_license(license_texts: dict[str, str]) -> str:
    """A repository's license from its root license files (by name, the first one recognised); "none" without
    any."""
    for _, text in sorted(license_texts.items()):
        spdx = detect_license(text)
        if spdx != "unknown":
            return spdx
    return "unknown" if license_texts else "none"


def file_license(repo: str, text: str) -> str:
    """A file's license: its repository's, or where the repository has no license file, the file's own
    SPDX-License-Identifier line (one vendored file does not license the repository around it)."""
    return repo if repo != "none" else spdx_license(text) or "none"


# --- license header removal -----------------------------------------------------------------------------------

def _comments(*alternatives: str) -> re.Pattern:
    """Leading whitespace, one comment block, and the blank lines after it."""
    return re.compile(rf"\s*(?:{'|'.join(alternatives)})(?:[ \t]*\n)*")


def _line_comments(marker: str) -> str:
    return rf"(?:[ \t]*{marker}[^\n]*(?:\n|\Z))+"


_C_STYLE = _comments(r"/\*(?s:.*?)\*/[ \t]*(?:\n|\Z)?", _line_comments("//"))
_HEADER_STYLE = {
    **dict.fromkeys([".c", ".h", ".cpp", ".hpp", ".cc", ".java", ".js", ".ts", ".go", ".rs", ".php", ".cs",
                     ".scala", ".swift", ".kt"], _C_STYLE),
    **dict.fromkeys([".py", ".sh", ".rb", ".pl", ".r", ".jl"], _comments(_line_comments("#"))),
    **dict.fromkeys([".sql", ".lua", ".hs"], _comments(_line_comments("--"), r"\{-(?s:.*?)-\}")),
}
_LICENSE_WORDS = re.compile(r"(?i)copyright|licen[cs]e|spdx|permission is hereby granted|all rights reserved")


def strip_license_header(text: str, extension: str) -> str:
    """The file without its leading comment blocks that mention a copyright or license (a shebang stays)."""
    pattern = _HEADER_STYLE.get(extension)
    if pattern is None:
        return text
    shebang = ""
    if text.startswith("#!"):
        line, newline, text = text.partition("\n")
        shebang = line + newline
    while (m := pattern.match(text)) and _LICENSE_WORDS.search(m.group()):
        text = text[m.end():]
    return shebang + text


# --- file heuristics -----------------------------------------------------------------------------------------

def code_problem(text: str, params: GithubParams) -> str | None:
    """The reason RedPajama's heuristics drop a code file, or None."""
    if not text.strip():
        return "empty"
    lengths = [len(line) for line in text.splitlines()]
    if max(lengths) > params.max_line_length:
        return "long_line"
    if sum(lengths) / len(lengths) > params.max_mean_line_length:
        return "mean_line_length"
    if sum(ch.isalnum() for ch in text) / len(text) < params.min_alnum_fraction:
        return "alnum_fraction"
    return None


def curate(doc: dict, params: GithubParams) -> dict:
    """The file with its license header removed, or a reject: repository license first, then the file."""
    meta = doc["meta"]
    if meta["license"] not in params.allowed_licenses:
        return reject(doc, "license")
    if meta["extension"] not in params.extensions:
        return reject(doc, "extension")
    if len(doc["text"].encode()) > params.max_file_bytes:
        return reject(doc, "too_large")
    doc = {**doc, "text": strip_license_header(doc["text"], meta["extension"])}
    problem = code_problem(doc["text"], params)
    return reject(doc, problem) if problem else doc
