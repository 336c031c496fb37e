"""Walk a Graph in execution order, apply each node's kind, and gather a Report.

This is the one place a figure is computed, whatever the front-end: the layer
kinds give each node's shape, parameters, MACs and FLOPs; the analysis scales
them by the batch and by the leading axes a front-end marked as repetitions,
and sums them. Rows at a depth (a traced model's module calls, a notation
block's uses) are folds of the nodes, made afterwards (:mod:`cnncalc.fold`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from cnncalc.conventions import TENSOR_BYTES, Convention, Framework, Layout
from cnncalc.errors import ArgumentError, CnnCalcError, ShapeError
from cnncalc.fold import combine
from cnncalc.graph import Graph, Node, Scope
from cnncalc.layers import REGISTRY, bind
from cnncalc.layers.binding import Args
from cnncalc.layers.calc import Calc, Step, prod
from cnncalc.layers.registry import Expansion, Kind, unknown_layer
from cnncalc.limits import guard
from cnncalc.memory import BlockUse, block_peak, element_bytes, memory, row_bytes, traffic_for
from cnncalc.options import Options, enum_option
from cnncalc.receptive import field_for
from cnncalc.records import copier, maker
from cnncalc.report import ReceptiveField, Report, Row, Serving, Totals, UncountedOp

if TYPE_CHECKING:  # training's rules are imported when training figures are asked for
    from cnncalc.training import Ledger, Pass

__all__ = ["analyze_graph", "enum_option"]


@dataclass(frozen=True, slots=True)
class _Context:
    convention: Convention
    layout: Layout  # how the graph's shapes and arguments are written
    framework: Framework
    batch: int  # the multiplier for graphs whose shapes carry no batch
    traced: bool  # the shapes carry the batch (a traced model): channels follow the operands
    context: int | None = None  # a decode step: the positions each cache holds
    causal_half: bool = False  # count only the query-key pairs a causal mask keeps
    lora: Any = None  # adapters to add (cnncalc.lora.Lora): the rest is frozen
    freeze: tuple[str, ...] = ()  # names or patterns whose parameters get no gradient
    scopes: tuple[Scope, ...] = ()
    train: Ledger | None = None  # the backward's accounting, when training figures are asked for
    adapted: set[str] = field(default_factory=set)  # the LoRA targets that matched a layer
    linear_names: set[str] = field(default_factory=set)  # the names of every dense layer seen (for the error)
    memo: dict[Any, Any] = field(default_factory=dict)  # rows and expansions of nodes seen before (repeated blocks)
    light: bool = False  # only the totals are wanted: a repeated node's row is reused as it is, not renamed
    quick: bool = False  # only the totals and the peak: a reused row gets the node's id and inputs, not its field
    records: dict[str, Any] | None = None  # per node, what the parallel layer reads: kind, arguments, shapes, tensors


def step_flops(graph: Graph, options: Options) -> int:
    """The total FLOPs of ``graph`` (a decode step's), without the report: rows of repeated blocks are shared."""
    opts = Options.make(options)
    layout = graph.layout or opts.layout or Layout.hwc
    ctx = _Context(
        opts.flops,
        layout,
        opts.framework or graph.framework or Framework.torch,
        opts.batch,
        False,
        context=opts.context,
        causal_half=opts.scores == "causal",
        lora=opts.lora,
        light=True,
    )
    done: dict[str, Row] = {}
    nodes: list[Row] = []
    for index, node in enumerate(graph.order(), start=1):
        try:
            _visit(node, index, done, ctx, 1, nodes)
        except CnnCalcError as e:
            raise e.at_layer(index, node.source or node.label) from None
    return sum(r.flops for r in nodes)


def _applies(opts: Options, llm: Any, nodes: list[Row]) -> None:
    """Refuse the language-model options on a network they do nothing to, saying why."""
    if llm is None:
        given = [f for f, v in (("--context", opts.context), ("--quantize", opts.quantization)) if v is not None]
        if given:
            raise ArgumentError(
                f"{' and '.join(given)} {'applies' if len(given) == 1 else 'apply'} to a language model's serving "
                "figures, and this network keeps no KV cache (it is not a decoder)",
                hint="they go with a decoder: a config.json, a zoo language model, or layers with a cache",
            )
    if opts.scores == "causal" and not any(n.startswith("causal half") for r in nodes for n in r.notes):
        raise ArgumentError(
            "--scores causal halves a causal attention's scores, and this network has no causal attention",
            hint="leave --scores out",
        )


def _bounded(graph: Graph, opts: Options) -> None:
    """Refuse a graph with more nodes than an analysis (or a training analysis) may take, before any is visited."""
    count = len(graph.nodes)
    guard("layers", count, f"the network has {count:,} layers")
    if opts.train:
        guard("train_layers", count, f"the network has {count:,} layers to analyse with --train")


def analyze_graph(graph: Graph, options: Options | None = None, **given: Any) -> Report:
    """Shapes, parameters, MACs and FLOPs of every node of ``graph``, with totals.

    ``options`` (or the same names as keywords: ``flops``, ``batch``, ``layout``,
    ``dtype``, ``title``, ``framework``, ``depth``, ``context``, ``scores``,
    ``quantization``, ``lora``) are checked by :class:`Options`. A graph with a KV
    cache (a language model) also gets its serving figures (:mod:`cnncalc.llm`).
    """
    if "convention" in given:  # the FLOPs convention's older keyword
        given["flops"] = given.pop("convention")
    opts = Options.make(options, **given)
    _bounded(graph, opts)
    if graph.samples is not None and graph.samples != 1:  # the front-end was given the batch with the input
        if opts.batch not in (1, graph.samples):
            raise ArgumentError(f"the batch is given twice: {graph.samples} with the input and {opts.batch}")
        opts = Options.make(opts, batch=graph.samples)
    traced = graph.batch is not None
    if traced and opts.batch != 1:
        raise ArgumentError(
            f"the batch of a traced model is the first number of its input ({graph.batch})",
            hint="e.g. --input 8,3,224,224 instead of --batch 8",
        )
    layout = graph.layout or opts.layout or Layout.hwc
    framework = opts.framework or graph.framework or Framework.torch  # a Keras file counts as Keras does
    if opts.train:
        from cnncalc.training import Ledger, train_totals
    dtype = opts.dtype or graph.dtype or "float32"
    b = element_bytes(dtype)  # bytes per element for traffic, at the report's dtype
    batch, causal_half = 1 if traced else opts.batch, opts.scores == "causal"
    # rows are shared with other analyses of the same settings, but for LoRA, freezing, checkpointing and a parallel
    # layout (which reads each node's arguments, kept per analysis)
    shared = opts.lora is None and not opts.freeze and not (opts.train and opts.recompute == "blocks")
    shared = shared and opts.parallel is None
    ctx = _Context(
        opts.flops,
        layout,
        framework,
        batch,
        traced,
        causal_half=causal_half,
        lora=opts.lora,
        freeze=opts.freeze,
        scopes=graph.scopes,
        train=Ledger(recompute=opts.recompute == "blocks") if opts.train else None,
        memo=_shared((opts.flops, layout, framework, batch, traced, causal_half, b, opts.train)) if shared else {},
        records={} if opts.parallel is not None else None,
    )
    done: dict[str, Row] = {}
    nodes: list[Row] = []  # every node's row, a composite's parts included
    shown: list[Row] = []  # a row per node of the graph: a composite's row sums its parts
    order = graph.order()
    for index, node in enumerate(order, start=1):
        try:
            shown.append(_visit(node, index, done, ctx, b, nodes))
        except CnnCalcError as e:
            from cnncalc.hints import explained

            raise explained(e, graph, layout).at_layer(index, node.source or node.label) from None
    model, model_nodes, loss = graph, len(nodes), None
    if ctx.train is not None:  # the step's loss, after the model's outputs (cnncalc.loss)
        from cnncalc.loss import loss_for, with_loss

        loss = loss_for(graph, done, opts.loss, dtype)
        graph = with_loss(graph, loss)
        ctx = replace(ctx, scopes=graph.scopes)
        for index, node in enumerate(loss.nodes, start=len(order) + 1):
            try:
                shown.append(_visit(node, index, done, ctx, b, nodes))
            except CnnCalcError as e:
                raise e.at_layer(index, f"the loss ({loss.name})") from None
    if ctx.train is not None and ctx.train.block_nodes:
        _recompute(nodes, done, ctx.train)
        shown = [_again(r, done, ctx.train) for r in shown]
    if opts.lora is not None:
        _check_targets(opts.lora, ctx)
    if opts.tool is not None:  # another tool's figures: every node counted by its rules
        from cnncalc.others import apply, check_source

        check_source(opts.tool, graph, nodes)
        counted = apply(nodes, graph, opts.tool, traced, batch)
        shown = _recounted(shown, nodes, counted)
        nodes = counted
    totals = _totals(nodes)
    _check_freeze(opts.freeze, nodes, model)
    if opts.train and opts.recompute == "blocks" and not any(r.block for r in nodes):
        raise ArgumentError(
            "--recompute blocks: this network has no blocks to checkpoint",
            hint="blocks are a notation def's uses, transformer layers, and the repeated modules of a stack",
        )
    display = opts.layout or graph.layout or Layout.hwc
    if opts.depth is not None and graph.depth is None:
        raise ArgumentError("this network shows every layer: --depth applies to model files (a module, an ONNX file)")
    depth = opts.depth if opts.depth is not None else graph.depth
    rows: tuple[Row, ...] = tuple(shown)
    notes = list(graph.notes)
    if _as_tree(opts, graph, depth):
        from cnncalc.fold import tree

        rows, fold_notes = tree(tuple(nodes), graph, depth, display)
        notes += fold_notes
    elif graph.scopes and depth is not None:
        from cnncalc.fold import fold

        rows, fold_notes = fold(tuple(nodes), graph, depth, display)
        notes += fold_notes
    columns = graph.columns
    if columns:  # Trainable only when some parameters are frozen, Buffers only when there are some
        drop = set()
        if all(r.trainable_params == r.params for r in rows):
            drop.add("trainable_params")
        if not any(r.buffers for r in rows):
            drop.add("buffers")
        columns = tuple(c for c in columns if c not in drop)
    served = nodes[:model_nodes]  # the model without the training step's loss: what inference runs
    mem = memory(served, totals, dtype)
    llm = run = None  # a decoder's serving figures, a run's budget: their modules imported when they apply
    if any(r.serving is not None and r.serving.cache_per_token for r in nodes):
        from cnncalc.llm import figures

        alone = totals if len(served) == len(nodes) else _totals(served)
        llm = figures(model, served, alone, mem, opts, graph.batch or opts.batch)
    _applies(opts, llm, nodes)
    training = None
    if ctx.train is not None:
        training = replace(train_totals(nodes, totals, opts, b, ctx.train), loss=loss.name, loss_note=loss.note)
    if opts.tokens is not None or opts.hardware is not None or (opts.mfu is not None and opts.devices is None):
        from cnncalc.budget import budget

        run = budget(graph, nodes, totals, training, llm, opts, dtype)
    spread = None  # a parallel layout's figures per rank (cnncalc.parallel), above the nodes' own
    if opts.parallel is not None:
        from cnncalc.parallel.ranks import parallel_figures

        spread = parallel_figures(graph, nodes, totals, training, llm, opts, dtype, ctx.records or {}, ctx.train)
    if opts.lora is not None:
        lora = opts.lora
        notes.append(
            f"LoRA r={lora.r}, alpha={lora.alpha:g} on {', '.join(lora.targets)}: the adapters are trainable, "
            "the rest is frozen"
        )
    return Report(
        rows,
        totals,
        opts.flops,
        display,
        graph.batch or opts.batch,
        opts.title or graph.title,
        notes=tuple(notes),
        dtype=dtype,
        memory=mem,
        uncounted_ops=_uncounted(nodes, graph),
        columns=columns,
        nodes=tuple(nodes) if len(rows) != len(nodes) or rows != tuple(nodes) else (),
        framework=framework,
        traced=traced,
        training=training,
        llm=llm,
        budget=run,
        parallel=spread,
        tool=opts.tool,
    )


def analyze_totals(graph: Graph, options: Options | None = None, blocks: dict[Any, Any] | None = None) -> Report | None:
    """The totals and memory :func:`analyze_graph` gives ``graph``, without its rows: a sweep's quick analysis.

    ``graph`` may hold Segments (a quick build's block uses, :class:`cnncalc.notation.build.Segment`): each is
    counted as one row, its nodes analysed once for each input shape and settings (kept in ``blocks``, across
    analyses) and summed, with what its inside adds to the peak (:func:`cnncalc.memory.block_peak`). The Report
    has no rows. None when the settings or the graph need the rows' own accounting (training, LoRA, freezing, a
    run's budget, a parallel layout, a language model's serving figures, a traced model, a block whose input or
    output is another storage's view): then :func:`analyze_graph` of the whole graph is the answer.
    """
    opts = _LAST_CHECKED[1] if options is _LAST_CHECKED[0] and options is not None else Options.make(options)
    _LAST_CHECKED[:] = [options, opts]  # a sweep gives the same options at every point: checked once
    if opts.train or opts.lora is not None or opts.freeze or opts.depth is not None:
        return None
    if opts.tokens is not None or opts.hardware is not None or opts.mfu is not None or opts.parallel is not None:
        return None
    if graph.batch is not None or (graph.samples is not None and graph.samples != 1) or not _written_order(graph):
        return None
    blocks = {} if blocks is None else blocks
    if len(blocks) > _CALCS_HELD:
        blocks.clear()
    layout = graph.layout or opts.layout or Layout.hwc
    framework = opts.framework or graph.framework or Framework.torch
    dtype = opts.dtype or graph.dtype or "float32"
    b = element_bytes(dtype)
    causal_half = opts.scores == "causal"
    settings = (opts.flops, layout, framework, opts.batch, False, causal_half, b, False)
    ctx = _Context(
        opts.flops, layout, framework, opts.batch, False, causal_half=causal_half, memo=_shared(settings), quick=True
    )
    done: dict[str, Row] = {}
    nodes: list[Any] = []  # rows, and a BlockUse for each Segment
    for index, node in enumerate(graph.nodes, start=1):
        if not _count(node, index, done, ctx, b, nodes, blocks, settings):
            return None
    if any(r.serving is not None and r.serving.cache_per_token for r in nodes if r.__class__ is Row):
        return None  # a language model: its serving figures read every node
    totals = _totals(nodes)
    return Report(
        (),
        totals,
        opts.flops,
        opts.layout or graph.layout or Layout.hwc,
        opts.batch,
        opts.title or graph.title,
        dtype=dtype,
        memory=memory(nodes, totals, dtype),
        framework=framework,
    )


_LAST_CHECKED: list[Any] = [None, None]  # the options analyze_totals was last given, and them checked
_AS_USE = copier(BlockUse, "use, node_id, inputs", {"node_id": "node_id", "inputs": "inputs"})


def _count(
    node: Any,
    index: int,
    done: dict[str, Row],
    ctx: _Context,
    b: int,
    nodes: list[Any],
    blocks: dict[Any, Any],
    settings: tuple[Any, ...],
) -> bool:
    """Count a node (as :func:`_visit`), or a Segment as one BlockUse; False when a Segment cannot be."""
    use = getattr(node, "use", None)
    if use is None:
        _visit(node, index, done, ctx, b, nodes)
        return True
    x = done[node.inputs[0]]
    if x.view:  # the storage it reads: its size must be the input's
        source = x
        while source.view and source.inputs:
            source = done[source.inputs[0]]
        if source.view or row_bytes(source, b) != row_bytes(x, b):
            return False
    key = (node.key, x.output_shape, x.channel_axis, x.dtype, settings)
    hit = blocks.get(key)
    if hit is None:
        hit = blocks[key] = _block_use(use, x, ctx, b, blocks, settings)
    if hit is False:
        return False
    counted, out = hit
    if counted.node_id != node.id or counted.inputs != node.inputs:  # as a row of this graph (a storage of its own)
        out, counted = _RELABEL(out, node.id, node.inputs), _AS_USE(counted, node.id, node.inputs)
        blocks[key] = (counted, out)  # a sweep's next point often has the same ids here
    done[node.id] = out
    nodes.append(counted)
    return True


def _block_use(
    use: Any, x: Row, ctx: _Context, b: int, blocks: dict[Any, Any], settings: tuple[Any, ...]
) -> tuple[BlockUse, Row] | bool:
    """A Segment's nodes analysed after ``x``: their figures summed (a BlockUse) and the row of its output; False
    when they cannot be counted as one (a language model's figures, an uncounted op, an odd use of the input)."""
    done = {use.input: _INPUT_AS(x, use.input)}
    rows: list[Any] = []
    for k, node in enumerate(use.nodes, start=1):
        if not _count(node, k, done, ctx, b, rows, blocks, settings):
            return False
    if any(
        (r.serving is not None and r.serving.cache_per_token) or r.kind == "uncounted"
        for r in rows
        if r.__class__ is Row
    ):
        return False
    if done[use.last].view:  # its output is a view of a storage inside it: the storage's size is not the output's
        return False
    peak = block_peak(done[use.input], rows, b)
    if peak is None:
        return False
    held, freed, output, dangling, total_bytes = peak
    t = _totals(rows)
    counted = BlockUse(
        "",
        (),
        t.params,
        t.trainable_params,
        t.buffers,
        t.macs,
        t.flops,
        t.activation_size,
        row_bytes(x, b),
        held,
        freed,
        output,
        dangling,
        total_bytes,
    )
    return counted, done[use.last]


# a block's input inside it: a storage of its own (its size checked against the storage it views, if a view)
_INPUT_AS = copier(Row, "row, node_id", {"node_id": "node_id", "view": "False", "inputs": "()"})


def _written_order(graph: Graph) -> bool:
    seen: set[str] = set()
    add = seen.add
    for n in graph.nodes:
        if n.id in seen:
            return False
        for i in n.inputs:
            if i not in seen:
                return False
        add(n.id)
    return True


def _visit(
    node: Node, index: int, done: dict[str, Row], ctx: _Context, b: int, nodes: list[Row], block: str | None = None
) -> Row:
    """Analyse one node of the graph, or the parts of a composite one; return the row that shows it.

    ``block``: the repeated block (a transformer layer) the node is part of, for activation checkpointing.
    """
    kind = REGISTRY.get(node.kind)
    if kind is None:  # a Graph built by hand may name anything
        raise unknown_layer(node.kind)
    if kind.name == "dense" and ctx.lora is not None and node.trainable is None:  # not an adapter's own part
        parts = _lora_parts(node, done, ctx)
        if parts:
            first = len(nodes)
            for part in parts:
                _visit(part, index, done, ctx, b, nodes, block)
            return combine(index, node.label, "lora", node.id, nodes[first:], done[node.id], node.source)
    # rows are reused when nothing but the name differs (under training, when the same gradients reach them: their
    # backward is worked out again, its saved bytes by the ledger); freezing by name and checkpointing make each
    # node its own
    train = ctx.train
    key = _memo_key(node, done) if not ctx.freeze and (train is None or not train.recompute) else None
    if key is not None and train is not None:
        key = (key, tuple([done[i].grad for i in node.inputs]))
    if kind.expand is None:
        hit = ctx.memo.get(key) if key is not None else None
        if hit is None:
            row = _analyze_node(node, index, done, ctx, b, block)
        elif train is not None:
            row = _retrained(hit, index, node, done, ctx, b, block)
        else:
            if ctx.light:
                row = hit
            elif ctx.quick:  # its id and inputs; a sweep's points often give the same as the last: no copy
                row = hit
                if hit.node_id != node.id or hit.inputs != node.inputs:
                    row = ctx.memo[key] = _RELABEL(hit, node.id, node.inputs)
            else:
                row = _renamed(hit, index, node, _field(hit, node, done, ctx), block, ctx)
        if key is not None and hit is None:
            ctx.memo[key] = row if train is None else (row, train.last)
        elif hit is not None and ctx.records is not None:  # the same kind, arguments and shapes as the first
            ctx.records[node.id] = ctx.records[(hit if train is None else hit[0]).node_id]
        done[node.id] = row
        nodes.append(row)
        return row
    if node.lead:  # pragma: no cover - front-ends lower to the parts themselves
        raise RuntimeError(f"composite kind {kind.name} given leading axes")
    if ctx.light and key is not None and ("light", key) in ctx.memo:  # only totals wanted: the parts' sum will do
        out, whole = ctx.memo[("light", key)]
        done[node.id] = out
        nodes.append(whole)
        return whole
    expansion = ctx.memo.get(("expansion", key)) if key is not None else None
    if expansion is None:
        args = bind(kind, node.args, node.kwargs)
        operands = _operands(node, done)
        if kind.inputs is not None and len(operands) != kind.inputs:
            raise ShapeError(f"{kind.name} takes {kind.inputs} input(s), got {len(operands)}")
        expansion = Expansion()
        kind.expand(args, operands, expansion)
        if key is not None:
            ctx.memo[("expansion", key)] = expansion
    names = {"in": node.inputs[0]} if node.inputs else {}
    names.update({f"in{i}": src for i, src in enumerate(node.inputs)})
    first = len(nodes)
    for i, sub in enumerate(expansion.subs):
        sub_id = node.id if i == len(expansion.subs) - 1 else f"{node.id}.{sub.name}"
        reads = tuple(names[n] for n in sub.inputs)
        _visit(
            Node(
                sub_id, sub.kind, sub.name, (), sub.kwargs, reads, sub.kind, scope=node.scope, trainable=node.trainable
            ),
            index,
            done,
            ctx,
            b,
            nodes,
            block or (node.id if kind.block else None),
        )
        names[sub.name] = sub_id
    if ctx.train is not None:  # activation checkpointing may add to its parts afterwards: keep how to sum them
        ids = [r.node_id for r in nodes[first:]]
        ctx.train.composites[node.id] = (index, node.label, kind.name, ids, node.source, expansion.notes, node.inputs)
    hit = ctx.memo.get(("row", key)) if key is not None and train is None else None  # training: its parts' sums
    if hit is not None:
        out = done[node.id]  # its last part's row, whose field and block are the composite's
        return _RENAME(hit, index, node.label, node, out.receptive_field, out.block)
    row = combine(
        index, node.label, kind.name, node.id, nodes[first:], done[node.id], node.source, expansion.notes, node.inputs
    )
    if key is not None and train is None:
        ctx.memo[("row", key)] = row
        if ctx.light:
            ctx.memo[("light", key)] = (done[node.id], replace(row, flops=sum(r.flops for r in nodes[first:])))
            del nodes[first:]
            nodes.append(ctx.memo[("light", key)][1])
    return row


def _memo_key(node: Node, done: dict[str, Row]) -> Any:
    """What a node's row depends on besides its name and place, or None when it cannot be reused (a model's tensors).

    A block repeated 80 times (a language model's layers) is analysed once; its other uses are renamed copies.
    """
    if node.tensors is not None or node.shapes is not None or node.output is not None:
        return None
    inputs = node.inputs
    if len(inputs) == 1:  # most nodes (a list comprehension costs as much as the rest of the key)
        source = done[inputs[0]]
        reads: tuple[Any, ...] = ((source.output_shape, source.channel_axis),)  # the field is worked again
    else:
        reads = tuple([(done[i].output_shape, done[i].channel_axis) for i in inputs])
    try:  # the arguments told apart by type: fc(2) is not fc(2.0), which is an error
        args, kwargs = _typed(node.args), _typed_keywords(node.kwargs)
    except TypeError:  # a value given as a list: analysed every time
        return None
    return (node.kind, args, kwargs, reads, node.lead, node.dtype, node.notes, node.trainable)


def _field(row: Row, node: Node, done: dict[str, Row], ctx: _Context) -> ReceptiveField | None:
    """The receptive field of a reused row's output, from the windows it has and the rows this node reads."""
    inputs, shape = node.inputs, row.output_shape
    if len(inputs) == 1:
        source = done[inputs[0]]
        if row.windows is None and source.output_shape == shape:  # its input's shape, so its field (field_for)
            field = source.receptive_field
            return field if field is None or field.size else None
        sources = [source]
    else:
        sources = [done[i] for i in inputs]
    return field_for(shape[node.lead :] if sources else shape, row.windows, sources, shape, not ctx.traced)


def _renamed(row: Row, index: int, node: Node, field: ReceptiveField | None, block: str | None, ctx: _Context) -> Row:
    """A copy of ``row`` as node ``node`` at ``index`` (its figures are the same), with its receptive ``field``, in
    the repeated block it runs in (its scope's, else ``block``: the composite it is part of)."""
    name = node.label if row.kind != "uncounted" else row.name
    return _RENAME(row, index, name, node, field, _scope_block(node.scope, ctx.scopes) or block)


# a row's place and name: another node's row with the same figures
_PLACE = {
    "index": "index",
    "name": "name",
    "node_id": "node.id",
    "inputs": "node.inputs",
    "source": "node.source",
    "scope": "node.scope",
    "receptive_field": "field",
    "block": "block",
}
_RENAME = copier(Row, "row, index, name, node, field, block", _PLACE)
_RELABEL = copier(Row, "row, node_id, inputs", {"node_id": "node_id", "inputs": "inputs"})  # the quick analysis' copy


def _retrained(
    hit: tuple[Row, Any], index: int, node: Node, done: dict[str, Row], ctx: _Context, b: int, block: str | None
) -> Row:
    """A reused row under training: its forward copied, its backward worked out again for this node.

    The backward's figures are the first node's (the same kind, arguments, inputs and gradients: the same
    Pass); what it keeps is counted by the ledger, which knows whether an earlier node kept an input already.
    """
    row, (forward_steps, kind, pass_, c, repeat, figures) = hit
    steps = list(row.steps[:forward_steps])
    block = _scope_block(node.scope, ctx.scopes) or block
    grad, backward_flops, saved_bytes = _backward(
        node, kind, pass_, c, repeat, row.output_shape, done, ctx, b, steps, block, figures
    )
    field = _field(row, node, done, ctx)
    name = node.label if row.kind != "uncounted" else row.name
    return _RETRAIN(row, index, name, node, field, block, grad, backward_flops, saved_bytes, tuple(steps))


# the same, with the node's own backward
_RETRAIN = copier(
    Row,
    "row, index, name, node, field, block, grad, backward_flops, saved_bytes, steps",
    {**_PLACE, **{f: f for f in ("grad", "backward_flops", "saved_bytes", "steps")}},
)


_ROW = maker(Row)  # Row(index=..., name=..., ...), made quicker

TREE_SOURCES = (
    "torch",
    "onnx",
    "keras",
    "config",
)  # model files whose rows are a tree by default, deeper than one level


def _as_tree(opts: Options, graph: Graph, depth: int | None) -> bool:
    """Whether the rows are a tree: asked for (``tree=True``), or ``"auto"`` (the command line's tables) for a
    model file or config shown deeper than one level. None (the library's default) keeps flat rows, which
    partition the totals."""
    if opts.tree is None:
        return False
    if opts.tree == "auto":  # a model file whose modules nest within the depth shown (a flat one stays torchsummary's)
        nested = any(1 < s.level <= (depth or 0) for s in graph.scopes)
        return graph.source in TREE_SOURCES and depth is not None and depth > 1 and nested
    if opts.tree and not graph.scopes:
        raise ArgumentError(
            "--tree nests module calls and blocks, and this network has none: its rows are its layers",
            hint="a model file (.py:Class, .onnx, .keras) or the notation's blocks (def) have them",
        )
    return opts.tree


def _operands(node: Node, done: dict[str, Row]) -> tuple[tuple[int, ...], ...]:
    if node.shapes is not None:
        return tuple(tuple(s) for s in node.shapes)
    return tuple(done[i].output_shape for i in node.inputs)


def _analyze_node(
    node: Node, index: int, done: dict[str, Row], ctx: _Context, elem_bytes: int, block: str | None = None
) -> Row:
    """One node's row, its receptive field and traffic (``elem_bytes`` per element) from the rows it reads."""
    block = _scope_block(node.scope, ctx.scopes) or block  # the outermost block
    kind = REGISTRY[node.kind]
    kwargs, frozen = _freeze_keyword(node.kwargs)
    sources = [done[i] for i in node.inputs]
    operands = _operands(node, done)
    lead = node.lead
    lead_dims: tuple[int, ...] = operands[0][:lead] if lead and operands else ()
    inputs = tuple(s[lead:] for s in operands) if lead else operands
    args, c, figures = _calculated(kind, node, kwargs, inputs, ctx)
    if ctx.records is not None:
        ctx.records[node.id] = (kind.name, args, inputs, c.shape, node.tensors, c.param_tensors)
    output = None if node.output is None else tuple(node.output)
    scaled = figures.get((lead_dims, ctx.batch, output))
    if scaled is None:
        scaled = figures[lead_dims, ctx.batch, output] = _scaled_figures(kind, c, lead_dims, output, ctx)
    shape, repeat, size, macs, flops, scaled_steps = scaled
    steps = list(scaled_steps)
    params, trainable, buffers = c.params_total, c.trainable_total, c.buffers_total
    tensors = c.param_tensors
    notes = list(c.notes) + list(node.notes)
    if node.tensors is not None:  # the front-end knows the model's tensors: they are the row's parameters
        params, trainable, buffers = _tensor_counts(node, kind, c, steps)
        tensors = sum(1 for t in node.tensors if t.trainable and not t.buffer)
    frozen = frozen or _matches(ctx.freeze, node, ctx.scopes)
    if frozen and trainable:
        notes.append("frozen: its parameters get no gradient")
    if ctx.lora is not None and node.trainable is not True:  # LoRA: only the adapters train
        frozen = True
    if frozen:
        trainable = tensors = 0
    grad = False
    backward_flops = saved_bytes = 0
    if ctx.train is not None:  # the weight's own flag (a traced model's requires_grad), else its count
        own = bool(trainable) or c.tied  # a tied weight gets a gradient too, added to its owner's
        flags = tuple(not frozen and g for g in node.grad) if node.grad else (not frozen and own,)
        out = shape[len(lead_dims) :]  # per sample, as the model computed it
        grads = tuple(s.grad for s in sources)
        from cnncalc.training import Pass

        pass_ = Pass(kind.name, args, inputs, out, c.macs_total, grads, flags[0], flags, repeat)
        ctx.train.last = (len(steps), kind, pass_, c, repeat, figures)  # what a copy of this row needs again
        grad, backward_flops, saved_bytes = _backward(
            node, kind, pass_, c, repeat, shape, done, ctx, elem_bytes, steps, block, figures
        )
    serving = None
    if c.cache_per_token or c.inactive or c.quantizable:
        serving = Serving(c.cache_per_token, c.cache_window, c.inactive, c.quantizable)
    read, written = traffic_for(
        [prod(s) * ctx.batch for s in operands] if sources else [], params, buffers, size, elem_bytes
    )
    channel_axis = -len(c.shape) if c.shape else -1
    if ctx.traced and not lead and sources:
        channel_axis = max(sources[0].channel_axis, -len(shape)) if shape else -1
    return _ROW(
        index=index,
        name=str(args.raw("op")) if kind.name == "uncounted" else node.label,
        kind=kind.name,
        node_id=node.id,
        inputs=node.inputs,
        output_shape=shape,
        activation_size=size,
        params=params,
        trainable_params=trainable,
        buffers=buffers,
        macs=macs,
        flops=flops,
        source=node.source,
        steps=tuple(steps),
        notes=tuple(notes),
        windows=c.windows,
        receptive_field=field_for(c.shape, c.windows, sources, shape, inputs_spatial=not ctx.traced),
        bytes_read=read,
        bytes_written=written,
        scope=node.scope,
        channel_axis=channel_axis,
        dtype=node.dtype,
        view=kind.view,
        backward_flops=backward_flops,
        saved_bytes=saved_bytes,
        grad=grad,
        param_tensors=tensors,
        block=block,
        serving=serving,
        input_shapes=operands,
    )


def _scaled_figures(
    kind: Kind, c: Calc, lead_dims: tuple[int, ...], output: tuple[int, ...] | None, ctx: _Context
) -> tuple[tuple[int, ...], int, int, int, int, tuple[Step, ...]]:
    """A Calc's figures for the batch and the leading axes: the output shape, the repeat, the activation size,
    MACs and FLOPs, and the steps that state them (the kind's own, then activation size, MACs and FLOPs)."""
    shape = (*lead_dims, *c.shape)  # type: ignore[misc]
    if output is not None and output != shape:
        if prod(output) != prod(shape) and kind.name != "reduce":  # a front-end's lowering bug, not the user's
            raise RuntimeError(f"{kind.name} computed {shape} where the model computed {output}")
        shape = output
    repeat = ctx.batch * prod(lead_dims)
    size = prod(shape) * (1 if c.batch_reduced else ctx.batch)
    steps = list(c.steps)
    scale = _scale_text(ctx.batch, lead_dims)
    shown_batch = 1 if c.batch_reduced else ctx.batch
    steps.append(Step("activation size", _activation_text(c, shape, lead_dims, shown_batch), size))
    macs = c.macs_total * repeat
    macs_expr = " + ".join(c.macs_formulas)
    if c.macs_formulas:
        steps.append(Step("MACs", _scaled(macs_expr, scale, len(c.macs_formulas) > 1), macs))
    extra = c.extra[ctx.convention]
    flops = (2 * c.macs_total + sum(v for v, _ in extra)) * repeat
    terms = []
    if c.macs_formulas:
        terms.append("2·" + (f"({macs_expr})" if len(c.macs_formulas) > 1 else macs_expr))
    terms += [f for _, f in extra]
    if flops or terms:
        steps.append(Step("FLOPs", _scaled(" + ".join(terms), scale, len(terms) > 1), flops))
    return shape, repeat, size, macs, flops, tuple(steps)


# the rows of analyses with the same settings (convention, layout, framework, batch, traced, causal scores, bytes
# per element, training) and neither LoRA, freezing nor checkpointing: a network analysed again, or another with the
# same layers, copies the rows, expansions and composite rows its nodes' keys (_memo_key) find, as a repeated block
# does (under training, its forward: the backward is worked out again against the analysis' own ledger)
_SHARED: dict[Any, dict[Any, Any]] = {}
_SHARED_SETTINGS = 8


def _shared(settings: tuple[Any, ...]) -> dict[Any, Any]:
    """The shared memo of analyses with these ``settings``, emptied when it holds more than ``_CALCS_HELD`` keys."""
    memo = _SHARED.get(settings)
    if memo is None or len(memo) > _CALCS_HELD:
        if memo is None and len(_SHARED) >= _SHARED_SETTINGS:
            _SHARED.clear()
        memo = _SHARED[settings] = {}
    return memo


# a kind's arithmetic by everything it reads (see _calculated)
_CALCS: dict[Any, tuple[Args, Calc, dict[Any, Any]]] = {}
_CALCS_HELD = 4096


def _calculated(
    kind: Kind, node: Node, kwargs: tuple[tuple[str, Any], ...], inputs: tuple[tuple[int, ...], ...], ctx: _Context
) -> tuple[Args, Calc, dict[Any, Any]]:
    """The node's arguments bound, the Calc its kind filled from them and the ``inputs`` (no batch, no leading
    axes), and its figures scaled by batch and leading axes (filled by the caller, see _scaled_figures).

    A kind's arithmetic reads only these and the convention, layout, framework and the few settings a Calc carries,
    and nothing changes a Calc once it is filled: the same layer on the same inputs (a repeated block's layers, the
    same network analysed again) is worked out once and its Calc shared, up to a few thousand of them.
    """
    try:
        key: Any = (
            kind.name,
            _typed(node.args),
            _typed_keywords(kwargs),
            inputs,
            ctx.convention,
            ctx.layout,
            ctx.framework,
        )
        key = (key, ctx.traced, ctx.context, ctx.causal_half)
        hit = _CALCS.get(key)
    except TypeError:  # a value given as a list: worked out every time
        hit, key = None, None
    if hit is not None:
        return hit
    args = bind(kind, node.args, kwargs)
    if kind.inputs is not None and len(inputs) != kind.inputs:
        if kind.inputs == 1 and not inputs:
            raise ShapeError(f"{node.label} has no input", hint="start the chain with input(...)")
        raise ShapeError(f"{kind.name} takes {kind.inputs} input(s), got {len(inputs)}")
    c = Calc(ctx.convention, ctx.layout, ctx.framework, empty_ok=ctx.traced)
    c.context, c.causal_half = ctx.context, ctx.causal_half
    kind.infer(args, inputs, c)
    if c.shape is None:  # every kind sets its output; a kind that forgets is a bug, not a user error
        raise RuntimeError(f"layer kind {kind.name} did not set its output shape")
    entry: tuple[Args, Calc, dict[Any, Any]] = (args, c, {})
    if key is not None:
        if len(_CALCS) >= _CALCS_HELD:
            _CALCS.clear()
        _CALCS[key] = entry
    return entry


def _typed(v: Any) -> Any:
    """``v`` as a key that tells apart the values Python takes as equal: 1, 1.0 and True, a Size and a tuple."""
    t = v.__class__
    if t is int or t is str:
        return v
    if t is tuple:
        for x in v:
            if x.__class__ is not int and x.__class__ is not str:
                return tuple([_typed(x) for x in v])
        return v  # whole numbers and words only (no other key holds a type)
    if t is bool or t is float or v is None:
        return (t, v)
    hash(v)  # a list: a TypeError, as for the whole key
    return (t, tuple([_typed(x) for x in v])) if isinstance(v, tuple) else (t, v)


def _typed_keywords(kwargs: tuple[tuple[str, Any], ...]) -> Any:
    """``_typed(kwargs)`` for ``(word, value)`` pairs, quicker."""
    for _, v in kwargs:
        if v.__class__ is not int and v.__class__ is not str:
            return tuple([(k, _typed(v)) for k, v in kwargs])
    return kwargs


def _scope_block(scope: int | None, scopes: tuple[Scope, ...]) -> str | None:
    """The outermost repeated block (a scope marked ``block``) a node runs in, by its path."""
    found = None
    while scope is not None and scopes:
        if scopes[scope].block:
            found = scopes[scope].path
        scope = scopes[scope].parent
    return found


def _freeze_keyword(kwargs: tuple[tuple[str, Any], ...]) -> tuple[tuple[tuple[str, Any], ...], bool]:
    """A layer's ``freeze`` keyword (every kind takes it: its parameters get no gradient), and the rest."""
    for k, _ in kwargs:
        if k.lower() == "freeze":
            break
    else:
        return kwargs, False
    rest = tuple((k, v) for k, v in kwargs if k.lower() != "freeze")
    if len(rest) == len(kwargs):
        return kwargs, False
    value = next(v for k, v in kwargs if k.lower() == "freeze")
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
        value = value.lower() in ("true", "yes")
    if not isinstance(value, bool):
        raise ArgumentError(f"'freeze' must be true or false (got {value!r})")
    return rest, value


def _names_of(node: Node, scopes: tuple[Scope, ...]) -> list[str]:
    """What ``--freeze`` matches a node by: its label, id, the module path it ran in, its tensors' names."""
    names = [node.label, node.id]
    if node.scope is not None and scopes:
        names.append(scopes[node.scope].path)
    names += [t.name for t in node.tensors or ()]
    return names


def _matches(patterns: tuple[str, ...], node: Node, scopes: tuple[Scope, ...]) -> bool:
    if not patterns:
        return False
    names = _names_of(node, scopes)
    return any(_match(p, n) for p in patterns for n in names)


def _match(pattern: str, name: str) -> bool:
    """A name, a glob (``layer1.*``), a prefix of a dotted path (``layer1`` freezes ``layer1.0.conv1``), or a
    glob of the last part of one (``conv*`` freezes ``basic1.conv``, a conv inside a notation block)."""
    name, pattern = name.lower(), pattern.lower()
    last = name.rpartition(".")[2]
    return fnmatchcase(name, pattern) or fnmatchcase(last, pattern) or name.startswith(pattern + ".")


def _check_freeze(patterns: tuple[str, ...], rows: list[Row], graph: Graph) -> None:
    """A ``--freeze`` pattern that matches nothing is an error naming what it could match."""
    if not patterns:
        return
    names = sorted({n for node in graph.nodes for n in _names_of(node, graph.scopes) if n})
    for p in patterns:
        if not any(_match(p, n) for n in names):
            import difflib

            near = difflib.get_close_matches(p, names, n=3)
            shown = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
            raise ArgumentError(
                f"--freeze '{p}' matches no layer (it could match: {shown})",
                hint=f"did you mean {' or '.join(near)}?" if near else "a glob such as 'layer1.*' also works",
            )


def _backward(
    node: Node,
    kind: Kind,
    p: Pass,
    c: Calc,
    repeat: int,
    shape: tuple[int, ...],
    done: dict[str, Row],
    ctx: _Context,
    elem_bytes: int,
    steps: list[Step],
    block: str | None,
    figures: dict[Any, Any] | None = None,
) -> tuple[bool, int, int]:
    """Whether the node's output needs a gradient, its backward FLOPs and the bytes it keeps (new to the step).

    ``figures``: the shared Calc's own (see _calculated), where the kind's backward rule is kept: it reads only
    the Pass, whose kind, arguments, inputs and MACs are the Calc's.

    Under activation checkpointing a node in a block keeps nothing: the block keeps its inputs, and its
    forward runs again in the backward (its FLOPs are added to the backward).
    """
    t = ctx.train
    assert t is not None
    rule = t.rules.get(kind.name)
    grad = p.any or any(p.weights)  # a gradient flows in, or one of its tensors (a bias) gets one
    if grad and rule is not None:
        key = ("backward", p.output, p.grads, p.weights, p.repeat)
        known = figures.get(key) if figures is not None else None
        if known is None:  # the rule's result, and the steps that state it, for every node that has this Pass
            known = _backward_figures(rule(p), c, ctx, repeat)
            if figures is not None:
                figures[key] = known
        back, extra, flops, stated = known
    else:
        from cnncalc.training import Backward

        back, extra, flops, stated = _backward_figures(Backward(), c, ctx, repeat)
        if grad:
            t.unruled[kind.name] = t.unruled.get(kind.name, 0) + 1
    if kind.view and not back.new_storage:
        t.storage[node.id] = t.storage.get(node.inputs[0]) if node.inputs else None
    else:
        t.storage[node.id] = node.id
    if not grad:
        return False, 0, 0
    parts: list[str] = []
    total = 0
    if block is not None and t.recompute:
        forward = (2 * c.macs_total + extra) * repeat
        inside = sum(_saved_size(s, repeat, elem_bytes, done, t, node) for s in back.saves)
        t.blocks[block] = t.blocks.get(block, 0) + inside
        t.inside[node.id] = inside
        for src in node.inputs:  # the block keeps its inputs (the tensors it reads from outside it)
            holder = t.storage.get(src)
            if holder is None or done[src].block == block:
                continue
            t.keepers.setdefault(holder, []).append(node.id)
            if holder in t.kept:
                continue
            t.kept.add(holder)
            size = row_bytes(done[holder], elem_bytes)
            parts.append(f"block input {size:,} B")
            total += size
        holders = {_holder(s, node, t) for s in back.saves if s.what != "kept"} - {None}
        t.block_saves.setdefault(block, set()).update(holders)  # type: ignore[arg-type]
        own = any(s.what == "kept" for s in back.saves)
        t.block_nodes.setdefault(block, []).append((node.id, forward, own))
        back = replace(back, saves=())
    for s in back.saves:
        if s.what == "kept":
            size = _saved_size(s, repeat, elem_bytes, done, t, node)
            t.pinned[node.id] = t.pinned.get(node.id, 0) + size
            if not s.per_sample:
                t.fixed[node.id] = t.fixed.get(node.id, 0) + size
            parts.append(f"{s.name or 'a tensor'} {size:,} B")
            total += size
            continue
        holder = _holder(s, node, t)
        what = "output" if s.what == "output" else f"input {s.operand + 1}" if len(node.inputs) > 1 else "input"
        if holder is None:  # a parameter or a constant: the model's own memory, not an activation
            continue
        t.keepers.setdefault(holder, []).append(node.id)
        if holder in t.kept:
            parts.append(f"{what} (kept already)")
            continue
        t.kept.add(holder)
        if holder in done:
            size = row_bytes(done[holder], elem_bytes)
        else:  # its own output, at its own dtype
            size = prod(shape) * ctx.batch * (TENSOR_BYTES.get(node.dtype, elem_bytes) if node.dtype else elem_bytes)
        parts.append(f"{what} {size:,} B")
        total += size
    steps += stated
    if parts:
        steps.append(Step("saved for backward", " + ".join(parts), f"{total:,} B"))
    return True, flops, total


def _backward_figures(back: Any, c: Calc, ctx: _Context, repeat: int) -> tuple[Any, int, int, tuple[Step, ...]]:
    """A backward's extra FLOPs (the convention's elementwise terms, as in the forward), its FLOPs, and the
    steps that state its MACs and FLOPs."""
    extra = sum([v for v, _ in c.extra[ctx.convention]])
    flops = (2 * back.macs + extra) * repeat
    own = []
    if back.macs:
        own.append(Step("backward MACs", back.formula + (f" (×{repeat})" if repeat > 1 else ""), back.macs * repeat))
    if flops:
        formula = f"2·{back.macs * repeat:,}" + (f" + {extra * repeat:,}" if extra else "")
        own.append(Step("backward FLOPs", formula if back.macs else "", flops))
    return back, extra, flops, tuple(own)


def _again(row: Row, done: dict[str, Row], t: Ledger) -> Row:
    """A shown row after checkpointing changed its nodes: the node's own row, or a composite's sum again."""
    if row.node_id in t.composites:
        index, label, kind, ids, source, notes, inputs = t.composites[row.node_id]
        return combine(
            index, label, kind, row.node_id, [done[i] for i in ids], done[row.node_id], source, notes, inputs
        )
    return done.get(row.node_id, row)


def _holder(s: Any, node: Node, t: Ledger) -> str | None:
    """The storage a saved operand or output lives in (None for a parameter)."""
    source = node.id if s.what == "output" else node.inputs[s.operand] if s.operand < len(node.inputs) else None
    return t.storage.get(source) if source is not None else None


def _recompute(nodes: list[Row], done: dict[str, Row], t: Ledger) -> None:
    """Activation checkpointing: in the backward each block's forward runs again, up to the last node that makes
    a tensor the block's backward needs (PyTorch stops recomputing there); those nodes' forward FLOPs are added
    to their backward."""
    where = {r.node_id: i for i, r in enumerate(nodes)}
    for block, entries in t.block_nodes.items():
        needed = t.block_saves.get(block, set())
        last = max((i for i, (nid, _, own) in enumerate(entries) if own or nid in needed), default=-1)
        for nid, forward, _ in entries[: last + 1]:
            if not forward:
                continue
            i = where[nid]
            step = Step("recomputed forward FLOPs", f"{forward:,} (its block is checkpointed)", forward)
            nodes[i] = replace(
                nodes[i], backward_flops=nodes[i].backward_flops + forward, steps=(*nodes[i].steps, step)
            )
            done[nid] = nodes[i]


def _saved_size(s: Any, repeat: int, elem_bytes: int, done: dict[str, Row], t: Ledger, node: Node) -> int:
    """The bytes one saved tensor takes (a tensor of its own, or the storage of an operand or the output)."""
    if s.what == "kept":
        size = s.numel * (repeat if s.per_sample else 1)
        return size * (TENSOR_BYTES.get(s.dtype, elem_bytes) if s.dtype else elem_bytes)
    holder = _holder(s, node, t)
    return row_bytes(done[holder], elem_bytes) if holder in done else 0


def _lora_parts(node: Node, done: dict[str, Row], ctx: _Context) -> list[Node]:
    """The nodes of a dense layer a LoRA target names (its base, A, B, scaling, sum), or [] if none does."""
    from cnncalc.lora import adapted, matches, names_of

    names = names_of(node, ctx.scopes)
    traced = node.tensors is not None and node.scope is not None and ctx.scopes  # named by its module path
    ctx.linear_names.add(names[-1].rsplit(".", 1)[-1] if traced else node.label)
    hits = [t for t in ctx.lora.targets if matches(t, names)]
    if not hits:
        return []
    ctx.adapted.update(hits)
    operands = _operands(node, done)
    if not operands:
        return []
    x = operands[0][node.lead :]
    flatten = dict(node.kwargs).get("flatten")
    n_in = prod(x) if len(x) == 1 or (flatten if flatten is not None else len(x) > 2) else x[0]
    units = dict(node.kwargs).get("units")
    if not isinstance(units, int):
        units = bind(REGISTRY["dense"], node.args, node.kwargs).int("units")
    where = ctx.scopes[node.scope].path if node.scope is not None and ctx.scopes else node.id
    return adapted(node, ctx.lora, n_in, units, where)


def _check_targets(lora: Any, ctx: _Context) -> None:
    """A LoRA target that matched no layer is an error naming the layers it could match."""
    missed = [t for t in lora.targets if t not in ctx.adapted]
    if missed:
        known = ", ".join(sorted(ctx.linear_names)[:20]) or "none: the network has no dense layer"
        raise ArgumentError(
            f"LoRA target {', '.join(repr(t) for t in missed)} matches no layer", hint=f"its layers: {known}"
        )


def _tensor_counts(node: Node, kind: Kind, c: Calc, steps: list[Step]) -> tuple[int, int, int]:
    """Parameters, trainable and buffers from the tensors the node reads first; the steps name them.

    Under the keras convention a batch norm's statistics are non-trainable parameters, as the kind counts them.
    """
    tensors = node.tensors or ()
    if c.framework is Framework.keras and kind.name == "batchnorm":
        tensors = tuple(replace(t, buffer=False, trainable=False) if t.buffer else t for t in tensors)
    params = sum(t.numel for t in tensors if not t.buffer)
    trainable = sum(t.numel for t in tensors if not t.buffer and t.trainable)
    buffers = sum(t.numel for t in tensors if t.buffer)
    if params != c.params_total or buffers != c.buffers_total:  # the kind's own count does not describe them
        steps[:] = [s for s in steps if s.quantity not in ("params", "buffers")]
        if params or not buffers:
            steps.append(Step("params", _tensor_terms([t for t in tensors if not t.buffer]), params))
        if buffers:
            steps.append(Step("buffers", _tensor_terms([t for t in tensors if t.buffer]), buffers))
    return params, trainable, buffers


def _tensor_terms(tensors: list[Any]) -> str:
    terms = [f"{t.name} {'·'.join(map(str, t.shape)) or '1'}" for t in tensors[:6]]
    return " + ".join(terms) + (" + …" if len(tensors) > 6 else "")


def _scale_text(batch: int, lead_dims: tuple[int, ...]) -> str:
    factors = [str(n) for n in lead_dims] + ([str(batch)] if batch > 1 else [])
    return "·".join(factors) if prod(lead_dims) * batch > 1 else ""


def _scaled(expr: str, scale: str, compound: bool) -> str:
    if not scale:
        return expr
    return f"({expr})·{scale}" if compound else f"{expr}·{scale}"


def _activation_text(c: Calc, shape: tuple[int, ...], lead_dims: tuple[int, ...], batch: int) -> str:
    if lead_dims:
        text = "·".join(str(n) for n in shape)
    else:
        text = c.shown(c.shape) if len(shape) > 1 else ""  # type: ignore[arg-type]
    if batch > 1:
        text = f"{text or (shape[0] if shape else 1)}·{batch}"
    return text


def _recounted(shown: list[Row], nodes: list[Row], counted: list[Row]) -> list[Row]:
    """The shown rows with the nodes' new MACs and FLOPs: a composite's the sum of its parts'."""
    by_id = {old.node_id: new for old, new in zip(nodes, counted)}
    out = []
    for row in shown:
        if REGISTRY.get(row.kind) is not None and REGISTRY[row.kind].expand is not None:
            parts = [by_id[i] for i in by_id if i == row.node_id or i.startswith(row.node_id + ".")]
            out.append(replace(row, macs=sum(p.macs for p in parts), flops=sum(p.flops for p in parts)))
        else:
            out.append(by_id.get(row.node_id, row))
    return out


def _totals(rows: list[Row]) -> Totals:
    """Sums over the nodes; the activation total counts each storage once (views share their input's)."""
    params = trainable = buffers = macs = flops = activations = 0
    for r in rows:
        params += r.params
        trainable += r.trainable_params
        buffers += r.buffers
        macs += r.macs
        flops += r.flops
        if not r.view:
            activations += r.activation_size
    return Totals(
        params=params,
        trainable_params=trainable,
        non_trainable_params=params - trainable,
        buffers=buffers,
        macs=macs,
        flops=flops,
        activation_size=activations,
    )


def _uncounted(rows: list[Row], graph: Graph) -> tuple[UncountedOp, ...]:
    """The operations that ran without a counting rule, by name, with how often and where."""
    found: dict[str, tuple[int, list[str]]] = {}
    for r in rows:
        if r.kind != "uncounted":
            continue
        calls, where = found.get(r.name, (0, []))
        path = graph.scopes[r.scope].path if r.scope is not None and graph.scopes else r.node_id
        if path not in where:
            where.append(path)
        found[r.name] = (calls + 1, where)
    return tuple(UncountedOp(name, n, tuple(where)) for name, (n, where) in sorted(found.items()))
