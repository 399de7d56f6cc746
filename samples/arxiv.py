"""arXiv: e-prints as arXiv serves them, gzip'd tarballs and gzip'd single .tex files."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from random import Random

from samples.files import open_gzip, png, write_tar_gz
from samples.prose import VERBS, Prose, coined_name
from samples.source import date_in, pick
from samples.words import EN_FIRST_NAMES, EN_NAMES

EQUATIONS = [r"\mathcal{L}(\theta) = -\sum_{i=1}^{N} \log p_\theta(x_i \mid x_{<i})",
             r"\|\nabla f(x) - \nabla f(y)\| \le L \|x - y\|, \quad x, y \in \R^d",
             r"\E_{x \sim \mathcal{D}}\left[ \ell(h(x), y) \right] \le \hat{R}(h) + \sqrt{\frac{\log(1/\delta)}{2n}}",
             r"\mathrm{softmax}(z)_j = \frac{e^{z_j}}{\sum_{k=1}^{K} e^{z_k}}",
             r"\theta_{t+1} = \theta_t - \eta \, \nabla_\theta \mathcal{L}(\theta_t) + \eps",
             r"\int_0^\infty e^{-\lambda t} \, dt = \frac{1}{\lambda}"]


def _tex(rng: Random, paper_id: str, single_file: bool) -> tuple[str, str, str]:
    """(main.tex, sections/intro.tex, bibliography) for one paper; a single file inlines the last two."""
    prose = Prose(rng, topic=rng.choice(("mathematics", "science", "technology")))
    keys = [f"{rng.choice(EN_NAMES).lower()}{rng.randint(1990, 2023)}{'abc'[k % 3]}" for k in range(rng.randint(3, 8))]

    def para() -> str:
        return f"{prose.paragraph()} We {rng.choice(VERBS)[0]} \\model{{}} as in~\\cite{{{rng.choice(keys)}}}."

    intro = f"\\section{{Introduction}}\n\\label{{sec:intro}}\n{para()}\n\n{para()}\n"
    sections = []
    for _ in range(rng.randint(2, 4)):
        sections.append(f"\\section{{{prose.title()}}}\n{para()}\n% TODO: {prose.sentence()}\n"
                        f"\\begin{{equation}}\n\\label{{eq:{len(sections)}}}\n{rng.choice(EQUATIONS)}\n"
                        f"\\end{{equation}}\n"
                        f"{para()}\n\n\\subsection{{{prose.title()}}}\n{para()} Let $\\eps > 0$ and $x \\in \\R^d$.\n")
    bib = "\\begin{thebibliography}{99}\n" + "".join(
        f"\\bibitem{{{key}}}\n{rng.choice(EN_FIRST_NAMES)[0]}.~{rng.choice(EN_NAMES)}.\n\\newblock {prose.title()}.\n"
        f"\\newblock {{\\em Journal of {prose.noun().capitalize()} Studies}}, "
        f"{rng.randint(1, 40)}:{rng.randint(1, 300)}, "
        f"{key[-5:-1]}.\n\n" for key in keys) + "\\end{thebibliography}\n"
    figure = ("\\begin{figure}[t]\n\\centering\n\\includegraphics[width=0.8\\linewidth]{figures/fig1.png}\n"
              f"\\caption{{{prose.sentence()}}}\n\\end{{figure}}\n")
    main = (f"% arXiv:{paper_id}\n\\documentclass[11pt]{{article}}\n\\usepackage{{amsmath,amssymb}}\n"
            "\\usepackage{graphicx}\n% \\usepackage{hyperref} % breaks the arXiv build\n"
            "\\newcommand{\\R}{\\mathbb{R}}\n\\newcommand{\\E}{\\mathbb{E}}\n"
            f"\\newcommand{{\\model}}{{\\textsc{{{coined_name(rng.randrange(9999), 5)}}}}}\n"
            "\\def\\eps{\\varepsilon}\n"
            f"\\title{{{prose.title()}}}\n\\author{{{rng.choice(EN_FIRST_NAMES)} {rng.choice(EN_NAMES)} \\and "
            f"{rng.choice(EN_FIRST_NAMES)} {rng.choice(EN_NAMES)}}}\n\\begin{{document}}\n\\maketitle\n"
            f"\\begin{{abstract}}\n{prose.paragraph(3, 6)}\n\\end{{abstract}}\n\n"
            + (intro if single_file else "\\input{sections/intro}\n") + "\n" + "\n".join(sections)
            + ("" if single_file else figure) + f"\n\\section{{Conclusion}}\n{para()}\n\n"
            + (bib if single_file else "\\bibliographystyle{plain}\n\\bibliography{refs}\n") + "\\end{document}\n")
    return main, intro, bib


def write(out: Path, n: int, rng: Random, tick) -> dict:
    """e-prints as arXiv serves them: gzip'd tarballs, gzip'd single .tex files, a few without \\documentclass."""
    files, kinds = [], Counter()
    for i in range(n):
        month = i // 50000
        paper_id = f"{23 + month // 12:02d}{month % 12 + 1:02d}.{i % 50000 + 1:05d}"
        kind = pick(rng, i, {"tarball": 62, "single_file": 33, "no_documentclass": 5})
        kinds[kind] += 1
        main, intro, bib = _tex(rng, paper_id, kind != "tarball")
        if kind == "tarball":
            name = f"{paper_id}.tar.gz"
            write_tar_gz(out / name, {"main.tex": main.encode(), "sections/intro.tex": intro.encode(),
                                       "main.bbl": bib.encode(), "figures/fig1.png": png(rng, 32, 24)},
                          mtime=int(date_in(rng, 2023).timestamp()))
        else:
            if kind == "no_documentclass":  # a fragment: what survives when only an \input'ed file is sent
                main = main[main.index("\\section"):main.index("\\end{document}")]
            name = f"{paper_id}.gz"
            with open_gzip(out / name) as gz:
                gz.write(main.encode())
        files.append(name)
        tick()
    return {"files": files, "documents": n, "kinds": dict(sorted(kinds.items()))}
