"""FLOPs conventions, element sizes and shape layouts: the choices a report names in its footer."""

from __future__ import annotations

from enum import Enum


class Convention(str, Enum):
    """How FLOPs are counted. MACs are always reported beside them.

    - ``seed``: 2·MACs plus one FLOP per pooling output, as the seed documents
      count (bias additions are not counted).
    - ``matmul``: 2·MACs only, as ``torch.utils.flop_counter.FlopCounterMode``.
    - ``all``: 2·MACs plus every elementwise operation (bias adds,
      activations, normalisation, pooling windows, residual adds, softmax).
    """

    seed = "seed"
    matmul = "matmul"
    all = "all"


CONVENTION_NOTES = {
    Convention.seed: "FLOPs = 2·MACs + 1 per pooling output (bias adds not counted)",
    Convention.matmul: "FLOPs = 2·MACs (multiply-accumulates only, as FlopCounterMode)",
    Convention.all: "FLOPs = 2·MACs + every elementwise op (bias, activations, norms, pooling, adds)",
}


class Framework(str, Enum):
    """Whose counting convention applies where frameworks count the same layer differently.

    - ``torch`` (default): batch norm's running mean and variance are buffers;
      LSTM and GRU carry PyTorch's two bias vectors; shapes show channels first.
    - ``keras``: batch norm's moving mean and variance are non-trainable
      parameters (4·C in all); LSTM has one bias vector; GRU follows
      ``reset_after`` (two bias vectors with Keras' default); shapes show as
      ``(None, H, W, C)``.
    """

    torch = "torch"
    keras = "keras"


FRAMEWORK_NOTES = {
    Framework.torch: "batch-norm running statistics are buffers; LSTM and GRU carry two bias vectors",
    Framework.keras: "batch-norm moving mean and variance are non-trainable params; LSTM has one bias vector, "
    "GRU two with reset_after (its default)",
}


class Layout(str, Enum):
    """How shapes are shown. The core keeps channels first, without batch."""

    hwc = "hwc"
    chw = "chw"


def show_shape(shape: tuple[int, ...], layout: Layout, channel_axis: int | None = None) -> tuple[int, ...]:
    """A core shape ``(C, *S)`` as the user sees it: ``(*S, C)`` for hwc.

    ``channel_axis`` (counted from the end, -3 for ``(N, C, H, W)``) says where the
    channels are when they are not first, as in a traced model's shapes.

    >>> show_shape((8, 28, 28), Layout.hwc)
    (28, 28, 8)
    >>> show_shape((1568,), Layout.hwc)
    (1568,)
    >>> show_shape((2, 8, 28, 28), Layout.hwc, -3)
    (2, 28, 28, 8)
    """
    if layout is not Layout.hwc or len(shape) < 2:
        return tuple(shape)
    axis = 0 if channel_axis is None else max(len(shape) + channel_axis, 0)
    return (*shape[:axis], *shape[axis + 1 :], shape[axis])


def core_shape(shown: tuple[int, ...], layout: Layout) -> tuple[int, ...]:
    """The inverse of :func:`show_shape`."""
    if layout is Layout.hwc and len(shown) > 1:
        return (shown[-1], *shown[:-1])
    return tuple(shown)


def axis_names(rank: int) -> tuple[str, ...]:
    """Names of the spatial axes of a tensor of ``rank`` (channels excluded)."""
    return {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}.get(rank, tuple(f"S{i}" for i in range(rank)))


DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "float64": 8}
"""The element types a report's memory figures can be given in (``--dtype``)."""

TENSOR_BYTES = {**DTYPE_BYTES, "int64": 8, "int32": 4, "int16": 2, "uint8": 1, "bool": 1, "float8": 1, "complex64": 8}
"""Element sizes of the tensors a traced model holds besides its float activations (token ids, masks)."""
