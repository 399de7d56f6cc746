"""A generic stage DAG: declared outputs, fingerprints, completion markers and resume.

Each stage owns a list of outputs under RUN and is fingerprinted by what decides them: its parameters and the
sha256 of its upstream stages' outputs. A finished stage leaves RUN/.done/<stage>.json with that fingerprint and
the sha256 and size of every output file, and is skipped while the fingerprint matches and the files are still
there. A stage that did not finish (its marker says `running`) or whose fingerprint changed starts over from empty
outputs, unless it is resumable (it keeps its partial outputs when rerun with the same fingerprint).
Nothing here knows the recipe: orchestration/recipe.py declares the stages.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import click

from llama_data.files import atomic_write, file_sha256


@dataclass
class Stage:
    name: str
    after: list[str]  # stages whose outputs this one reads
    outputs: list[str]  # files and folders under RUN that this stage owns
    params: dict  # what decides the outputs besides the upstream outputs (fingerprinted)
    work: Callable[[], str]  # does the work, returns a one-line summary
    resumable: bool = False  # keep partial outputs when rerun with the same fingerprint


def _marker_path(run_dir: Path, stage: str) -> Path:
    return run_dir / ".done" / f"{stage}.json"


def read_marker(run_dir: Path, stage: str) -> dict | None:
    path = _marker_path(run_dir, stage)
    return json.loads(path.read_text()) if path.exists() else None


def _write_marker(run_dir: Path, stage: str, marker: dict) -> None:
    path = _marker_path(run_dir, stage)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (json.dumps(marker, indent=1, sort_keys=True) + "\n").encode())


def _files(run_dir: Path, outputs: list[str]) -> list[Path]:
    found = []
    for out in outputs:
        p = run_dir / out
        found += sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p] if p.is_file() else []
    return [f for f in found if not f.name.endswith(".tmp")]


def output_digest(run_dir: Path, outputs: list[str]) -> dict:
    """relative path -> [sha256, bytes] of every file a stage wrote."""
    return {str(f.relative_to(run_dir)): [file_sha256(f), f.stat().st_size] for f in _files(run_dir, outputs)}


def fingerprint(stage: Stage, upstream: dict[str, dict]) -> str:
    blob = json.dumps({"params": stage.params, "upstream": upstream}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def is_done(run_dir: Path, stage: Stage, fp: str) -> bool:
    """Finished with this fingerprint and every recorded output still there at its size."""
    m = read_marker(run_dir, stage.name)
    if not m or m["status"] != "done" or m["fingerprint"] != fp:
        return False
    return all((run_dir / rel).is_file() and (run_dir / rel).stat().st_size == size
               for rel, (_, size) in m["outputs"].items())


def _clear(run_dir: Path, outputs: list[str]) -> None:
    for out in outputs:
        p = run_dir / out
        shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)


def _upstream(run_dir: Path, stage: Stage) -> dict[str, dict]:
    """The output digests of the stages this one reads."""
    digests = {}
    for dep in stage.after:
        m = read_marker(run_dir, dep)
        if not m or m["status"] != "done":
            raise click.UsageError(f"stage '{stage.name}' needs '{dep}', which has not finished in {run_dir}; "
                                   f"run without --only/--from first")
        digests[dep] = m["outputs"]
    return digests


def select(all_stages: list[Stage], only: str | None, start: str | None) -> list[Stage]:
    """The stages named by --only (a stage, or a group such as `curate`) or from --from on; all by default."""
    names = [s.name for s in all_stages]

    def matches(stage: Stage, name: str) -> bool:
        return stage.name == name or stage.name.split(".")[0] == name

    for option, name in (("--only", only), ("--from", start)):
        if name and not any(matches(s, name) for s in all_stages):
            raise click.BadParameter(f"no stage '{name}' in this run (stages: {', '.join(names)})",
                                     param_hint=f"'{option}'")
    if only:
        return [s for s in all_stages if matches(s, only)]
    if start:
        first = next(i for i, s in enumerate(all_stages) if matches(s, start))
        return all_stages[first:]
    return all_stages


def execute(all_stages: list[Stage], run_dir: Path, only=None, start=None, force=False) -> list[dict]:
    """Run the selected stages in order, skipping finished ones; return one result row per stage."""
    run_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for stage in select(all_stages, only, start):
        fp = fingerprint(stage, _upstream(run_dir, stage))
        if not force and is_done(run_dir, stage, fp):
            m = read_marker(run_dir, stage.name)
            results.append({"stage": stage.name, "status": "skipped", "seconds": 0.0, "summary": m["summary"]})
            click.echo(f"== {stage.name}: done, skipped ({m['summary']})")
            continue
        previous = read_marker(run_dir, stage.name)
        resume = stage.resumable and not force and previous and previous["fingerprint"] == fp
        if not resume:
            if stage.resumable and not force and _files(run_dir, stage.outputs):
                raise click.UsageError(
                    f"stage '{stage.name}': {', '.join(stage.outputs)} in {run_dir} came from other inputs or "
                    f"settings; move them away, or pass --force to delete them and start over")
            _clear(run_dir, stage.outputs)
        click.echo(f"== {stage.name}: {'resuming' if resume else 'running'}")
        _write_marker(run_dir, stage.name, {"status": "running", "fingerprint": fp, "params": stage.params})
        start_time = time.time()
        summary = stage.work()
        seconds = time.time() - start_time
        _write_marker(run_dir, stage.name, {"status": "done", "fingerprint": fp, "params": stage.params,
                                            "outputs": output_digest(run_dir, stage.outputs),
                                            "summary": summary, "seconds": round(seconds, 3)})
        click.echo(f"== {stage.name}: finished in {seconds:.1f}s: {summary}")
        results.append({"stage": stage.name, "status": "ran", "seconds": seconds, "summary": summary})
    return results
