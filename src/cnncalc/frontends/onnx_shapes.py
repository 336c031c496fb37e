"""What ONNX operators that do no arithmetic do to shapes and to small known values: no counts here.

Imported by :mod:`cnncalc.frontends.onnx` (it needs numpy, which the ``onnx``
package brings). Two tables:

- :data:`MOVES`: operators that only move or view data (Reshape, Transpose,
  Slice, Concat of weights, Gather with a constant index, ...), by op type:
  each maps the operands' shapes and known values to its outputs' shapes;
- :data:`VALUES`: the same operators and the integer arithmetic an exporter
  writes to compute shapes (``Shape → Gather → Unsqueeze → Concat → Reshape``),
  evaluated with numpy on the small tensors it reads, so that a reshape's
  target is known without running the model.

Nothing here is a node of the Graph: a view of an activation is its input seen
anew, and a value computed from shapes is a constant of the file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from cnncalc.errors import ShapeError
from cnncalc.frontends.onnx_lower import listed

Shape = tuple[int, ...]

# A rule: (attributes, operand shapes, operand values or None) -> output shapes
MoveRule = Callable[[dict[str, Any], list[Shape], list[Any]], list[Shape]]


def need(value: Any, what: str) -> np.ndarray:
    """A value the rule needs to know (a reshape's target, a slice's bounds), or a ShapeError saying so."""
    if value is None:
        raise ShapeError(
            f"{what} is computed from values the model only knows when it runs",
            hint="this export needs a rule cnncalc does not have; re-export with fixed sizes",
        )
    return np.asarray(value)


def axis_of(axis: int, rank: int) -> int:
    if not -max(rank, 1) <= axis < max(rank, 1):
        raise ShapeError(f"axis {axis} is out of range for a tensor of rank {rank}")
    return axis % max(rank, 1)


def _reshape(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    x = shapes[0]
    target = [int(n) for n in need(values[1] if len(values) > 1 else a.get("shape"), "Reshape's target shape")]
    out = [x[i] if n == 0 and not a.get("allowzero", 0) and i < len(x) else n for i, n in enumerate(target)]
    total = int(np.prod(x, dtype=object))
    if out.count(-1) > 1 or any(n < -1 for n in out):
        raise ShapeError(f"Reshape to {listed(target)}: at most one -1, no other negative size")
    if -1 in out:
        known = int(np.prod([n for n in out if n != -1], dtype=object))
        if known == 0 or total % known:
            raise ShapeError(f"Reshape cannot fit {x} into {listed(target)}")
        out[out.index(-1)] = total // known
    if int(np.prod(out, dtype=object)) != total:
        raise ShapeError(f"Reshape cannot turn {x} into {listed(target)}")
    return [tuple(out)]


def _flatten(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    x = shapes[0]
    axis = a.get("axis", 1)
    axis = axis if axis >= 0 else axis + len(x)
    return [(int(np.prod(x[:axis], dtype=object)), int(np.prod(x[axis:], dtype=object)))]


def _transpose(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    x = shapes[0]
    perm = a.get("perm") or list(range(len(x)))[::-1]
    if sorted(perm) != list(range(len(x))):
        raise ShapeError(f"Transpose's perm {listed(perm)} does not fit a tensor of rank {len(x)}")
    return [tuple(x[p] for p in perm)]


def _axes(a: dict[str, Any], values: list[Any]) -> list[int] | None:
    """Squeeze's and Unsqueeze's axes: an input from opset 13 on, an attribute before."""
    if len(values) > 1 and values[1] is not None:
        return [int(v) for v in np.asarray(values[1]).ravel()]
    return None if a.get("axes") is None else list(a["axes"])


def _squeeze(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    x = shapes[0]
    axes = _axes(a, values)
    if axes is None:
        return [tuple(n for n in x if n != 1)]
    drop = {axis_of(i, len(x)) for i in axes}
    return [tuple(n for i, n in enumerate(x) if i not in drop)]


def _unsqueeze(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    x = shapes[0]
    axes = need(_axes(a, values), "Unsqueeze's axes")
    rank = len(x) + len(axes)
    at = sorted(axis_of(int(i), rank) for i in axes)
    out = list(x)
    for i in at:
        out.insert(i, 1)
    return [tuple(out)]


def _slice(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    x = shapes[0]
    if len(values) > 1:  # opset 10 on: starts, ends, axes, steps are inputs
        starts = need(values[1], "Slice's starts")
        ends = need(values[2], "Slice's ends")
        axes = values[3] if len(values) > 3 and values[3] is not None else range(len(starts))
        steps = values[4] if len(values) > 4 and values[4] is not None else [1] * len(starts)
    else:
        starts, ends = a.get("starts", []), a.get("ends", [])
        axes, steps = a.get("axes") or range(len(starts)), [1] * len(starts)
    out = list(x)
    for s, e, ax, st in zip(np.asarray(starts).ravel(), np.asarray(ends).ravel(), list(axes), list(steps)):
        i = axis_of(int(ax), len(x))
        st = int(st)
        if st == 0:
            raise ShapeError("Slice with a step of 0")
        out[i] = len(range(*slice(int(s), int(e), st).indices(x[i])))
    return [tuple(out)]


def _concat(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    full = [s for s in shapes if not (len(s) == 1 and s[0] == 0)]
    if not full:
        return [shapes[0]]
    rank = len(full[0])
    axis = axis_of(a.get("axis", 0), rank)
    for s in full:
        if len(s) != rank or any(s[i] != full[0][i] for i in range(rank) if i != axis):
            raise ShapeError(f"Concat cannot join shapes {', '.join(map(str, full))} on axis {axis}")
    out = list(full[0])
    out[axis] = sum(s[axis] for s in full)
    return [tuple(out)]


def _split(a: dict[str, Any], shapes: list[Shape], values: list[Any], outputs: int) -> list[Shape]:
    x = shapes[0]
    axis = axis_of(a.get("axis", 0), len(x))
    sizes = values[1] if len(values) > 1 and values[1] is not None else a.get("split")
    if sizes is None:
        n = a.get("num_outputs", outputs)
        each = -(-x[axis] // n)
        sizes = [each] * (n - 1) + [x[axis] - each * (n - 1)]
    result = []
    for size in np.asarray(sizes).ravel():
        out = list(x)
        out[axis] = int(size)
        result.append(tuple(out))
    return result


def broadcast(shapes: Sequence[Shape]) -> Shape:
    """NumPy broadcasting, as ONNX's multidirectional broadcasting (Add, Where, Expand)."""
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for axis in range(rank):
        sizes = {s[axis - rank + len(s)] for s in shapes if axis - rank + len(s) >= 0}
        big = sizes - {1}
        if len(big) > 1:
            raise ShapeError(f"shapes {', '.join(map(str, shapes))} do not broadcast")
        out.append(big.pop() if big else 1)
    return tuple(out)


def _expand(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    shape = need(values[1], "Expand's shape")
    if shape.ndim != 1:
        raise ShapeError(f"Expand's shape must be a list of sizes, not a value of rank {shape.ndim}")
    target = tuple(int(n) for n in shape)
    if any(n < 0 for n in target):
        raise ShapeError(f"Expand's shape {list(target)} has a negative size")
    return [broadcast([shapes[0], target])]


def _gather(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    x, idx = shapes[0], shapes[1]
    axis = axis_of(a.get("axis", 0), len(x))
    return [(*x[:axis], *idx, *x[axis + 1 :])]


def _tile(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    reps = need(values[1], "Tile's repeats")
    if reps.size != len(shapes[0]):
        raise ShapeError(f"Tile's repeats hold {reps.size} values for an input of rank {len(shapes[0])}")
    return [tuple(n * int(r) for n, r in zip(shapes[0], reps.ravel()))]


def _pad(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    x = shapes[0]
    pads = need(values[1] if len(values) > 1 else a.get("pads"), "Pad's pads").ravel()
    axes = [axis_of(int(i), len(x)) for i in values[3].ravel()] if len(values) > 3 and values[3] is not None else None
    axes = axes if axes is not None else list(range(len(x)))
    if len(pads) != 2 * len(axes):
        raise ShapeError(f"Pad's pads hold {len(pads)} values where {len(axes)} padded axes need {2 * len(axes)}")
    out = list(x)
    for j, i in enumerate(axes):
        out[i] = x[i] + int(pads[j]) + int(pads[j + len(axes)])
        if out[i] < 0:
            raise ShapeError(f"Pad removes more than axis {i} holds ({x[i]})")
    return [tuple(out)]


def _same(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    return [shapes[0]]


def _depth_to_space(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    n, c, h, w = shapes[0]
    b = a.get("blocksize", 1)
    if c % (b * b):
        raise ShapeError(f"DepthToSpace: {c} channels do not divide by {b}²")
    return [(n, c // (b * b), h * b, w * b)]


def _space_to_depth(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    n, c, h, w = shapes[0]
    b = a.get("blocksize", 1)
    if h % b or w % b:
        raise ShapeError(f"SpaceToDepth: {h}×{w} does not divide by {b}")
    return [(n, c * b * b, h // b, w // b)]


def _constant_of_shape(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    return [tuple(int(n) for n in need(values[0], "ConstantOfShape's shape").ravel())]


def _shape_op(a: dict[str, Any], shapes: list[Shape], values: list[Any]) -> list[Shape]:
    rank = len(shapes[0])
    start, end = a.get("start", 0), a.get("end", rank)
    return [(len(range(*slice(start, end).indices(rank))),)]


MOVES: dict[str, MoveRule] = {
    "Reshape": _reshape,
    "Flatten": _flatten,
    "Transpose": _transpose,
    "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze,
    "Slice": _slice,
    "Concat": _concat,
    "Expand": _expand,
    "Gather": _gather,
    "Tile": _tile,
    "Pad": _pad,
    "Identity": _same,
    "Cast": _same,
    "CastLike": _same,
    "Dropout": _same,
    "Trilu": _same,
    "QuantizeLinear": _same,
    "DequantizeLinear": _same,
    "DepthToSpace": _depth_to_space,
    "SpaceToDepth": _space_to_depth,
    "ConstantOfShape": _constant_of_shape,
    "Shape": _shape_op,
    "Size": lambda a, s, v: [()],
}
"""Shapes out of the operators that move data (Split is in :func:`split_shapes`: it has several outputs)."""


def split_shapes(a: dict[str, Any], shapes: list[Shape], values: list[Any], outputs: int) -> list[Shape]:
    return _split(a, shapes, values, outputs)


VIEWS: frozenset[str] = frozenset(
    "Reshape Flatten Transpose Squeeze Unsqueeze Slice Expand Identity Cast CastLike Dropout Trilu "
    "QuantizeLinear DequantizeLinear Split".split()
)
"""Operators whose output is their input's data seen anew (as PyTorch's views): no node, readers read the input."""

COPIES: frozenset[str] = frozenset("Tile Pad DepthToSpace SpaceToDepth".split())
"""Operators that move an activation's data into a new tensor without arithmetic: a ``copy`` node."""


# ---------------------------------------------------------------- values of small tensors


def _np_slice(a: dict[str, Any], v: list[Any]) -> list[Any]:
    x = v[0]
    starts, ends = v[1].ravel(), v[2].ravel()
    axes = v[3].ravel() if len(v) > 3 and v[3] is not None else range(len(starts))
    steps = v[4].ravel() if len(v) > 4 and v[4] is not None else [1] * len(starts)
    index = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        axis = axis_of(int(ax), x.ndim)
        if int(st) == 0:
            raise ShapeError("Slice with a step of 0")
        start, stop, step = slice(int(s), int(e), int(st)).indices(x.shape[axis])
        index[axis] = slice(start, stop if stop >= 0 else None, step)  # a stop of -1 after a reversed walk: the end
    return [x[tuple(index)]]


def _np_unsqueeze(a: dict[str, Any], v: list[Any]) -> list[Any]:
    axes = v[1].ravel() if len(v) > 1 else a["axes"]
    x = v[0]
    rank = x.ndim + len(axes)
    for ax in sorted(int(i) % rank for i in axes):
        x = np.expand_dims(x, ax)
    return [x]


def _np_squeeze(a: dict[str, Any], v: list[Any]) -> list[Any]:
    axes = v[1].ravel() if len(v) > 1 and v[1] is not None else a.get("axes")
    return [np.squeeze(v[0]) if axes is None else np.squeeze(v[0], axis=tuple(int(i) for i in axes))]


def _np_reshape(a: dict[str, Any], v: list[Any]) -> list[Any]:
    (shape,) = _reshape(a, [v[0].shape], v)
    return [v[0].reshape(shape)]


def _binary(fn: Callable[[Any, Any], Any]) -> Callable[[dict[str, Any], list[Any]], list[Any]]:
    return lambda a, v: [np.asarray(fn(v[0], v[1]))]


def _np_div(x: Any, y: Any) -> Any:
    if np.issubdtype(np.asarray(x).dtype, np.integer) and np.issubdtype(np.asarray(y).dtype, np.integer):
        return np.trunc(x / y).astype(np.result_type(x, y))
    return np.divide(x, y)


def _np_cast(a: dict[str, Any], v: list[Any]) -> list[Any]:
    import onnx

    return [v[0].astype(onnx.helper.tensor_dtype_to_np_dtype(a["to"]))]


def _np_constant_of_shape(a: dict[str, Any], v: list[Any]) -> list[Any]:
    fill = a.get("value")
    dtype, value = (np.float32, 0) if fill is None else (fill.dtype, fill.ravel()[0])
    return [np.full(tuple(int(n) for n in v[0].ravel()), value, dtype=dtype)]


def _np_gather(a: dict[str, Any], v: list[Any]) -> list[Any]:
    return [np.take(v[0], v[1].astype(np.int64), axis=a.get("axis", 0))]


def _np_concat(a: dict[str, Any], v: list[Any]) -> list[Any]:
    return [np.concatenate([np.atleast_1d(x) if x.ndim == 0 else x for x in v], axis=a.get("axis", 0))]


def _np_range(a: dict[str, Any], v: list[Any]) -> list[Any]:
    return [np.arange(v[0].item(), v[1].item(), v[2].item())]


def _np_where(a: dict[str, Any], v: list[Any]) -> list[Any]:
    return [np.where(v[0], v[1], v[2])]


def _np_expand(a: dict[str, Any], v: list[Any]) -> list[Any]:
    return [v[0] * np.ones(tuple(int(n) for n in v[1].ravel()), dtype=v[0].dtype)]


def _np_reduce(fn: Callable[..., Any]) -> Callable[[dict[str, Any], list[Any]], list[Any]]:
    def rule(a: dict[str, Any], v: list[Any]) -> list[Any]:
        axes = v[1].ravel() if len(v) > 1 and v[1] is not None else a.get("axes")
        axis = None if axes is None else tuple(int(i) for i in axes)
        return [np.asarray(fn(v[0], axis=axis, keepdims=bool(a.get("keepdims", 1))))]

    return rule


VALUES: dict[str, Callable[[dict[str, Any], list[Any]], list[Any]]] = {
    "Shape": lambda a, v: [np.asarray(v[0].shape[slice(a.get("start", 0), a.get("end"))], dtype=np.int64)],
    "Size": lambda a, v: [np.asarray(v[0].size, dtype=np.int64)],
    "Identity": lambda a, v: [v[0]],
    "Cast": _np_cast,
    "Gather": _np_gather,
    "Unsqueeze": _np_unsqueeze,
    "Squeeze": _np_squeeze,
    "Concat": _np_concat,
    "Slice": _np_slice,
    "Reshape": _np_reshape,
    "Transpose": lambda a, v: [np.transpose(v[0], a.get("perm"))],
    "Flatten": lambda a, v: [v[0].reshape(_flatten(a, [v[0].shape], v)[0])],
    "Expand": _np_expand,
    "ConstantOfShape": _np_constant_of_shape,
    "Range": _np_range,
    "Add": _binary(np.add),
    "Sub": _binary(np.subtract),
    "Mul": _binary(np.multiply),
    "Div": _binary(_np_div),
    "Mod": _binary(np.mod),
    "Pow": _binary(np.power),
    "Max": lambda a, v: [np.maximum.reduce([np.asarray(x) for x in v])],
    "Min": lambda a, v: [np.minimum.reduce([np.asarray(x) for x in v])],
    "Equal": _binary(np.equal),
    "Less": _binary(np.less),
    "Greater": _binary(np.greater),
    "Not": lambda a, v: [np.logical_not(v[0])],
    "And": _binary(np.logical_and),
    "Or": _binary(np.logical_or),
    "Where": _np_where,
    "Neg": lambda a, v: [np.negative(v[0])],
    "Abs": lambda a, v: [np.abs(v[0])],
    "Sqrt": lambda a, v: [np.sqrt(v[0])],
    "Floor": lambda a, v: [np.floor(v[0])],
    "Ceil": lambda a, v: [np.ceil(v[0])],
    "Reciprocal": lambda a, v: [np.reciprocal(v[0])],
    "Trilu": lambda a, v: [(np.triu if a.get("upper", 1) else np.tril)(v[0], int(v[1]) if len(v) > 1 else 0)],
    "ReduceProd": _np_reduce(np.prod),
    "ReduceSum": _np_reduce(np.sum),
    "ReduceMax": _np_reduce(np.max),
    "ReduceMin": _np_reduce(np.min),
}
"""Numpy twins of the operators an exporter computes shapes with; used only on small known tensors."""

SMALL = 1 << 16
"""The most elements a stored integer tensor may have to be read as shape arithmetic; a larger one is data."""

BROADCAST = frozenset("Add Sub Mul Div Mod Pow Max Min Equal Less Greater And Or Where".split())


def predicted_size(op: str, a: dict[str, Any], v: list[Any]) -> int:
    """How many elements :data:`VALUES`' rule for ``op`` would make from the known values ``v``, before it runs.

    ``ConstantOfShape([40000, 40000])`` would make 1,600,000,000; ``Range(0, 7e8, 1)`` 700,000,000:

    >>> predicted_size("ConstantOfShape", {}, [np.array([40000, 40000])])
    1600000000
    >>> predicted_size("Range", {}, [np.array(0), np.array(7e8), np.array(1)])
    700000000
    """
    present = [np.asarray(x) for x in v if x is not None]
    largest = max((x.size for x in present), default=1)
    if op == "ConstantOfShape":
        dims = [int(n) for n in present[0].ravel()] if present else []
        if any(n < 0 for n in dims):
            raise ShapeError(f"ConstantOfShape's shape {listed(dims)} has a negative size")
        return int(np.prod(dims, dtype=object)) if dims else 1
    if op == "Range":
        start, limit, delta = (float(x.ravel()[0]) if x.size else 0.0 for x in present[:3])
        if not all(np.isfinite((start, limit, delta))):
            raise ShapeError(f"Range({start}, {limit}, {delta}) is not finite")
        if delta == 0:
            raise ShapeError("Range with a step (delta) of 0")
        return max(int(np.ceil((limit - start) / delta)), 0)
    if op == "Expand":
        target = tuple(int(n) for n in present[1].ravel())
        if any(n < 0 for n in target):
            raise ShapeError(f"Expand's shape {listed(target)} has a negative size")
        return int(np.prod(broadcast([present[0].shape, target]), dtype=object))
    if op in BROADCAST:
        return int(np.prod(broadcast([x.shape for x in present]), dtype=object))
    if op == "Concat":
        return sum(x.size for x in present)
    if op == "Gather" and len(present) > 1:
        data, idx = present[0], present[1]
        axis = axis_of(int(a.get("axis", 0)), data.ndim)
        return data.size // max(data.shape[axis], 1) * idx.size if data.ndim else idx.size
    if op == "Tile" and len(present) > 1:
        reps = [int(r) for r in present[1].ravel()]
        if any(r < 0 for r in reps):
            raise ShapeError(f"Tile's repeats {listed(reps)} hold a negative number")
        return present[0].size * int(np.prod(reps, dtype=object))
    return largest
