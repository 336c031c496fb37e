"""Reading an ONNX file as cnncalc needs it: the graph only, bounded before it is parsed, never another file.

A ``.onnx`` file is a protobuf message. Parsing it whole costs memory far beyond its size on disk: a few
megabytes of empty nodes become gigabytes of parsed messages, and a 2 GB file of weights is 2 GB read for
nothing, since cnncalc counts a weight by its ``dims``. So the file is first walked as protobuf's wire format
(:func:`strip`), without building a message: every message and field is counted, the subgraphs' nesting
measured and the nodes counted against the caps of :mod:`cnncalc.limits` (``onnx_graph_bytes``,
``onnx_messages``, ``onnx_fields``, ``layers``, ``onnx_nesting``), and a copy is written without the stored
values of large tensors (weights) and without the paths of external data. Only that copy is parsed. No
path written in the file survives into it, so nothing that later reads the model (cnncalc,
``onnx.shape_inference``, ``numpy_helper``) can follow one to another file.

>>> from onnx import TensorProto, helper
>>> t = helper.make_tensor("w", TensorProto.FLOAT, [4096], [0.0] * 4096)
>>> t.data_location = TensorProto.EXTERNAL
>>> _ = t.external_data.add(key="location", value="../.env")
>>> g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
...     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])], [], [t])
>>> m = parse(strip(helper.make_model(g).SerializeToString(), "m.onnx"), "m.onnx")
>>> w = m.graph.initializer[0]
>>> list(w.dims), len(w.float_data), len(w.external_data), w.data_location == TensorProto.EXTERNAL
([4096], 0, 0, True)
"""

from __future__ import annotations

from typing import Any

from cnncalc.errors import SpecError
from cnncalc.limits import guard

KEEP_BYTES = 1 << 20
"""An integer or boolean tensor's stored values are kept when they take at most this many bytes (shape
constants, masks): at least 8 bytes × the largest value cnncalc evaluates
(:data:`cnncalc.frontends.onnx_shapes.SMALL`)."""
KEEP_OTHER_BYTES = 4096
"""Other tensors' values are kept up to this size (a Clip's bounds, a Resize's scales, a pad value)."""
SHAPE_TYPES = frozenset((6, 7, 9))  # TensorProto.INT32, INT64, BOOL: the element types of shape arithmetic
DATA_TYPE = 2  # TensorProto.data_type
LEFT_OUT = "cnncalc: values not read"
"""A tensor whose values were left out says so in its ``doc_string`` (:func:`values_left_out`)."""
LEFT_OUT_FIELD = b"\x62" + bytes([len(LEFT_OUT)]) + LEFT_OUT.encode()  # field 12 (doc_string), the last one wins


def values_left_out(tensor: Any) -> bool:
    """Whether :func:`strip` left a tensor's stored values on disk (they were too large to need)."""
    return tensor.doc_string == LEFT_OUT


MAX_DEPTH = 90
"""Messages inside messages, at most: protobuf's own reader stops at 100."""

# The message fields of each message type of onnx.proto that hold messages: field number -> message type.
MODEL, GRAPH, NODE, ATTRIBUTE, TENSOR, SPARSE, VALUE_INFO, TYPE, SHAPE, FUNCTION, TRAINING, LEAF = range(12)
TYPE_TENSOR, TYPE_SEQUENCE, TYPE_MAP, TYPE_OPTIONAL = range(12, 16)
FIELDS: dict[int, dict[int, int]] = {
    MODEL: {7: GRAPH, 8: LEAF, 14: LEAF, 20: TRAINING, 25: FUNCTION, 26: LEAF},
    GRAPH: {1: NODE, 5: TENSOR, 15: SPARSE, 11: VALUE_INFO, 12: VALUE_INFO, 13: VALUE_INFO, 14: LEAF, 16: LEAF},
    NODE: {5: ATTRIBUTE, 9: LEAF, 10: LEAF},
    ATTRIBUTE: {5: TENSOR, 6: GRAPH, 22: SPARSE, 14: TYPE, 10: TENSOR, 11: GRAPH, 23: SPARSE, 15: TYPE},
    TENSOR: {2: LEAF, 13: LEAF, 16: LEAF},
    SPARSE: {1: TENSOR, 2: TENSOR},
    VALUE_INFO: {2: TYPE, 4: LEAF},
    TYPE: {1: TYPE_TENSOR, 4: TYPE_SEQUENCE, 5: TYPE_MAP, 9: TYPE_OPTIONAL, 8: TYPE_TENSOR},
    TYPE_TENSOR: {2: SHAPE},
    TYPE_SEQUENCE: {1: TYPE},
    TYPE_MAP: {2: TYPE},
    TYPE_OPTIONAL: {1: TYPE},
    SHAPE: {1: LEAF},
    FUNCTION: {7: NODE, 11: ATTRIBUTE, 12: VALUE_INFO, 14: LEAF},
    TRAINING: {1: GRAPH, 2: GRAPH, 3: LEAF, 4: LEAF},
    LEAF: {},
}
TENSOR_VALUES = frozenset((4, 5, 6, 7, 9, 10, 11))  # float_data ... uint64_data, raw_data: the stored values
EXTERNAL_DATA = 13  # TensorProto.external_data: where the values live (a path)


class _Count:
    """What the walk has seen so far: messages, nodes; ``name`` says which file in a message."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.messages = 0
        self.fields = 0
        self.nodes = 0


class _Damaged(Exception):
    """The wire format breaks off or is not protobuf's (turned into a SpecError naming the file)."""


def _varint(buf: Any, i: int, end: int) -> tuple[int, int]:
    b = buf[i] if i < end else 256
    if b < 0x80:  # most tags and lengths: one byte
        return b, i + 1
    shift = result = 0
    while True:
        if i >= end or shift > 63:
            raise _Damaged()
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def _encode_varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if not n:
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


Pieces = list[Any]  # of (start, end): bytes of the file kept as they are, or bytes written anew


def _walk(
    buf: Any, start: int, end: int, kind: int, depth: int, graphs: int, count: _Count
) -> tuple[Pieces, int] | None:
    """The message ``buf[start:end]`` of type ``kind`` rewritten (its pieces and their size), or None when kept.

    ``graphs``: the graphs it is inside (a subgraph's nodes are in 2). Tensors lose their external-data
    paths, and their stored values when those take more than :data:`KEEP_BYTES`.
    """
    if depth > MAX_DEPTH:
        raise SpecError(f"{count.name} nests messages more than {MAX_DEPTH} deep; ONNX files are not read that deep")
    count.messages += 1
    if not count.messages & 0xFFF:
        guard("onnx_messages", count.messages, f"{count.name} holds over {count.messages:,} protobuf messages")
    if kind == NODE:
        count.nodes += 1
        if not count.nodes & 0xFF:
            guard("layers", count.nodes, f"{count.name} holds over {count.nodes:,} nodes")
    fields = FIELDS[kind]
    pieces: list[Any] = []  # (start, end) of a field kept as it is, or the bytes that replace it
    changed = False
    values: list[int] = []  # a tensor's stored-value fields, by their index in pieces
    value_bytes = data_type = 0
    i = start
    while i < end:
        count.fields += 1
        if not count.fields & 0x3FFF:
            guard("onnx_fields", count.fields, f"{count.name} holds over {count.fields:,} protobuf fields")
        field_start = i
        tag = buf[i]
        if tag < 0x80:  # one byte: the tags of every field ONNX defines below 16
            i += 1
        else:
            tag, i = _varint(buf, i, end)
        number, wire = tag >> 3, tag & 7
        if wire == 2:
            length = buf[i] if i < end else 0x80
            if length < 0x80:
                body = i + 1
            else:
                length, body = _varint(buf, i, end)
            i = body + length
            if i > end:
                raise _Damaged()
            if kind == TENSOR:
                if number in TENSOR_VALUES:
                    values.append(len(pieces))
                    value_bytes += i - field_start
                elif number == EXTERNAL_DATA:  # where the values live: a path, never kept
                    changed = True
                    continue
            sub = fields.get(number)
            if sub is not None and sub != LEAF:
                inner_graphs = graphs + (sub == GRAPH)
                if sub == GRAPH and inner_graphs > 1:
                    guard(
                        "onnx_nesting",
                        inner_graphs - 1,
                        f"{count.name} nests If/Loop/Scan bodies {inner_graphs - 1} deep",
                    )
                inner = _walk(buf, body, i, sub, depth + 1, inner_graphs, count)
                if inner is not None:
                    inner_pieces, size = inner
                    pieces.append(_encode_varint(tag) + _encode_varint(size))
                    pieces += inner_pieces
                    changed = True
                    continue
            elif sub == LEAF:
                count.messages += 1
        elif wire == 0:
            value, i = _varint(buf, i, end)
            if kind == TENSOR and number == DATA_TYPE:
                data_type = value
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise _Damaged()  # groups (3, 4) and wire types 6, 7: not in an ONNX file
        if number == 0 or i > end:
            raise _Damaged()
        pieces.append((field_start, i))
    if values and value_bytes > (KEEP_BYTES if data_type in SHAPE_TYPES else KEEP_OTHER_BYTES):
        for n in values:  # a weight: its dims give its size; its values stay on disk
            pieces[n] = b""
        pieces.append(LEFT_OUT_FIELD)
        changed = True
    if not changed:
        return None
    return pieces, sum(p[1] - p[0] if isinstance(p, tuple) else len(p) for p in pieces)


SMALL_FILE = 1 << 20
"""A file this small is parsed as it is: protobuf's parse of it costs at most some 75 MB, and no weight in it is
worth leaving out; its external-data paths are then dropped from the parsed model (:func:`_count_parsed`)."""


def read(data: Any, name: str) -> Any:
    """The ModelProto of a serialised model (bytes or a memory map), its costs checked and no path left in it.

    A small file is parsed directly; a larger one is :func:`strip` ped first.
    """
    if len(data) <= SMALL_FILE:
        model = parse(bytes(data), name)
        _count_parsed(model, name)
        return model
    return parse(strip(data, name), name)


def _count_parsed(model: Any, name: str) -> None:
    """What :func:`strip` does on the wire, on a small model parsed whole: its nodes and nesting checked against
    the caps, and every tensor's external-data path dropped (its ``data_location`` kept: its values are not here).
    """
    nodes = 0
    stack = [(model.graph, 1)] + [(g, 1) for t in model.training_info for g in (t.initialization, t.algorithm)]
    for f in model.functions:
        _drop_paths(_node_tensors(f.node))
        stack += [(a.g, 2) for n in f.node for a in n.attribute if a.type == 5]
        stack += [(g, 2) for n in f.node for a in n.attribute if a.type == 10 for g in a.graphs]
    while stack:
        graph, depth = stack.pop()
        if depth > 1:
            guard("onnx_nesting", depth - 1, f"{name} nests If/Loop/Scan bodies {depth - 1} deep")
        nodes += len(graph.node)
        _drop_paths(graph.initializer)
        _drop_paths([t for s in graph.sparse_initializer for t in (s.values, s.indices)])
        _drop_paths(_node_tensors(graph.node))
        for node in graph.node:
            for a in node.attribute:
                if a.type == 5:  # GRAPH
                    stack.append((a.g, depth + 1))
                elif a.type == 10:  # GRAPHS
                    stack += [(g, depth + 1) for g in a.graphs]
    guard("layers", nodes, f"{name} holds {nodes:,} nodes")


def _node_tensors(nodes: Any) -> list[Any]:
    """The tensors nodes hold in their attributes (a Constant's value, sparse ones' values and indices)."""
    found = []
    for node in nodes:
        for a in node.attribute:
            if a.type == 4:  # TENSOR
                found.append(a.t)
            elif a.type == 9:  # TENSORS
                found += list(a.tensors)
            elif a.type == 11:  # SPARSE_TENSOR
                found += [a.sparse_tensor.values, a.sparse_tensor.indices]
            elif a.type == 12:  # SPARSE_TENSORS
                found += [t for s in a.sparse_tensors for t in (s.values, s.indices)]
    return found


def _drop_paths(tensors: Any) -> None:
    for t in tensors:
        if len(t.external_data):
            del t.external_data[:]


def strip(data: Any, name: str) -> bytes:
    """A ModelProto's bytes without tensors' large stored values and external-data paths, its costs checked.

    ``data`` is the serialised model (bytes or a memory map); ``name`` names it in messages.
    """
    count = _Count(name)
    try:
        out = _walk(data, 0, len(data), MODEL, 0, 0, count)
    except _Damaged:
        raise SpecError(
            f"{name} is not a readable ONNX model (its protobuf encoding breaks off or is damaged)",
            hint="the file may be truncated or damaged; export it again",
        ) from None
    guard("onnx_messages", count.messages, f"{name} holds {count.messages:,} protobuf messages")
    guard("onnx_fields", count.fields, f"{name} holds {count.fields:,} protobuf fields")
    guard("layers", count.nodes, f"{name} holds {count.nodes:,} nodes")
    size = len(data) if out is None else out[1]
    guard("onnx_graph_bytes", size, f"{name}'s graph (its weights' values left out) takes {size:,} bytes")
    if out is None:
        return bytes(data)
    return b"".join(data[p[0] : p[1]] if isinstance(p, tuple) else p for p in out[0])


def parse(data: bytes, name: str) -> Any:
    """The ModelProto of bytes :func:`strip` made; a damaged encoding is a SpecError."""
    import onnx

    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception:  # noqa: BLE001 - protobuf's DecodeError and its kin: the bytes are not a ModelProto
        raise SpecError(
            f"{name} is not a readable ONNX model (protobuf cannot decode it)",
            hint="the file may be truncated or damaged; export it again",
        ) from None
    return model
