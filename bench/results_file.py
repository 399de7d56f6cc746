"""The per-core rates `llama-data plan` reads, as bench/ scripts measure them: bench/results/*.json, each entry
stamped with the command, machine and date that measured it, so that every number can be measured again."""
from __future__ import annotations

import datetime
import json
import os
import platform
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
STAGES = RESULTS / "stages.json"


def machine() -> str:
    """Cores, architecture and CPU model of this machine."""
    cpuinfo = Path("/proc/cpuinfo")
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
              if line.startswith("model name")] if cpuinfo.exists() else []
    cpu = models[0] if models else platform.processor() or platform.system()
    return f"{os.cpu_count()}-core {platform.machine()} ({cpu})"


def record(path: Path, entries: dict[str, dict], command: str) -> None:
    """Merge `entries` into the JSON object at `path`, replacing entries of the same name."""
    results = json.loads(path.read_text()) if path.exists() else {}
    stamp = {"command": command, "machine": machine(), "date": datetime.date.today().isoformat()}
    results.update({name: {**entry, **stamp} for name, entry in entries.items()})
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"rates written to {path.relative_to(RESULTS.parent.parent)}")


def record_stage(stage: str, rate: float, unit: str, command: str, **measured) -> None:
    """One stage's per-core rate (in `unit`) into STAGES, with what it was measured on."""
    record(STAGES, {stage: {"rate": rate, "unit": unit, **measured}}, command)
