"""The graph every front-end builds: named nodes, each a layer kind with its arguments and inputs."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

from cnncalc.conventions import Framework, Layout
from cnncalc.errors import SpecError

Shape = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Tensor:
    """A parameter or buffer a node is the first to read (front-ends that know the model's tensors give these).

    ``name`` is its qualified name (``layer1.0.conv1.weight``); ``trainable`` is
    ``requires_grad``; ``buffer`` marks running statistics and other state.
    """

    name: str
    shape: Shape
    trainable: bool = True
    buffer: bool = False
    dtype: str = "float32"

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


@dataclass(frozen=True, slots=True)
class Scope:
    """A named region of the graph: one call of a PyTorch module, or one use of a notation block.

    Scopes nest (``parent`` is an index into :attr:`Graph.scopes`); rows at
    ``depth N`` fold every node into its scope at level N or above.
    ``outputs`` are the shapes the call returned and ``output_nodes`` the
    nodes that made them (where the front-end knows them).
    """

    index: int
    path: str
    kind: str
    parent: int | None = None
    level: int = 0
    outputs: tuple[Shape, ...] = ()
    output_nodes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    block: bool = False  # a repeated block (a notation def's use, a layer of a stack): what --recompute checkpoints
    # what a tool's module hook reads of a PyTorch module call (cnncalc.others): whether the module has no modules
    # inside it, its own parameters by name, the shapes of its positional inputs (None: not a tensor), and
    # its plain attributes and keyword arguments (num_heads, affine, mode, need_weights...)
    leaf: bool = False
    params: tuple[tuple[str, int], ...] = ()
    inputs: tuple[Shape | None, ...] = ()
    attrs: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Node:
    """One layer application.

    ``kind`` is a canonical kind name from the registry; ``label`` is what the
    user called it (``CONV1``); ``source`` is how it reads in messages
    (``conv(16, f=5)``); ``inputs`` are the ids of the nodes it reads.

    Front-ends that trace a model also give: ``scope``, the index of the scope
    it ran in; ``shapes``, the shapes of its operands as they were seen (else
    the outputs of ``inputs``); ``lead``, how many leading axes of the operands
    are repetitions the kind does not see (a batch, or every position of a
    sequence for a linear layer), multiplying its MACs and FLOPs; ``tensors``,
    the parameters and buffers it is the first to read (then they, not the
    kind's own count, are the row's parameters); ``dtype`` when its output is
    not a floating-point activation (``int64`` token ids); ``output``, the
    output shape as the framework computed it, when the kind reads its operands
    in another order (a recurrent layer's batch-first sequence); ``grad``,
    whether each model tensor it reads, weight first, gets a gradient
    (``requires_grad``; None: they do unless frozen); ``notes``;
    ``call``, the PyTorch function a traced node ran in (``F.relu``, ``torch.add``, ``Tensor.add``; ``Tensor.__add__``
    for ``x + y``), which tools that patch functions see;
    ``trainable``, True for the nodes that stay trainable when the rest is
    frozen (LoRA's adapters), False for a LoRA base layer, else None.
    """

    id: str
    kind: str
    label: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    inputs: tuple[str, ...] = ()
    source: str = ""
    line: int | None = None
    column: int | None = None
    scope: int | None = None
    shapes: tuple[Shape, ...] | None = None
    lead: int = 0
    tensors: tuple[Tensor, ...] | None = None
    dtype: str | None = None
    notes: tuple[str, ...] = ()
    output: Shape | None = None
    grad: tuple[bool, ...] | None = None
    trainable: bool | None = None
    call: str = ""


@dataclass(frozen=True, slots=True)
class Graph:
    """Nodes in the order they were written; :meth:`order` gives an execution order.

    ``layout`` is the order the shapes and arguments are written in (None: the
    analysis' layout, as in the notation; a traced PyTorch model is chw).
    ``batch`` is set when the shapes carry the batch as their first axis (a
    traced model): it is shown as -1. ``notes`` are the front-end's words for
    the report's footer. ``framework`` is the counting convention the source
    implies (a Keras file counts as Keras does), used when none is asked for.
    ``loss`` is how the model computes its loss from labels, when it is a language
    model read from its config (:data:`cnncalc.loss.STYLES`): a training step's default.
    """

    nodes: tuple[Node, ...]
    title: str = ""  # the network's name, when its spec gives one
    scopes: tuple[Scope, ...] = ()
    layout: Layout | None = None
    batch: int | None = None
    notes: tuple[str, ...] = ()
    source: str = "notation"  # which front-end made it: notation, spec, torch, onnx, keras, config
    depth: int | None = None  # how deep the rows follow the scopes by default (None: a row per node)
    dtype: str | None = None  # the element type of the memory figures by default (a traced model's parameters)
    columns: tuple[str, ...] = ()  # the columns the front-end shows by default; () = the renderers' own
    framework: Framework | None = None  # the source's own counting convention (keras for a Keras file)
    quantization: str | None = None  # how the model's weights are stored by default (int8, int4:128), if quantized
    positions: int | None = None  # the most positions the model was trained for (a language model's context)
    samples: int | None = None  # the batch its input was given with, when the shapes carry none (--batch's default)
    loss: str | None = None  # how the model computes its loss from labels (cnncalc.loss.STYLES): a language model's

    def order(self) -> tuple[Node, ...]:
        """The nodes in execution order (written order where possible).

        A reference to an unknown node, or a cycle, is a SpecError naming the node.
        """
        if _in_order(self.nodes):  # most graphs
            return self.nodes
        by_id: dict[str, Node] = {}
        for n in self.nodes:
            if n.id in by_id:
                raise SpecError(f"two nodes are called '{n.id}'")
            by_id[n.id] = n
        for n in self.nodes:
            for i in n.inputs:
                if i not in by_id:
                    raise SpecError(f"node '{n.id}' reads '{i}', which is not defined")
        return _kahn(self.nodes)  # an input read before it is made: the written order will not do


class NodeIds:
    """Unique node ids, named as every front-end names them.

    A node's id is its label in lower case, with a counter from the second use on
    (``conv``, ``conv_2``, ...); an id the user took for another node is skipped.
    """

    def __init__(self) -> None:
        self.uses: dict[str, int] = {}
        self.taken: set[str] = set()

    def new(self, label: str) -> str:
        base = label.lower()
        while True:
            n = self.uses.get(base, 0) + 1
            self.uses[base] = n
            node_id = base if n == 1 else f"{base}_{n}"
            if node_id not in self.taken:
                self.taken.add(node_id)
                return node_id

    def rename(self, node_id: str, name: str) -> str:
        """Give ``node_id`` the user's ``name`` instead (or a free variant of it) and return the new id."""
        wanted = name.lower()
        if wanted in self.taken and wanted != node_id:
            wanted = self.new(wanted)
        self.taken.discard(node_id)
        self.taken.add(wanted)
        return wanted


def _in_order(nodes: tuple[Node, ...]) -> bool:
    """Whether every node has an id of its own and reads only nodes before it."""
    seen: set[str] = set()
    for n in nodes:
        if n.id in seen:
            return False
        for i in n.inputs:
            if i not in seen:
                return False
        seen.add(n.id)
    return True


def _kahn(nodes: tuple[Node, ...]) -> tuple[Node, ...]:
    position = {n.id: i for i, n in enumerate(nodes)}
    waiting = {n.id: len(set(n.inputs)) for n in nodes}
    readers: dict[str, list[str]] = {n.id: [] for n in nodes}
    for n in nodes:
        for i in set(n.inputs):
            readers[i].append(n.id)
    ready = [position[n.id] for n in nodes if waiting[n.id] == 0]
    heapq.heapify(ready)
    out: list[Node] = []
    while ready:
        n = nodes[heapq.heappop(ready)]
        out.append(n)
        for r in readers[n.id]:
            waiting[r] -= 1
            if waiting[r] == 0:
                heapq.heappush(ready, position[r])
    if len(out) != len(nodes):
        stuck = sorted((n for n in nodes if waiting[n.id] > 0), key=lambda n: position[n.id])
        raise SpecError(f"the graph has a cycle through {', '.join(repr(n.id) for n in stuck[:4])}")
    return tuple(out)
