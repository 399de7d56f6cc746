import gzip
import io
import shutil
import tarfile

import pyarrow.parquet as pq
import pytest

from curation.schema import doc_id, get_meta
from curation.sources.arxiv import clean_tex, expand_macros, extract_macros, flatten, main_file, remove_comments
from orchestration.curate import run_curation
from conftest import SAMPLES as SAMPLES_ROOT

SAMPLES = SAMPLES_ROOT / "arxiv"


def test_comment_removal_keeps_escaped_percent():
    tex = "50\\% of cases % a note\n% a whole line\n  % an indented one\nline break \\\\% then a comment\nend"
    assert remove_comments(tex) == "50\\% of cases \nline break \\\\\nend"


def test_macro_definitions_are_extracted_and_expanded():
    tex = ("\\newcommand{\\ours}{\\textsc{SciFact}\\xspace}\n\\newcommand\\sys{Veri{Sci}}\n"
           "\\def\\both{\\ours{} and \\sys}\n\\newcommand{\\note}[1]{[#1]}\n\\newcommand{\\bug}\n  {\\rule{2mm}{2mm}}\n"
           "We compare \\both, not \\ourselves.")
    body, macros = extract_macros(tex)
    assert macros == {"ours": "\\textsc{SciFact}\\xspace", "sys": "Veri{Sci}", "both": "\\ours{} and \\sys",
                      "bug": "\\rule{2mm}{2mm}"}
    assert body == "\n\n\n\\newcommand{\\note}[1]{[#1]}\n\nWe compare \\both, not \\ourselves."
    assert expand_macros("We compare \\both, not \\ourselves.", macros) == (
        "We compare \\textsc{SciFact}\\xspace{} and Veri{Sci}, not \\ourselves.")


def test_recursive_macros_terminate():
    assert expand_macros("a \\loop b", {"loop": "\\loop!"}, max_rounds=3) == "a \\loop!!! b"
    assert expand_macros("a \\loop b", {"loop": "\\loop!"}) == "a \\loop!!!!! b"
    # A macro that doubles ten times a round stops before the text outgrows its bound.
    assert len(expand_macros("\\a", {"a": "\\a" * 10})) == 2000


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
    kept = {r["id"]: r for r in pq.read_table(out / "curated" / "arxiv").to_pylist()}

    s2orc = kept[doc_id("arxiv", "1911.02782")]
    assert get_meta(s2orc) == {"arxiv_id": "1911.02782", "main_file": "main.tex"}
    assert s2orc["url"] == "https://arxiv.org/abs/1911.02782"
    text = s2orc["text"]
    assert text.startswith("\\begin{abstract}\nWe introduce \\textsc{S2ORC}\\xspace,\\footnote{")
    assert "\\section{Introduction}\n\nAcademic papers are an increasingly important textual domain" in text
    assert "\\section*{Acknowledgements}" in text
    for gone in ("\\documentclass", "\\newcommand", "\\gorc", "\\bibliography", "Background \\& Terminology", "%"):
        assert gone not in text.replace("\\%", "")

    scifact = kept[doc_id("arxiv", "2004.14974")]
    assert get_meta(scifact)["main_file"] == "emnlp2020.tex"
    text = scifact["text"]
    assert text.startswith("\\begin{abstract}\n\nWe introduce scientific claim verification")
    assert "\\section{Introduction} \\label{sec:introduction}" in text
    assert "\\textsc{SciFact}\\xspace" in text and "\\ours" not in text
    assert "\\input" not in text and "Model implementation details" not in text

    rejected = {r["id"]: r for r in pq.read_table(out / "rejects" / "arxiv").to_pylist()}
    assert rejected[doc_id("arxiv", "2101.00002")]["reason"] == "no_tex"
    assert get_meta(rejected[doc_id("arxiv", "2101.00002")])["tex_files"] == ["notes.tex"]
    assert rejected[doc_id("arxiv", "2101.00001")]["reason"] == "too_short"
    assert {rejected[doc_id("arxiv", i)]["reason"] for i in ("2101.00003", "2101.00004")} == {"bad_archive"}
