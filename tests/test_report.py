"""`llama-data report RUN` on a run that trained: the text summary, and an HTML page whose every plot Chromium
loads (Debian's chromium, installed here when missing)."""
import json
import os
import re
import shutil
import subprocess

import pytest

from test_run import cli, write_config

PROBE = """<script>window.addEventListener("load", () => {
  const imgs = [...document.images].map(i => ({src: i.getAttribute("src"), w: i.naturalWidth, alt: i.alt}));
  const pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(imgs);
  document.body.appendChild(pre);
});</script></body>"""


@pytest.fixture(scope="session")
def chromium():
    path = shutil.which("chromium")
    if path is None:
        if os.geteuid() != 0:
            pytest.fail("chromium is missing and only root can install it: run `apt-get install -y chromium`")
        subprocess.run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium",
                       shell=True, check=True, capture_output=True, timeout=600)
        path = shutil.which("chromium")
    assert path, "apt-get installed chromium but it is not on PATH"
    return path


def test_report_page_draws_every_plot_in_chromium(tmp_path, chromium):
    config = write_config(tmp_path / "cfg", train_steps=3)
    run = tmp_path / "run"
    cli("run", "--config", config, "--out", run)
    out = cli("report", run)
    assert "c4" in out and "wikipedia" in out and "checkpoint: " in out and "step-3" in out
    deduped = json.loads((run / "dedup" / "stats.json").read_text())["sources"]
    assert f"after dedup: {sum(s['kept'] for s in deduped.values()):,} kept" in out
    expected = {"funnel.png", "drops.png", "lengths.png", "languages.png", "dedup.png", "mix.png", "training.png"}
    assert f"({len(expected)} plots)" in out
    assert {p.name for p in (run / "report").glob("*.png")} == expected
    page = (run / "report" / "index.html").read_text()
    assert "perplexity: no document carries meta.perplexity" in page  # said, not silently missing
    assert "Sampling prop. (target)" in page and "Epochs" in page and "Disk size" in page  # Table 1 columns

    # The page as a user opens it, plus a script that lists each image's natural width once loaded.
    probe = run / "report" / "probe.html"
    probe.write_text(page.replace("</body>", PROBE))
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom)
    assert found, dom[-2000:]
    images = json.loads(found[1].replace("&quot;", '"').replace("&amp;", "&"))
    assert {i["src"] for i in images} == expected
    assert all(i["w"] > 0 and i["alt"] for i in images), images

    # Training curves come from the trainer's exact numbers in RUN/train/metrics.jsonl.
    records = [json.loads(line) for line in (run / "train" / "metrics.jsonl").read_text().splitlines()]
    losses = {r["step"]: r["loss"] for r in records if "loss" in r}
    assert sorted(losses) == [1, 2, 3]
    assert f"step 3: loss {losses[3]:.4f}" in page


def test_training_curves_are_the_exact_numbers_of_metrics_jsonl(tmp_path):
    from orchestration.report import training_curves

    records = [{"step": 1, "loss": 5.123456789, "lr": 1e-3}, {"step": 2, "loss": None, "skipped": True},
               {"step": 3, "loss": 4.5, "skipped": True}, {"step": 3, "eval_loss": 4.75},
               {"step": 3, "loss": 4.25}, {"step": 3, "loss": 4.0}]  # the last: a resumed run's later value
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text("".join(json.dumps(r) + "\n" for r in records) + '{"step": 4, "lo')  # cut by a kill
    assert training_curves(metrics) == {"loss": {1: 5.123456789, 3: 4.0}, "eval_loss": {3: 4.75}}
    assert training_curves(tmp_path / "missing.jsonl") == {"loss": {}, "eval_loss": {}}
