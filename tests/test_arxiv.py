import gzip
import io
import re
import shutil
import tarfile

import pyarrow.parquet as pq
import pytest

from curation.schema import doc_id, from_row
from curation.sources.arxiv import Macro, clean_tex, expand_macros, extract_macros, flatten, main_file, remove_comments
from orchestration.curate import run_curation
from conftest import SAMPLES as SAMPLES_ROOT

SAMPLES = SAMPLES_ROOT / "arxiv"


def test_comment_removal_keeps_escaped_percent():
    tex = "50\\% of cases % a note\n% a whole line\n  % an indented one\nline break \\\\% then a comment\nend"
    assert remove_comments(tex) == "50\\% of cases \nline break \\\\\nend"


def test_macro_definitions_are_extracted_and_expanded():
    tex = ("\\newcommand{\\ours}{\\textsc{SciFact}\\xspace}\n\\newcommand\\sys{Veri{Sci}}\n"
           "\\def\\both{\\ours{} and \\sys}\n\\newcommand{\\bug}\n  {\\rule{2mm}{2mm}}\n"
           "\\def\\upto#1.{#1}\n"
           "We compare \\both, not \\ourselves.")
    body, macros = extract_macros(tex)
    assert macros == {"ours": Macro("\\textsc{SciFact}\\xspace"), "sys": Macro("Veri{Sci}"),
                      "both": Macro("\\ours{} and \\sys"), "bug": Macro("\\rule{2mm}{2mm}")}
    # A \def with a delimited parameter is not expandable here: it stays.
    assert body == "\n\n\n\n\\def\\upto#1.{#1}\nWe compare \\both, not \\ourselves."
    assert expand_macros("We compare \\both, not \\ourselves.", macros) == (
        "We compare \\textsc{SciFact}\\xspace{} and Veri{Sci}, not \\ourselves.")


def test_macros_with_arguments_and_an_optional_default_are_expanded():
    tex = ("\\newcommand{\\pair}[2]{(#1, #2)}\\renewcommand{\\vec}[1]{\\mathbf{#1}}"
           "\\newcommand{\\cite}[2][p.~1]{[#2, #1]}\\def\\sq#1{#1^2}\\providecommand*{\\hash}[1]{\\#{}#1 ##}\n"
           "A \\pair{x}{\\vec{y}}, \\pair a b, \\cite{Knuth}, \\cite[ch.~2]{Lamport}, \\sq{\\vec v},"
           " \\hash{1} and \\pair{broken")
    body, macros = extract_macros(tex)
    assert macros["pair"] == Macro("(#1, #2)", 2) and macros["cite"] == Macro("[#2, #1]", 2, "p.~1")
    assert macros["sq"] == Macro("#1^2", 1)
    assert expand_macros(body, macros) == (
        "\nA (x, \\mathbf{y}), (a, b), [Knuth, p.~1], [Lamport, ch.~2], \\mathbf{v}^2, \\#{}1 # and \\pair{broken")


def test_recursive_macros_stop_at_the_depth_bound():
    assert expand_macros("a \\loop b", {"loop": Macro("\\loop!")}, max_depth=3) == "a \\loop!!! b"
    assert expand_macros("a \\loop b", {"loop": Macro("\\loop!")}) == "a \\loop!!!!! b"
    _, macros = extract_macros("\\newcommand{\\r}[1]{\\r{#1}x}")
    assert expand_macros("\\r{a}", macros) == "\\r{a}xxxxx"
    # A macro that doubles ten times a level stops before the text outgrows its bound.
    assert len(expand_macros("\\a", {"a": Macro("\\a" * 10)})) == 2000


def test_main_file_and_inputs_are_flattened_once():
    files = {
        "old.tex": "% \\documentclass{article}\nnot the paper",
        "paper.tex": "\\documentclass{article}\n\\input{sec/intro}\n% \\input{sec/old}\n\\include{missing}\n"
                     "\\input sec/intro.tex\nend",
        "sec/intro.tex": "Intro \\input{paper.tex}\\input{sec/intro} text.",
        "sec/old.tex": "OLD",
    }
    assert main_file(files) == "paper.tex"
    assert main_file({"a.tex": "no class"}) is None
    assert flatten(files, "paper.tex") == "\\documentclass{article}\nIntro  text.\n\n\nend"


def test_clean_tex_keeps_abstract_and_body_until_the_bibliography():
    tex = ("\\documentclass{article}\n\\newcommand{\\name}{Widget}\n\\title{T}\\begin{document}\\maketitle\n"
           "\\begin{abstract}We study \\name.\\end{abstract}\n\n\n\\section{Intro}\n\\name works.\n"
           "\\begin{thebibliography}{9}\\bibitem{a} A.\\end{thebibliography}\n"
           "More.\n\\bibliography{refs}\n\\appendix\\section{Extra}\n\\end{document}")
    assert clean_tex(tex) == ("\\begin{abstract}We study Widget.\\end{abstract}\n\n"
                              "\\section{Intro}\nWidget works.\n\nMore.")
    assert clean_tex("\\documentclass{article}\\begin{document}No sections.\\end{document}") == ""
    assert clean_tex("\\section{A}Body.\n\\section*{References}\nA. Author. 2020.\n") == "\\section{A}Body."


def _tar_gz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    src, out = tmp_path_factory.mktemp("in"), tmp_path_factory.mktemp("run")
    shutil.copy(SAMPLES / "1911.02782.gz", src)
    extracted = SAMPLES / "2004.14974_tex_only"
    # A bare id, as arXiv names its downloads; the content says it is a gzip'd tar.
    (src / "2004.14974").write_bytes(_tar_gz({str(p.relative_to(extracted)): p.read_bytes()
                                              for p in sorted(extracted.rglob("*")) if p.is_file()}))
    short = "\\documentclass{article}\\begin{document}\\section{Only}Too little.\\end{document}"
    (src / "2101.00001.gz").write_bytes(gzip.compress(short.encode()))
    (src / "2101.00002.tar.gz").write_bytes(_tar_gz({"fig.png": b"\x89PNG", "notes.tex": b"\\section{x}"}))
    (src / "2101.00003.tar.gz").write_bytes(_tar_gz({"main.tex": b"\\documentclass{article}" * 100})[:40])
    (src / "2101.00004.tar.gz").write_bytes(_tar_gz({"../main.tex": b"\\documentclass{article}"}))
    return run_curation("arxiv", str(src), out), out


def test_curates_real_eprints(run):
    stats, out = run
    assert (stats["files"], stats["read"], stats["kept"]) == (6, 6, 2)
    assert stats["dropped"] == {"too_short": 1, "no_tex": 1, "bad_archive": 2}
    kept = {r["id"]: r for r in map(from_row, pq.read_table(out / "curated" / "arxiv").to_pylist())}

    s2orc = kept[doc_id("arxiv", "1911.02782")]
    assert s2orc["meta"] == {"arxiv_id": "1911.02782", "main_file": "main.tex"}
    assert s2orc["url"] == "https://arxiv.org/abs/1911.02782"
    text = s2orc["text"]
    assert text.startswith("\\begin{abstract}\nWe introduce \\textsc{S2ORC}\\xspace,\\footnote{")
    assert "\\section{Introduction}\n\nAcademic papers are an increasingly important textual domain" in text
    assert "\\section*{Acknowledgements}" in text
    for gone in ("\\documentclass", "\\newcommand", "\\gorc", "\\bibliography", "Background \\& Terminology", "%"):
        assert gone not in text.replace("\\%", "")

    scifact = kept[doc_id("arxiv", "2004.14974")]
    assert scifact["meta"]["main_file"] == "emnlp2020.tex"
    text = scifact["text"]
    assert text.startswith("\\begin{abstract}\n\nWe introduce scientific claim verification")
    assert "\\section{Introduction} \\label{sec:introduction}" in text
    assert "\\textsc{SciFact}\\xspace" in text and "\\ours" not in text
    assert "\\input" not in text and "Model implementation details" not in text

    rejected = {r["id"]: r for r in map(from_row, pq.read_table(out / "rejects" / "arxiv").to_pylist())}
    assert rejected[doc_id("arxiv", "2101.00002")]["reason"] == "no_tex"
    assert rejected[doc_id("arxiv", "2101.00002")]["meta"]["tex_files"] == ["notes.tex"]
    assert rejected[doc_id("arxiv", "2101.00001")]["reason"] == "too_short"
    assert {rejected[doc_id("arxiv", i)]["reason"] for i in ("2101.00003", "2101.00004")} == {"bad_archive"}


def test_runs_on_the_sample_folder_where_an_extracted_eprint_is_one_paper(tmp_path, samples_dir):
    stats = run_curation("arxiv", str(samples_dir / "arxiv"), tmp_path)
    assert (stats["files"], stats["read"], stats["kept"], stats["dropped"]) == (2, 2, 2, {})
    kept = {r["id"]: r for r in map(from_row, pq.read_table(tmp_path / "curated" / "arxiv").to_pylist())}
    scifact = kept[doc_id("arxiv", "2004.14974")]  # the folder `2004.14974_tex_only/` is named by its id
    assert scifact["meta"] == {"arxiv_id": "2004.14974", "main_file": "emnlp2020.tex"}
    commands = (samples_dir / "arxiv" / "2004.14974_tex_only" / "commands.tex").read_text()
    _, user_macros = extract_macros(remove_comments(commands))
    assert len(user_macros) > 100 and {"dw", "kyle", "todoit", "ours"} <= set(user_macros)
    left = re.compile(r"\\(" + "|".join(map(re.escape, user_macros)) + r")(?![A-Za-z@])")
    assert left.search(scifact["text"]) is None  # every use of every user macro was expanded


def test_a_folder_eprint_with_argument_macros_and_a_references_section(tmp_path):
    paper = tmp_path / "in" / "2101.00005v2"
    (paper / "sec").mkdir(parents=True)
    (paper / "main.tex").write_text(
        "\\documentclass{article}\n\\newcommand{\\gain}[2][\\%]{a gain of #2#1}\n\\def\\model#1{\\textsc{#1}}\n"
        "\\begin{document}\n\\input{sec/body}\n\\section*{References}\nA. Author. A paper. 2020.\n\\end{document}\n")
    (paper / "sec" / "body.tex").write_text(
        "\\section{Results} % the main result\n\\model{Big} shows \\gain{12} on X and \\gain[ points]{3} on Y. "
        * 20)
    (paper / "._main.tex").write_text("\\documentclass{article} AppleDouble junk")  # hidden: not listed
    stats = run_curation("arxiv", str(tmp_path / "in"), tmp_path / "run")
    assert (stats["files"], stats["kept"]) == (1, 1)
    [row] = map(from_row, pq.read_table(tmp_path / "run" / "curated" / "arxiv").to_pylist())
    assert row["id"] == doc_id("arxiv", "2101.00005v2")
    assert row["text"].startswith("\\section{Results} \n\\textsc{Big} shows a gain of 12\\% on X and a gain of 3 points on Y.")
    assert "References" not in row["text"] and "A. Author" not in row["text"] and "%" not in row["text"].replace("\\%", "")
