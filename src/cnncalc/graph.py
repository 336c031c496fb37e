"""The graph every front-end builds: named nodes, each a layer kind with its arguments and inputs."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

from cnncalc.errors import SpecError


@dataclass(frozen=True, slots=True)
class Node:
    """One layer application.

    ``kind`` is a canonical kind name from the registry; ``label`` is what the
    user called it (``CONV1``); ``source`` is how it reads in messages
    (``conv(16, f=5)``); ``inputs`` are the ids of the nodes it reads.
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


@dataclass(frozen=True, slots=True)
class Graph:
    """Nodes in the order they were written; :meth:`order` gives an execution order."""

    nodes: tuple[Node, ...]
    title: str = ""  # the network's name, when its spec gives one

    def order(self) -> tuple[Node, ...]:
        """The nodes in execution order (written order where possible).

        A reference to an unknown node, or a cycle, is a SpecError naming the node.
        """
        by_id: dict[str, Node] = {}
        for n in self.nodes:
            if n.id in by_id:
                raise SpecError(f"two nodes are called '{n.id}'")
            by_id[n.id] = n
        for n in self.nodes:
            for i in n.inputs:
                if i not in by_id:
                    raise SpecError(f"node '{n.id}' reads '{i}', which is not defined")
        seen: set[str] = set()
        for n in self.nodes:
            if any(i not in seen for i in n.inputs):
                return _kahn(self.nodes)
            seen.add(n.id)
        return self.nodes


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
