"""`deepspeed pretrain/run.py ...` as a subprocess, for `llama-data run`'s train stage: a free rendezvous port
(runs side by side do not collide), every output line appended to a log file, the main ones echoed."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
SHOWN = ("step ", "done:", "model ", "resumed ", "error")  # trainer lines echoed; the rest only go to the log


def launch(config: str, data: Path, out: Path, launcher_args: list[str], log_path: Path) -> str:
    """Train with --resume auto and return the last echoed line (the `done:` summary when it succeeds).
    Raises RuntimeError naming the log when the trainer fails."""
    import torch

    env = dict(os.environ)
    if not torch.cuda.is_available():
        env.setdefault("DS_ACCELERATOR", "cpu")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [str(Path(sys.executable).parent / "deepspeed"), *launcher_args, "--master_port", str(port),
           str(ROOT / "pretrain" / "run.py"), "--config", config, "--data", str(data), "--out", str(out),
           "--resume", "auto"]
    last = ""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a") as log:
        log.write(f"# {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(cmd)}\n")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            log.write(line)
            log.flush()
            if line.startswith(SHOWN):
                click.echo(f"  [train] {line.rstrip()}")
                last = line.strip()
        if proc.wait():
            raise RuntimeError(f"training failed (exit {proc.returncode}); see {log_path}")
    return last
