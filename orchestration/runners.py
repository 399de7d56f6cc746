"""Beam runner choice: short names for the runners a run can use, and a Dask runner that runs every sink.

The pipelines hold no runner-specific code; `beam_args(runner, options)` only builds the Beam command line.
Beam 2.77's DaskRunner computes just the bag of the pipeline's last transform: a job with several sinks (curated
shards, rejects, stats) silently writes only one of them. `DaskRunner` below computes every leaf instead, and
closes its client when the job ends so that a cluster shut down afterwards does not log reconnect errors.
It also keeps what a DoFn emits in `finish_bundle` (the end of a batch), which Beam 2.77's Dask ParDo drops.
"""
from __future__ import annotations

from apache_beam.runners.common import DoFnInvoker
from apache_beam.runners.dask import dask_runner, transform_evaluator

RUNNERS = {
    "direct": "DirectRunner",
    "dask": "orchestration.runners.DaskRunner",
    "flink": "FlinkRunner",
    "spark": "SparkRunner",
    "dataflow": "DataflowRunner",
}


def beam_args(runner: str, options: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The Beam command line of a run: `--runner=...` for the short name, then the pass-through options."""
    if runner not in RUNNERS:
        raise ValueError(f"unknown runner {runner!r} (known: {', '.join(RUNNERS)})")
    return [f"--runner={RUNNERS[runner]}", *options]


def _apply_dofn_to_bundle(items, invoker_args, invoker_kwargs, tagged_receivers):
    """Beam's function for one Dask partition, with the outputs collected after `finish_bundle`, not before."""
    invoker = DoFnInvoker.create_invoker(*invoker_args, **invoker_kwargs)
    invoker.invoke_setup()
    invoker.invoke_start_bundle()
    for item in items:
        invoker.invoke_process(item)
    invoker.invoke_finish_bundle()
    invoker.invoke_teardown()
    return [v.value for v in tagged_receivers.values]


class _Result(dask_runner.DaskRunnerResult):
    def wait_until_finish(self, duration=None):
        try:
            return super().wait_until_finish(duration)
        finally:
            self.client.close()


class DaskRunner(dask_runner.DaskRunner):
    """Beam's DaskRunner, computing every sink of the pipeline rather than only the last transform."""

    def run_pipeline(self, pipeline, options):
        import dask.distributed as ddist
        from apache_beam.runners.dask.overrides import dask_overrides

        dask_options = options.view_as(dask_runner.DaskOptions).get_all_options(drop_default=True,
                                                                                  current_only=True)
        bag_kwargs = dask_runner.DaskOptions._extract_bag_kwargs(dask_options)
        client = ddist.Client(**dask_options)
        transform_evaluator.apply_dofn_to_bundle = _apply_dofn_to_bundle  # looked up by name at each ParDo
        pipeline.replace_all(dask_overrides())
        visitor = self.to_dask_bag_visitor(bag_kwargs)
        pipeline.visit(visitor)
        consumed = {pcoll.producer for node in visitor.bags for pcoll in node.inputs}
        consumed |= {si.pvalue.producer for node in visitor.bags for si in node.side_inputs}
        leaves = [bag for node, bag in visitor.bags.items() if node not in consumed]
        futures = client.compute(leaves)  # optimised together: shared stages run once
        return _Result(client, futures)
