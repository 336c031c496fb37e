"""Building a Graph node by node, the way the text notation does, for the spec and Python front-ends.

Ids, labels and sources follow the notation's rules exactly, so that a network
written as text, YAML, JSON or Python gives the same Graph and the same Report:
a node's id is its name (lower case) when it has one, else its label with a
counter (``conv``, ``conv_2``); a merge's source names its inputs (``add(x, y)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cnncalc.documents import checked, shown
from cnncalc.errors import CnnCalcError, SpecError
from cnncalc.graph import Graph, Node, NodeIds
from cnncalc.layers.base import resolve, unknown_layer
from cnncalc.notation.build import candidates, check_preset, is_merge, merge_kwargs, node_source


def kind_of(word: str) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """The kind a layer word names and its preset keywords (``CONV1`` is conv; ``FCwB`` is dense with bias)."""
    if not isinstance(word, str) or not word:
        raise SpecError(f"a layer kind must be a name like conv (got {shown(word)})")
    for w in candidates(word):
        alias = resolve(w)
        if alias is not None:
            return alias.kind, alias.preset
    raise unknown_layer(word)


class GraphMaker:
    """Appends nodes; each reads the previous node unless told otherwise."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.ids = NodeIds()
        self.names: dict[str, str] = {}  # user name -> node id
        self.last: str | None = None

    def ref(self, name: str, where: str) -> str:
        """The node id a user's name stands for."""
        if not isinstance(name, str) or name not in self.names:
            known = ", ".join(sorted(self.names)) or "none yet"
            known = known if len(known) <= 200 else known[:197] + "..."
            raise SpecError(f"{where} reads {shown(name)}, which is not a node defined before it (known: {known})")
        return self.names[name]

    def layer(
        self,
        word: str,
        args: Sequence[Any] = (),
        kwargs: Sequence[tuple[str, Any]] = (),
        *,
        inputs: Sequence[str] | None = None,
        name: str | None = None,
        where: str = "",
    ) -> str:
        """Add one layer; ``inputs`` are user names (None: the previous node). Returns its user name."""
        where = where or str(word)
        for i, v in enumerate(args, start=1):  # numbers enter here, from a spec or from Python
            checked(v, f"{where}: argument {i}")
        for k, v in kwargs:
            checked(v, f"{where}: '{k}'")
        try:
            kind, preset = kind_of(word)
            check_preset(word, kind, preset, tuple(kwargs))
        except CnnCalcError as e:
            if where != word:  # the message already starts with the word
                e.message = f"{where}: {e.message}"
            raise
        merged = merge_kwargs(preset, tuple(kwargs))
        args = tuple(args)
        refs: tuple[str, ...] | None = None
        if kind == "input":
            node_inputs: tuple[str, ...] = ()
            if inputs:
                raise SpecError(f"{where}: an input reads nothing (it was given inputs {list(inputs)})")
        elif is_merge(kind):
            given = [self.ref(n, where) for n in (inputs or ())]
            if len(given) < 2:
                if self.last is None:
                    raise SpecError(f"{where}: {word} has nothing to read", hint="name its inputs")
                given = [self.last, *given]
            node_inputs = tuple(given)
            refs = node_inputs
        else:
            if inputs is not None and len(inputs) != 1:
                raise SpecError(f"{where}: {word} reads one input, but {len(inputs)} are named")
            src = self.ref(inputs[0], where) if inputs else self.last
            if src is None:
                raise SpecError(f"{where}: {word} has no input", hint="start with an input")
            node_inputs = (src,)
        node_id = self.ids.new(word)  # a named node still takes its counter, as in the notation
        if name is not None:
            if not isinstance(name, str) or not name.isidentifier():
                raise SpecError(f"{where}: a node name must be a word like block1 (got {shown(name)})")
            if resolve(name) is not None:
                raise SpecError(f"{where}: '{name}' is a layer name; call the node something else")
            node_id = self.ids.rename(node_id, name)
        if kind == "input":
            source = node_source(word, args, kwargs)
        else:
            source = node_source(word, args, kwargs, refs, bool(args or kwargs))
        self.nodes.append(Node(node_id, kind, word, args, merged, node_inputs, source))
        self.names[node_id] = node_id
        if name is not None:
            self.names[name] = node_id
        self.last = node_id
        return name if name is not None else node_id

    def graph(self, title: str = "") -> Graph:
        if not self.nodes:
            raise SpecError("the network has no layers")
        return Graph(tuple(self.nodes), title)
