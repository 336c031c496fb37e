"""Cell spaces: a zoo model whose architecture is one string naming an operation for every edge of its cell.

NAS-Bench-201 (Dong and Yang, ICLR 2020) writes a cell of four nodes as
``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``: node 1 takes one edge from node 0, node 2 one from each of
nodes 0 and 1, node 3 one from each of nodes 0, 1 and 2; each edge applies one of five operations.
The zoo's ``nb201`` notation file takes the six edges' operations as its arguments ``e10, e20, e21, e30,
e31, e32`` (edge ``e31`` goes from node 1 to node 3); the zoo also takes the benchmark's string for all six
as the argument ``arch``.

>>> space = NB201
>>> space.edges("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|none~1|none~2|")["e30"]
'skip_connect'
>>> len(space.all()), space.all()[0]
(15625, '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|')
>>> space.all().index("|none~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|")
1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnncalc.errors import ArgumentError


@dataclass(frozen=True, slots=True)
class CellSpace:
    """The architectures of a cell of ``nodes`` nodes, every earlier node joined to every later one by an edge
    whose operation is one of ``ops``, written as the argument ``argument``."""

    name: str
    argument: str
    ops: tuple[str, ...]
    nodes: int = 4

    @property
    def edge_names(self) -> tuple[str, ...]:
        """The notation's argument for each edge, ``e{to}{from}``, in the string's order."""
        return tuple(f"e{j}{i}" for j in range(1, self.nodes) for i in range(j))

    def edges(self, arch: object) -> dict[str, str]:
        """The operation on each edge of ``arch`` (``{"e10": "nor_conv_3x3", ...}``), or an ArgumentError."""
        if not isinstance(arch, str):
            raise ArgumentError(f"{self.argument} must be a cell string (got {arch!r})", hint=self.hint())
        parts = arch.strip().split("+")
        if len(parts) != self.nodes - 1:
            raise ArgumentError(
                f"{self.argument} names {len(parts)} node(s) where a cell has {self.nodes - 1} (got {_short(arch)})",
                hint=self.hint(),
            )
        chosen: dict[str, str] = {}
        for j, part in enumerate(parts, start=1):
            seen: dict[int, str] = {}
            for item in (p for p in part.strip().split("|") if p.strip()):
                op, sep, source = item.strip().partition("~")
                if not sep or not source.isascii() or not source.isdigit():
                    raise ArgumentError(
                        f"{self.argument}: node {j}'s edge {item!r} is not written operation~node", hint=self.hint()
                    )
                i = int(source)
                if op not in self.ops:
                    raise ArgumentError(
                        f"{self.argument}: unknown operation {op!r} on node {j}'s edge", hint=self.hint()
                    )
                if i >= j:
                    raise ArgumentError(f"{self.argument}: node {j} cannot read node {i} (only nodes before it)")
                if i in seen:
                    raise ArgumentError(f"{self.argument}: node {j} has two edges from node {i}", hint=self.hint())
                seen[i] = op
            missing = [i for i in range(j) if i not in seen]
            if missing:
                raise ArgumentError(f"{self.argument}: node {j} has no edge from node {missing[0]}", hint=self.hint())
            chosen.update({f"e{j}{i}": seen[i] for i in range(j)})
        return chosen

    def hint(self) -> str:
        """How a cell string is written, for a message (made only when one is)."""
        example = "+".join("|" + "|".join(f"op~{i}" for i in range(j)) + "|" for j in range(1, self.nodes))
        return f"{self.name} writes a cell as {example}, each op one of {', '.join(self.ops)}"

    def string(self, edges: dict[str, object]) -> str:
        """The cell string of the operations ``edges`` gives each edge (``{"e10": "none", ...}``)."""
        return "+".join(
            "|" + "|".join(f"{edges[f'e{j}{i}']}~{i}" for i in range(j)) + "|" for j in range(1, self.nodes)
        )

    def all(self) -> Architectures:
        """Every architecture, in the order NAS-Bench-201's code enumerates them (the last edge changing fastest)."""
        return Architectures(self)


class Architectures(Sequence[str]):
    """Every architecture of a cell space as a sequence, each string made when it is asked for."""

    def __init__(self, space: CellSpace) -> None:
        self.space = space
        self._edges = len(space.edge_names)

    def __len__(self) -> int:
        return len(self.space.ops) ** self._edges

    def __getitem__(self, index: int) -> str:  # type: ignore[override]
        n = len(self)
        if isinstance(index, slice):  # pragma: no cover - the Sequence protocol; sweeps index one at a time
            return [self[i] for i in range(*index.indices(n))]  # type: ignore[return-value]
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(index)
        ops = self.space.ops
        digits = []
        for _ in range(self._edges):
            index, d = divmod(index, len(ops))
            digits.append(ops[d])
        digits.reverse()
        out, k = [], 0
        for j in range(1, self.space.nodes):
            out.append("|" + "|".join(f"{digits[k + i]}~{i}" for i in range(j)) + "|")
            k += j
        return "+".join(out)

    def index(self, value: object, start: int = 0, stop: int | None = None) -> int:
        """The position of an architecture string (its edges read as digits), without a search."""
        edges = self.space.edges(value)
        ops = self.space.ops
        i = 0
        for name in self.space.edge_names:
            i = i * len(ops) + ops.index(edges[name])
        return i


def _short(text: str) -> str:
    return repr(text) if len(text) <= 60 else repr(text[:57] + "...")


NB201 = CellSpace("NAS-Bench-201", "arch", ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"))

SPACES: dict[str, CellSpace] = {"nb201": NB201}
"""The zoo models that take a cell string, by model name."""
