"""Breakdowns: the report's figures summed per operator kind (``--by kind``, as fvcore's ``by_operator``)
or per block (``--by block``: a transformer layer, a residual block, a stack's module).

Both read the node rows only (a composite's parts, a module's operations), so each figure is
counted once and the sums are the report's totals.

>>> from cnncalc import analyze
>>> b = breakdown(analyze("input(32,32,3) -> conv(8, f=5) -> relu -> pool(2) -> fc(10)"), "kind")
>>> [(e.name, e.params, e.macs) for e in b]   # conv (5·5·3 + 1)·8 = 608; fc (14·14·8 + 1)·10 = 15,690
[('conv', 608, 470400), ('linear', 15690, 15680), ('pool', 0, 0), ('input', 0, 0), ('activation', 0, 0)]
"""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.errors import ArgumentError
from cnncalc.report import Report, Row

OPERATOR_KINDS: dict[str, tuple[str, ...]] = {
    "conv": ("conv", "depthwise", "convtranspose"),
    "linear": ("dense", "expertdense", "groupedmm"),
    "matmul": ("matmul",),
    "attention": ("sdpa", "attention"),
    "norm": ("batchnorm", "layernorm", "rmsnorm", "groupnorm", "instancenorm"),
    "activation": (
        "relu",
        "relu6",
        "leakyrelu",
        "elu",
        "selu",
        "celu",
        "gelu",
        "silu",
        "mish",
        "sigmoid",
        "hardsigmoid",
        "tanh",
        "hardtanh",
        "hardswish",
        "softplus",
        "softsign",
        "prelu",
    ),
    "softmax": ("softmax", "logsoftmax"),
    "pool": ("maxpool", "avgpool", "globalavgpool", "globalmaxpool", "adaptiveavgpool", "adaptivemaxpool"),
    "elementwise": ("elementwise", "add", "mul", "reduce", "sort"),
    "embedding": ("embedding", "posembedding", "classtoken", "rotary"),
    "recurrent": ("lstm", "gru", "rnn"),
    "routing": ("topk", "dispatch", "combine"),
    "cache": ("cache",),
    "data movement": (
        "concat",
        "split",
        "expand",
        "copy",
        "upsample",
        "zeropad",
        "channelshuffle",
        "pixelshuffle",
        "select",
    ),
    "view": ("output", "identity", "dropout", "flatten", "reshape", "permute", "transpose"),
    "input": ("input", "tensor", "constant"),
    "uncounted": ("uncounted",),
}
"""The operator kinds a breakdown sums over, each with the layer kinds it holds (one table, as fvcore's)."""

KIND_OF = {kind: name for name, kinds in OPERATOR_KINDS.items() for kind in kinds}
BY = ("kind", "block")


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a breakdown: its name, how many layers it sums, and their figures."""

    name: str
    layers: int
    params: int
    trainable_params: int
    macs: int
    flops: int
    activation_size: int
    backward_flops: int = 0
    saved_bytes: int = 0


def operator_kind(row: Row) -> str:
    """The operator kind a node's row is summed under (a layer kind without an entry is its own)."""
    return KIND_OF.get(row.kind, row.kind)


def block_of(row: Row, composites: set[str]) -> str:
    """The block a node's row belongs to: its repeated block, the composite it is part of, or none."""
    if row.block:
        return row.block
    head = row.node_id.split(".", 1)[0]
    if head in composites:  # a composite's parts are named after it (its last part is the composite's own id)
        return head
    return "(outside blocks)"


def parse_by(value: object) -> str | None:
    """``--by`` as ``kind`` or ``block`` (None: no breakdown), or an ArgumentError naming them."""
    if value is None:
        return None
    word = str(getattr(value, "value", value)).strip().lower()
    if word not in BY:
        raise ArgumentError(f"unknown breakdown '{value}' (choose {', '.join(BY)})")
    return word


def breakdown(report: Report, by: str) -> tuple[Entry, ...]:
    """The report's node rows summed per operator kind (most FLOPs first) or per block (in order)."""
    by = parse_by(by) or "kind"
    nodes = report.node_rows
    if by == "kind":
        key = operator_kind
    else:
        from cnncalc.layers.registry import REGISTRY

        composites = {r.node_id for r in report.rows if r.kind in REGISTRY and REGISTRY[r.kind].expand is not None}
        if not any(block_of(r, composites) != "(outside blocks)" for r in nodes):
            raise ArgumentError(
                "--by block: this network has no blocks",
                hint="blocks are a notation def's uses, transformer layers, and the repeated modules of a stack; "
                "--by kind sums per operator kind",
            )

        def key(r: Row) -> str:
            return block_of(r, composites)

    groups: dict[str, list[Row]] = {}
    for r in nodes:
        groups.setdefault(key(r), []).append(r)
    entries = [
        Entry(
            name,
            len(rows),
            sum(r.params for r in rows),
            sum(r.trainable_params for r in rows),
            sum(r.macs for r in rows),
            sum(r.flops for r in rows),
            sum(r.activation_size for r in rows if not r.view),
            sum(r.backward_flops for r in rows),
            sum(r.saved_bytes for r in rows),
        )
        for name, rows in groups.items()
    ]
    if by == "kind":
        entries.sort(key=lambda e: (-e.flops, -e.macs, -e.params))
    return tuple(entries)


def as_rows(entries: tuple[Entry, ...]) -> tuple[Row, ...]:
    """A breakdown's entries as rows a table renderer draws (the name in Layer, the layers it sums in Count)."""
    return tuple(
        Row(
            index=i,
            name=e.name,
            kind=e.name,
            node_id=e.name,
            inputs=(),
            output_shape=(),
            activation_size=e.activation_size,
            params=e.params,
            trainable_params=e.trainable_params,
            buffers=0,
            macs=e.macs,
            flops=e.flops,
            backward_flops=e.backward_flops,
            saved_bytes=e.saved_bytes,
            count=e.layers,
        )
        for i, e in enumerate(entries, start=1)
    )


def records(report: Report, by: str) -> dict:
    """The breakdown as the JSON contract writes it: ``{"by": ..., "rows": [{name, layers, params, ...}]}``."""
    total_flops, total_params = report.totals.flops, report.totals.params
    return {
        "by": by,
        "rows": [
            {
                "name": e.name,
                "layers": e.layers,
                "params": e.params,
                "trainable_params": e.trainable_params,
                "macs": e.macs,
                "flops": e.flops,
                "activation_size": e.activation_size,
                "flops_share": e.flops / total_flops if total_flops else None,
                "params_share": e.params / total_params if total_params else None,
                **({"backward_flops": e.backward_flops, "saved_bytes": e.saved_bytes} if report.training else {}),
            }
            for e in breakdown(report, by)
        ],
    }
