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
from dataclasses import dataclass

from cnncalc.conventions import DTYPE_BYTES, TENSOR_BYTES
from cnncalc.options import dtype_name
from cnncalc.records import copier
from cnncalc.report import Memory, Row, Totals


def element_bytes(dtype: str) -> int:
    """Bytes per element of a dtype name, or an ArgumentError listing the choices."""
    return DTYPE_BYTES[dtype_name(dtype)]


def row_bytes(row: Row, b: int) -> int:
    """Bytes of a row's output: at the report's ``b`` bytes per element, or its own dtype (token ids, masks)."""
    return row.activation_size * (TENSOR_BYTES.get(row.dtype, b) if row.dtype else b)


@dataclass(frozen=True, slots=True)
class BlockUse:
    """A block's use counted as one row (a sweep's quick analysis, :func:`cnncalc.analyze.analyze_totals`): its
    nodes' figures summed, and what its inside adds to the liveness walk, worked out once by :func:`block_peak`.

    ``activation_size`` sums its outputs but views' (each storage once); ``held_peak`` is the most its inside
    holds at once while its input is kept to the end, ``freed_peak`` while its input goes after its last reader
    inside (both with the input's bytes); ``output_bytes`` its output's storage, ``dangling_bytes`` the outputs
    inside that nothing reads (alive to the end, as any output), ``total_bytes`` every output's but views'.
    """

    node_id: str
    inputs: tuple[str, ...]
    params: int
    trainable_params: int
    buffers: int
    macs: int
    flops: int
    activation_size: int
    input_bytes: int
    held_peak: int
    freed_peak: int
    output_bytes: int
    dangling_bytes: int
    total_bytes: int
    view: bool = False
    dtype: str | None = None


def block_peak(x: Row, rows: list[Row], b: int) -> tuple[int, int, int, int, int] | None:
    """What a block's use (its ``rows``, reading ``x``) adds to the liveness walk: ``(held_peak, freed_peak,
    output_bytes, dangling_bytes, total_bytes)`` as :class:`BlockUse` keeps them, from the walk of :func:`liveness`
    over the block's rows after ``x``; None when the block does not read its input, or ends with a view of it.

    With its input freed after its last reader inside, the most alive is the walk's peak; kept to the end, the
    rows after that reader hold the input's bytes too.
    """
    owner = storage_of(rows, {x.node_id: x.node_id})
    read: set[str] = set()
    last_reader = -1
    for i, r in enumerate(rows, start=1):
        for j in r.inputs:
            read.add(j)
            if owner.get(j) == x.node_id:
                last_reader = i
    out = owner.get(rows[-1].node_id)
    if out is None or out == x.node_id or last_reader < 0:
        return None
    ends = {owner.get(r.node_id) for r in rows[:-1] if r.node_id not in read} - {None}  # outputs: to the end
    if x.node_id in ends:  # a view of the input that nothing reads keeps it to the end: not a block's plain use
        return None
    x_bytes = row_bytes(x, b)
    total, freed, later = _walk([_ALONE(x), *rows], b, owner, split=last_reader)  # type: ignore[list-item]
    held = max(freed, later + x_bytes)
    by_id = {r.node_id: r for r in rows}  # a storage's bytes: its own row's
    output = 0 if out in ends else _own_bytes(by_id[out], b)
    dangling = sum(_own_bytes(by_id[h], b) for h in ends if h != x.node_id)  # type: ignore[index]
    dangling += sum(r.dangling_bytes for r in rows if r.__class__ is BlockUse)  # inner blocks' own, to the end
    return held, freed, output, dangling, total - x_bytes


# a block's input as a storage of its own, read by nothing before it
_ALONE = copier(Row, "row", {"view": "False", "inputs": "()"})


def _own_bytes(r: Row | BlockUse, b: int) -> int:
    """The bytes of the storage a row writes (a block's use: its output's)."""
    return r.output_bytes if r.__class__ is BlockUse else row_bytes(r, b)  # type: ignore[union-attr]


def storage_of(rows: Sequence[Row], known: dict[str, str | None] | None = None) -> dict[str, str | None]:
    """Which row's storage each row's output lives in: its own, its input's for a view, None for weights
    (``known``: the storages of rows before these)."""
    owner: dict[str, str | None] = dict(known or {})
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
    run in order (``peak_activation_bytes``): see :func:`_walk`."""
    total, peak, _ = _walk(rows, b, owner, kept, pinned, sizes)
    return total, peak


def _walk(
    rows: list[Row],
    b: int,
    owner: dict[str, str | None] | None = None,
    kept: Collection[str] = (),
    pinned: Mapping[str, int] | None = None,
    sizes: Mapping[str, int] | None = None,
    split: int = -1,
) -> tuple[int, int, int]:
    """The bytes of every output but views', the most alive at once while the layers run in order, and the most
    alive at once after row ``split`` (a block's rows after its input's last reader, :func:`block_peak`).

    A tensor is alive from the layer that writes it until the last layer that
    reads it, directly or through a view, has run; one nobody reads is an
    output and stays to the end. A training step (:func:`cnncalc.training.step_peak`)
    gives its own ``owner`` of each output's storage, the storages autograd ``kept``
    (alive to the end too), and the bytes nodes keep of their own (``pinned``, never freed). ``sizes`` gives each
    output's bytes instead of the rows' own (a rank's share of them, :mod:`cnncalc.parallel`). A :class:`BlockUse`
    (a block's use counted as one, in a sweep's quick analysis) adds its inside's peak on top of what is alive around
    it, its input kept or freed as the rows after it say.
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
    total = alive = peak = later = 0
    frees: dict[int, int] = {}
    for i, r in enumerate(rows):
        node_id = r.node_id
        if r.__class__ is BlockUse:  # a block's use as one: its inside's peak on top of what is alive around it
            held = last_use.get(owner_of(r.inputs[0]) or "", end) > i
            inside = alive - r.input_bytes + (r.held_peak if held else r.freed_peak)
            if inside > peak:
                peak = inside
            if i > split and inside > later:
                later = inside
            total += r.total_bytes
            alive += r.output_bytes + r.dangling_bytes
            last = last_use.get(node_id, end)
            frees[last] = frees.get(last, 0) + r.output_bytes
            if i in frees:
                alive -= frees.pop(i)
            continue
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
        if i > split and alive > later:
            later = alive
        if i in frees:
            alive -= frees.pop(i)
    return total, peak, later


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
