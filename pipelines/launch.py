"""Starting a Beam job, the same way for every job (curate, dedup, decontaminate, encode)."""
from __future__ import annotations

import logging

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines import storage


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
    with beam.Pipeline(options=job_options(beam_args)) as p:
        build(p)
    if temp_dir:
        remove_temp(temp_dir)


def job_options(beam_args=()) -> PipelineOptions:
    """A job's Beam options, also handed to FileSystems for what its command reads, writes and clears before and
    after the job: an object store's endpoint and keys (`--s3_endpoint_url`, ...) apply to both. A command calls
    this before it touches a path."""
    options = PipelineOptions(list(beam_args) or ["--runner=DirectRunner"], save_main_session=False)
    FileSystems.set_options(options)
    return options


def remove_temp(temp_dir: str) -> None:
    """A successful job's spill files, and their parent folder (RUN/.tmp/) once no other job has any there."""
    storage.remove_tree(temp_dir)
    storage.remove_empty_dir(storage.dirname(temp_dir))
