"""What activations cost under the ``all`` convention, shared by every kind that can fuse one."""

from __future__ import annotations

import difflib

from cnncalc.errors import ArgumentError
from cnncalc.layers.base import Calc, fmt

# FLOPs per output element under the `all` convention. One per element for the
# pointwise functions (a comparison, or one evaluation of the function);
# softmax is exp, a share of the sum, and a divide: 3 per element.
ACTIVATION_FLOPS: dict[str, int] = {
    "relu": 1,
    "relu6": 1,
    "leakyrelu": 1,
    "prelu": 1,
    "elu": 1,
    "selu": 1,
    "celu": 1,
    "gelu": 1,
    "silu": 1,
    "mish": 1,
    "sigmoid": 1,
    "hardsigmoid": 1,
    "tanh": 1,
    "hardtanh": 1,
    "hardswish": 1,
    "softplus": 1,
    "softsign": 1,
    "softmax": 3,
    "logsoftmax": 3,
    "linear": 0,
    "identity": 0,
}
ACTIVATION_ALIASES = {"swish": "silu", "leaky_relu": "leakyrelu", "log_softmax": "logsoftmax", "none": "linear"}


def activation_name(word: object) -> str:
    """The canonical name of an activation fused into a layer (``activation=relu``), or an ArgumentError.

    PReLU is refused: it learns a slope per channel, parameters a fused activation would not count.
    """
    key = str(word).lower()
    key = ACTIVATION_ALIASES.get(key, key)
    if key == "prelu":
        raise ArgumentError(
            "prelu cannot be fused as activation=: it learns one slope per channel",
            hint="write it as a layer of its own, e.g. conv(16, f=3) -> prelu",
        )
    if key not in ACTIVATION_FLOPS:
        near = difflib.get_close_matches(key, list(ACTIVATION_FLOPS), n=3)
        raise ArgumentError(f"unknown activation '{word}'", hint=f"did you mean {' or '.join(near)}?" if near else None)
    return key


def apply_activation(c: Calc, word: object, size: int) -> None:
    """Record a fused activation (``activation=relu``) on ``size`` outputs, if one is given."""
    if word is None:
        return
    name = activation_name(word)
    per = ACTIVATION_FLOPS[name]
    c.note(f"followed by {name}")
    if per:
        c.elementwise(per * size, f"{name} {per}·{fmt(size)}" if per > 1 else f"{name} {fmt(size)}")
