"""Receptive field per layer: size, jump and start of each spatial axis, from the windows the layers record.

For a window of kernel ``k``, stride ``s``, dilation ``d`` and padding ``p`` (before)
on an axis whose input field is ``(r, j, start)``:

- ``r_out = r + d·(k − 1)·j``
- ``j_out = j·s``
- ``start_out = start + (d·(k − 1)/2 − p)·j``

The input has ``(1, 1, 0)``: one position, neighbours 1 apart, the first centred
at 0. A layer without windows that keeps its input's spatial size (activation,
batch norm, dropout) passes the field through; one that changes it or has no
spatial axis (flatten, dense, global pool) has none. A node with several inputs
takes, per axis, the input with the largest field.

>>> from cnncalc import analyze
>>> r = analyze("input(32,32,3) -> conv(8, f=5) -> pool(2)")
>>> r.rows[2].receptive_field.size   # 5 + (2 − 1)·1 = 6
(6, 6)
"""

from __future__ import annotations

from collections.abc import Sequence

from cnncalc.layers.base import Shape, Window
from cnncalc.report import ReceptiveField, Row


def _through(windows: tuple[Window, ...], field: ReceptiveField) -> ReceptiveField | None:
    if len(windows) != len(field.size):
        return None
    size, jump, start = [], [], []
    for w, r, j, st in zip(windows, field.size, field.jump, field.start):
        span = w.dilation * (w.kernel - 1)
        size.append(r + span * j)
        jump.append(j * w.stride)
        value = st + (span / 2 - w.pad_begin) * j
        start.append(int(value) if float(value).is_integer() else value)
    return ReceptiveField(tuple(size), tuple(jump), tuple(start))


def _merge(fields: list[ReceptiveField]) -> ReceptiveField:
    """Per axis, the input with the largest field (its jump and start come with it)."""
    if len(fields) == 1:
        return fields[0]
    axes = len(fields[0].size)
    picks = [max(fields, key=lambda f: f.size[a]) for a in range(axes)]
    return ReceptiveField(
        tuple(p.size[a] for a, p in enumerate(picks)),
        tuple(p.jump[a] for a, p in enumerate(picks)),
        tuple(p.start[a] for a, p in enumerate(picks)),
    )


def field_for(shape: Shape, windows: tuple[Window, ...] | None, sources: Sequence[Row]) -> ReceptiveField | None:
    """The receptive field of a layer's output ``shape``, from its windows and the rows it reads.

    The sources already carry their fields; a layer that reads nothing is an input.
    """
    spatial = len(shape) - 1
    if not sources:
        return ReceptiveField((1,) * spatial, (1,) * spatial, (0,) * spatial) if spatial >= 1 else None
    fields = [s.receptive_field for s in sources]
    if any(f is None for f in fields) or len({len(f.size) for f in fields}) != 1:  # type: ignore[union-attr]
        return None
    merged = _merge(fields)  # type: ignore[arg-type]
    if windows is not None:
        return _through(windows, merged)
    if spatial >= 1 and all(s.output_shape[1:] == shape[1:] for s in sources):
        return merged
    return None
