"""PyTorch itself as the oracle: FlopCounterMode on a real CPU forward, and the output shapes of every module call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Step:
    """One real training step's figures: FLOPs of the forward and of the backward, bytes autograd saved, bytes of
    the gradients it wrote."""

    forward_flops: int
    backward_flops: int
    saved_bytes: int
    gradient_bytes: int


def outputs_summed(out: Any) -> torch.Tensor:
    """loss = the sum of every output that needs a gradient (``--loss sum``)."""
    leaves = [t for t in torch.utils._pytree.tree_leaves(out) if isinstance(t, torch.Tensor) and t.requires_grad]
    return sum(t.sum() for t in leaves)


def real_training(model: torch.nn.Module, *args: Any, **kwargs: Any) -> Step:
    """One real training step of ``model`` with loss = the sum of its outputs (see :func:`real_step`)."""
    return real_step(model, outputs_summed, *args, **kwargs)


def real_step(model: torch.nn.Module, loss: Callable[[Any], torch.Tensor], *args: Any, **kwargs: Any) -> Step:
    """One real training step of ``model``, measured by PyTorch itself: ``loss(model(*args, **kwargs))`` and its
    backward.

    The model runs in train mode; FlopCounterMode counts the forward with its loss and, separately, the backward
    (math SDPA, oneDNN off). The saved bytes are what ``saved_tensors_hooks`` packs over the forward and the
    loss, each storage once, the model's parameters and buffers left out; the gradient bytes are the ``.grad``
    tensors the backward fills.
    """
    model.train()
    model.zero_grad(set_to_none=True)
    own = {t.untyped_storage().data_ptr() for t in [*model.parameters(), *model.buffers()]}
    saved: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        ptr = t.untyped_storage().data_ptr()
        if ptr not in own:
            saved.setdefault(ptr, t.untyped_storage().nbytes())
        return t

    forward, backward = FlopCounterMode(display=False), FlopCounterMode(display=False)
    with torch.backends.mkldnn.flags(enabled=False), sdpa_kernel(SDPBackend.MATH):
        with forward, torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            value = loss(model(*args, **kwargs))
        with backward:
            value.backward()
    grads = sum(p.grad.numel() * p.grad.element_size() for p in model.parameters() if p.grad is not None)
    return Step(forward.get_total_flops(), backward.get_total_flops(), sum(saved.values()), grads)


def optimizer_state_bytes(model: torch.nn.Module, optimizer: str) -> int:
    """The bytes of ``torch.optim``'s state after one step over the model's trainable parameters (each state
    tensor's numel times its element size); the model's gradients must be there already."""
    params = [p for p in model.parameters() if p.requires_grad]
    make = {
        "sgd": lambda: torch.optim.SGD(params, lr=0.1),
        "momentum": lambda: torch.optim.SGD(params, lr=0.1, momentum=0.9),
        "adam": lambda: torch.optim.Adam(params),
        "adamw": lambda: torch.optim.AdamW(params),
    }[optimizer]
    opt = make()
    opt.step()
    return sum(
        v.numel() * v.element_size()
        for state in opt.state.values()
        for v in state.values()
        if isinstance(v, torch.Tensor)
    )


def grouped_conv_excess(model: torch.nn.Module, *args: Any, **kwargs: Any) -> int:
    """What FlopCounterMode counts too much in a backward, by hand: its weight-gradient formula for a grouped
    convolution leaves the groups out, so it counts g times the true 2·N·C_out·(output positions)·(C_in/g)·k
    FLOPs of each convolution with g > 1 groups whose weight gets a gradient; the excess is (g − 1) times it."""
    excess = 0

    def hook(m: torch.nn.Module, a: Any, out: torch.Tensor) -> None:
        nonlocal excess
        if m.groups > 1 and m.weight.requires_grad:
            excess += (m.groups - 1) * 2 * out.numel() * m.weight[0].numel()

    convs = (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, convs)]
    try:
        with torch.no_grad():
            model(*args, **kwargs)
    finally:
        for h in handles:
            h.remove()
    return excess
