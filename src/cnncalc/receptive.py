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
from cnncalc.records import maker
from cnncalc.report import ReceptiveField, Row


def _through(windows: tuple[Window, ...], field: ReceptiveField) -> ReceptiveField | None:
    if len(windows) != len(field.size):
        return None
    for w in windows:
        if w.kernel != 1 or w.stride != 1 or w.pad_begin != 0:
            break
    else:  # 1×1 windows of stride 1 without padding keep the field as it is
        return field
    size, jump, start = [], [], []
    for w, r, j, st in zip(windows, field.size, field.jump, field.start):
        span = w.dilation * (w.kernel - 1)
        twice = span - 2 * w.pad_begin  # 2·(span/2 − p): the start moves by half of it, times the jump
        size.append(r + span * j)
        jump.append(j * w.stride)
        if twice % 2 == 0 and st.__class__ is int:
            start.append(st + twice // 2 * j)
        else:  # a half position: a float, or a whole one again
            value = st + twice * j / 2
            start.append(int(value) if value.is_integer() else value)
    return _FIELD(tuple(size), tuple(jump), tuple(start))


_FIELD = maker(ReceptiveField, ("size", "jump", "start"))  # ReceptiveField(size, jump, start), quicker


def _merge(fields: list[ReceptiveField]) -> ReceptiveField:
    """Per axis, the input with the largest field (its jump and start come with it)."""
    if len(fields) == 1:
        return fields[0]
    axes = len(fields[0].size)
    picks = []
    for a in range(axes):  # the first of the largest, as max() picks
        best = fields[0]
        for f in fields[1:]:
            if f.size[a] > best.size[a]:
                best = f
        picks.append(best)
    if picks and all(p is picks[0] for p in picks):  # one input has the largest field on every axis: its field
        return picks[0]
    return _FIELD(
        tuple([p.size[a] for a, p in enumerate(picks)]),
        tuple([p.jump[a] for a, p in enumerate(picks)]),
        tuple([p.start[a] for a, p in enumerate(picks)]),
    )


def field_for(
    shape: Shape,
    windows: tuple[Window, ...] | None,
    sources: Sequence[Row],
    full: Shape | None = None,
    inputs_spatial: bool = True,
) -> ReceptiveField | None:
    """The receptive field of a layer's output, from its windows and the rows it reads.

    ``shape`` is the kind's output ``(C, *S)``; ``full`` the same with any
    leading axes a front-end marked (a traced model's batch). The sources
    already carry their fields; a layer that reads nothing is an input, whose
    axes after the first are spatial unless ``inputs_spatial`` is false (a
    traced model's input, whose axes cnncalc does not presume): then the first
    windowed layer starts the field.
    """
    full = shape if full is None else full
    if len(sources) == 1:  # most layers read one input
        source = sources[0]
        field = source.receptive_field
        if windows is None:  # the input's field, when the spatial axes stay
            if field is None:
                return None
            k = len(field.size)
            out = source.output_shape
            return field if k >= 1 and len(out) == len(full) and out[-k:] == full[-k:] else None
        if field is not None and len(field.size) == len(windows):  # the windows over the input's field
            return _through(windows, field)
    spatial = len(shape) - 1
    if not sources:
        if spatial >= 1 and inputs_spatial:
            return ReceptiveField((1,) * spatial, (1,) * spatial, (0,) * spatial)
        return None
    fields = [s.receptive_field for s in sources]
    if windows is not None:
        known = [f for f in fields if f is not None and len(f.size) == len(windows)]
        if not known:
            n = len(windows)
            known = [ReceptiveField((1,) * n, (1,) * n, (0,) * n)]
        return _through(windows, _merge(known))
    # several inputs (add, concat): every one with a field of the same axes, which its output keeps
    k = len(fields[0].size) if fields[0] is not None else 0
    if k < 1:
        return None
    tail, n = full[-k:], len(full)
    for s, f in zip(sources, fields):
        if f is None or len(f.size) != k or len(s.output_shape) != n or s.output_shape[-k:] != tail:
            return None
    return _merge(fields)  # type: ignore[arg-type]
