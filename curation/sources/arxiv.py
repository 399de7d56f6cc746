"""arXiv LaTeX sources cleaned as the paper does (and RedPajama's code): everything before the first section
and the bibliography removed, comments removed, and user-defined macros without arguments expanded inline.
The text stays LaTeX: the model sees the source, not a rendering.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from curation.schema import reject

MAX_EXPANSION_ROUNDS = 5  # a macro whose value uses macros needs more than one round; a recursive one stops here


@dataclass
class ArxivParams:
    min_chars: int = 500


_COMMENT_LINE = re.compile(r"(?m)^[ \t]*%.*\n?")
_COMMENT = re.compile(r"(?m)(?<!\\)((?:\\\\)*)%.*$")  # a % after an even number of backslashes (\% is text)
_DOCUMENTCLASS = re.compile(r"\\document(?:class|style)\b")
_INPUT = re.compile(r"\\(?:input|include)(?![A-Za-z@])\s*(?:\{([^{}]*)\}|([^\s{}\\%]+))")
_MACRO_DEF = re.compile(r"\\(?:(?:re)?newcommand|providecommand)\*?\s*(?:\{\s*\\([A-Za-z@]+)\s*\}|\\([A-Za-z@]+))"
                        r"\s*(?=\{)|\\def\s*\\([A-Za-z@]+)\s*(?=\{)")
_SECTION = re.compile(r"\\(?:part|chapter|(?:sub)*section|(?:sub)?paragraph)\*?\s*[\[{]")
_ABSTRACT = re.compile(r"\\begin\{abstract\}.*?\\end\{abstract\}", re.S)
_THEBIBLIOGRAPHY = re.compile(r"\\begin\{thebibliography\}.*?\\end\{thebibliography\}", re.S)
_END = re.compile(r"\\bibliography\s*\{|\\printbibliography\b|\\end\{document\}")
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")


def remove_comments(tex: str) -> str:
    """Whole comment lines dropped, trailing comments cut; an escaped `\\%` stays."""
    return _COMMENT.sub(r"\1", _COMMENT_LINE.sub("", tex))


def main_file(files: dict[str, str]) -> str | None:
    """The file with `\\documentclass` outside comments; if several, the largest (then the first by name)."""
    candidates = [name for name, tex in files.items() if _DOCUMENTCLASS.search(remove_comments(tex))]
    return min(candidates, key=lambda name: (-len(files[name]), name), default=None)


def flatten(files: dict[str, str], main: str) -> str:
    """The main file, comments removed, with the archive's files it `\\input`s or `\\include`s inlined.
    Each file is inlined at most once (later inputs of it are dropped), which stops recursive inputs and bounds
    the result by the archive's size; an input that is not in the archive is dropped too."""
    base, used = posixpath.dirname(main), {main}

    def inline(match: re.Match) -> str:
        name = (match.group(1) or match.group(2)).strip()
        for candidate in (name, name + ".tex"):
            path = posixpath.normpath(posixpath.join(base, candidate))
            if path in files and path not in used:
                used.add(path)
                return _INPUT.sub(inline, remove_comments(files[path]))
        return ""

    return _INPUT.sub(inline, remove_comments(files[main]))


def _braced(tex: str, start: int) -> tuple[str, int] | None:
    """The content of the brace group opening at `start` and the index after it, or None if unbalanced."""
    depth, i = 0, start
    while i < len(tex):
        if tex[i] == "\\":
            i += 2
            continue
        if tex[i] == "{":
            depth += 1
        elif tex[i] == "}":
            depth -= 1
            if depth == 0:
                return tex[start + 1:i], i + 1
        i += 1
    return None


def extract_macros(tex: str) -> tuple[str, dict[str, str]]:
    """The text without its argument-free macro definitions (`\\newcommand{\\x}{..}`, `\\newcommand\\x{..}`,
    `\\def\\x{..}`), and those macros' values by name (a later definition wins)."""
    macros, parts, pos = {}, [], 0
    for m in _MACRO_DEF.finditer(tex):
        group = _braced(tex, m.end()) if m.start() >= pos else None  # not one inside a definition just read
        if group is None:
            continue
        macros[m.group(1) or m.group(2) or m.group(3)] = group[0]
        parts.append(tex[pos:m.start()])
        pos = group[1]
    parts.append(tex[pos:])
    return "".join(parts), macros


def expand_macros(tex: str, macros: dict[str, str], max_rounds: int = MAX_EXPANSION_ROUNDS) -> str:
    """Each use of a macro replaced by its value, for at most `max_rounds` rounds, and not past twice the text's
    size (plus 10k characters): a macro defined through itself cannot loop or blow up."""
    if not macros:
        return tex
    use = re.compile(r"\\(" + "|".join(map(re.escape, sorted(macros))) + r")(?![A-Za-z@])")
    limit = 2 * len(tex) + 10_000
    for _ in range(max_rounds):
        expanded = use.sub(lambda m: macros[m.group(1)], tex)
        if expanded == tex or len(expanded) > limit:
            break
        tex = expanded
    return tex


def clean_tex(tex: str) -> str:
    """A flattened, comment-free paper from its first section (the abstract kept before it) to its bibliography,
    with its argument-free macros expanded; empty if it has no section."""
    body, macros = extract_macros(tex)
    first = _SECTION.search(body)
    if first is None:
        return ""
    abstract = _ABSTRACT.search(body, 0, first.start())
    body = _THEBIBLIOGRAPHY.sub("", body[first.start():])
    end = _END.search(body)
    if end:
        body = body[:end.start()]
    text = (abstract.group() + "\n\n" if abstract else "") + body
    return _BLANK_LINES.sub("\n\n", expand_macros(text, macros)).strip()


def curate(doc: dict, params: ArxivParams) -> dict:
    text = clean_tex(doc["text"])
    doc = {**doc, "text": text}
    return reject(doc, "too_short") if len(text) < params.min_chars else doc
