"""Memory in bytes: parameters, buffers, activations, peak inference from liveness, traffic per layer.

- ``param_bytes`` = params · bytes per element; ``buffer_bytes`` likewise.
- ``activation_bytes`` = every layer's output (input included), summed, each
  storage once: a view (flatten, reshape, permute, select, dropout at
  inference) shares its input's storage and adds nothing. Every other layer is
  taken to write a new tensor, in-place ones included (an upper bound).
- ``peak_activation_bytes``: walking the layers in execution order, a tensor is
  alive from the layer that writes it until the last layer that reads it,
  directly or through a view, has run (a tensor nobody reads is an output and
  stays to the end); the peak is the largest total alive while some layer
  runs. For a chain this is the largest input + output pair.
- Training (parameters, gradients, optimizer state and what autograd keeps) is
  :mod:`cnncalc.training`'s, when a report is asked for it (``train=True``).
- Traffic per layer: ``bytes_read`` = its inputs' activations + its parameters and
  buffers; ``bytes_written`` = its output; intensity = FLOPs / (read + written).

>>> from cnncalc import analyze
>>> m = analyze("input(32,32,3) -> conv(8, f=5)").memory
>>> m.param_bytes, m.peak_activation_bytes   # 608·4; (3,072 + 6,272)·4
(2432, 37376)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from cnncalc.conventions import DTYPE_BYTES, TENSOR_BYTES
from cnncalc.options import dtype_name
from cnncalc.report import Memory, Row, Totals


def element_bytes(dtype: str) -> int:
    """Bytes per element of a dtype name, or an ArgumentError listing the choices."""
    return DTYPE_BYTES[dtype_name(dtype)]


def row_bytes(row: Row, b: int) -> int:
    """Bytes of a row's output: at the report's ``b`` bytes per element, or its own dtype (token ids, masks)."""
    return row.activation_size * (TENSOR_BYTES.get(row.dtype, b) if row.dtype else b)


def storage_of(rows: Sequence[Row]) -> dict[str, str | None]:
    """Which row's storage each row's output lives in: its own, its input's for a view, None for weights."""
    owner: dict[str, str | None] = {}
    for r in rows:
        if r.view:
            owner[r.node_id] = owner.get(r.inputs[0]) if r.inputs else None
        else:
            owner[r.node_id] = r.node_id
    return owner


def liveness(
    rows: list[Row],
    b: int,
    owner: dict[str, str | None] | None = None,
    kept: Collection[str] = (),
    pinned: Mapping[str, int] | None = None,
    sizes: Mapping[str, int] | None = None,
) -> tuple[int, int]:
    """The bytes of every output but views' (``activation_bytes``), and the most alive at once while the layers
    run in order (``peak_activation_bytes``).

    A tensor is alive from the layer that writes it until the last layer that
    reads it, directly or through a view, has run; one nobody reads is an
    output and stays to the end. A training step (:func:`cnncalc.training.step_peak`)
    gives its own ``owner`` of each output's storage, the storages autograd ``kept``
    (alive to the end too), and the bytes nodes keep of their own (``pinned``, never freed). ``sizes`` gives each
    output's bytes instead of the rows' own (a rank's share of them, :mod:`cnncalc.parallel`).
    """
    if owner is None:
        owner = storage_of(rows)
    end = len(rows)
    last_use: dict[str, int] = {}
    read: set[str] = set()
    owner_of = owner.get
    for i, r in enumerate(rows):
        read.update(r.inputs)
        for src in r.inputs:
            held = owner_of(src)
            if held is not None:
                last_use[held] = i  # the rows go in order: a later reader is the last so far
    for r in rows:
        held = owner_of(r.node_id)
        if held is not None and (r.node_id not in read or held in kept):  # an output, or kept: to the end
            last_use[held] = end
    total = alive = peak = 0
    frees: dict[int, int] = {}
    for i, r in enumerate(rows):
        node_id = r.node_id
        own = owner_of(node_id) == node_id  # it writes a storage of its own (else: a view, or a weight)
        if own or not r.view:
            if sizes is not None:
                size = sizes[node_id]
            else:
                size = r.activation_size * (TENSOR_BYTES.get(r.dtype, b) if r.dtype else b)  # row_bytes(r, b)
            if not r.view:
                total += size
            if own:
                alive += size
                last = last_use.get(node_id, end)
                frees[last] = frees.get(last, 0) + size
        if pinned:
            alive += pinned.get(node_id, 0)
        if alive > peak:
            peak = alive
        if i in frees:
            alive -= frees.pop(i)
    return total, peak


def traffic_for(sizes: Sequence[int], params: int, buffers: int, size: int, b: int) -> tuple[int, int]:
    """``(bytes_read, bytes_written)`` at ``b`` bytes per element of a layer whose operands hold ``sizes`` elements.

    It reads its operands, parameters and buffers and writes its output of ``size``; the input layer moves nothing.
    """
    if not sizes:
        return 0, 0
    return (sum(sizes) + params + buffers) * b, size * b


def memory(rows: list[Row], totals: Totals, dtype: str) -> Memory:
    b = element_bytes(dtype)
    param_bytes = totals.params * b
    buffer_bytes = totals.buffers * b
    activation_bytes, peak = liveness(rows, b)
    return Memory(
        dtype=dtype_name(dtype),
        bytes_per_element=b,
        param_bytes=param_bytes,
        buffer_bytes=buffer_bytes,
        activation_bytes=activation_bytes,
        peak_activation_bytes=peak,
    )
