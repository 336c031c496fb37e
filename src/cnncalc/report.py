"""The Report: plain, frozen data that every renderer reads and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnncalc.conventions import Convention, Framework, Layout, show_shape
from cnncalc.layers.base import Step, Window

if TYPE_CHECKING:
    from cnncalc.parallel.figures import Parallel
    from cnncalc.report_extras import Budget, LlmFigures, Training

EXTRAS = ("Training", "LlmFigures", "Budget")


def __getattr__(name: str) -> Any:
    """The figures a report has only when they are asked for, defined in :mod:`cnncalc.report_extras`.

    They are imported when first used, so a summary of a network does not define them (PEP 562).
    """
    if name in EXTRAS:
        from cnncalc import report_extras

        return getattr(report_extras, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True, slots=True)
class ReceptiveField:
    """The receptive field of a layer's outputs, per spatial axis (see :mod:`cnncalc.receptive`).

    ``size``: how many input positions one output sees; ``jump``: the distance in
    input positions between neighbouring outputs (the product of the strides);
    ``start``: the centre of the first output's field, in input coordinates
    (the first input position is 0; padding can make it negative).
    """

    size: tuple[int, ...]
    jump: tuple[int, ...]
    start: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Memory:
    """Bytes at the report's dtype (see :mod:`cnncalc.memory`).

    ``activation_bytes`` sums every layer's output, each storage once;
    ``peak_activation_bytes`` is the most that is alive at once during inference.
    What a training step holds is :class:`Training`'s.
    """

    dtype: str
    bytes_per_element: int
    param_bytes: int
    buffer_bytes: int
    activation_bytes: int
    peak_activation_bytes: int


@dataclass(frozen=True, slots=True)
class Serving:
    """What one node adds to a language model's serving figures (see :mod:`cnncalc.llm`).

    ``cache_per_token``: elements it keeps per position for later tokens (a KV
    cache), at most ``window`` positions (a sliding window; None: all);
    ``inactive_params``: parameters a position does not use (experts its router
    did not pick); ``quantizable_params``: weight-matrix elements a weight
    quantization applies to (not biases, norms or embeddings).
    """

    cache_per_token: int = 0
    window: int | None = None
    inactive_params: int = 0
    quantizable_params: int = 0


@dataclass(frozen=True, slots=True)
class Row:
    """One layer of the network, with every figure for it.

    ``output_shape`` is channels first without batch (the core's layout);
    :meth:`shown_shape` gives it as the report shows it. MACs and FLOPs
    include the batch; parameters do not.
    """

    index: int
    name: str
    kind: str
    node_id: str
    inputs: tuple[str, ...]
    output_shape: tuple[int, ...]
    activation_size: int
    params: int
    trainable_params: int
    buffers: int
    macs: int
    flops: int
    source: str = ""
    steps: tuple[Step, ...] = ()
    notes: tuple[str, ...] = ()
    windows: tuple[Window, ...] | None = None
    receptive_field: ReceptiveField | None = None
    bytes_read: int = 0
    bytes_written: int = 0
    shape_text: str = ""  # the output shape as the front-end shows it ("[-1, 16, 28, 28]"); "" = from the layout
    scope: int | None = None  # the scope (module call, block use) the row is, or its node ran in
    channel_axis: int = 0  # where the channels are, counted from the end (-3 for (N, C, H, W)); 0: the first axis
    dtype: str | None = None  # the output's element type when it is not the report's (int64 token ids)
    view: bool = False  # the output shares its input's storage (flatten, reshape): not in the activation totals
    backward_flops: int = 0  # training: the backward's FLOPs (input and weight gradients) at the convention
    saved_bytes: int = 0  # training: the bytes autograd keeps for the backward that this row adds
    grad: bool = False  # training: its output needs a gradient
    param_tensors: int = 0  # how many tensors hold its trainable parameters (an optimizer keeps state per tensor)
    block: str | None = None  # the repeated block it is part of (a transformer layer), which --recompute checkpoints
    serving: Serving | None = None  # its part in a language model's serving figures, when it has one
    level: int = 0  # in a tree (--tree): how deep it is; its parents are the rows above it one level up
    input_shapes: tuple[tuple[int, ...], ...] = ()  # the shapes it reads, as the core holds them (see output_shape)
    count: int = 1  # a breakdown's row (--by): how many layers it sums
    branch: bool = False  # it stands for a module call or a block's use (a scope), not for one layer

    @property
    def non_trainable_params(self) -> int:
        return self.params - self.trainable_params

    @property
    def intensity(self) -> float | None:
        """Arithmetic intensity: FLOPs per byte moved (read + written), or None when nothing moves."""
        moved = self.bytes_read + self.bytes_written
        return self.flops / moved if moved else None


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over the rows. ``activation_size`` sums every row's output (the input included)."""

    params: int
    trainable_params: int
    non_trainable_params: int
    buffers: int
    macs: int
    flops: int
    activation_size: int


@dataclass(frozen=True, slots=True)
class UncountedOp:
    """An operator that ran but has no counting rule: not in the MACs or FLOPs, so the report lists it."""

    name: str
    calls: int
    modules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    """Rows, totals and the choices that give their meaning (FLOPs convention, layout, batch)."""

    rows: tuple[Row, ...]
    totals: Totals
    convention: Convention = Convention.seed
    layout: Layout = Layout.hwc
    batch: int = 1
    title: str = ""
    notes: tuple[str, ...] = ()
    dtype: str = "float32"
    memory: Memory | None = None
    uncounted_ops: tuple[UncountedOp, ...] = ()
    columns: tuple[str, ...] = ()  # the columns a front-end wants shown by default; () = the renderers' own
    nodes: tuple[Row, ...] = ()  # every node, when the rows fold them (a traced model's module calls); else ()
    framework: Framework = Framework.torch
    traced: bool = False  # the shapes carry the batch as their first axis (a traced model), shown as -1
    training: Training | None = None  # one training step's figures, when asked for (train=True)

    def __repr__(self) -> str:
        """One line: ``<Report 8 layers: params 62,958, MACs 849,320, FLOPs 1,700,608 (seed), hwc, batch 1>``."""
        t = self.totals
        title = f"{self.title!r}, " if self.title else ""
        return (
            f"<Report {title}{len(self.rows)} layers: params {t.params:,}, MACs {t.macs:,}, "
            f"FLOPs {t.flops:,} ({self.convention.value}), {self.layout.value}, batch {self.batch}>"
        )

    llm: LlmFigures | None = None  # a language model's serving figures (a graph with a KV cache), else None
    tool: str | None = None  # the FLOPs are this tool's figure (--flops as=TOOL, cnncalc.others), MACs too for calflops
    budget: Budget | None = None  # a run's FLOPs and time (tokens, hardware), when asked for
    parallel: Parallel | None = None  # the step spread over many devices, per rank (cnncalc.parallel), when asked for

    def shown_shape(self, row: Row) -> tuple[int, ...]:
        """A row's output shape in the report's layout (a traced model's batch axis left out)."""
        if not isinstance(row, Row):
            from cnncalc.errors import wrong_type

            raise wrong_type("row", "one of the report's rows (a cnncalc Row)", row)
        shape = row.output_shape
        if self.traced and shape and shape[0] == self.batch:
            shape = shape[1:]
            axis = row.channel_axis if row.channel_axis < 0 and -row.channel_axis <= len(shape) else None
            return show_shape(shape, self.layout, axis if axis is not None else -len(shape) if shape else None)
        return show_shape(shape, self.layout, row.channel_axis or None)

    @property
    def node_rows(self) -> tuple[Row, ...]:
        """Every node's row: the rows themselves unless they fold nodes into module calls."""
        return self.nodes or self.rows

    def render(self, format: str = "table", **options: object) -> str:  # noqa: A002 - the user's word
        """The report by a renderer's name: ``table``, ``markdown``, ``csv``, ``json``, ``html`` (cnncalc.render)."""
        from cnncalc.render import render

        return render(self, format, **options)

    def to_dict(self) -> dict:
        from cnncalc.render.json import as_dict

        return as_dict(self)

    def to_json(self) -> str:
        return self.render("json")

    def to_markdown(self, columns: tuple[str, ...] | None = None, units: str = "raw", expand: bool = False) -> str:
        return self.render("markdown", columns=columns, units=units, expand=expand)

    def to_csv(self, columns: tuple[str, ...] | None = None) -> str:
        return self.render("csv") if columns is None else self.render("csv", columns=columns)

    def table(
        self, width: int | None = None, columns: tuple[str, ...] | None = None, units: str = "raw", expand: bool = False
    ) -> str:
        """The terminal table; ``units`` shows counts exactly (raw), as ``25.6 M`` (auto), or all in k, M, G, T;
        ``expand`` shows every block where identical consecutive ones are otherwise one row marked × N."""
        return self.render("table", width=width, columns=columns, units=units, expand=expand)

    def explain(self, format: str = "text") -> str:  # noqa: A002 - the user's word
        """Every layer's worked arithmetic as ``text``, ``markdown`` or ``json`` (see :mod:`cnncalc.explain`)."""
        from cnncalc.explain import explain

        return explain(self, format)

    def to_pandas(self, by: str | None = None) -> Any:
        """One row per layer, columns named as the JSON keys; totals in ``df.attrs`` (needs ``cnncalc[pandas]``).

        ``by="kind"`` or ``by="block"``: one row per operator kind or block instead (see :mod:`cnncalc.breakdown`).
        """
        from cnncalc.render.pandas import to_pandas

        return to_pandas(self, by=by)

    def breakdown(self, by: str = "kind") -> tuple[Any, ...]:
        """The figures summed per operator kind (``kind``) or per block (``block``), as breakdown Entry items."""
        from cnncalc.breakdown import breakdown

        return breakdown(self, by)

    def plot(self, kind: str = "layers", path: str | None = None, **options: Any) -> Any:
        """A matplotlib Figure of ``layers``, ``roofline``, ``memory`` or ``plan``, saved to ``path`` if given
        (cnncalc[plot]).

        Options: ``log=True`` (layers), ``hardware="a100-80gb"`` or ``peak_tflops=`` and ``bandwidth_gbs=``
        (roofline), ``optimizer="adam"`` (memory), ``devices="8xh100-sxm"`` (plan: every parallel layout's peak
        against its step time, for a report made with ``train=True, parallel="dp=1"``); see
        :mod:`cnncalc.render.plot`.
        """
        from cnncalc.render.plot import plot

        return plot(self, kind, path, **options)

    def _repr_html_(self) -> str:
        return self.render("html")

    def __str__(self) -> str:
        return self.table()
