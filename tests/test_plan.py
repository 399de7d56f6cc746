"""`llama-data plan`: the paper's scale from Table 1 and the measured throughputs bench/ writes."""
import json
import re
from pathlib import Path

import click
import pytest

from click.testing import CliRunner

from orchestration.cli import main
from orchestration.plan import PAPER_TOKENS, RATES, STAGES, TABLE1, benchmark_rates, stage_rates


def test_plan_for_the_papers_budget():
    result = CliRunner().invoke(main, ["plan", "--tokens", "1.4e12"])
    assert result.exit_code == 0, result.output
    out = result.output
    # At the paper's budget and mix, the curated sizes are Table 1's disk sizes.
    assert re.search(r"^commoncrawl\s+938\.0B\s+1\.10\s+3\.3 TB", out, re.M)
    assert re.search(r"^wikipedia\s+63\.0B\s+2\.45\s+83\.0 GB", out, re.M)
    # 1.4T tokens at 380 tokens/s/GPU: the paper's ~1.02M GPU-hours; mix rows of 2049 tokens in 65,536-row shards.
    assert "1,023,392 A100-80GB GPU-hours" in out
    assert re.search(r"^mix\s+2\.8 TB\s+10,426\s+[\d,]+\s+1,400B tokens at .*; 683,260,127 rows of 2049", out, re.M)
    # Curation core-hours are raw input over the benchmark's per-core MB/s.
    rates = benchmark_rates()
    books = re.search(r"^books\s+\S+\s+\S+\s+([\d.]+) GB\s+\d+%\s+([\d.]+) GB\s+([\d,]+)", out, re.M)
    assert round(float(books[2]) * 1e3 / rates["books"]["mb_per_s"] / 3600) == int(books[3].replace(",", ""))
    # Dedup reads Table 1's curated text, encode its unique tokens, the mix writes the budget: each at the per-core
    # rate its benchmark measured into stages.json.
    stages = json.loads(Path(STAGES).read_text())
    curated_mb = sum(disk_gb for _, _, disk_gb in TABLE1.values()) * 1e3
    unique = sum(prop * PAPER_TOKENS / epochs for prop, epochs, _ in TABLE1.values())
    hours = {"dedup": curated_mb / stages["dedup"]["rate"] / 3600, "encode": unique / stages["encode"]["rate"] / 3600,
             "mix": PAPER_TOKENS / stages["mix"]["rate"] / 3600}
    assert re.search(rf"^dedup\s+4\.7 TB\s+{hours['dedup']:,.0f}  4\.7 TB of curated text", out, re.M)
    assert re.search(rf"^encode\s+2\.5 TB\s+{hours['encode']:,.0f}  1,263B unique tokens", out, re.M)
    assert re.search(rf"^mix\s+.*\s{hours['mix']:,.0f}  1,400B tokens", out, re.M)
    curate = int(re.search(r"^curate\s+\S+ TB\s+[\d,]+\s+([\d,]+)", out, re.M)[1].replace(",", ""))
    total = int(re.search(r"^data total\s+([\d,]+)", out, re.M)[1].replace(",", ""))
    assert abs(total - curate - sum(hours.values())) <= 1


def test_plan_rejects_a_bad_mix_config(tmp_path):
    bad = tmp_path / "mix.yaml"
    bad.write_text("weights: {c5: 1}\n")
    result = CliRunner().invoke(main, ["plan", "--tokens", "1e9", "--mix", str(bad)])
    assert result.exit_code == 2 and "weights.c5" in result.output and str(bad) in result.output


def test_rates_come_from_the_benchmark_results_file(tmp_path):
    results = json.loads(Path(RATES).read_text())
    results["books"] |= {"mb_per_s": 2.5, "read": 400, "kept": 300}
    path = tmp_path / "rates.json"
    path.write_text(json.dumps(results))
    assert benchmark_rates(path)["books"] == {"mb_per_s": 2.5, "keep": 0.75}
    del results["arxiv"]
    path.write_text(json.dumps(results))
    with pytest.raises(click.ClickException, match="no curation throughput for arxiv"):
        benchmark_rates(path)


def test_stage_rates_come_from_the_stage_benchmarks(tmp_path):
    results = json.loads(Path(STAGES).read_text())
    results["encode"]["rate"] = 123_456
    path = tmp_path / "stages.json"
    path.write_text(json.dumps(results))
    assert stage_rates(path)["encode"] == 123_456
    del results["mix"]
    path.write_text(json.dumps(results))
    with pytest.raises(click.ClickException, match=r"no mix throughput in tokens/s; run bench/mix_throughput.py"):
        stage_rates(path)
    results["mix"] = results["encode"] | {"unit": "MB/s"}  # a rate in another unit is not the one plan divides by
    path.write_text(json.dumps(results))
    with pytest.raises(click.ClickException, match="no mix throughput"):
        stage_rates(path)
    with pytest.raises(click.ClickException, match="no dedup throughput in curated MB/s; run bench/dedup_growth.py"):
        stage_rates(tmp_path / "absent.json")
