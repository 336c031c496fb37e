"""The Report: plain, frozen data that every renderer reads and nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.conventions import Convention, Layout, show_shape
from cnncalc.layers.base import Step, Window


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

    ``activation_bytes`` sums every layer's output (what training keeps for the
    backward pass); ``peak_activation_bytes`` is the most that is alive at once
    during inference; ``training_bytes`` maps an optimizer (sgd, momentum, adam)
    to parameters + buffers + gradients + optimizer state + activations.
    """

    dtype: str
    bytes_per_element: int
    param_bytes: int
    buffer_bytes: int
    activation_bytes: int
    peak_activation_bytes: int
    training_bytes: tuple[tuple[str, int], ...]


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

    def __repr__(self) -> str:
        """One line: ``<Report 8 layers: params 62,958, MACs 849,320, FLOPs 1,700,608 (seed), hwc, batch 1>``."""
        t = self.totals
        title = f"{self.title!r}, " if self.title else ""
        return (
            f"<Report {title}{len(self.rows)} layers: params {t.params:,}, MACs {t.macs:,}, "
            f"FLOPs {t.flops:,} ({self.convention.value}), {self.layout.value}, batch {self.batch}>"
        )

    def shown_shape(self, row: Row) -> tuple[int, ...]:
        """A row's output shape in the report's layout."""
        return show_shape(row.output_shape, self.layout)

    def to_dict(self) -> dict:
        from cnncalc.render.json import as_dict

        return as_dict(self)

    def to_json(self) -> str:
        from cnncalc.render.json import render

        return render(self)

    def to_markdown(self, columns: tuple[str, ...] | None = None) -> str:
        from cnncalc.render.markdown import render

        return render(self) if columns is None else render(self, columns=columns)

    def to_csv(self, columns: tuple[str, ...] | None = None) -> str:
        from cnncalc.render.csv import render

        return render(self) if columns is None else render(self, columns=columns)

    def table(self, width: int | None = None, columns: tuple[str, ...] | None = None) -> str:
        from cnncalc.render.table import render

        return render(self, width=width) if columns is None else render(self, width=width, columns=columns)

    def explain(self, format: str = "text") -> str:  # noqa: A002 - the user's word
        """Every layer's worked arithmetic as ``text``, ``markdown`` or ``json`` (see :mod:`cnncalc.explain`)."""
        from cnncalc.explain import explain

        return explain(self, format)

    def _repr_html_(self) -> str:
        from cnncalc.render.html import render

        return render(self)

    def __str__(self) -> str:
        return self.table()
