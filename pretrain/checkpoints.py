"""The trainer's checkpoint folder: OUT/step-N, complete ones; incomplete ones are still named .step-N.tmp."""
from __future__ import annotations

from pathlib import Path


def checkpoints(out: Path) -> list[Path]:
    """The complete checkpoints in `out`, oldest first."""
    found = [p for p in out.glob("step-*") if p.is_dir() and p.name[5:].isdigit()]
    return sorted(found, key=lambda p: int(p.name[5:]))
