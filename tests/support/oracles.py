"""PyTorch itself as the oracle: FlopCounterMode on a real CPU forward, and the output shapes of every module call."""

from __future__ import annotations

from typing import Any

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode


class GroupedMatmuls(TorchDispatchMode):
    """The MACs of every ``aten._grouped_mm`` of a real forward, from its offsets' values (FlopCounterMode has no
    formula for it): the rows routed to the groups, ``offs[-1]``, times K times N."""

    def __init__(self) -> None:
        super().__init__()
        self.macs = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        if func.overloadpacket is torch.ops.aten._grouped_mm:
            a, b = args[0], args[1]
            offs = kwargs.get("offs", args[2] if len(args) > 2 else None)
            rows = int(offs[-1]) if offs is not None else a.shape[0]
            self.macs += rows * a.shape[-1] * b.shape[-1]
        return func(*args, **kwargs)


def real_flops(model: torch.nn.Module, *args: Any, **kwargs: Any) -> int:
    """FlopCounterMode's total on a real CPU forward, set up so that no kernel hides from it (math SDPA, grad
    on, oneDNN off), plus the grouped matrix products it has no formula for."""
    model.eval()
    counter = FlopCounterMode(display=False)
    grouped = GroupedMatmuls()
    with torch.backends.mkldnn.flags(enabled=False), sdpa_kernel(SDPBackend.MATH), torch.enable_grad():
        with counter, grouped:
            model(*args, **kwargs)
    return counter.get_total_flops() + 2 * grouped.macs


def real_calls(model: torch.nn.Module, *args: Any, **kwargs: Any) -> list[tuple[str, list[tuple[int, ...]]]]:
    """(module path, output shapes) of every module call of a real forward, in call order."""
    names: dict[int, str] = {}
    for n, m in model.named_modules(remove_duplicate=False):
        names.setdefault(id(m), n)
    calls: list[list[Any]] = []
    stack: list[int] = []
    handles = []

    def pre(m, a):  # noqa: ANN001, ANN202
        calls.append([names[id(m)] or type(m).__name__, None])
        stack.append(len(calls) - 1)

    def post(m, a, out):  # noqa: ANN001, ANN202
        leaves = torch.utils._pytree.tree_leaves(out)
        calls[stack.pop()][1] = [tuple(t.shape) for t in leaves if isinstance(t, torch.Tensor)]

    for m in model.modules():
        handles += [m.register_forward_pre_hook(pre), m.register_forward_hook(post)]
    try:
        with torch.no_grad():
            model.eval()(*args, **kwargs)
    finally:
        for h in handles:
            h.remove()
    return [(path, shapes) for path, shapes in calls]


def torchsummary_text(shape: tuple[int, ...], batch: int) -> str:
    """How torchsummary writes a shape: the batch axis as -1."""
    return "[" + ", ".join(["-1" if i == 0 and n == batch else str(n) for i, n in enumerate(shape)]) + "]"


def shape_texts(shapes: list[tuple[int, ...]], batch: int) -> str:
    """A row's output shapes as the report shows them: up to three, then an ellipsis."""
    return ", ".join(torchsummary_text(s, batch) for s in shapes[:3]) + (", …" if len(shapes) > 3 else "")
