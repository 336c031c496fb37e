"""Rows at a depth: every node folded into its scope (a module call, a block's use) at that depth or above.

A traced model's report shows one row per module call down to ``depth``, as
torchinfo does: the work of deeper modules is counted in their ancestor's row,
and a row whose module has rows below it shows only the work done directly in
it. The figures are sums of the nodes' rows from :func:`cnncalc.analyze`; the
row's output is what the call returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from cnncalc.conventions import Layout, show_shape
from cnncalc.graph import Graph, Scope
from cnncalc.layers.calc import Step, fmt, prod
from cnncalc.layers.registry import REGISTRY
from cnncalc.report import Row


def shape_text(shape: tuple[int, ...], batch: int | None, layout: Layout, channel_axis: int | None) -> str:
    """torchsummary's way: ``[-1, 16, 28, 28]``, the batch axis shown as -1; channels last in hwc."""
    if batch is None:  # a graph without a batch axis (a config's): shapes as the notation shows them
        shown = show_shape(shape, layout)
        return "(" + ", ".join(str(n) for n in shown) + ("," if len(shown) == 1 else "") + ")"
    shown = list(show_shape(shape, layout, channel_axis)) if len(shape) > 2 else list(shape)
    items = [str(n) for n in shown]
    if items and batch is not None and shape[0] == batch:
        items[0] = "-1"
    return "[" + ", ".join(items) + "]"


def fold(nodes: tuple[Row, ...], graph: Graph, depth: int, layout: Layout) -> tuple[tuple[Row, ...], list[str]]:
    """The rows of ``graph`` at ``depth``, and the notes that say how they were made."""
    scopes = graph.scopes

    def target(i: int) -> int:
        while scopes[i].level > depth and scopes[i].parent is not None:
            i = scopes[i].parent  # type: ignore[assignment]
        return i

    groups: dict[int, list[Row]] = {}
    for r in nodes:
        if r.scope is not None:
            groups.setdefault(target(r.scope), []).append(r)
    by_id = {r.node_id: r for r in nodes}
    shown = [s for s in scopes if s.level <= depth and s.parent is not None]
    root = scopes[0]
    notes = [f"Rows follow the module calls to depth {depth}; deeper modules are counted in their ancestor's row"]
    if not shown:  # the model itself is the one row
        return (_row(1, root, groups.get(root.index, []), by_id, graph, layout, scopes),), notes
    rows: list[Row] = []
    runs = _own_runs(nodes, root.index, target)
    for item in _in_order(shown, runs, groups, nodes, scopes):
        index = len(rows) + 1
        if isinstance(item, list):
            rows.append(_run_row(index, item, graph, layout))
        else:
            rows.append(_row(index, item, groups.get(item.index, []), by_id, graph, layout, scopes))
    children = {s.parent for s in scopes if s.parent is not None and s.level <= depth}
    if any(s.index in children and s.level < depth for s in shown):
        notes.append("A row whose module has rows below it shows only the work done directly in that module")
    if runs:
        notes.append(f"The operations of {root.kind}.forward itself are rows where they run, named by the function")
    return tuple(rows), notes


def _own_runs(nodes: tuple[Row, ...], root: int, target: Callable[[int], int]) -> list[list[Row]]:
    """The nodes the model's own forward runs (functions, not modules), in runs between its modules' calls."""
    runs: list[list[Row]] = []
    current: list[Row] = []
    for r in nodes:
        if r.scope is None:  # the inputs
            continue
        if target(r.scope) == root:
            current.append(r)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return [run for run in runs if _has_figures(run) or any(not r.view for r in run if r.kind != "tensor")]


def _in_order(
    shown: list[Scope],
    runs: list[list[Row]],
    groups: dict[int, list[Row]],
    nodes: tuple[Row, ...],
    scopes: tuple[Scope, ...],
) -> list[Scope | list[Row]]:
    """The shown module calls and the model's own runs in the order they ran: a call where its first node ran
    (one without nodes after the call before it), a run before the first call that began after it."""
    position = {r.node_id: i for i, r in enumerate(nodes)}
    first: dict[int, int] = {}
    for s in reversed(scopes):  # the first node of each scope's subtree
        mine = [position[r.node_id] for r in groups.get(s.index, [])]
        below = first.get(s.index)
        here = min(mine + ([below] if below is not None else []), default=None)
        if here is not None:
            first[s.index] = here
            if s.parent is not None:
                first[s.parent] = min(first.get(s.parent, here), here)
    out: list[Scope | list[Row]] = []
    waiting = list(runs)
    last = -1
    for s in shown:
        last = first.get(s.index, last)
        while waiting and position[waiting[0][0].node_id] < last:
            out.append(waiting.pop(0))
        out.append(s)
    return out + waiting


OPERATORS = {"Tensor.__add__": "+", "Tensor.__mul__": "*", "Tensor.__matmul__": "@"}


def _run_row(index: int, run: list[Row], graph: Graph, layout: Layout) -> Row:
    """One run of the model's own operations as a row: named by its first function, its output the run's last."""
    by_id = {n.id: n for n in graph.nodes} if graph.nodes else {}
    working = [r for r in run if r.kind != "tensor"] or run
    calls = [by_id[r.node_id].call if r.node_id in by_id and by_id[r.node_id].call else r.name for r in working]
    words = list(dict.fromkeys(OPERATORS.get(c, c.removesuffix(" (held)")) for c in calls))
    short = words[0].rsplit(".", 1)[-1] if words[0] not in OPERATORS.values() else working[0].kind
    last = working[-1]
    row = combine(index, f"{short}-{index}", last.kind, last.node_id, run, last, ", ".join(words))
    text = shape_text(last.output_shape, graph.batch, layout, last.channel_axis)
    return replace(row, shape_text=text, scope=graph.scopes[0].index)


def _has_figures(rows: list[Row]) -> bool:
    """Whether the nodes hold parameters or do work under some convention (then their scope has a row)."""
    return any(r.params or r.buffers or r.macs or r.flops or not REGISTRY[r.kind].zero_cost for r in rows)


def _row(
    index: int,
    s: Scope,
    rows: list[Row],
    by_id: dict[str, Row],
    graph: Graph,
    layout: Layout,
    scopes: tuple[Scope, ...],
) -> Row:
    out_row = by_id.get(s.output_nodes[0]) if s.output_nodes else None
    axis = out_row.channel_axis if out_row is not None else None
    texts = [
        shape_text(o, graph.batch, layout, by_id[n].channel_axis if n in by_id else axis)
        for o, n in zip(s.outputs[:3], [*s.output_nodes[:3], *[""] * 3])
    ]
    text = ", ".join(texts) + (", …" if len(s.outputs) > 3 else "")
    parent = scopes[s.parent].path if s.parent is not None else None
    row = combine(
        index, f"{s.kind}-{index}", s.kind, s.path, rows, out_row, s.path, s.notes, (parent,) if parent else ()
    )
    return replace(
        row,
        output_shape=s.outputs[0] if s.outputs else (),
        activation_size=sum(prod(o) for o in s.outputs),
        shape_text=text,
        scope=s.index,
        branch=True,
    )


SUMMED = (  # (step quantity, Row field) a combined row states as the sum of its parts'
    ("params", "params"),
    ("buffers", "buffers"),
    ("MACs", "macs"),
    ("FLOPs", "flops"),
    ("backward FLOPs", "backward_flops"),
    ("saved for backward", "saved_bytes"),
)


def combine(
    index: int,
    name: str,
    kind: str,
    node_id: str,
    rows: list[Row],
    out_row: Row | None,
    source: str,
    notes: tuple[str, ...] | list[str] = (),
    inputs: tuple[str, ...] = (),
) -> Row:
    """One row standing for several nodes' rows: their figures summed, their steps in order, ``out_row``'s output.

    A module call's row, and a composite kind's (a transformer block is made of
    layer norms, dense layers, attention and adds).
    """
    working = [
        r
        for r in rows
        if r.macs or r.flops or r.params or r.buffers or r.backward_flops or r.saved_bytes or r.kind == "uncounted"
    ]
    steps: list[Step] = []
    for r in working:
        own = [st for st in r.steps if st.quantity != "activation size"]
        if len(working) == 1:
            steps += own
        else:
            steps += [Step(f"{r.name}: {st.quantity}", st.formula, st.value) for st in own]
    if len(working) > 1:  # the row's figures as sums of its nodes'
        for quantity, attr in SUMMED:
            parts = [getattr(r, attr) for r in working if getattr(r, attr)]
            if parts:
                total = sum(parts) if attr != "saved_bytes" else f"{sum(parts):,} B"
                steps.append(Step(quantity, " + ".join(fmt(v) for v in parts) if len(parts) > 1 else "", total))
    if out_row is not None:
        steps.append(next(st for st in out_row.steps if st.quantity == "activation size"))
    quiet = ("tensor", "uncounted")
    said = list(dict.fromkeys([n for r in rows for n in r.notes if r.kind in quiet] + list(notes)))
    said += [n for r in working for n in r.notes if r.kind not in quiet and n not in said]
    uncounted = [r.name for r in rows if r.kind == "uncounted"]
    if uncounted:
        listed = ", ".join(f"{n} ×{uncounted.count(n)}" for n in dict.fromkeys(uncounted))
        said.append(f"uncounted (no counting rule, not in MACs/FLOPs): {listed}")
    return Row(
        index=index,
        name=name,
        kind=kind,
        node_id=node_id,
        inputs=inputs,
        output_shape=out_row.output_shape if out_row is not None else (),
        activation_size=out_row.activation_size if out_row is not None else 0,
        params=sum(r.params for r in rows),
        trainable_params=sum(r.trainable_params for r in rows),
        buffers=sum(r.buffers for r in rows),
        macs=sum(r.macs for r in rows),
        flops=sum(r.flops for r in rows),
        source=source,
        steps=tuple(steps),
        notes=tuple(said),
        windows=out_row.windows if out_row is not None else None,
        receptive_field=out_row.receptive_field if out_row is not None else None,
        bytes_read=sum(r.bytes_read for r in rows),
        bytes_written=sum(r.bytes_written for r in rows),
        scope=out_row.scope if out_row is not None else None,
        channel_axis=out_row.channel_axis if out_row is not None else 0,
        dtype=out_row.dtype if out_row is not None else None,
        backward_flops=sum(r.backward_flops for r in rows),
        saved_bytes=sum(r.saved_bytes for r in rows),
        grad=out_row.grad if out_row is not None else any(r.grad for r in rows),
        param_tensors=sum(r.param_tensors for r in rows),
        block=out_row.block if out_row is not None else None,
        input_shapes=next((r.input_shapes for r in rows if r.input_shapes), ()),
    )


def tree(nodes: tuple[Row, ...], graph: Graph, depth: int | None, layout: Layout) -> tuple[tuple[Row, ...], list[str]]:
    """The rows of ``graph`` as a tree: every scope down to ``depth`` (None: all) with its whole subtree's figures.

    As torchinfo shows a model: a module call's row, then its children's rows one level deeper;
    a parent's figures are the sum of everything run inside it (its children, and the functional
    ops in its own forward), so each total is read where it is. A node outside every scope (a
    notation layer outside its blocks) is a row of its own, and so is each layer of a notation block,
    under the block's row. Rows are in the order the calls
    began; ``Row.level`` is the depth, ``Row.branch`` marks the rows that stand for a scope.
    """
    scopes = graph.scopes
    cap = depth if depth is not None else max((s.level for s in scopes), default=0)
    open_: list[tuple[Scope, list[Row]]] = []  # the scopes the walk is in, outermost first
    items: list[tuple[Scope | None, list[Row], int]] = []  # (scope or None for a lone node, its nodes, level)

    def chain(i: int | None) -> list[Scope]:
        found: list[Scope] = []
        while i is not None:
            found.append(scopes[i])
            i = scopes[i].parent
        return [s for s in reversed(found) if s.level <= cap]

    top = min((s.level for s in scopes), default=0)
    members_of: dict[int, list[Row]] = {}  # a scope's item, once it has one
    rooted = graph.depth is not None  # a model file: its nodes outside every scope are its inputs
    for r in nodes:
        path = chain(r.scope)
        if not path and rooted:
            continue
        keep = 0
        while keep < min(len(open_), len(path)) and open_[keep][0].index == path[keep].index:
            keep += 1
        if keep < len(path) and path[-1].index in members_of:  # read late (a buffer): counted where its scope is
            for s in path:
                if s.index in members_of:
                    members_of[s.index].append(r)
            continue
        del open_[keep:]
        for s in path[keep:]:
            members: list[Row] = []
            members_of[s.index] = members
            open_.append((s, members))
            items.append((s, members, s.level - top))
        if not path:
            items.append((None, [r], 0))
            continue
        for _, members in open_:
            members.append(r)
        if not rooted:  # a notation block's layers are rows of their own, under it
            items.append((None, [replace(r, name=r.name.removeprefix(path[-1].path + "."))], len(path)))
    by_id = {r.node_id: r for r in nodes}
    rows: list[Row] = []
    for index, (s, members, level) in enumerate(items, start=1):
        if s is None:
            rows.append(replace(members[0], index=index, level=level))
            continue
        if not s.outputs:  # a notation block: its output is its last node's
            row = combine(index, s.path, s.kind, s.path, members, members[-1], s.path, s.notes)
            rows.append(replace(row, scope=s.index, level=level, branch=True))
            continue
        row = _row(index, s, members, by_id, graph, layout, scopes)
        rows.append(replace(row, level=level, branch=True))
    said = f"to depth {depth}" if depth is not None else "to the last level"
    notes = [
        f"Rows follow the module calls {said}, indented under their parents; a row's figures are everything run "
        "inside it, its children's and its own functional ops'; the totals count each once"
    ]
    return tuple(rows), notes
