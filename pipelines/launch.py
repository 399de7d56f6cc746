"""Starting a Beam job, the same way for every job (curate, dedup, decontaminate, encode)."""
from __future__ import annotations

import contextlib
import logging
import os
import shutil

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


class _QuietOptionalClients(logging.Filter):
    """Beam warns on import that Google Cloud clients are absent; they are optional here."""

    def filter(self, record):
        return "apitools not found" not in record.getMessage()


_QUIET = _QuietOptionalClients()  # one instance: adding it again is a no-op, so filters never pile up


def run_job(build, beam_args=(), temp_dir: str | None = None) -> None:
    """Build the job with `build(pipeline)` and run it to the end (DirectRunner unless `beam_args` name a runner);
    then remove its spill files under `temp_dir`: they stay until the job has succeeded, so that a retried step
    finds its inputs."""
    logging.getLogger().addFilter(_QUIET)
    options = PipelineOptions(list(beam_args) or ["--runner=DirectRunner"], save_main_session=False)
    with beam.Pipeline(options=options) as p:
        build(p)
    if temp_dir:
        remove_temp(temp_dir)


def remove_temp(temp_dir: str) -> None:
    """A successful job's spill files, and their parent folder (RUN/.tmp/) once no other job has any there."""
    shutil.rmtree(temp_dir, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.rmdir(os.path.dirname(temp_dir))
