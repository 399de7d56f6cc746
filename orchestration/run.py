"""`llama-data run`: the recipe of orchestration/recipe.py executed by the stage DAG of orchestration/dag.py."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from llama_data.config import ConfigError


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Run config (YAML): sources, runner, shards, tokenizer, mix and train configs.")
@click.option("--out", "run_dir", default="runs/run", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Run directory.")
@click.option("--runner", type=click.Choice(["direct", "dask", "flink", "spark", "dataflow"]), default=None,
              help="Beam runner of the curation jobs [default: the config's beam.runner].")
@click.option("--only", default=None, help="Run just this stage, or group (e.g. curate, curate.c4, mix).")
@click.option("--from", "start", default=None, help="Run this stage and every stage after it.")
@click.option("--force", is_flag=True, help="Rerun the selected stages even when finished.")
@click.argument("beam_options", nargs=-1, type=click.UNPROCESSED)
def run(config_path, run_dir, runner, only, start, force, beam_options):
    """Raw data to a trained model: samples -> models -> curate each source -> dedup -> decontaminate ->
    tokenizer -> encode -> mix -> train (samples, models, decontaminate and train when the config asks for them).

    Finished stages are skipped; Beam options (e.g. --dask_client_address=ADDR) after the others pass through
    to the curation jobs. See docs/RUNNERS.md for Dask, Flink, Spark and Dataflow.
    """
    from orchestration.dag import execute
    from orchestration.recipe import load_run_config, stages
    from orchestration.runners import beam_args

    if only and start:
        raise click.UsageError("give --only or --from, not both")
    t0 = time.time()
    try:
        cfg, mix = load_run_config(config_path)
        args = beam_args(runner or cfg.beam.runner, [*cfg.beam.options, *beam_options])
        results = execute(stages(cfg, mix, run_dir, args), run_dir, only, start, force)
    except ConfigError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        raise click.ClickException(f"{e} (finished stages stay done; rerun to continue)") from None
    click.echo(f"\nrun {run_dir} ({args[0]}): {time.time() - t0:.1f}s")
    for r in results:
        click.echo(f"  {r['stage']:<22}{r['status']:<9}{r['seconds']:>7.1f}s  {r['summary']}")
    ran = sum(r["status"] == "ran" for r in results)
    click.echo(f"{ran} stage(s) ran, {sum(r['status'] == 'skipped' for r in results)} already done"
               + ("; nothing to do" if not ran else "") + f". Report: llama-data report {run_dir}")
