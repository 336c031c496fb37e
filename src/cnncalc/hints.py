"""Hints for the mistakes a newcomer makes, added to the error that follows from them.

Each looks at the network as written (never at Python's state) and, when the mistake is
likely, says what cnncalc read and what to write instead:

- an image written channels first, ``input(3,32,32)``, which the notation reads channels
  last (a 3-pixel-high image of 32 channels): suggest ``layout=chw``;
- ``--input 1,3,32,32`` on the notation, which takes no batch axis: the 1 is read as a
  spatial axis; suggest ``--batch``.

>>> from cnncalc import analyze
>>> analyze("input(3,32,32) -> conv(8, f=5)")
Traceback (most recent call last):
    ...
cnncalc.errors.ShapeError: layer 2 conv(8, f=5): kernel 5 is larger than the padded input 3 on axis H; try p=1 or \
a smaller f; input(3, 32, 32) is read channels last (H=3, W=32, 32 channels): for 3 channels of 32x32 write \
input(3, 32, 32, layout=chw) or input(32, 32, 3)
"""

from __future__ import annotations

from cnncalc.conventions import Layout
from cnncalc.errors import CnnCalcError, ShapeError
from cnncalc.graph import Graph, Node

IMAGE_CHANNELS = 4  # grey, RGB, RGBA: a first number this small, before larger ones, looks like channels


def written_shape(node: Node) -> tuple[int, ...] | None:
    """The shape an input node was written with (``input(3,32,32)`` or ``--input``), or None if not whole numbers."""
    args = node.args[0] if len(node.args) == 1 and isinstance(node.args[0], tuple) else node.args
    if not args or not all(isinstance(n, int) and not isinstance(n, bool) for n in args):
        return None
    return tuple(args)


def from_option(node: Node) -> bool:
    """Whether the input's shape came from ``--input`` (or ``input=``) rather than the text."""
    return node.line is None and node.source == "input"


def batch_first(shape: tuple[int, ...]) -> bool:
    """``1,3,32,32`` or ``8,32,32,3``: four numbers the way a framework writes a batch of images."""
    return len(shape) == 4 and min(shape[1:]) > 1 and (shape[0] == 1 or min(shape[1], shape[3]) <= IMAGE_CHANNELS)


def channels_first(shape: tuple[int, ...]) -> bool:
    """``3,32,32``: a small first number before larger ones, channels first as PyTorch writes them."""
    return len(shape) in (3, 4) and shape[0] <= IMAGE_CHANNELS and min(shape[1:]) > IMAGE_CHANNELS


def _items(shape: tuple[int, ...]) -> str:
    return ", ".join(str(n) for n in shape)


def batch_hint(shape: tuple[int, ...]) -> str:
    """What ``--input N,C,H,W`` on the notation was read as, and what to give instead."""
    batch, rest = shape[0], shape[1:]
    image = rest if rest[-1] <= IMAGE_CHANNELS else (*rest[1:], rest[0]) if rest[0] <= IMAGE_CHANNELS else rest
    more = f" --batch {batch}" if batch > 1 else ""
    return (
        f"--input {','.join(map(str, shape))} is read as one sample with three spatial axes ({shape[0]}x{shape[1]}x"
        f"{shape[2]}) and {shape[3]} channels, as the notation's input has no batch axis; if {batch} is the batch, "
        f"give --input {','.join(map(str, image))}{more or ' (a batch of 1 is the default; --batch N for more)'}"
    )


def channels_hint(shape: tuple[int, ...]) -> str:
    """What ``input(3,32,32)`` was read as, and how to write channels first."""
    axes = dict(zip(("H", "W") if len(shape) == 3 else ("D", "H", "W"), shape[:-1]))
    read = ", ".join(f"{k}={v}" for k, v in axes.items())
    spatial = "x".join(map(str, shape[1:]))
    return (
        f"input({_items(shape)}) is read channels last ({read}, {shape[-1]} channels): for {shape[0]} channels of "
        f"{spatial} write input({_items(shape)}, layout=chw) or input({_items((*shape[1:], shape[0]))})"
    )


def explained(error: CnnCalcError, graph: Graph, layout: Layout) -> CnnCalcError:
    """``error`` with a newcomer's hint added when the network's input looks written another way than it is read."""
    if not isinstance(error, ShapeError) or graph.source != "notation" or graph.layout is not None:
        return error
    node = next((n for n in graph.nodes if n.kind == "input"), None)
    if node is None or dict(node.kwargs).get("layout") is not None or layout is not Layout.hwc:
        return error
    shape = written_shape(node)
    if shape is None:
        return error
    hint = None
    if from_option(node) and batch_first(shape):
        hint = batch_hint(shape)
    elif channels_first(shape):
        hint = channels_hint(shape)
    if hint is None or (error.hint and hint in error.hint):
        return error
    error.hint = f"{error.hint}; {hint}" if error.hint else hint
    return error
