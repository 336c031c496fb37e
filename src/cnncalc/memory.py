"""Memory in bytes: parameters, buffers, activations, peak inference from liveness, training, traffic per layer.

- ``param_bytes`` = params · bytes per element; ``buffer_bytes`` likewise.
- ``activation_bytes`` = every layer's output (input included), summed: what
  training keeps for the backward pass.
- ``peak_activation_bytes``: walking the layers in execution order, a tensor is
  alive from the layer that writes it until the last layer that reads it has
  run (a tensor nobody reads is an output and stays to the end); the peak is the
  largest total alive while some layer runs. Every layer is taken to write a new
  tensor (no in-place ops, no views). For a chain this is the largest
  input + output pair.
- ``training_bytes`` = params + buffers + gradients (one per trainable param)
  + optimizer state (SGD 0, momentum 1×, Adam 2× the trainable params) + activations.
- Traffic per layer: ``bytes_read`` = its inputs' activations + its parameters and
  buffers; ``bytes_written`` = its output; intensity = FLOPs / (read + written).

>>> from cnncalc import analyze
>>> m = analyze("input(32,32,3) -> conv(8, f=5)").memory
>>> m.param_bytes, m.peak_activation_bytes   # 608·4; (3,072 + 6,272)·4
(2432, 37376)
"""

from __future__ import annotations

from collections.abc import Sequence

from cnncalc.conventions import DTYPE_BYTES
from cnncalc.errors import ArgumentError
from cnncalc.report import Memory, Row, Totals

DTYPES = ("float32", "float16", "bfloat16", "int8")
OPTIMIZER_STATE = (("sgd", 0), ("momentum", 1), ("adam", 2))


def element_bytes(dtype: str) -> int:
    """Bytes per element of a dtype name, or an ArgumentError listing the choices."""
    name = str(getattr(dtype, "value", dtype)).lower()
    if name not in DTYPE_BYTES:
        raise ArgumentError(f"unknown dtype '{dtype}' (choose {', '.join(DTYPES)})")
    return DTYPE_BYTES[name]


def peak_activation_elements(rows: list[Row]) -> int:
    """The most activation elements alive at once while the layers run in order (liveness over the graph)."""
    position = {r.node_id: i for i, r in enumerate(rows)}
    last_use = {r.node_id: len(rows) for r in rows}  # read by nobody: a network output, kept to the end
    readers: dict[str, int] = {}
    for i, r in enumerate(rows):
        for src in r.inputs:
            readers[src] = max(readers.get(src, -1), i)
    for node, i in readers.items():
        if node in position:
            last_use[node] = i
    alive = 0
    peak = 0
    frees: dict[int, int] = {}
    for i, r in enumerate(rows):
        alive += r.activation_size
        peak = max(peak, alive)
        frees[last_use[r.node_id]] = frees.get(last_use[r.node_id], 0) + r.activation_size
        alive -= frees.pop(i, 0)
    return peak


def traffic_for(sources: Sequence[Row], params: int, buffers: int, size: int, b: int) -> tuple[int, int]:
    """``(bytes_read, bytes_written)`` at ``b`` bytes per element of a layer reading ``sources``.

    It reads its inputs, parameters and buffers and writes its output of ``size``; the input layer moves nothing.
    """
    if not sources:
        return 0, 0
    return (sum(s.activation_size for s in sources) + params + buffers) * b, size * b


def memory(rows: list[Row], totals: Totals, dtype: str) -> Memory:
    b = element_bytes(dtype)
    param_bytes = totals.params * b
    buffer_bytes = totals.buffers * b
    activation_bytes = totals.activation_size * b
    training = tuple(
        (name, param_bytes + buffer_bytes + (1 + state) * totals.trainable_params * b + activation_bytes)
        for name, state in OPTIMIZER_STATE
    )
    return Memory(
        dtype=str(getattr(dtype, "value", dtype)).lower(),
        bytes_per_element=b,
        param_bytes=param_bytes,
        buffer_bytes=buffer_bytes,
        activation_bytes=activation_bytes,
        peak_activation_bytes=peak_activation_elements(rows) * b,
        training_bytes=training,
    )
