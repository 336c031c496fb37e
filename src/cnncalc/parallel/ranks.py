"""A rank's figures: the analysis' node figures divided, gathered and scheduled by a parallel layout.

Nothing here counts a layer: every number starts from a node's row (its parameters, output bytes, FLOPs,
backward FLOPs) and the training ledger (which storages autograd keeps, and which node keeps each). The layout
then

- **places** nodes: pipeline stages take the repeated blocks in order, evenly (the first stage also what comes
  before the first block, the last what comes after the last), or as ``--pp-split`` says;
- **divides** them: the global batch over data-parallel replicas and micro-batches; tensors, activations and
  FLOPs over tensor-parallel ranks by each layer's style (:mod:`cnncalc.parallel.shard`), carried from layer to
  layer (a colwise layer's output is split by features, what reads it stays split until a rowwise layer sums
  it); the sequence over context-parallel ranks; experts over expert-parallel ranks;
- **shards** model states over the data-parallel group as DDP, ZeroRedundancyOptimizer and FSDP2 do;
- **schedules** micro-batches: each stage holds what the torch schedule keeps in flight;
- **gathers**: the bytes each collective moves, per rank and step.

Ranks are numbered as ``init_device_mesh`` lays out the mesh ``(pp, dp, cp, tp)``, tp fastest:
``rank = ((stage·dp + d)·cp + c)·tp + t``.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cnncalc.conventions import TENSOR_BYTES
from cnncalc.errors import ArgumentError
from cnncalc.layers.calc import Step, fmt, prod
from cnncalc.memory import element_bytes, liveness, storage_of
from cnncalc.parallel.figures import Communication, Parallel, RankClass
from cnncalc.parallel.layout import ParallelLayout
from cnncalc.parallel.plan import DEFAULT_PLAN, style_for
from cnncalc.parallel.shard import ParamTensor, check_split, layer_tensors, split

if TYPE_CHECKING:
    from cnncalc.graph import Graph
    from cnncalc.options import Options
    from cnncalc.report import Row, Totals
    from cnncalc.report_extras import LlmFigures, Training
    from cnncalc.training import Ledger

# how a node's output is laid out over the tensor-parallel ranks
WHOLE, FEATURES, SEQUENCE = 0, 1, 2
STATE_WORDS = ("whole", "split by features", "split by sequence")
NORMS = ("layernorm", "rmsnorm", "groupnorm", "batchnorm", "instancenorm")
SHARDED_STYLES = ("colwise", "rowwise", "colwise_gather")
# kinds whose parameters a tensor-parallel style can split
SPLITS = {"colwise": ("dense", "expertdense", "embedding"), "rowwise": ("dense", "expertdense", "embedding")}
SPLITS["colwise_gather"] = ("dense",)


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


DDP_BUCKET = 25 * 2**20  # DDP's bucket_cap_mb: gradients are all-reduced in buckets of 25 MiB
OPTIMIZER_READS = {"sgd": 1, "momentum": 1, "adam": 3, "adamw": 3}  # how often a step reads each gradient


class Traffic(dict):
    """Bytes and calls per step, by ``(collective, axis)``: the axis is the group it runs in (dp, tp, cp, ep, pp,
    or edp: the replicas holding the same experts)."""

    def add(self, collective: str, axis: str, n: int, calls: int = 1) -> None:
        if n > 0:
            entry = self.setdefault((collective, axis), [0, 0])
            entry[0] += n
            entry[1] += calls

    def totals(self) -> dict[str, int]:
        """Bytes per collective, whatever the group."""
        out: dict[str, int] = {}
        for (collective, _), (n, _) in self.items():
            out[collective] = out.get(collective, 0) + n
        return out


@dataclass
class Placed:
    """One node as the layout sees it: its row, where it runs, how its output lies, and its tensors."""

    row: Row
    stage: int  # the virtual stage (0 … pp·vpp − 1)
    style: str | None = None  # the tensor-parallel style its plan gives it
    state: int = WHOLE  # how its output lies over the tensor-parallel ranks
    divide: int = 1  # its output's bytes are divided by this on a rank (tensor and context parallel)
    compute: int = 1  # its FLOPs are divided by this on a rank
    tensors: list[ParamTensor] = field(default_factory=list)
    step_tensors: int = 0  # tensors an optimizer keeps a step count for
    gathers: bool = False  # it reads a sequence-split input gathered whole (sequence parallelism)
    expert: bool = False  # its tensors are experts, spread over expert-parallel ranks
    names: tuple[str, ...] = ()
    buffer_bytes: int = 0  # its buffers (running statistics), each at its own dtype where the model says


def parallel_figures(
    graph: Graph,
    nodes: list[Row],
    totals: Totals,
    training: Training | None,
    llm: LlmFigures | None,
    options: Options,
    dtype: str,
    records: Mapping[str, Any],
    ledger: Ledger | None,
) -> Parallel:
    """The step of an analysed graph spread by ``options.parallel``: a :class:`Parallel` per rank class."""
    batch = graph.batch or options.batch
    source = Source(graph, nodes, records, ledger, llm, dtype, batch, training is not None)
    return Spread(source, options).figures()


@dataclass
class Source:
    """What one analysis gives every layout spread over it: the nodes' rows, their records and the training ledger;
    ``cache`` keeps what does not depend on the layout (each node's names and tensor-parallel style)."""

    graph: Graph
    rows: list[Row]
    records: Mapping[str, Any]
    ledger: Ledger | None
    llm: LlmFigures | None
    dtype: str
    batch: int
    train: bool
    cache: dict[Any, Any] = field(default_factory=dict)


def respread(parallel: Parallel, options: Options) -> Parallel:
    """Another layout (``options.parallel``) over the analysis ``parallel`` was made from: the same nodes placed
    again, as :func:`cnncalc.analyze` with that layout would (``cnncalc plan`` runs through here)."""
    return Spread(parallel.source, options).figures()


class Spread:
    """The nodes of one analysis placed by one layout; :meth:`figures` gives each rank class."""

    def __init__(self, source: Source, options: Options) -> None:
        layout: ParallelLayout = options.parallel
        graph, batch = source.graph, source.batch
        self.source = source
        self.graph, self.layout, self.options, self.batch = graph, layout, options, batch
        self.b = element_bytes(source.dtype)
        self.records, self.ledger, self.train = source.records, source.ledger, source.train
        self.rows = source.rows
        self.llm = source.llm
        self.dtype = source.dtype
        self.notes: list[str] = []
        self.device, self.devices, self.peak = None, layout.world_size, 0.0
        if options.devices is not None or (options.hardware is not None):
            from cnncalc.hardware import lookup

            if options.devices is not None:
                self.devices, self.device = options.devices
            else:
                self.device = lookup(options.hardware)  # type: ignore[arg-type]
            if self.devices != layout.world_size:
                raise ArgumentError(
                    f"--parallel {layout} is {layout.world_size:,} ranks ({_product(layout)}), but --devices gives "
                    f"{self.devices:,}",
                    hint="the product of dp, tp, pp and cp must be the number of devices",
                )
            self.peak = self.device.peak_tflops(self.dtype) * 1e12
        replicas = layout.dp * layout.microbatches
        if batch % replicas:
            raise ArgumentError(
                f"--parallel: the global batch of {batch} does not split into dp={layout.dp} replicas × "
                f"microbatches={layout.microbatches}",
                hint=f"give a batch that is a multiple of {replicas} (the first number of --input, or --batch)",
            )
        self.f = replicas  # a micro-batch on one rank is the global batch / f
        self.sequence = _sequence(self.rows, graph)
        self.microbatch = batch // replicas
        self.degrees = (("tp", layout.tp), ("ep", layout.ep))
        self._sent: set[str] | None = None
        where = (layout.tp, layout.sp, layout.pp, layout.vpp, layout.cp, layout.ep, options.tp_plan, options.pp_split)
        known = source.cache.get(("placed", where))
        if known is None:  # nodes placed the same for every dp, zero and micro-batching
            self.placed = self._place()
            self._check_sequence()
            self._by_stage()
            source.cache[("placed", where)] = (self.placed, self.stages, self.sent)
        else:
            self.placed, self.stages, self._sent = known

    # ------------------------------------------------------------------ placing the nodes

    def _names(self, row: Row) -> tuple[str, ...]:
        """What a plan may call a node: its label, its id, its module path, and the path with its label."""
        names = [row.name, row.node_id]
        scopes = self.graph.scopes
        if row.scope is not None and scopes and row.scope < len(scopes):
            path = scopes[row.scope].path
            if path:
                names += [path, f"{path}.{row.name}"]
        return tuple(n for n in names if n)

    def _place(self) -> dict[str, Placed]:
        """Every node's stage, style, layout over the tensor-parallel ranks and tensors, in execution order."""
        layout = self.layout
        stages = self._stages()
        plan = self.options.tp_plan or ()
        placed: dict[str, Placed] = {}
        sharded = []
        used_patterns: set[str] = set()
        styles = self.source.cache.get(("styles", plan)) if layout.tp > 1 else None
        if styles is None and layout.tp > 1:
            styles = self.source.cache[("styles", plan)] = self._styles(plan)
        for r in self.rows:
            record = self.records.get(r.node_id)
            kind, args = (record[0], record[1]) if record is not None else (r.kind, None)
            names, style, used = styles[r.node_id] if styles is not None else (self._names(r), None, ())
            used_patterns.update(used)
            p = Placed(r, stages[r.node_id], style, names=names)
            self._tensors(p, record, kind, args)
            self._lay_out(p, placed, kind, args)
            placed[r.node_id] = p
            if style in SHARDED_STYLES:
                sharded.append(p)
        for pattern, _ in plan:
            if pattern not in used_patterns:
                raise ArgumentError(f"--tp-plan '{pattern}' matches no layer of this network")
        if layout.tp > 1 and not sharded:
            raise ArgumentError(
                f"--parallel tp={layout.tp}: no layer of this network is split by tensor parallelism",
                hint='name them with --tp-plan, e.g. --tp-plan "blocks.*.up=colwise,blocks.*.down=rowwise"',
            )
        if layout.ep > 1 and not any(p.expert for p in placed.values()):
            raise ArgumentError(f"--parallel ep={layout.ep}: this network has no experts to spread")
        return placed

    def _styles(
        self, plan: tuple[tuple[str, str], ...]
    ) -> dict[str, tuple[tuple[str, ...], str | None, tuple[str, ...]]]:
        """Each node's names, its tensor-parallel style (``--tp-plan`` over its ``tp=`` over the names transformers
        uses) and the plan's patterns that name it; the same for every layout with tensor parallelism."""
        out = {}
        for r in self.rows:
            record = self.records.get(r.node_id)
            kind, args = (record[0], record[1]) if record is not None else (r.kind, None)
            names = self._names(r)
            given = style_for(plan, names)
            used = tuple(p for p, _ in plan if given is not None and style_for(((p, given),), names) == given)
            own = _arg(args, "tp")
            style = given or (None if own is None else _style(own)) or style_for(DEFAULT_PLAN, names)
            if style in SPLITS and kind not in SPLITS[style]:
                if given is not None:
                    raise ArgumentError(
                        f"--tp-plan: {names[-1]} is a {kind} layer; {style} splits linear layers and embeddings"
                    )
                style = None  # a default by name that does not apply to this kind
            out[r.node_id] = (names, style, used)
        return out

    def _tensors(self, p: Placed, record: Any, kind: str, args: Any) -> None:
        """The node's parameter tensors, with the axes the layout splits; each split checked to divide evenly.

        What does not depend on the degrees is worked out once per node and style (``Source.cache``)."""
        r = p.row
        style = p.style if p.style in SHARDED_STYLES else None
        key = ("tensors", r.node_id, style)
        known = self.source.cache.get(key)
        if known is None:
            known = self.source.cache[key] = self._own_tensors(p, record, kind, args, style)
        p.tensors, p.step_tensors, p.buffer_bytes, p.expert = known
        if p.tensors and (self.layout.tp > 1 or self.layout.ep > 1):
            check_split(p.tensors, self.degrees, p.names[-1])

    def _own_tensors(
        self, p: Placed, record: Any, kind: str, args: Any, style: str | None
    ) -> tuple[list[ParamTensor], int, int, bool]:
        r = p.row
        traced = record[4] if record is not None else None
        count = record[5] if record is not None else r.param_tensors
        values = {
            "units": _arg(args, "units"),
            "bias": _flag(args, "bias"),
            "tied": _flag(args, "tied"),
            "experts": _arg(args, "experts"),
            "vocab": _arg(args, "vocab"),
            "_rows": _rows(kind, record, r),
        }
        buffer_bytes = r.buffers * self.b
        if traced is not None:  # integer buffers (a batch norm's num_batches_tracked) at their own size
            buffer_bytes = sum(
                t.numel * (TENSOR_BYTES.get(t.dtype, self.b) if t.dtype.startswith(("int", "uint")) else self.b)
                for t in traced
                if t.buffer
            )
        tensors = layer_tensors(kind, values, r.params, count, traced)
        if r.trainable_params == 0:
            tensors = [t.__class__(t.name, t.shape, False, t.splits) for t in tensors]
        tensors = split(tensors, style, kind)
        trained = sum(1 for t in tensors if t.trainable)
        steps = trained if traced is not None or len(tensors) > 1 or not r.params else r.param_tensors
        return tensors, steps, buffer_bytes, kind == "expertdense"

    def _lay_out(self, p: Placed, placed: dict[str, Placed], kind: str, args: Any) -> None:
        """How the node's output lies over the tensor-parallel ranks, from its style and what it reads."""
        layout = self.layout
        tp, cp = layout.tp, layout.cp
        states = [placed[i].state for i in p.row.inputs if i in placed]
        style = p.style
        name = p.names[-1]
        if tp == 1:
            state = WHOLE
        elif style in ("colwise", "colwise_gather"):
            if FEATURES in states:
                raise ArgumentError(
                    f"tensor parallelism: {name} ({style}) reads a tensor already split by features",
                    hint="a rowwise layer must sum it first",
                )
            p.gathers = SEQUENCE in states
            state = WHOLE if style == "colwise_gather" else FEATURES
        elif style == "rowwise":
            if kind != "embedding" and states and FEATURES not in states:
                raise ArgumentError(
                    f"tensor parallelism: {name} (rowwise) reads a whole tensor; rowwise layers read what a colwise "
                    "layer split"
                )
            state = SEQUENCE if layout.sp else WHOLE
        elif style == "sequence":
            state = SEQUENCE
        elif style == "replicate":
            state = WHOLE
        elif FEATURES in states:
            state = FEATURES
        elif SEQUENCE in states:
            state = SEQUENCE
        elif layout.sp and (kind in NORMS or kind in ("dropout", "embedding") or _sequence_input(p.row, kind)):
            state = SEQUENCE  # the sequence-parallel region begins: each rank keeps its share of the positions
        else:
            state = WHOLE
        if state == FEATURES and kind == "sdpa":
            heads = _arg(args, "heads") or 1
            kv = _arg(args, "kv_heads") or heads
            for what, n in (("heads", heads), ("kv heads", kv)):
                if n % tp:
                    raise ArgumentError(
                        f"tensor parallelism splits attention by heads: {name}'s {n} {what} do not split over tp={tp}",
                        hint=f"choose tp dividing {n}",
                    )
        p.state = state
        p.divide = (tp if state != WHOLE else 1) * cp
        sharded_work = style in SHARDED_STYLES or state != WHOLE or FEATURES in states
        p.compute = (tp if sharded_work else 1) * cp

    def _by_stage(self) -> None:
        """The placed nodes of each pipeline rank (its virtual stages together), in order."""
        self.stages: list[list[Placed]] = [[] for _ in range(self.layout.pp)]
        for p in self.placed.values():
            self.stages[p.stage % self.layout.pp].append(p)

    def _stages(self) -> dict[str, int]:
        """Each node's virtual stage: the blocks split evenly in order over ``pp·vpp`` stages (or by ``pp_split``)."""
        layout = self.layout
        n = layout.pp * layout.vpp
        if n == 1:
            return {r.node_id: 0 for r in self.rows}
        blocks: list[str] = []
        for r in self.rows:
            if r.block is not None and (not blocks or blocks[-1] != r.block) and r.block not in blocks:
                blocks.append(r.block)
        split_at = self.options.pp_split
        if split_at is not None and all(isinstance(v, int) for v in split_at):
            counts = list(split_at)
            if len(counts) != n or sum(counts) != len(blocks):  # type: ignore[arg-type]
                raise ArgumentError(
                    f"--pp-split gives {len(counts)} stages of {sum(counts)} blocks; the layout has {n} stages "  # type: ignore[arg-type]
                    f"and the network {len(blocks)} blocks"
                )
        elif split_at is not None:
            return self._stages_by_name(split_at, n)  # type: ignore[arg-type]
        else:
            if not blocks:
                raise ArgumentError(
                    f"--parallel pp={layout.pp}: this network has no repeated blocks to place on pipeline stages",
                    hint="give --pp-split with the names of the layers each later stage begins at",
                )
            if len(blocks) % n:
                what = f"pp={layout.pp}" + (f" × vpp={layout.vpp}" if layout.vpp > 1 else "")
                raise ArgumentError(
                    f"--parallel: the network's {len(blocks)} layers (blocks) do not split evenly over {what} stages",
                    hint="choose pp dividing the layers, or give --pp-split with the blocks of each stage",
                )
            counts = [len(blocks) // n] * n
        where: dict[str, int] = {}
        i = 0
        for stage, count in enumerate(counts):
            for block in blocks[i : i + count]:  # type: ignore[misc]
                where[block] = stage
            i += count  # type: ignore[operator]
        stage = 0
        out = {}
        for r in self.rows:
            if r.block is not None:
                stage = where[r.block]
            out[r.node_id] = stage
        return out

    def _stages_by_name(self, names: Sequence[str], n: int) -> dict[str, int]:
        """Stages that begin at the layers ``names`` (in order): each a name, module path or glob of one."""
        from cnncalc.parallel.plan import matches

        if len(names) != n - 1:
            raise ArgumentError(f"--pp-split names {len(names)} layers; {n} stages begin at {n - 1} of them")
        out: dict[str, int] = {}
        stage = 0
        for r in self.rows:
            if stage < len(names) and matches(names[stage], self._names(r)):
                stage += 1
            out[r.node_id] = stage
        if stage < len(names):
            raise ArgumentError(f"--pp-split '{names[stage]}' names no layer after the earlier stages")
        return out

    def _check_sequence(self) -> None:
        """Sequence and context parallelism split the positions: the sequence must divide."""
        layout = self.layout
        ways = (layout.tp if layout.sp else 1) * layout.cp
        if ways == 1:
            return
        length = _sequence(self.rows, self.graph)
        if length is None:
            raise ArgumentError("--parallel: sp and cp split a sequence, and this network's input is not one")
        if length % ways:
            what = " × ".join(
                w for w, on in ((f"tp={layout.tp} (sp)", layout.sp), (f"cp={layout.cp}", layout.cp > 1)) if on
            )
            raise ArgumentError(
                f"--parallel: the sequence of {length:,} positions does not split over {what}",
                hint=f"choose a sequence that is a multiple of {ways}",
            )

    # ------------------------------------------------------------------ the figures

    def figures(self) -> Parallel:
        layout = self.layout
        classes: list[RankClass] = []
        stage_seconds: dict[int, float] = {}
        for stage in range(layout.pp):
            placed = self.stages[stage]
            common = self._stage_figures(stage, placed)
            if self.device is not None:
                stage_seconds[stage] = self._compute_seconds(placed)
            for dps, states in self._model_states(stage, placed):
                classes.append(self._rank_class(stage, dps, states, common))
        classes.sort(key=lambda c: c.ranks[0])
        bubble = 0.0
        if layout.pp > 1:
            chunks = layout.microbatches * layout.vpp
            bubble = (layout.pp - 1) / (chunks + layout.pp - 1)
        timing = serving = None
        if self.device is not None:
            from cnncalc.parallel.timing import serving_figures, step_time

            timing = step_time(self, classes, stage_seconds)
            if not self.train and self.llm is not None:
                serving = serving_figures(self, classes, timing)
        return Parallel(
            layout,
            layout.world_size,
            tuple(classes),
            bubble_fraction=bubble,
            notes=tuple(self.notes),
            plan=tuple((p.names[-1], p.style) for p in self.placed.values() if p.style in SHARDED_STYLES),
            train=self.train,
            batch=self.batch,
            microbatch=self.microbatch,
            time=timing,
            serving=serving,
            source=self.source,
        )

    def _compute_seconds(self, placed: list[Placed]) -> float:
        """A rank's compute in one step on its stage: at the model FLOPs utilisation given, or layer by layer at the
        roofline (each layer's FLOPs at the device's dense peak, or its bytes at its memory bandwidth, whichever is
        slower; a backward moves twice the forward's bytes)."""
        layout, b = self.layout, self.b
        peak = self.peak
        mfu = self.options.mfu
        if mfu is not None:
            flops = sum(ceil_div(p.row.flops + p.row.backward_flops, layout.dp * p.compute) for p in placed)
            return flops / (peak * mfu)
        bandwidth = self.device.bandwidth_gbs * 1e9  # type: ignore[union-attr]
        m = layout.microbatches
        seconds = 0.0
        for p in placed:
            r = p.row
            weights = (r.params + r.buffers) * b
            moved = max(0, r.bytes_read + r.bytes_written - weights) / (layout.dp * p.compute)
            local = weights / (layout.tp if p.style in SHARDED_STYLES else 1)
            forward = r.flops / (layout.dp * p.compute)
            seconds += max(forward / peak, (moved + m * local) / bandwidth)
            if self.train and (r.backward_flops or r.grad):
                backward = r.backward_flops / (layout.dp * p.compute)
                seconds += max(backward / peak, 2 * (moved + m * local) / bandwidth)
        return seconds

    def _ranks_of(self, stage: int, dps: Sequence[int]) -> tuple[int, ...]:
        layout = self.layout
        dp, cp, tp = layout.dp, layout.cp, layout.tp
        return tuple(((stage * dp + d) * cp + c) * tp + t for d in dps for c in range(cp) for t in range(tp))

    def _rank_class(self, stage: int, dps: Sequence[int], states: dict[str, Any], common: dict[str, Any]) -> RankClass:
        """One rank class: its model states, the stage's activations, FLOPs and traffic, and the peak."""
        steps = [*states["steps"], *common["steps"]]
        model = states["params"] + states["buffers"] + states["grads"] + states["optimizer"]
        transient = dict(common["transient"])
        transient.update(states["transient"])
        transient["working tensors"] = common["activation_peak"] - common["activations"]
        extra = sum(transient.values())
        peak = model + common["activations"] + extra
        traffic = Traffic()
        for source in (common["comm"], states["comm"]):
            for (collective, axis), (n, calls) in source.items():
                traffic.add(collective, axis, n, calls)
        comm = traffic.totals()
        if extra:
            parts = " + ".join(f"{fmt(v)} ({k})" for k, v in transient.items() if v)
            steps.append(Step("transient_bytes", parts, extra))
        figures = (states["params"], states["buffers"], states["grads"], states["optimizer"], common["activations"])
        parts = " + ".join(fmt(v) for v in (*figures, extra))
        steps.append(
            Step("peak_bytes", f"{parts} (params, buffers, gradients, optimizer, saved activations, transient)", peak)
        )
        return RankClass(
            ranks=self._ranks_of(stage, dps),
            stage=stage,
            param_bytes=states["params"],
            gradient_bytes=states["grads"],
            optimizer_bytes=states["optimizer"],
            activation_bytes=common["activations"],
            transient_bytes=extra,
            peak_bytes=peak,
            flops=common["flops"],
            communication=Communication(**comm),
            buffer_bytes=states["buffers"],
            forward_flops=common["forward_flops"],
            steps=tuple(steps),
            transient=tuple(sorted(transient.items())),
            traffic=tuple((c, a, n, calls) for (c, a), (n, calls) in sorted(traffic.items())),
            saved_bytes=common["saved"],
        )

    # ------------------------------------------------------------------ model states

    def _model_states(self, stage: int, placed: list[Placed]) -> list[tuple[list[int], dict[str, Any]]]:
        """Parameters, gradients, optimizer state and buffers of each data-parallel index on ``stage``, grouped: the
        indices that hold the same, with their figures."""
        layout, b, opts = self.layout, self.b, self.options
        dp, ep = layout.dp, layout.ep
        master = opts.master_weights and self.train
        state_b = 4 if master else b
        moments = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}[opts.optimizer] if self.train else 0
        steps_each = 4 if self.train and opts.optimizer in ("adam", "adamw") else 0
        dense: list[tuple[tuple[int, ...], bool, str]] = []  # (local shape, trainable, FSDP unit)
        experts: list[tuple[tuple[int, ...], bool, str]] = []
        step_count = [0, 0]  # optimizer step tensors: dense, experts
        buffers = whole_grads = 0
        for p in placed:
            buffers += p.buffer_bytes
            group = experts if p.expert else dense
            unit = p.row.block or ""  # FSDP2 wraps each block; the rest is the root's
            for t in p.tensors:
                local = t.local(self.degrees)
                group.append((local, t.trainable, unit))
                if t.whole_grad and t.trainable and self.train and (layout.zero < 2 or dp == 1):
                    whole_grads += prod(t.shape) - prod(local)  # the rest of the table's gradient
            step_count[1 if p.expert else 0] += p.step_tensors if self.train else 0
        # the groups a tensor's states are sharded over: the data-parallel replicas, or for experts the replicas that
        # hold the same experts (dp / ep of them)
        groups = (
            (dense, dp, step_count[0], 1, "dp"),
            (experts, dp // ep, step_count[1], ep, "edp"),
        )
        per_d: list[dict[str, int]] = [dict(params=0, grads=0, owned=0, tensors=0) for _ in range(dp)]
        comm = Traffic()
        units: dict[str, list[int]] = {}  # FSDP unit -> [gathered parameters, gathered gradients] (elements)
        m = layout.microbatches
        for tensors, n, count, stride, axis in groups:
            if not tensors:
                continue
            figures = self._shard([(s, t) for s, t, _ in tensors], n, count)
            for d in range(dp):
                for k, v in figures[d // stride].items():
                    per_d[d][k] += v
            if not self.train or n == 1:
                continue
            if layout.zero >= 2:  # FSDP2: gathered per unit, each shard padded to the first's rows
                mine: dict[str, list[int]] = {}
                for shape, trained, unit in tensors:
                    padded = (ceil_div(shape[0], n) * prod(shape[1:]) if shape else 1) * n
                    for held in (units.setdefault(unit, [0, 0]), mine.setdefault(unit, [0, 0])):
                        held[0] += padded
                        held[1] += padded if trained else 0
                for unit, (params, trained) in mine.items():
                    gathers = 1 if layout.zero == 2 or unit == "" else 2  # the root keeps its parameters after forward
                    comm.add("all_gather", axis, gathers * m * params * b, gathers * m)
                    comm.add("reduce_scatter", axis, trained * b)
            else:  # DDP: the gradients all-reduced; ZeroRedundancyOptimizer: every parameter broadcast after its step
                trained_total = sum(prod(s) for s, t, _ in tensors if t) * b
                comm.add("all_reduce", axis, trained_total, ceil_div(trained_total, DDP_BUCKET))
                if layout.zero == 1:
                    comm.add("broadcast", axis, sum(prod(s) for s, _, _ in tensors) * b, len(tensors))
        gathered: dict[str, int] = {}
        if units:
            blocks = [u for key, u in units.items() if key]
            largest = max(blocks, key=lambda u: u[0], default=[0, 0])
            root = units.get("", [0, 0])
            if layout.zero == 3:  # the root's (not resharded), the block computing and the next, prefetched
                gathered["gathered parameters"] = (root[0] + 2 * largest[0]) * b
            else:  # held from forward to backward
                gathered["gathered parameters"] = sum(u[0] for u in units.values()) * b
            gathered["gathered gradients"] = max(largest[1], root[1]) * b
        if self.train and dp > 1 and layout.zero < 2 and buffers:  # DDP broadcasts the buffers before each forward
            comm.add("broadcast", "dp", m * buffers, m)
        out: dict[tuple[int, int, int, int], list[int]] = {}
        for d in range(dp):
            f = per_d[d]
            out.setdefault((f["params"], f["grads"], f["owned"], f["tensors"]), []).append(d)
        local = sum(prod(s) for s, _, _ in dense) + sum(prod(s) for s, _, _ in experts)
        result = []
        for (held, grad_el, owned, tensors_n), dps in out.items():
            params = held * b + (owned * 4 if master else 0)
            grad_el += whole_grads
            grads = grad_el * b
            optimizer = moments * owned * state_b + steps_each * tensors_n
            terms = (local, held, grad_el, owned, tensors_n, b, state_b, moments, steps_each, buffers)
            steps = self._state_steps(terms, bool(experts), params, grads, optimizer, master)
            figures_d = {"params": params, "grads": grads, "optimizer": optimizer, "buffers": buffers}
            result.append((dps, {**figures_d, "comm": comm, "transient": gathered, "steps": steps}))
        return result

    def _shard(self, tensors: list[tuple[tuple[int, ...], bool]], n: int, count: int) -> list[dict[str, int]]:
        """Each of ``n`` data-parallel indices' elements of these tensors as the layout's ZeRO stage shards them:
        ``params`` held, ``grads``, ``owned`` (whose optimizer state it keeps) and ``tensors`` (their step counts)."""
        zero = self.layout.zero if n > 1 else 0
        full = sum(prod(s) for s, _ in tensors)
        trained = [prod(s) for s, t in tensors if t]
        trained_total = sum(trained) if self.train else 0
        if zero == 0:
            return [dict(params=full, grads=trained_total, owned=trained_total, tensors=count)] * n
        if zero == 1:  # ZeroRedundancyOptimizer: largest first, each to the index holding least so far
            owned = [0] * n
            owned_tensors = [0] * n
            heap = [(0, d) for d in range(n)]
            for size in sorted(trained, reverse=True):
                held, d = heapq.heappop(heap)
                owned[d] += size
                owned_tensors[d] += 1
                heapq.heappush(heap, (held + size, d))
            return [dict(params=full, grads=trained_total, owned=owned[d], tensors=owned_tensors[d]) for d in range(n)]
        # FSDP2: every tensor cut on its first axis as torch.chunk cuts it; the shards are padded to the first's size
        padded = padded_trained = 0
        rows = [0] * (n + 1)  # a difference array of each index's unpadded trainable elements
        for shape, t in tensors:
            per_row = prod(shape[1:]) if shape else 1
            first = shape[0] if shape else 1
            chunk = ceil_div(first, n)
            padded += chunk * per_row
            if not t:
                continue
            padded_trained += chunk * per_row
            whole = first // chunk if chunk else 0
            rows[0] += chunk * per_row
            rows[min(whole, n)] -= chunk * per_row
            rest = first - whole * chunk
            if rest and whole < n:
                rows[whole] += rest * per_row
                rows[whole + 1] -= rest * per_row
        out = []
        running = 0
        grads = padded_trained if self.train else 0
        for d in range(n):
            running += rows[d]
            out.append(dict(params=padded, grads=grads, owned=running if self.train else 0, tensors=count))
        return out

    def _state_steps(
        self, terms: tuple[int, ...], experts: bool, params: int, grads: int, optimizer: int, master: bool
    ) -> list[Step]:
        """The arithmetic of a rank's model states, for explain."""
        local, held, grad_el, owned, tensors_n, b, state_b, moments, steps_each, buffers = terms
        layout = self.layout
        split_by = [f"tp={layout.tp}"] if layout.tp > 1 else []
        split_by += [f"ep={layout.ep} (experts)"] if layout.ep > 1 and experts else []
        split_by += [f"pp={layout.pp} (this stage's layers)"] if layout.pp > 1 else []
        where = f" after {', '.join(split_by)}" if split_by else ""
        how = {
            0: "whole on every replica (DDP)",
            1: f"whole; the optimizer state partitioned over dp={layout.dp} as ZeroRedundancyOptimizer does "
            "(largest tensor first, to the rank holding least)",
            2: f"each tensor's first axis cut in dp={layout.dp} (FSDP2: ⌈rows/{layout.dp}⌉ per rank, padded)",
            3: f"each tensor's first axis cut in dp={layout.dp} (FSDP2: ⌈rows/{layout.dp}⌉ per rank, padded)",
        }[layout.zero if layout.dp > 1 else 0]
        param_formula = f"{fmt(held)}·{b} B" + (f" + {fmt(owned)}·4 B (float32 master weights)" if master else "")
        steps = [
            Step("parameters on the rank", f"{fmt(local)} elements{where}; {how}", held),
            Step("param_bytes", param_formula, params),
            Step("gradient_bytes", f"{fmt(grad_el)}·{b} B", grads),
        ]
        state = f"{moments}·{fmt(owned)}·{state_b} B ({self.options.optimizer}'s moments)" if moments else "0"
        if steps_each:
            state += f" + {tensors_n}·{steps_each} B (a step count per tensor)"
        steps.append(Step("optimizer_bytes", state, optimizer))
        if buffers:
            steps.append(Step("buffer_bytes", "whole on every rank", buffers))
        return steps

    # ------------------------------------------------------------------ activations, FLOPs, communication

    def _stage_figures(self, stage: int, placed: list[Placed]) -> dict[str, Any]:
        """What every rank of a pipeline stage shares: saved activations and their peak over the schedule, the
        transient tensors, FLOPs and communication that do not depend on the data-parallel index."""
        layout = self.layout
        vstages = sorted({p.stage for p in placed})
        saved: dict[int, int] = {}
        peak: dict[int, int] = {}
        bump: dict[int, int] = {}
        held: dict[int, int] = {}
        whole_input = 0  # the step's input, one storage the micro-batches are views of: kept once, whole
        shape = (layout.tp, layout.sp, layout.cp, layout.pp, layout.vpp, layout.ep, self.f, self.train)
        shape += (self.options.tp_plan, self.options.pp_split)
        for v in vstages:
            key = ("activations", shape, v)
            known = self.source.cache.get(key)
            if known is None:
                known = self.source.cache[key] = self._activations([p for p in placed if p.stage == v], v)
            saved[v], peak[v], bump[v], held[v], once = known
            whole_input += once
        activations, activation_peak, outputs = self._schedule(stage, vstages, saved, peak, bump, held)
        activations += whole_input
        activation_peak += whole_input
        flops = forward = whole = 0
        for p in placed:
            r = p.row
            whole += r.flops + r.backward_flops
            forward += ceil_div(r.flops, layout.dp * p.compute)
            flops += ceil_div(r.flops + r.backward_flops, layout.dp * p.compute)
        split = " (the layers tensor or context parallelism splits ÷ tp·cp again)" if layout.tp * layout.cp > 1 else ""
        what = "this stage's" if layout.pp > 1 else "the step's"
        flop_formula = f"{fmt(whole)} ({what} forward and backward) ÷ dp={layout.dp}{split}"
        key = ("communication", shape, layout.microbatches, stage, self.options.optimizer)
        known = self.source.cache.get(key)
        if known is None:
            known = self.source.cache[key] = self._communication(placed)
        comm, transient = known[0], dict(known[1])
        if outputs:
            transient["stage outputs held"] = outputs
        formula = self._activation_formula(stage, vstages, saved, bump)
        if whole_input:
            formula += f"; + {fmt(whole_input)} B: the step's input, whole (the micro-batches are views of it)"
        steps = [Step("activation_bytes", formula, activations), Step("flops", flop_formula, flops)]
        return {
            "saved": sum(saved.values()) + ceil_div(whole_input, self.layout.microbatches),
            "activations": activations,
            "activation_peak": activation_peak,
            "flops": flops,
            "forward_flops": forward,
            "comm": comm,
            "transient": transient,
            "steps": steps,
        }

    def _local(self, row: Row, divide: int) -> int:
        """A node's output bytes on one rank for one micro-batch."""
        b = self.b
        size = row.activation_size * (TENSOR_BYTES.get(row.dtype, b) if row.dtype else b)
        return ceil_div(size, self.f * divide)

    def _activations(self, placed: list[Placed], vstage: int) -> tuple[int, int, int, int, int]:
        """One micro-batch on one virtual stage: the bytes autograd keeps, the most alive at once in its forward,
        the most a checkpointed block keeps again while it reruns in the backward, the stage's outputs the
        pipeline schedule holds until their backward, and the network's input kept (whole, once a step)."""
        ids = {p.row.node_id for p in placed}
        rows = [p.row for p in placed]
        sizes = {p.row.node_id: self._local(p.row, p.divide) for p in placed}
        everything = self.placed
        t = self.ledger
        pinned: dict[str, int] = {}
        outputs = 0
        if self.layout.pp > 1:  # the schedule's forward cache holds each micro-batch's stage outputs
            outputs = sum(sizes[p.row.node_id] for p in placed if self._leaves(p, ids))
        if t is None or not self.train:  # serving: what is alive at once, nothing kept
            owner = storage_of(rows)
            _, top = liveness(rows, self.b, owner, (), None, sizes)
            return 0, top, 0, outputs, 0
        kept: set[str] = set()
        saved = once = once_mb = 0
        first = rows[0].node_id if rows else None
        for holder, keepers in t.keepers.items():
            here = [k for k in keepers if k in ids]
            if not here or holder not in everything:
                continue
            direct = [k for k in here if not everything[k].gathers]
            gathered = len(direct) < len(here)
            source = everything[holder]
            size = self._local(source.row, source.divide)
            if direct:
                if source.row.kind == "input" and holder in ids:  # the batch the micro-batches are views of
                    kept.add(holder)
                    once_mb += size
                    once += size * self.layout.microbatches
                elif holder in ids:
                    kept.add(holder)
                    saved += size
                else:  # received from an earlier stage: alive from the start
                    pinned[first] = pinned.get(first, 0) + size  # type: ignore[index]
                    saved += size
            if gathered:  # sequence parallelism: the tensor gathered whole is what the linear keeps
                whole = self._local(source.row, self.layout.cp)
                keeper = next(k for k in here if everything[k].gathers)
                pinned[keeper] = pinned.get(keeper, 0) + whole
                saved += whole
        for node, size in t.pinned.items():
            if node in ids:
                fixed = t.fixed.get(node, 0)
                own = ceil_div(size - fixed, self.f * everything[node].divide) + fixed
                pinned[node] = pinned.get(node, 0) + own
                saved += own
        _, top = liveness(rows, self.b, t.storage, kept, pinned, sizes)
        top -= once_mb  # the input is counted once for the step, whole, beside the schedule's micro-batches
        rerun = 0
        if t.inside:
            blocks: dict[str, int] = {}
            for p in placed:
                inside = t.inside.get(p.row.node_id)
                if inside and p.row.block is not None:
                    blocks[p.row.block] = blocks.get(p.row.block, 0) + ceil_div(inside, self.f * p.divide)
            rerun = max(blocks.values(), default=0)
        return saved, top, rerun, outputs, once

    def _leaves(self, p: Placed, ids: set[str]) -> bool:
        """Whether a node's output is read on another stage (it is sent, and held until its backward)."""
        return p.row.node_id in self.sent

    @property
    def sent(self) -> set[str]:
        """The nodes whose outputs a later stage reads."""
        if self._sent is None:
            self._sent = {
                i
                for p in self.placed.values()
                for i in p.row.inputs
                if i in self.placed and self.placed[i].stage != p.stage
            }
        return self._sent

    def _schedule(
        self,
        stage: int,
        vstages: list[int],
        saved: dict[int, int],
        peak: dict[int, int],
        bump: dict[int, int],
        held_out: dict[int, int],
    ) -> tuple[int, int, int]:
        """The most saved bytes alive on a pipeline rank over the schedule, the most of all activations, and the most
        stage outputs the schedule holds at once.

        Forwards and backwards in the order torch.distributed.pipelining runs them: GPipe all forwards first;
        1F1B ``min(m, pp − stage)`` forwards, then one backward and one forward in turn; the interleaved schedule
        its warm-up of ``(vpp − 1)·round + 2·(pp − 1 − stage)`` chunks. Without a pipeline the micro-batches run
        one after another (gradient accumulation).
        """
        layout = self.layout
        if layout.pp == 1:
            v = vstages[0]
            return saved[v] + bump[v], max(peak[v], saved[v] + bump[v]), 0
        held = top_saved = top_all = outputs = top_outputs = 0
        for op, v in schedule_ops(layout, stage, vstages):
            if op == "F":
                top_all = max(top_all, held + peak[v])
                held += saved[v]
                outputs += held_out[v]
                top_saved = max(top_saved, held)
                top_outputs = max(top_outputs, outputs)
            else:
                top_all = max(top_all, held + bump[v])
                top_saved = max(top_saved, held + bump[v])
                held -= saved[v]
                outputs -= held_out[v]
        return top_saved, max(top_all, top_saved), top_outputs

    def _activation_formula(self, stage: int, vstages: list[int], saved: dict[int, int], bump: dict[int, int]) -> str:
        layout = self.layout
        on = " on stage {}" if layout.pp > 1 else ""
        parts = [f"{fmt(saved[v])} B saved per micro-batch of {self.microbatch}{on.format(v)}" for v in vstages]
        text = "; ".join(parts)
        if layout.pp > 1:
            text += f"; {layout.schedule} keeps {in_flight(layout, stage)} micro-batch(es) in flight"
        if any(bump.values()):
            text += f"; + {fmt(max(bump.values()))} B while a checkpointed block reruns"
        return text

    def _communication(self, placed: list[Placed]) -> tuple[Traffic, dict[str, int]]:
        """Bytes and calls per step of tensor, sequence, expert, context and pipeline parallelism, and the largest
        tensor each gathers or buffers for a moment."""
        layout = self.layout
        m = layout.microbatches
        train = self.train
        comm = Traffic()
        transient: dict[str, int] = {}

        def hold(what: str, n: int) -> None:
            if n > transient.get(what, 0):
                transient[what] = n

        everything = self.placed
        ids = {p.row.node_id for p in placed}
        gathered_from: set[str] = set()
        reads = OPTIMIZER_READS[self.options.optimizer]
        for p in placed:
            r = p.row
            whole = self._local(r, layout.cp)  # its output, whole over the tensor-parallel ranks
            sources = [everything[i] for i in r.inputs if i in everything]
            if layout.tp > 1:
                if p.style in ("colwise", "colwise_gather"):
                    for s in sources:
                        full = self._local(s.row, layout.cp)
                        if p.gathers:
                            if s.row.node_id not in gathered_from:  # once per module's input, then shared
                                gathered_from.add(s.row.node_id)
                                comm.add("all_gather", "tp", m * full, m)
                                if train and s.row.grad:
                                    comm.add("reduce_scatter", "tp", m * full, m)
                                hold("gathered activations", full)
                        elif train and s.row.grad:
                            comm.add("all_reduce", "tp", m * full, m)
                    if p.style == "colwise_gather":
                        comm.add("all_gather", "tp", m * whole, m)
                        hold("gathered activations", whole)
                elif p.style == "rowwise":
                    if layout.sp:
                        comm.add("reduce_scatter", "tp", m * whole, m)
                        if train and r.grad:
                            comm.add("all_gather", "tp", m * whole, m)
                    else:
                        comm.add("all_reduce", "tp", m * whole, m)
                    hold("partial sums", whole)
                elif p.state == WHOLE and any(s.state == FEATURES for s in sources):
                    comm.add("all_gather", "tp", m * whole, m)
                if train and p.state == SEQUENCE and r.trainable_params and not p.style:
                    # the norm's gradients are partial over the shards: all-reduced each time the optimizer reads them
                    grads = sum(prod(t.shape) for t in p.tensors if t.trainable) * self.b
                    comm.add("all_reduce", "tp", reads * grads, reads * sum(1 for t in p.tensors if t.trainable))
            if layout.ep > 1 and r.kind == "dispatch":
                routed = self._local(r, p.divide)
                passes = 4 if train else 2  # dispatch and combine, forward (and backward)
                comm.add("all_to_all", "ep", m * routed * passes, m * passes)
            if layout.cp > 1 and r.kind == "sdpa":
                kv = sum(self._local(s.row, s.divide) for s in sources[1:3])
                turns = (layout.cp - 1) * m * (3 if train else 1)  # keys and values, and in backward their gradients
                comm.add("send", "cp", kv * turns, turns)
                comm.add("recv", "cp", kv * turns, turns)
        if layout.pp > 1:  # torch's stages allocate a receive buffer per micro-batch: inputs, and outputs' gradients
            buffers = 0
            for p in placed:
                if self._leaves(p, ids):
                    size = self._local(p.row, p.divide)
                    comm.add("send", "pp", m * size, m)
                    if train:
                        comm.add("recv", "pp", m * size, m)
                        buffers += m * size
            received: set[str] = set()
            for p in placed:
                for i in p.row.inputs:
                    if i in everything and i not in ids and i not in received:
                        received.add(i)
                        size = self._local(everything[i].row, everything[i].divide)
                        comm.add("recv", "pp", m * size, m)
                        buffers += m * size
                        if train and everything[i].row.grad:
                            comm.add("send", "pp", m * size, m)
            if buffers:
                transient["pipeline buffers"] = buffers
        return comm, transient


def in_flight(layout: ParallelLayout, stage: int) -> int:
    """The micro-batches a pipeline stage holds at most (each of its chunks counted once)."""
    held = top = 0
    for op, _ in schedule_ops(layout, stage, list(range(stage, layout.pp * layout.vpp, layout.pp))):
        held += 1 if op == "F" else -1
        top = max(top, held)
    return top


def schedule_ops(layout: ParallelLayout, stage: int, vstages: list[int]) -> list[tuple[str, int]]:
    """The forwards (``F``) and backwards (``B``) a pipeline rank runs, each with its virtual stage, in order."""
    m, pp = layout.microbatches, layout.pp
    if layout.schedule == "gpipe":
        v = vstages[0]
        return [("F", v)] * m + [("B", v)] * m
    if layout.schedule == "1f1b":
        v = vstages[0]
        warm = min(m, pp - stage)
        ops = [("F", v)] * warm
        forwards = warm
        for _ in range(m):
            ops.append(("B", v))
            if forwards < m:
                ops.append(("F", v))
                forwards += 1
        return ops
    local = len(vstages)  # interleaved 1F1B, as torch's ScheduleInterleaved1F1B orders it
    rounds = max(1, m // pp)
    per_round = m // rounds
    total = local * m
    warm = min((local - 1) * per_round + 2 * (pp - 1 - stage), total)

    def forward(step: int) -> int:
        return vstages[(step // per_round) % local]

    def backward(step: int) -> int:
        return vstages[local - 1 - ((step - warm) // per_round) % local]

    ops = [("F", forward(i)) for i in range(warm)]
    f = warm
    for b in range(total):
        if f < total:
            ops.append(("F", forward(f)))
            f += 1
        ops.append(("B", backward(warm + b)))
    return ops


def _product(layout: ParallelLayout) -> str:
    """``dp=8 × tp=4 × pp=2``: the degrees whose product is the world."""
    parts = [f"{w}={getattr(layout, w)}" for w in ("dp", "tp", "pp", "cp") if getattr(layout, w) > 1]
    return " × ".join(parts) or "dp=1"


def _sequence_input(row: Row, kind: str) -> bool:
    """A network input that is a sequence of vectors (not token ids): each rank holds its share of the positions
    under sequence parallelism, as the layer before it left them."""
    return kind == "input" and row.dtype is None and len(row.output_shape) >= 2


def _arg(args: Any, name: str) -> Any:
    if args is None:
        return None
    try:
        value = args.raw(name)
    except AttributeError:  # pragma: no cover - records always hold Args
        return None
    return value if not isinstance(value, bool) else value


def _flag(args: Any, name: str) -> bool:
    value = _arg(args, name)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)


def _style(word: object) -> str:
    from cnncalc.parallel.plan import style_word

    return style_word(word, "tp=")


def _rows(kind: str, record: Any, row: Row) -> int:
    """The first axis of a convolution's weight: its filters, or for a transposed one its input channels."""
    if record is None:
        return row.output_shape[0] if row.output_shape else 1
    inputs, out = record[2], record[3]
    if kind == "convtranspose" and inputs:
        return inputs[0][0]
    return out[0] if out else 1


def _sequence(rows: list[Row], graph: Graph) -> int | None:
    """The positions of the network's input sequence (token ids ``(L,)``, a sequence ``(d, L)``), or None."""
    first = next((r for r in rows if r.kind == "input"), None)
    if first is None:
        return None
    shape = first.output_shape
    ids = first.dtype is not None and first.dtype.startswith(("int", "uint"))
    ids = ids or any(r.kind == "embedding" and first.node_id in r.inputs for r in rows)
    if graph.batch is not None:
        return shape[1] if len(shape) == 3 or (len(shape) == 2 and ids) else None
    if len(shape) == 1:
        return shape[0] if ids else None  # token ids, not a vector of features
    if len(shape) == 2:
        return shape[1]
    return None
