r"""arXiv LaTeX sources cleaned as the paper does (and RedPajama's code): everything before the first section
and the bibliography removed, comments removed, and user-defined macros expanded inline. The text stays LaTeX:
the model sees the source, not a rendering.

Unlike RedPajama, which expanded only argument-free macros, macros with arguments are expanded too
(`\newcommand{\x}[2][default]{..#1..#2..}`, `\renewcommand`, `\providecommand`, `\def\x#1#2{..}`), and the
expansion is bounded in depth and size, so a recursive macro stops instead of looping.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import NamedTuple

from curation.schema import reject

MAX_EXPANSION_DEPTH = 5  # a macro whose value uses macros needs more than one level; a recursive one stops here


class Macro(NamedTuple):
    body: str
    nargs: int = 0
    default: str | None = None  # of the first argument, which is then optional (`\x[opt]{a}` or `\x{a}`)


@dataclass
class ArxivParams:
    min_chars: int = 500


_COMMENT_LINE = re.compile(r"(?m)^[ \t]*%.*\n?")
_COMMENT = re.compile(r"(?m)(?<!\\)((?:\\\\)*)%.*$")  # a % after an even number of backslashes (\% is text)
_DOCUMENTCLASS = re.compile(r"\\document(?:class|style)\b")
_INPUT = re.compile(r"\\(?:input|include)(?![A-Za-z@])\s*(?:\{([^{}]*)\}|([^\s{}\\%]+))")
_MACRO_DEF = re.compile(
    r"\\(?:(?:re)?newcommand|providecommand)\*?\s*(?:\{\s*\\(?P<name>[A-Za-z@]+)\s*\}|\\(?P<bare>[A-Za-z@]+))"
    r"\s*(?:\[\s*(?P<nargs>\d)\s*\])?\s*(?:\[(?P<default>[^\]]*)\])?\s*(?=\{)"
    r"|\\[gex]?def\s*\\(?P<tex>[A-Za-z@]+)\s*(?P<params>(?:#\d)*)\s*(?=\{)")
_SECTION = re.compile(r"\\(?:part|chapter|(?:sub)*section|(?:sub)?paragraph)\*?\s*[\[{]")
_ABSTRACT = re.compile(r"\\begin\{abstract\}.*?\\end\{abstract\}", re.S)
_THEBIBLIOGRAPHY = re.compile(r"\\begin\{thebibliography\}.*?\\end\{thebibliography\}", re.S)
_END = re.compile(r"\\bibliography\s*\{|\\printbibliography\b|\\end\{document\}"
                  r"|\\(?:sub)*section\*?\s*\{\s*(?i:references|bibliography)\s*\}")
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


def extract_macros(tex: str) -> tuple[str, dict[str, Macro]]:
    """The text without its macro definitions, and those macros by name (a later definition wins). A `\def` with
    delimited parameters (`\\def\\x#1.{..}`) is not a macro this can expand: it stays in the text."""
    macros, parts, pos = {}, [], 0
    for m in _MACRO_DEF.finditer(tex):
        group = _braced(tex, m.end()) if m.start() >= pos else None  # not one inside a definition just read
        if group is None:
            continue
        if m.group("tex"):
            name, nargs, default = m.group("tex"), len(m.group("params")) // 2, None
        else:
            name, nargs, default = m.group("name") or m.group("bare"), int(m.group("nargs") or 0), m.group("default")
        macros[name] = Macro(group[0], nargs, default if nargs else None)
        parts.append(tex[pos:m.start()])
        pos = group[1]
    parts.append(tex[pos:])
    return "".join(parts), macros


_CONTROL_SEQUENCE = re.compile(r"\\(?:[A-Za-z@]+|.)", re.S)
_PARAMETER = re.compile(r"#([#1-9])")


def _argument(tex: str, i: int) -> tuple[str, int] | None:
    """A mandatory argument at `i` (after spaces): a brace group's content, a control sequence or one character."""
    while i < len(tex) and tex[i] in " \t\n":
        i += 1
    if i >= len(tex):
        return None
    if tex[i] == "{":
        return _braced(tex, i)
    if tex[i] == "}":
        return None
    m = _CONTROL_SEQUENCE.match(tex, i)
    return (m.group(), m.end()) if m else (tex[i], i + 1)


def _optional(tex: str, i: int) -> tuple[str, int] | None:
    """The content of `[...]` at `i` (brackets inside braces do not close it), or None if there is none."""
    if i >= len(tex) or tex[i] != "[":
        return None
    depth = 0
    for j in range(i + 1, len(tex)):
        if tex[j] == "{":
            depth += 1
        elif tex[j] == "}":
            depth -= 1
        elif tex[j] == "]" and depth <= 0:
            return tex[i + 1:j], j + 1
    return None


def _use(tex: str, end: int, macro: Macro) -> tuple[str, int] | None:
    """The expansion of a use of `macro` whose name ends at `end`, and where its arguments end; None where its
    arguments cannot be read (the use is then left as it is)."""
    args, i = [], end
    if macro.default is not None:
        opt = _optional(tex, i)
        args.append(opt[0] if opt else macro.default)
        i = opt[1] if opt else i
    while len(args) < macro.nargs:
        arg = _argument(tex, i)
        if arg is None:
            return None
        args.append(arg[0])
        i = arg[1]
    if not macro.nargs:
        return macro.body, i

    def fill(m: re.Match) -> str:  # `##` is a literal `#` (a parameter of a definition inside the body)
        k = m.group(1)
        return "#" if k == "#" else args[int(k) - 1] if int(k) <= len(args) else ""
    return _PARAMETER.sub(fill, macro.body), i


def expand_macros(tex: str, macros: dict[str, Macro], max_depth: int = MAX_EXPANSION_DEPTH) -> str:
    """Each use of a macro replaced by its body with its arguments in place, nested uses up to `max_depth` levels,
    and not past twice the text's size (plus 10k characters): a macro defined through itself cannot loop or
    blow up."""
    if not macros:
        return tex
    use = re.compile(r"\\(" + "|".join(map(re.escape, sorted(macros))) + r")(?![A-Za-z@])")
    limit = 2 * len(tex) + 10_000
    for _ in range(max_depth):
        parts, pos, changed = [], 0, False
        for m in use.finditer(tex):
            if m.start() < pos:  # inside the arguments of the use just expanded: expanded next round
                continue
            expansion = _use(tex, m.end(), macros[m.group(1)])
            if expansion is None:
                continue
            parts += [tex[pos:m.start()], expansion[0]]
            pos, changed = expansion[1], True
        expanded = "".join(parts) + tex[pos:]
        if not changed or len(expanded) > limit:
            break
        tex = expanded
    return tex


def clean_tex(tex: str) -> str:
    """A flattened, comment-free paper from its first section (the abstract kept before it) to its bibliography
    or references section, with its macros expanded; empty if it has no section."""
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
