"""How each kind's tensors shard: the parameter tensors a node holds, their shapes as PyTorch lays them out, and
which axis tensor parallelism (by its plan's style) and expert parallelism split.

A traced model's nodes carry their tensors (names and shapes from the module); the other front-ends' nodes get
them from their kind, by the table :data:`TENSORS` (one function per kind, as :mod:`cnncalc.training` has one
backward rule per kind). A kind with parameters and no entry is held as one flat tensor, whole on every
tensor-parallel rank.

>>> t = layer_tensors("dense", {"units": 8, "bias": True}, 40, 2, None)
>>> [(p.name, p.shape) for p in t]
[('weight', (8, 4)), ('bias', (8,))]
>>> [p.local((("tp", 2),)) for p in split(t, "colwise", "dense")]   # colwise: the output features, weight and bias
[(4, 4), (4,)]
>>> [p.local((("tp", 2),)) for p in split(t, "rowwise", "dense")]   # rowwise: the weight's input features
[(8, 2), (8,)]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from cnncalc.errors import ArgumentError
from cnncalc.layers.calc import prod


@dataclass(frozen=True, slots=True)
class ParamTensor:
    """One parameter tensor: its ``shape`` (PyTorch's layout), whether it trains, and the axes the layout splits:
    ``splits`` pairs an axis with the degree that divides it (``"tp"`` or ``"ep"``)."""

    name: str
    shape: tuple[int, ...]
    trainable: bool = True
    splits: tuple[tuple[int, str], ...] = ()
    whole_grad: bool = False  # its gradient comes back whole on every tensor-parallel rank (a vocabulary split)

    @property
    def numel(self) -> int:
        return prod(self.shape)

    def local(self, degrees: tuple[tuple[str, int], ...]) -> tuple[int, ...]:
        """Its shape on one rank, each split axis divided by its degree (``(("tp", 4), ("ep", 8))``)."""
        by = dict(degrees)
        shape = list(self.shape)
        for axis, degree in self.splits:
            shape[axis] //= by.get(degree, 1)
        return tuple(shape)


TensorRule = Callable[[Mapping[str, Any], int, int], list[tuple[str, tuple[int, ...]]]]
"""A kind's tensors from its arguments, its parameter count and how many tensors hold them."""


def _dense(args: Mapping[str, Any], params: int, tensors: int) -> list[tuple[str, tuple[int, ...]]]:
    units = int(args["units"])
    bias = units if args.get("bias") else 0
    if args.get("tied"):  # the weight is another layer's: only a bias of its own
        return [("bias", (units,))] if bias and params else []
    weight = params - bias
    return [("weight", (units, weight // units))] + ([("bias", (units,))] if bias else [])


def _experts(args: Mapping[str, Any], params: int, tensors: int) -> list[tuple[str, tuple[int, ...]]]:
    experts, units = int(args["experts"]), int(args["units"])
    per = params // experts
    bias = units if args.get("bias") else 0
    shapes = [("weight", (experts, units, (per - bias) // units))]
    return shapes + ([("bias", (experts, units))] if bias else [])


def _embedding(args: Mapping[str, Any], params: int, tensors: int) -> list[tuple[str, tuple[int, ...]]]:
    vocab = int(args["vocab"])
    return [("weight", (vocab, params // vocab))]


def _channels_first(args: Mapping[str, Any], params: int, tensors: int) -> list[tuple[str, tuple[int, ...]]]:
    """A convolution: the weight's first axis is its filters (the input channels for a transposed one)."""
    out = int(args["_rows"])
    bias = out if tensors == 2 else 0
    return [("weight", (out, (params - bias) // out))] + ([("bias", (out,))] if bias else [])


def _vectors(args: Mapping[str, Any], params: int, tensors: int) -> list[tuple[str, tuple[int, ...]]]:
    """Norms and slopes: ``tensors`` vectors of one size (γ, β)."""
    n = max(1, tensors)
    return [(f"weight{i}" if i else "weight", (params // n,)) for i in range(n)]


TENSORS: dict[str, TensorRule] = {
    "dense": _dense,
    "expertdense": _experts,
    "embedding": _embedding,
    "conv": _channels_first,
    "depthwise": _channels_first,
    "convtranspose": _channels_first,
    "batchnorm": _vectors,
    "layernorm": _vectors,
    "rmsnorm": _vectors,
    "groupnorm": _vectors,
    "instancenorm": _vectors,
    "prelu": _vectors,
}
"""Every kind whose tensors cnncalc knows by shape; others are one flat tensor."""


def layer_tensors(
    kind: str, args: Mapping[str, Any], params: int, tensors: int, traced: tuple[Any, ...] | None
) -> list[ParamTensor]:
    """A node's parameter tensors: a traced model's own (buffers left out), else its kind's, else one flat tensor."""
    if traced is not None:
        return [ParamTensor(t.name, tuple(t.shape), t.trainable) for t in traced if not t.buffer]
    if not params:
        return []
    rule = TENSORS.get(kind)
    if rule is not None:
        shapes = rule(args, params, tensors)
        if sum(prod(s) for _, s in shapes) == params:
            return [ParamTensor(name, shape) for name, shape in shapes]
    return [ParamTensor("params", (params,))]


def split(tensors: list[ParamTensor], style: str | None, kind: str) -> list[ParamTensor]:
    """The tensors with the axis a tensor-parallel ``style`` splits marked (``"tp"``), and an expert layer's
    experts (``"ep"``).

    colwise: a linear's weight ``(out, in)`` and bias on their first axis, an embedding's dimension;
    rowwise: a linear's weight on its input axis (its bias stays whole, added once after the reduction), an
    embedding's vocabulary; an expert layer ``(E, out, in)`` the same a step further in.
    """
    out: list[ParamTensor] = []
    lead = 1 if kind == "expertdense" else 0
    for t in tensors:
        splits: list[tuple[int, str]] = [(0, "ep")] if kind == "expertdense" else []
        if style in ("colwise", "colwise_gather"):
            if kind == "embedding":
                splits.append((1, "tp"))
            elif len(t.shape) > lead:
                splits.append((lead, "tp"))
        # a vocabulary split: each rank looks up its own rows, yet autograd gives back the whole table's gradient
        whole_grad = style == "rowwise" and kind == "embedding"
        if style == "rowwise":
            if kind == "embedding":
                splits.append((0, "tp"))
            elif len(t.shape) > lead + 1:  # a weight; a bias is added whole after the sum
                splits.append((lead + 1, "tp"))
        out.append(replace(t, splits=tuple(splits), whole_grad=whole_grad))
    return out


def check_split(tensors: list[ParamTensor], degrees: tuple[tuple[str, int], ...], name: str) -> None:
    """Each split axis must divide evenly: a clear error naming the layer and the axis otherwise."""
    by = dict(degrees)
    for t in tensors:
        for axis, degree in t.splits:
            n = by.get(degree, 1)
            if n > 1 and t.shape[axis] % n:
                tensor = f"({t.name} {'×'.join(map(str, t.shape))})"
                what = f"{t.shape[axis]:,} {'experts' if degree == 'ep' else 'features'} {tensor} do"
                if degree == "tp" and axis == 0 and len(t.shape) == 2 and "embed" in name.lower():
                    what = f"vocabulary of {t.shape[axis]:,} tokens {tensor} does"
                raise ArgumentError(
                    f"{name}: its {what} not split over {degree}={n}",
                    hint=f"choose {degree} dividing {t.shape[axis]:,}",
                )
