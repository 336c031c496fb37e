"""Per-axis arithmetic shared by convolutions and pools: output size, padding, windows."""

from __future__ import annotations

from cnncalc.conventions import axis_names
from cnncalc.errors import ShapeError
from cnncalc.layers.base import Args, Calc, Window


def windows_along(n: int, k: int, s: int, pb: int, pe: int, d: int = 1, *, ceil_mode: bool = False) -> int:
    """How many windows of kernel ``k`` (dilation ``d``) fit ``n`` positions padded by ``pb`` and ``pe`` at stride
    ``s``: ``floor((n + pb + pe − d·(k−1) − 1)/s) + 1``; with ``ceil_mode`` rounded up, but a last window that
    would start in the end padding is dropped (as PyTorch does)."""
    num = n + pb + pe - d * (k - 1) - 1
    if not ceil_mode:
        return num // s + 1
    out = -(-num // s) + 1
    return out - 1 if (out - 1) * s >= n + pb else out


def transposed_along(n: int, k: int, s: int, pb: int, pe: int, d: int = 1, extra: int = 0) -> int:
    """A transposed convolution's output on one axis: ``(n−1)·s − pb − pe + d·(k−1) + extra + 1``."""
    return (n - 1) * s - pb - pe + d * (k - 1) + extra + 1


def resolve_padding(
    a: Args,
    name: str,
    sizes: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> tuple[tuple[tuple[int, int], ...], bool]:
    """Per-axis (begin, end) padding, and whether it is TensorFlow's 'same'.

    'same' follows TensorFlow: ``out = ceil(n/s)``; the total padding
    ``max((out−1)·s + d·(k−1) + 1 − n, 0)`` is split with the extra on the end.
    """
    pad = a.padding(name, len(sizes))
    if pad == "valid":
        return tuple((0, 0) for _ in sizes), False
    if pad == "same":
        pairs = []
        for n, k, s, d in zip(sizes, kernel, stride, dilation):
            out = -(-n // s)
            total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
            pairs.append((total // 2, total - total // 2))
        return tuple(pairs), True
    return pad, False  # type: ignore[return-value]


def axis_out(
    c: Calc,
    axis: str,
    n: int,
    k: int,
    s: int,
    pad: tuple[int, int],
    d: int = 1,
    *,
    same: bool = False,
    ceil_mode: bool = False,
    words: tuple[str, str] = ("kernel", "f"),
) -> int:
    """Output size on one axis, recorded with its formula.

    ``floor((n + p_begin + p_end − d·(k−1) − 1)/s) + 1``, which for d = 1 and
    symmetric padding is the seeds' ``floor((n − f + 2p)/s) + 1``.
    """
    pb, pe = pad
    span = d * (k - 1) + 1
    padded = n + pb + pe
    # With ceil_mode a window may overhang the end (PyTorch: 3 → 1 for k = s = 4), as long as one fits its start.
    overhang = ceil_mode and not same and padded - span > -s
    if span > padded and not overhang:
        what, letter = words
        size = f"{k}" if d == 1 else f"{k} (dilated to {span})"
        raise ShapeError(
            f"{what} {size} is larger than the padded input {padded} on axis {axis}",
            hint=f"try p={-(-(span - n) // 2)} or a smaller {letter}",
        )
    num = padded - span
    if span > padded:
        c.note(f"ceil_mode on {axis}: the window {span} overhangs the padded input {padded}; one window fits its start")
    if same:  # TensorFlow's rule: the size is ceil(n/s), whatever the kernel; the padding follows from it
        out = c.step(f"output {axis}", f"ceil({n}/{s})", -(-n // s))
        reach = f"({k} − 1)" if d == 1 else f"{d}·({k} − 1)"
        c.step(f"padding {axis}", f"max(({out} − 1)·{s} + {reach} + 1 − {n}, 0)", pb + pe)
        c.note(f"'same' padding on {axis}: {pb + pe} in all ({pb} before, {pe} after)")  # the odd one after
        return out
    out = windows_along(n, k, s, pb, pe, d, ceil_mode=ceil_mode)
    if ceil_mode and out <= -(-num // s):
        c.note(f"ceil_mode on {axis}: the last window would start in the padding, so it is dropped")
    pads = f"2·{pb}" if pb == pe else f"{pb} + {pe}"
    inner = f"{n} − {k} + {pads}" if d == 1 else f"{n} + {pads} − {d}·({k} − 1) − 1"
    rounding = "ceil" if ceil_mode else "floor"
    formula = f"({inner}) + 1" if s == 1 else f"{rounding}(({inner})/{s}) + 1"
    if s > 1 and num % s:
        if ceil_mode:
            how = f"rounded up (ceil_mode): ceil({num}/{s}) = {-(-num // s)}"
        else:
            how = f"floored: floor({num}/{s}) = {num // s}"
        c.note(f"on {axis}, {num} is not divisible by {s}, so the division is {how}")
    return c.step(f"output {axis}", formula, out)


def spatial_out(
    c: Calc,
    sizes: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    dilation: tuple[int, ...],
    *,
    same: bool = False,
    ceil_mode: bool = False,
    words: tuple[str, str] = ("kernel", "f"),
    names: tuple[str, ...] | None = None,
) -> tuple[int, ...]:
    """Output sizes of every spatial axis (named ``names``, else H, W…), and the windows for the receptive field."""
    names = names or axis_names(len(sizes))
    out = tuple(
        axis_out(c, ax, n, k, s, p, d, same=same, ceil_mode=ceil_mode, words=words)
        for ax, n, k, s, p, d in zip(names, sizes, kernel, stride, pads, dilation)
    )
    c.window([Window(k, s, p[0], d, p[1], ceil_mode) for k, s, p, d in zip(kernel, stride, pads, dilation)])
    return out


def check_pad_half(pads: tuple[tuple[int, int], ...], kernel: tuple[int, ...], dilation: tuple[int, ...]) -> None:
    """Pools may not pad more than half their window, as in PyTorch (the window undilated: k = 2, d = 3 pads ≤ 1)."""
    for ax, (pb, pe), k in zip(axis_names(len(kernel)), pads, kernel):
        if max(pb, pe) > k // 2:
            raise ShapeError(
                f"padding {max(pb, pe)} on axis {ax} is more than half the window {k}",
                hint="a pool may pad at most half its window",
            )
