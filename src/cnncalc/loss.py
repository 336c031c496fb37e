"""The step's loss (``--loss``): what a training step computes after the model's outputs, added as nodes.

A training step starts its backward from a loss, and the loss is part of the
step: its forward's tensors live in the peak and autograd keeps some of them.
With ``train``, :func:`cnncalc.analyze.analyze_graph` adds the chosen loss after
the model's outputs that carry a gradient, as nodes of the core kinds, and
counts them as any other (each is a row; a traced model's or a config's rows
show them as one, ``loss``):

- ``sum``: every output summed, ``sum(t.sum() for t in outputs)``; it keeps
  nothing. The default for a model that is not a language model.
- ``cross_entropy``: ``F.cross_entropy`` of each output against one int64 class
  per position, the classes on its channel axis (a classifier's logits, a
  segmentation map's channels, a traced language model's last axis): a
  log-softmax, whose output autograd keeps, and the negative log-likelihood,
  which keeps the targets and a float32 total weight. A language model read
  from its config computes it as transformers' ``labels=`` does: the logits
  upcast to float32 (a new tensor unless they are float32 already), the
  log-softmax over the vocabulary in float32 (at a vocabulary of 128k often
  the largest tensor of the step), and for a causal model the targets shifted
  by one (the labels padded by one position, sliced and made contiguous).
- ``mse``: ``F.mse_loss`` of each output against a target of its shape; it
  keeps both.
- ``none``: nothing is added. A traced model that computes its own loss (one
  given ``labels``) takes it by default: its trace holds the loss already.

>>> from cnncalc import analyze
>>> t = analyze("input(16) -> fc(10)", train=True, loss="cross_entropy").training
>>> t.loss, t.saved_activation_bytes   # fc's input 16·4; the log-probabilities 10·4, one int64 target, 4 B
('cross_entropy', 116)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cnncalc.errors import ArgumentError
from cnncalc.graph import Graph, Node, Scope

if TYPE_CHECKING:
    from cnncalc.report import Row

LOSSES = ("sum", "cross_entropy", "mse", "none")
WORDS = {
    "sum": "sum",
    "cross_entropy": "cross_entropy",
    "cross-entropy": "cross_entropy",
    "crossentropy": "cross_entropy",
    "ce": "cross_entropy",
    "mse": "mse",
    "none": "none",
}
OWN = {"nll": "cross_entropy", "mse": "mse"}  # the kinds a model's own loss is made of, and its name
# how a language model's library computes its cross-entropy from labels: (targets shifted by one, logits upcast)
STYLES = {
    "causal_lm": (True, True),  # transformers' ForCausalLMLoss
    "masked_lm": (False, True),  # ForMaskedLMLoss
    "seq2seq_lm": (False, False),  # T5ForConditionalGeneration's CrossEntropyLoss on its logits as they are
}
SCOPE_KINDS = {"sum": "Sum", "cross_entropy": "CrossEntropyLoss", "mse": "MSELoss"}


def loss_word(value: object) -> str:
    """A ``--loss`` value as its name, or an ArgumentError listing the choices.

    >>> loss_word("Cross-Entropy")
    'cross_entropy'
    """
    word = str(getattr(value, "value", value)).strip().lower()
    if word not in WORDS:
        raise ArgumentError(f"unknown loss {_shown(value)} (choose {', '.join(LOSSES)})")
    return WORDS[word]


def _shown(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 40 else text[:37] + "…'"


@dataclass(frozen=True, slots=True)
class Loss:
    """The loss a step computes: its ``name``, the words the footer says of it, and the nodes that compute it."""

    name: str
    note: str
    nodes: tuple[Node, ...] = ()
    scope: Scope | None = None


def own_loss(graph: Graph) -> str | None:
    """The loss a model's forward computes itself (a traced model given labels), by the kinds in its graph."""
    for node in graph.nodes:
        if node.kind in OWN:
            return OWN[node.kind]
    return None


def style_of(graph: Graph, rows: dict[str, Row]) -> str | None:
    """How the model computes its cross-entropy from labels (:data:`STYLES`): as its config says (``graph.loss``);
    a decoder written in the notation (a graph with a KV cache and no batch axis) as a causal language model."""
    if graph.loss is not None:
        return graph.loss
    if graph.batch is None and any(r.serving is not None and r.serving.cache_per_token for r in rows.values()):
        return "causal_lm"
    return None


def choose(graph: Graph, asked: str | None, style: str | None = None) -> str:
    """The loss a step takes: the one ``asked`` for, else the model's own, a language model's cross-entropy
    (``style`` given), or sum. A model that computes its own loss takes no other on top of it.
    """
    own = own_loss(graph)
    if own is not None:
        if asked not in (None, "none"):
            raise ArgumentError(
                f"--loss {asked}: this model computes its own loss ({own}, from the labels it was given)",
                hint="leave --loss out to count the model's own, or trace it without labels to choose one",
            )
        return "none"
    if asked is not None:
        return asked
    return "cross_entropy" if style is not None else "sum"


def loss_for(graph: Graph, rows: dict[str, Row], asked: str | None, dtype: str) -> Loss:
    """The loss ``graph``'s step computes (see :func:`choose`) and the nodes that compute it, after ``rows``."""
    style = style_of(graph, rows)
    name = choose(graph, asked, style)
    own = own_loss(graph)
    if name == "none":
        note = f"the model's own ({own}, computed in its forward)" if own else "none (the outputs are the loss)"
        return Loss("none" if own is None else own, note)
    outputs = [rows[o] for o in _outputs(graph, rows) if rows[o].grad]
    if not outputs:
        return Loss(name, f"{name}: no output carries a gradient, so the step runs no backward")
    b = _Nodes(graph, rows)
    if name == "sum":
        label = "loss" if len(outputs) == 1 else "sum"
        ends = [b.add("reduce", label, (r.node_id,), "sum", batch=True) for r in outputs]
        note = "sum of the outputs (their gradient is ones)"
    elif name == "mse":
        ends = [b.mse(r) for r in outputs]
        note = "mse against a target of each output's shape"
    else:
        how = STYLES.get(style or "")
        ends = [b.cross_entropy(r, graph, how, dtype) for r in outputs]
        note = _ce_note(outputs[0], graph, how, dtype)
    if len(ends) > 1:
        b.add("add", "loss", tuple(ends))
        note += f", over {len(ends)} outputs"
    scope = None
    root = graph.scopes[0] if graph.scopes else None
    if root is not None and root.parent is None and graph.depth is not None:  # one row among the module calls
        scope = Scope(len(graph.scopes), "loss", SCOPE_KINDS[name], 0, root.level + 1, ((),), (b.nodes[-1].id,))
        b.nodes[:] = [replace(n, scope=scope.index) for n in b.nodes]
    return Loss(name, note, tuple(b.nodes), scope)


def with_loss(graph: Graph, loss: Loss) -> Graph:
    """``graph`` with the loss's nodes (and its scope) added after the model's."""
    if not loss.nodes:
        return graph
    scopes = graph.scopes + ((loss.scope,) if loss.scope is not None else ())
    return replace(graph, nodes=graph.nodes + loss.nodes, scopes=scopes)


def _outputs(graph: Graph, rows: dict[str, Row]) -> list[str]:
    """The model's outputs: what its call returned (a traced model's, a config's head), else what nothing reads."""
    root = graph.scopes[0] if graph.scopes else None
    if root is not None and root.parent is None and root.output_nodes and graph.depth is not None:
        return [n for n in dict.fromkeys(root.output_nodes) if n in rows]
    read = {i for n in graph.nodes for i in n.inputs}
    return [n.id for n in graph.nodes if n.id not in read and n.inputs]


class _Nodes:
    """The loss's nodes as they are made, each id new to the graph."""

    def __init__(self, graph: Graph, rows: dict[str, Row]) -> None:
        self.graph = graph
        self.rows = rows
        self.taken = {n.id for n in graph.nodes}
        self.nodes: list[Node] = []

    def add(self, kind: str, label: str, inputs: tuple[str, ...], *args: object, **kw: object) -> str:
        dtype = kw.pop("dtype", None)
        node_id, n = label, 1
        while node_id in self.taken:
            n += 1
            node_id = f"{label}_{n}"
        self.taken.add(node_id)
        source = f"{kind}(" + ", ".join([*map(str, args), *(f"{k}={v}" for k, v in kw.items())]) + ")"
        self.nodes.append(
            Node(node_id, kind, label, tuple(args), tuple(kw.items()), inputs, source, dtype=dtype)  # type: ignore[arg-type]
        )
        return node_id

    def target(self, label: str, shape: tuple[int, ...], dtype: str | None) -> str:
        """A tensor the step is given beside the inputs (labels, targets), in the core's order: one class per
        sample is a tensor of no axes per sample."""
        return self.add("constant", label, (), *shape, op="given with the step", dtype=dtype)

    def mse(self, r: Row) -> str:
        t = self.target("target", r.output_shape, None)
        return self.add("mse", "loss", (r.node_id, t))

    def cross_entropy(self, r: Row, graph: Graph, style: tuple[bool, bool] | None, dtype: str) -> str:
        shape = r.output_shape
        if not shape or (graph.batch is not None and len(shape) < 2):
            raise ArgumentError(
                f"--loss cross_entropy needs class scores, and the output {r.name} is one number per sample",
                hint="choose --loss mse or sum for an output that is not one score per class",
            )
        axis = _class_axis(r, graph)
        targets = tuple(n for i, n in enumerate(shape) if i != axis % len(shape)) if shape else ()
        x = r.node_id
        if style is None:  # F.cross_entropy(output, targets), the targets given
            t = self.target("targets", targets, "int64")
        else:
            shift, upcast = style
            t = self.target("labels", targets, "int64")
            if shift:  # labels padded by one ignored position, the first dropped, made contiguous
                padded = (*targets[:-1], targets[-1] + 1) if targets else (1,)
                t = self.add("copy", "labels_padded", (t,), *padded, op="constant_pad_nd", dtype="int64")
                t = self.add("copy", "shift_labels", (t,), *targets, op="contiguous", dtype="int64")
            if upcast and dtype != "float32":
                x = self.add("copy", "logits_float", (x,), *shape, op="to float32", dtype="float32")
        float32 = "float32" if style is not None and style[1] else None
        p = self.add("logsoftmax", "log_softmax", (x,), dtype=float32)
        return self.add("nll", "loss", (p, t))


def _class_axis(r: Row, graph: Graph) -> int:
    """Where a row's classes are: the channel axis of a traced model's output, else the first (channels first)."""
    if graph.batch is not None and len(r.output_shape) > 1:
        return r.channel_axis
    return 0


def _ce_note(r: Row, graph: Graph, style: tuple[bool, bool] | None, dtype: str) -> str:
    shape = r.output_shape
    classes = shape[_class_axis(r, graph)] if shape else 1
    if style is None:
        return f"cross_entropy over {classes:,} classes (log-softmax kept, int64 targets)"
    shift, upcast = style
    how = ["log-softmax kept in float32" if upcast else "log-softmax kept"]
    if upcast and dtype != "float32":
        how.insert(0, "logits upcast to float32")
    if shift:
        how.append("targets shifted by one")
    return f"cross_entropy over the vocabulary of {classes:,}, as transformers' labels= computes it ({', '.join(how)})"
