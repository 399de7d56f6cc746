"""Stack Exchange: Posts.xml dumps of two sites, questions with their answers and tag-wiki rows."""
from __future__ import annotations

import html
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from random import Random
from xml.sax.saxutils import escape

from samples.prose import Prose
from samples.source import date_in

SHELL = ["find . -name '*.log' -mtime +7 -delete", "grep -rn \"$PATTERN\" /etc | head -20",
         "for f in *.txt; do\n    mv \"$f\" \"${f%.txt}.md\"\ndone", "tar -czf backup.tar.gz ~/docs && echo ok",
         "awk -F: '$3 >= 1000 {print $1}' /etc/passwd", "sed -i 's/foo/bar/g' config.ini",
         "ps aux | sort -k3 -nr | head -5 > top.txt"]
SE_SITES = {"unix": "technology", "cooking": "cooking"}


def _se_attr(value) -> str:
    return escape(str(value), {'"': "&quot;", "\n": "&#xA;"})


def _se_body(rng: Random, prose: Prose, code: bool) -> str:
    body = [f"<p>{html.escape(prose.paragraph(2, 5))}</p>" for _ in range(rng.randint(1, 3))]
    if code:
        body.insert(1, f"<pre><code>{html.escape(rng.choice(SHELL))}\n</code></pre>")
    elif rng.random() < 0.3:
        body.append("<ul>\n" + "".join(f"<li>{html.escape(prose.sentence())}</li>\n" for _ in range(3)) + "</ul>")
    return "\n\n".join(body) + "\n"


def write(out: Path, n: int, rng: Random, tick) -> dict:
    """Posts.xml for two sites: questions, answers pointing at them, and tag-wiki rows."""
    files, counts = [], Counter()
    for k, (site, topic) in enumerate(SE_SITES.items()):
        folder = out / f"{site}.stackexchange.com"
        folder.mkdir()
        when, post_id = date_in(rng, 2012), 0
        with open(folder / "Posts.xml", "w", encoding="utf-8") as f:
            f.write('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n')
            for i in range(n // 2 if k else n - n // 2):
                rows, prose = [], Prose(rng, topic=topic)
                if i % 40 == 0:
                    tag = prose.noun()
                    for kind in (4, 5):
                        post_id += 1
                        rows.append({"Id": post_id, "PostTypeId": kind, "CreationDate": when,
                                     "Score": 0, "Body": f"<p>{html.escape(prose.sentence())} ({tag})</p>\n"})
                question_id, n_answers = post_id + 1, rng.choices(range(5), (15, 35, 25, 15, 10))[0]
                answer_ids = list(range(question_id + 1, question_id + 1 + n_answers))
                tags = "".join(f"<{t}>" for t in sorted({prose.noun(), prose.noun()}))
                question = {"Id": question_id, "PostTypeId": 1, "CreationDate": when, "Score": rng.randint(-2, 80),
                            "ViewCount": rng.randint(10, 90000), "Body": _se_body(rng, prose, site == "unix"),
                            "OwnerUserId": rng.randint(1, 50000), "Title": prose.title() + "?", "Tags": tags,
                            "AnswerCount": n_answers, "CommentCount": rng.randint(0, 6),
                            "ContentLicense": "CC BY-SA 4.0"}
                if answer_ids and rng.random() < 0.6:
                    accepted = {"AcceptedAnswerId": rng.choice(answer_ids)}
                    question = {"Id": question_id, "PostTypeId": 1, **accepted} | question
                rows.append(question)
                for answer_id in answer_ids:
                    when += timedelta(minutes=rng.randint(1, 600))
                    rows.append({"Id": answer_id, "PostTypeId": 2, "ParentId": question_id, "CreationDate": when,
                                 "Score": rng.choice((-1, 0, 0, 1, 2, 3, 5, 8, 13, 40, 120)),
                                 "Body": _se_body(rng, prose, site == "unix" and rng.random() < 0.6),
                                 "OwnerUserId": rng.randint(1, 50000), "CommentCount": rng.randint(0, 4),
                                 "ContentLicense": "CC BY-SA 4.0"})
                post_id = question_id + n_answers
                when += timedelta(minutes=rng.randint(5, 900))
                for row in rows:
                    if isinstance(row["CreationDate"], datetime):
                        row["CreationDate"] = f"{row['CreationDate']:%Y-%m-%dT%H:%M:%S}.{rng.randrange(1000):03d}"
                    f.write("  <row " + " ".join(f'{key}="{_se_attr(v)}"' for key, v in row.items()) + " />\n")
                    counts[{1: "questions", 2: "answers"}.get(row["PostTypeId"], "tag_wiki")] += 1
                tick()
            f.write("</posts>\n")
        files.append(f"{folder.name}/Posts.xml")
    return {"files": files, "documents": n, **dict(sorted(counts.items()))}
