"""Beam runner choice: short names for the runners a run can use, and the project's Dask runner.

The pipelines hold no runner-specific code; `beam_args(runner, options)` only builds the Beam command line.
Every Beam job runs on `DaskRunner` below when a run asks for Dask. It translates a pipeline to Dask bags as Beam
2.77's DaskRunner does, with what a real job needs changed:
- every sink is computed (Beam's computes only the bag of the last transform: a job with several sinks, curated
  shards, rejects and stats, would write one of them);
- every step runs once per partition: a ParDo is a graph layer of its own, and the graph is not optimised (Dask
  fused a shared step into each of its consumers, so a step read by three others ran three times: the writers'
  side effects ran twice and raced on the same file, and the dedup job read its input six times);
- a side input is a dependency of the tasks that read it, computed once by the cluster (Beam's iterates over the
  side input's bag inside each task, which computes its whole upstream graph again, per task), and a DoFn gets
  its side inputs in place of their placeholders (Beam's passes the raw arguments: a combine's default value
  failed on them);
- `beam.Create` gives one partition per element (up to MAX_PARTITIONS): the jobs create their input files, and a
  file per partition is what spreads the work over the workers (Beam's puts up to 128 elements in a partition, so
  a job over fewer than 128 files ran in one task);
- a DoFn is set up once per worker thread and kept (Beam's sets it up again for every partition: the curation
  models were loaded once per input file), and what it emits in `finish_bundle` is kept (Beam's drops it);
- a linear chain of tasks (a step whose only reader is the next step) runs as one task, each step handing on
  what an input element gave before it takes the next, and a task's output moves between workers pickled whole
  (Dask serializes a plain list element by element).
The client is closed when the job ends, so that a cluster shut down afterwards does not log reconnect errors.
"""
from __future__ import annotations

import dataclasses
import operator
import threading
import uuid
import zlib

from apache_beam import DoFn, GroupByKey, ParDo
from apache_beam.internal import pickler
from apache_beam.pipeline import PipelineVisitor
from apache_beam.runners.common import DoFnContext, DoFnInvoker, DoFnSignature, _OutputHandler
from apache_beam.runners.dask import dask_runner
from apache_beam.runners.dask.overrides import _Create, _Flatten, _GroupByKeyOnly, dask_overrides
from apache_beam.runners.dask.transform_evaluator import OneReceiver, get_windowed_value
from apache_beam.pvalue import TaggedOutput
from apache_beam.transforms.sideinputs import SideInputMap
from apache_beam.transforms.window import GlobalWindow, TimestampedValue
from apache_beam.utils.timestamp import Timestamp
from apache_beam.utils.windowed_value import WindowedValue

RUNNERS = {
    "direct": "DirectRunner",
    "dask": "orchestration.runners.DaskRunner",
    "flink": "FlinkRunner",
    "spark": "SparkRunner",
    "dataflow": "DataflowRunner",
}
MAX_PARTITIONS = 10_000  # partitions of a created collection (input files): more elements share partitions


def beam_args(runner: str, options: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The Beam command line of a run: `--runner=...` for the short name, then the pass-through options."""
    if runner not in RUNNERS:
        raise ValueError(f"unknown runner {runner!r} (known: {', '.join(RUNNERS)})")
    return [f"--runner={RUNNERS[runner]}", *options]


class DaskRunner(dask_runner.DaskRunner):
    """Runs a Beam pipeline on a Dask cluster (`--dask_client_address=...`), every sink computed."""

    def run_pipeline(self, pipeline, options):
        import dask.distributed as ddist

        dask_options = options.view_as(dask_runner.DaskOptions).get_all_options(drop_default=True,
                                                                                  current_only=True)
        bag_kwargs = dask_runner.DaskOptions._extract_bag_kwargs(dask_options)
        client = ddist.Client(**dask_options)
        pipeline.replace_all(dask_overrides())
        groups = bag_kwargs.get("npartitions") or 2 * sum(client.nthreads().values())
        visitor = _ToBags(bag_kwargs, groups, job=uuid.uuid4().hex)
        pipeline.visit(visitor)
        consumed = {pcoll.producer for node in visitor.bags for pcoll in node.inputs}
        consumed |= {si.pvalue.producer for node in visitor.bags for si in node.side_inputs}
        leaves = [bag for node, bag in visitor.bags.items() if node not in consumed]
        return _Result(client, _submit(client, leaves))


def _submit(client, bags) -> list:
    """Every partition of `bags` computed on the cluster, each linear chain of tasks (a step whose only reader
    is the next step, whose only input it is) fused into one task: fewer tasks and hops between them, and no
    task computed twice (Dask's default optimisation also inlines shared tasks into each of their readers).
    Within a fused task, outputs flow from one step to the next per input element (`_streamed`)."""
    from dask.highlevelgraph import HighLevelGraph
    from dask.optimization import fuse_linear

    keys = [key for bag in bags for key in bag.__dask_keys__()]
    graph, _dependencies = fuse_linear(dict(HighLevelGraph.merge(*[bag.__dask_graph__() for bag in bags])), keys)
    return client.get({key: _streamed(task) for key, task in graph.items()}, keys, sync=False)


def _streamed(task):
    """A fused task whose ParDos hand on what each input element gave: a ParDo read by another ParDo (or by a
    shuffle's split) in the same task becomes a generator, so a step's whole output is never held (the dedup
    job's Apply hands each file's documents to the writer's spill, which keeps only file names, instead of
    holding the documents of every file in its partition)."""
    if type(task) is tuple and task and task[0] in (_run_bundle, _split):
        inner = task[1]
        if type(inner) is tuple and inner and inner[0] is _run_bundle:  # a task, not a key (keys start with a name)
            inner = (_bundle_outputs, *_streamed(inner)[1:])
        return (task[0], inner, *task[2:])
    return task


class _Result(dask_runner.DaskRunnerResult):
    def wait_until_finish(self, duration=None):
        try:
            return super().wait_until_finish(duration)
        finally:
            self.client.close()


class _ToBags(PipelineVisitor):
    """Each applied transform -> the Dask bag of its output."""

    def __init__(self, bag_kwargs: dict, groups: int, job: str):
        self.bag_kwargs, self.groups, self.job, self.bags = bag_kwargs, groups, job, {}

    def visit_transform(self, node) -> None:
        import dask.bag as db

        inputs = [self.bags[pcoll.producer] for pcoll in node.inputs if pcoll.producer in self.bags]
        transform = node.transform
        kind = type(transform)
        if kind is _Create:
            bag = db.from_sequence(transform.values, **(self.bag_kwargs or {
                "npartitions": max(1, min(len(transform.values), MAX_PARTITIONS))}))
        elif kind is ParDo and isinstance(transform.fn, GroupByKey.ReifyWindows):
            bag = inputs[0]  # one global window: a GroupByKey groups the plain values (no windows to pickle)
        elif kind is ParDo:  # not its subclasses: the group-by-window step of a GroupByKey is a no-op here
            bag = _par_do(node, inputs[0], [self.bags[si.pvalue.producer] for si in node.side_inputs], self.job)
        elif kind is _GroupByKeyOnly:
            bag = _group_by_key(inputs[0], self.groups)
        elif kind is _Flatten:
            bag = db.concat(inputs) if inputs else db.from_sequence([], npartitions=1)
        else:  # composites and pass-through overrides (Reshuffle, Read): their output is their input's
            bag = inputs[0] if inputs else None
        self.bags[node] = bag


def _par_do(node, bag, side_bags, job: str):
    """A ParDo as one task per partition, in a graph layer of its own: Dask never fuses such a task into several
    consumers, so a DoFn with side effects (the writers) runs once per partition, whatever reads its output."""
    import dask.bag as db
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    transform = node.transform
    main = next(iter(node.main_inputs.values()))
    window_fn = main.windowing.windowfn if hasattr(main, "windowing") else None
    step = _Step(transform, (job, node.full_label), window_fn,
                 [(type(si), si._view_options(), si._window_mapping_fn) for si in node.side_inputs])
    sides = [side.reduction(list, _concat) for side in side_bags]  # each computed once, as a dependency
    name = f"{node.full_label}-{tokenize(*step.key)}"  # the Beam label: what the Dask dashboard shows
    packed = (step.key, pickler.dumps(step))  # Beam's own pickler, as any runner ships a DoFn
    tasks = {(name, i): (_run_bundle, (bag.name, i), packed, *[s.key for s in sides]) for i in range(bag.npartitions)}
    graph = HighLevelGraph.from_collections(name, tasks, dependencies=[bag, *sides])
    return db.Bag(graph, name, bag.npartitions)


def _group_by_key(bag, groups: int):
    """A GroupByKey as a shuffle into `groups` partitions: each input partition splits its pairs by a hash of the
    key that is the same in every worker process, and each output partition groups the pieces it receives.
    (Beam's keeps its input's partitions, and a Flatten adds its inputs' up: a job of a few files grew to
    hundreds of partitions and tens of thousands of tasks; Dask's bag shuffle tokenises every element.)"""
    import dask.bag as db
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    name, n = f"group-{tokenize(bag.name, groups)}", bag.npartitions
    tasks = {(f"split-{name}", i): (_split, (bag.name, i), groups) for i in range(n)}
    # each piece a task of its own, run where its split is: a group fetches its pieces, not whole splits
    tasks |= {(f"piece-{name}", i, j): (operator.getitem, (f"split-{name}", i), j)
              for i in range(n) for j in range(groups)}
    tasks |= {(name, j): (_group, [(f"piece-{name}", i, j) for i in range(n)]) for j in range(groups)}
    return db.Bag(HighLevelGraph.from_collections(name, tasks, dependencies=[bag]), name, groups)


class _Partition(list):
    """What a task returns: a list that Dask pickles whole when it moves between workers (a plain list it
    serializes element by element, each with its own header: most of a shuffle's cost)."""


def _split(pairs, groups: int) -> list[list]:
    pieces = [_Partition() for _ in range(groups)]
    for pair in pairs:
        key = pair[0]
        pieces[(key if type(key) is int else zlib.crc32(repr(key).encode())) % groups].append(pair)
    return pieces


def _group(pieces) -> list:
    grouped = {}
    for piece in pieces:
        for key, value in piece:
            grouped.setdefault(key, []).append(value)
    return _Partition(grouped.items())


@dataclasses.dataclass
class _Step:
    """What a ParDo's tasks need besides their data, in one object: Dask would take a tuple for a task."""
    transform: ParDo
    key: tuple[str, str]  # (job, label): names the set-up DoFn on a worker thread
    window_fn: object
    views: list  # (view class, view options, window mapping) per side input


_IN_GLOBAL_WINDOW = (Timestamp(0), (GlobalWindow(),))  # what a plain value gets, made once (not per element)


def _windowed(item, window_fn) -> WindowedValue:
    if isinstance(item, (TaggedOutput, TimestampedValue, WindowedValue)):
        return get_windowed_value(item, window_fn)
    return WindowedValue(item, *_IN_GLOBAL_WINDOW)


def _concat(lists):
    return [x for part in lists for x in part]


_local = threading.local()  # this worker thread's steps of the job it last ran: {(job, label): _Prepared}


@dataclasses.dataclass
class _Prepared:
    """A step as a worker thread keeps it between tasks: unpickled, its DoFn set up, its signature inspected."""
    step: _Step
    signature: DoFnSignature


def _prepared(packed: tuple) -> _Prepared:
    """This thread's prepared step; the steps of an earlier job are torn down first, so that a long-lived worker
    holds the models of one job at most."""
    key, data = packed
    steps = getattr(_local, "steps", {})
    if any(job != key[0] for job, _label in steps):
        for prepared in steps.values():
            prepared.step.transform.fn.teardown()
        steps = {}
    _local.steps = steps
    if key not in steps:
        step = pickler.loads(data)
        step.transform.fn.setup()
        steps[key] = _Prepared(step, DoFnSignature(step.transform.fn))
    return steps[key]


def _run_bundle(items, packed: tuple, *side_values) -> _Partition:
    """One Dask partition through a ParDo, its outputs as the task's result."""
    return _Partition(_bundle_outputs(items, packed, *side_values))


def _bundle_outputs(items, packed: tuple, *side_values):
    """One Dask partition through a ParDo as one bundle, outputs yielded as each element is processed, then
    those of `finish_bundle`. `packed` is the step's key and its pickled `_Step`, unpickled once per worker
    thread (not once per task)."""
    prepared = _prepared(packed)
    transform, window_fn = prepared.step.transform, prepared.step.window_fn
    receivers = OneReceiver()
    handler = _OutputHandler(window_fn=window_fn, main_receivers=receivers[None], tagged_receivers=receivers,
                             per_element_output_counter=None, output_batch_converter=None,
                             process_yields_batches=False, process_batch_yields_elements=False)
    sides = [SideInputMap(kind, options, [get_windowed_value(v, mapping) for v in values])
             for (kind, options, mapping), values in zip(prepared.step.views, side_values)]
    invoker = DoFnInvoker.create_invoker(
        prepared.signature, handler, context=DoFnContext(transform.label, state=None), side_inputs=sides,
        input_args=list(transform.args), input_kwargs=transform.kwargs, user_state_context=None,
        bundle_finalizer_param=DoFn.BundleFinalizerParam())
    outputs = receivers.values  # the receivers append to this list: emptied in place as it is handed on
    invoker.invoke_start_bundle()
    for item in items:
        invoker.invoke_process(_windowed(item, window_fn))
        if outputs:
            yield from (v.value for v in outputs)
            outputs.clear()
    invoker.invoke_finish_bundle()
    yield from (v.value for v in outputs)
