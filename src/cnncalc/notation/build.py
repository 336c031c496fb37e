"""Turn parsed statements into a Graph: resolve names, aliases, references, blocks and repetitions.

How a statement reads (docs/notation-graphs.md):

- ``FC = dense(bias=false)``: a definition (an alias, or an argument-less block)
  when the chain starts with a layer;
- ``x = input(32,32,3)``, ``y = x -> conv(16, f=3)``, ``z = add(x, y)``: a named
  node when the chain starts with ``input``, a reference to a node, or a merge
  (add, concat, mul, matmul); inside a block every named statement is a node;
- a chain starting with a reference starts from that node; any other chain
  continues from the previous statement;
- ``add(a, b)`` reads the nodes it names; later in a chain, ``add(x)`` reads
  the previous layer and ``x``;
- ``def basic(c, s=1) { ... }`` defines a block with parameters; inside it
  ``in`` is the block's input and the last statement its output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cnncalc import limits
from cnncalc.errors import ArgumentError, CnnCalcError, LimitError, SpecError
from cnncalc.graph import Graph, Node, NodeIds, Scope
from cnncalc.layers.base import REGISTRY, resolve, unknown_layer
from cnncalc.notation.syntax import (
    REQUIRED,
    Block,
    Call,
    Expr,
    Repeat,
    Size,
    Statement,
    caret,
    evaluate,
    make_call,
    show,
)
from cnncalc.records import copier, maker

LABEL_NUMBER = re.compile(r"(?P<base>[A-Za-z_]*[A-Za-z])[_-]?\d+")
MAX_DEPTH = 50
BLOCK_INPUT = "in"


@dataclass(frozen=True, slots=True)
class _Use:
    """A use of a block as its body made it, for uses of the same block with the same arguments (a ResNet's
    repeated bottlenecks) to be made again without reading the body: see :meth:`_Builder.replay`."""

    block: Block
    ids: tuple[tuple[str, str], ...]  # the id requests, in order: ("new", label) or ("rename", name), no prefix
    nodes: tuple[Node, ...]
    made: tuple[str, ...]  # the nodes' ids
    labels: tuple[str | None, ...]  # each node's label without the use's prefix (None: a label without it)
    refs: dict[int, tuple[str, tuple[tuple[str, Any], ...], bool]]  # merges whose source names their inputs
    input: str  # the node the use read ("in")
    last: str  # the node it gave

    @classmethod
    def of(
        cls,
        block: Block,
        log: list[tuple[Any, ...]],
        nodes: tuple[Node, ...],
        first: int,
        prev: str,
        last: str,
        prefix: str,
    ) -> _Use | None:
        """The use recorded by ``log`` (its nodes made from index ``first`` on), or None when it cannot be made
        again this way (it used another block, or named a node outside it)."""
        ids: list[tuple[str, str]] = []
        refs = {}
        for entry in log:
            if entry[0] == "refs":
                refs[entry[1] - first] = (entry[2], entry[3], entry[4])
            elif not entry[1].startswith(prefix):  # pragma: no cover - a use's nodes are named in it
                return None
            else:
                ids.append((entry[0], entry[1][len(prefix) :]))
        made = tuple(n.id for n in nodes)
        inside = {*made, prev}
        if sum(op == "new" for op, _ in ids) != len(nodes) or last not in inside:
            return None
        if any(i not in inside for n in nodes for i in n.inputs):
            return None
        labels = tuple(n.label[len(prefix) :] if n.label.startswith(prefix) else None for n in nodes)
        return cls(block, tuple(ids), nodes, made, labels, refs, prev, last)


@dataclass(frozen=True, slots=True)
class Segment:
    """A block's use that a quick build (:class:`Uses`) does not make node by node: it reads ``inputs[0]`` and is
    made of ``use``'s nodes, an earlier use of the same block with the same arguments, its body read from the same
    values. ``key`` names it among the uses its store holds. :func:`cnncalc.analyze.analyze_totals` counts it."""

    id: str
    inputs: tuple[str, ...]
    use: _Use
    key: int
    label: str = ""


_ABSENT = object()  # a name a statement reads that is no node before it


class Uses:
    """Block uses kept across builds of one text with other values (a sweep's points): a use of a block (or of a
    definition of several layers) with the same arguments, whose body's names have the same values, is a
    :class:`Segment` of the first one.

    At most ``held`` uses are kept; past that, the store starts again.
    """

    def __init__(self, held: int = 4096) -> None:
        self.found: dict[Any, tuple[_Use, int]] = {}
        self.serial = 0  # uses ever added: each one's key, never given twice
        self.held = held
        self.names: dict[tuple[int, int], tuple[Any, tuple[str, ...]]] = {}  # (body, generation) -> its names
        self.bound: dict[Any, Any] = {}  # (body, generation, its parameters, names with values) -> those it reads
        self.keys: dict[frozenset[str], frozenset[str]] = {}  # the sets of names scopes give values, each kept once
        self.elements: dict[Any, Any] = {}  # a call read before with the same values: its node, or its block's
        self.sites: dict[Any, Any] = {}  # a block's call, the values its body reads: the use it made
        self.statements: dict[Any, Any] = {}  # a statement in a block read before: what it made, for the same values
        self.built = False  # a build with this store has ended without an error
        self.repeats: dict[int, int] = {}  # a repetition's most times counted before it was made

    def add(self, key: Any, use: _Use) -> tuple[_Use, int]:
        if len(self.found) >= self.held:
            self.found.clear()
        self.serial += 1
        self.found[key] = found = (use, self.serial)
        return found


def _quick_use(block: Block | Statement, nodes: tuple[Any, ...], prev: str, last: str) -> _Use | None:
    """A quick build's record of a use (its nodes, what it reads, what it gives), or None when a node reads one
    outside it (a merge naming a node the top level made)."""
    made = tuple([n.id for n in nodes])
    inside = {*made, prev}
    if last not in inside or any(i not in inside for n in nodes for i in n.inputs):
        return None
    return _Use(block, (), nodes, made, (), {}, prev, last)  # type: ignore[arg-type]


def _names_of(value: Any, out: set[str]) -> None:
    """The names a value may read: words, and the names in arithmetic, inside tuples too."""
    if isinstance(value, str):
        out.add(value)
    elif isinstance(value, Expr):
        for a in value.args:
            _names_of(a, out)
    elif isinstance(value, tuple):
        for v in value:
            _names_of(v, out)


def _chain_names(chain: tuple[Any, ...], out: set[str]) -> None:
    """Every name a chain may look up in its bindings: its layers' names and the words in their values."""
    for element in chain:
        if isinstance(element, Repeat):
            _names_of(element.times, out)
            _chain_names(element.chain, out)
        else:
            out.add(element.name)
            for v in element.args:
                _names_of(v, out)
            for _, v in element.kwargs:
                _names_of(v, out)


@dataclass
class _Scope:
    """Where statements are read: the top level, or one use of a block."""

    refs: dict[str, str] = field(default_factory=dict)  # node name -> node id
    bindings: dict[str, Any] = field(default_factory=dict)  # parameter -> value
    last: str | None = None
    prefix: str = ""
    in_block: bool = False
    stack: tuple[str, ...] = ()  # the blocks being expanded, to stop a block using itself
    keys: frozenset[str] | None = None  # a quick build's: the names ``bindings`` gives values (Uses.keys)


@dataclass
class _Builder:
    text: str
    input_shape: tuple[int, ...] | None
    definitions: dict[str, Statement] = field(default_factory=dict)
    blocks: dict[str, Block] = field(default_factory=dict)
    block_uses: dict[str, int] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    ids: NodeIds = field(default_factory=NodeIds)
    top: _Scope = field(default_factory=_Scope)  # its bindings are the model arguments, seen inside blocks too
    scopes: list[Scope] = field(default_factory=list)  # one per use of a block, for activation checkpointing
    within: int | None = None  # the scope of the block use being expanded
    kinds: dict[str, tuple[str, tuple]] = field(default_factory=dict)  # names found to be registered kinds (lookup)
    generation: int = 0  # how many times a definition or block was added: a block's body may read differently after
    uses: dict[Any, Any] = field(default_factory=dict)  # block uses made so far (a _Use, or its record), for replay
    defaults: dict[str, dict[str, Any]] = field(default_factory=dict)  # block -> parameter -> a default given anew
    store: Uses | None = None  # a quick build's: block uses seen in earlier builds are Segments
    used: int = 0  # block uses so far (a use that makes none inside it can be replayed)
    last_site: tuple[Any, Any] = (None, None)  # a quick build's last block use: its bound call, its Segment's use
    serial: int = 0  # a quick build's ids so far
    log: list[tuple[Any, ...]] | None = None  # what the block use being recorded did to the ids, in order
    cap: int = 0  # the most nodes the Graph may have (the ``layers`` limit), read once
    least: dict[Any, int] = field(default_factory=dict)  # nodes a definition or block (use) makes at the least
    precount: bool = True  # count what a repetition, definition or block makes before making it (see build_graph)

    def too_many(self, count: int, what: str, line: int, column: int) -> CnnCalcError:
        """The error for a text that asks for more nodes than the ``layers`` limit, placed where it asks."""
        return self.fail(LimitError(f"{what} at least {count:,} layers", limit="layers", cap=self.cap), line, column)

    def at_least(self, el: Call | Repeat, scope: _Scope, stack: tuple[str, ...]) -> int:
        """How many nodes ``el`` makes at the least, told from the text without making them (0 when it cannot
        be told: a reference, an unknown name, a count not yet known). A definition's or a block's count is
        worked out once (per arguments, when it depends on them), so that a text of definitions that double
        one another is refused before anything is built."""
        if isinstance(el, Repeat):
            times = substitute(el.times, scope.bindings)
            if times.__class__ is not int or times < 1:
                return 0
            return times * sum(self.at_least(x, scope, stack) for x in el.chain)
        name = el.name
        if not el.has_parens:
            if name in scope.refs:
                return 0
            bound = scope.bindings.get(name)  # a parameter naming a layer: the name it is given
            if bound is not None:
                if bound.__class__ is not str:
                    return 0
                name = bound
        if self.kinds.get(name) is not None:  # most often a kind
            return 1
        try:
            call = el if name is el.name else make_call(name, (), (), el.line, el.column, el.has_parens)
            target = self.lookup(call, stack, scope)
        except CnnCalcError:
            return 0
        if isinstance(target, tuple):
            return 1
        key = target.name.lower()  # type: ignore[union-attr]
        if key in stack or len(stack) >= MAX_DEPTH:
            return 0
        if isinstance(target, Statement):
            return self.definition_least(target, scope, stack)
        fixed = self.fixed_size(target)
        if fixed >= 0:  # its arguments cannot change its count: they need not be worked out
            return fixed
        try:
            call = self.bind_call(el, scope)
            own = self.bind_block(target, call, call.args, call.kwargs)
        except CnnCalcError:
            return 0
        return self.block_least(target, own, stack)

    def definition_least(self, st: Statement, scope: _Scope, stack: tuple[str, ...]) -> int:
        """The nodes a definition (``name = chain``) makes at the least where it is used."""
        key = st.name.lower()  # type: ignore[union-attr]
        if len(st.chain) == 1 and isinstance(st.chain[0], Call):  # an alias: as the call it names
            return self.at_least(st.chain[0], scope, (*stack, key))
        fixed = self.least.get((id(st), self.generation))
        if fixed is None:
            fixed = self.least[(id(st), self.generation)] = self.layers_only((st,), ())
        if fixed >= 0 and not any(el.name in scope.bindings for el in st.chain):  # no layer's name is a value here
            return fixed
        memo = _same_use(key, scope.bindings, stack, self.generation)
        found = self.least.get(memo) if memo is not None else None
        if found is None:
            found = sum(self.at_least(x, scope, (*stack, key)) for x in st.chain)
            if memo is not None:
                self.least[memo] = found
        return found

    def block_least(self, block: Block, own: dict[str, Any], stack: tuple[str, ...]) -> int:
        """The nodes a use of ``block`` with its arguments ``own`` makes at the least: a block of layers alone
        (no repetition, no other block) makes as many whatever its arguments, counted once."""
        fixed = self.fixed_size(block)
        if fixed >= 0:
            return fixed
        key = block.name.lower()
        memo = _same_use(key, own, stack, self.generation)
        found = self.least.get(memo) if memo is not None else None
        if found is None:
            inner = _Scope({BLOCK_INPUT: ""}, {**self.top.bindings, **own}, None, "", True, (*stack, key))
            found = 0
            for st in block.body:
                if isinstance(st, Statement):
                    found += sum(self.at_least(x, inner, inner.stack) for x in st.chain)
                    if st.name is not None:
                        inner.refs[st.name] = ""
            if memo is not None:
                self.least[memo] = found
        return found

    def fixed_size(self, block: Block) -> int:
        """:meth:`layers_only`, worked out once per block and definitions (the block lives as long as the builder)."""
        fixed = self.least.get((id(block), self.generation))
        if fixed is None:
            fixed = self.least[(id(block), self.generation)] = self.layers_only(block.body, block.params)
        return fixed

    def layers_only(self, body: tuple[Any, ...], parameters: tuple[tuple[str, Any], ...]) -> int:
        """How many nodes ``body`` (a block's, or a definition alone) makes when it is layers of registered kinds
        and its own nodes alone (then the block's ``parameters`` cannot change the count), else -1."""
        refs, params, count = {BLOCK_INPUT}, {p for p, _ in parameters}, 0
        for st in body:
            if not isinstance(st, Statement):
                return -1
            for el in st.chain:
                if isinstance(el, Repeat) or el.name in params:
                    return -1
                if not el.has_parens and el.name in refs:
                    continue
                if self.kinds.get(el.name) is None:
                    words = candidates(el.name)
                    if any(w.lower() in self.definitions or w.lower() in self.blocks for w in words):
                        return -1
                    if not any(resolve(w) is not None for w in words):
                        return -1  # unknown: said where it is used
                count += 1
            if st.name is not None:
                refs.add(st.name)
        return count

    def outside(self, name: str, scope: _Scope) -> SpecError | None:
        """The error for a top-level node named inside a block, which sees only its own names."""
        if not scope.in_block or name not in self.top.refs:
            return None
        return SpecError(
            f"'{name}' is a node outside the block; a block reads only '{BLOCK_INPUT}' and the nodes it makes",
            hint=f"make '{name}' the block's input ({name} -> block(...)), or write the merge outside the block",
        )

    def fail(self, err: CnnCalcError, line: int, column: int) -> CnnCalcError:
        if err.line is None:
            err.line, err.column = line, column
            err.context = caret(self.text, line, column)
        return err

    def add_node(self, node: Node) -> str:
        """Add a node, made with the scope it runs in (``self.within``: a block's use, or None)."""
        self.nodes.append(node)
        return node.id

    # -- statements

    def statement(self, st: Statement | Block, scope: _Scope) -> None:
        if self.store is not None and scope.in_block and st.__class__ is Statement:
            self.quick_statement(st, scope)  # type: ignore[arg-type]
            return
        self.read_statement(st, scope)

    def quick_statement(self, st: Statement, scope: _Scope) -> None:
        """A statement inside a block in a quick build: made again from the same statement read with the same values
        before (its nodes and Segments, their inputs mapped to this use's nodes), else read and kept."""
        store = self.store
        assert store is not None
        key = (
            "statement",
            id(st),
            scope.stack,
            self.generation,
            scope.last is None,
            self.reads(st, scope, ()),
        )
        made = store.statements.get(key)
        refs = scope.refs
        if made is not None:
            items, result = made
            ids: list[str] = []
            prev = scope.last
            for item, sources in items:
                inputs = tuple([prev if s is None else ids[s] if s.__class__ is int else refs[s] for s in sources])
                ids.append(self.new_id(""))
                self.nodes.append(
                    _REPLACE_NODE(item, ids[-1], inputs)
                    if item.__class__ is Node
                    else _REPLACE_SEGMENT(item, ids[-1], inputs)
                )
            last = prev if result is None else ids[result] if result.__class__ is int else refs[result]
            if st.name is not None:
                refs[st.name] = last
            scope.last = last
            return
        first, used, prev, before = len(self.nodes), self.used, scope.last, dict(refs)
        self.read_statement(st, scope)
        if self.used != used:  # it used a block: read every time
            return
        created = self.nodes[first:]
        local = {n.id: k for k, n in enumerate(created)}
        names = {v: k for k, v in before.items()}  # a node the statement reads by a name, by that name

        def source(i: str) -> Any:
            if i in local:
                return local[i]
            if i == prev:
                return None
            return names.get(i, _ABSENT)

        items = tuple((n, tuple([source(i) for i in n.inputs])) for n in created)
        result = source(scope.last)  # type: ignore[arg-type]
        if result is _ABSENT or any(s is _ABSENT for _, sources in items for s in sources):
            return
        if len(store.statements) >= store.held:
            store.statements.clear()
        store.statements[key] = (items, result)

    def read_statement(self, st: Statement | Block, scope: _Scope) -> None:
        if isinstance(st, Block):
            if scope.in_block:
                raise self.fail(SpecError(f"block '{st.name}' is defined inside another block"), st.line, st.column)
            self.blocks[st.name.lower()] = st
            self.kinds.clear()  # a name may mean the block now
            self.generation += 1
            return
        start = self.start_of(st.chain, scope)
        if st.name is not None and not scope.in_block and not starts_node(start):
            self.definitions[st.name.lower()] = st
            self.kinds.clear()
            self.generation += 1
            return
        if st.name is not None and resolve(st.name) is not None:
            raise self.fail(
                SpecError(f"'{st.name}' is a layer name; call the node something else, e.g. {st.name}_out"),
                st.line,
                st.column,
            )
        prev = scope.last
        if starts_fresh(start, scope):
            prev = None
        elif prev is None:
            prev = self.implicit_input(st.chain[0])
        first_node = len(self.nodes)
        bound = start[1] if start is not None and start[0] != "ref" else None  # the first call, bound already
        for i, element in enumerate(st.chain):
            prev = self.element(element, prev, scope.stack, scope, first=i == 0, bound=bound if i == 0 else None)
        if st.name is not None:
            prev = self.rename(prev, st.name, scope, first_node)  # type: ignore[arg-type]
            scope.refs[st.name] = prev
        scope.last = prev

    def rename(self, node_id: str, name: str, scope: _Scope, first_new: int) -> str:
        """Give the statement's last node the statement's name as its id, when this statement made it (a quick
        build's ids are only numbers: the names are kept where references look them up)."""
        if self.store is not None:
            return node_id
        if not self.nodes or self.nodes[-1].id != node_id or len(self.nodes) <= first_new:
            return node_id
        wanted = self.ids.rename(node_id, scope.prefix + name)
        last = self.nodes[-1]
        self.nodes[-1] = _with_id(last, wanted) if last.__class__ is Node else _segment_with_id(last, wanted)
        if self.log is not None:
            self.log.append(("rename", scope.prefix + name))
        return wanted

    def new_id(self, full: str) -> str:
        """A new node's id from its label (:class:`NodeIds`), noted when a block use is being recorded; in a quick
        build, a number (what reads what is all that is counted)."""
        if self.store is not None:
            self.serial += 1
            return "#" + str(self.serial)
        if self.log is not None:
            self.log.append(("new", full))
        return self.ids.new(full)

    def is_ref(self, call: Call, scope: _Scope) -> bool:
        return not call.has_parens and call.name in scope.refs

    def start_of(self, chain: tuple[Call | Repeat, ...], scope: _Scope) -> tuple[str, Call] | None:
        """What a chain starts with: ``("ref", call)``, or its first layer's kind; None for a block or unknown name."""
        first = chain[0]
        if not isinstance(first, Call):
            return None
        if self.is_ref(first, scope):
            return "ref", first
        try:
            first = self.bind_call(first, scope)
            target = self.lookup(first, scope.stack, scope)
        except CnnCalcError:
            return None  # an unknown name is reported where it is used
        return (target[0], first) if isinstance(target, tuple) else None

    def implicit_input(self, first: Call | Repeat) -> str:
        if self.input_shape is None:
            raise self.fail(
                SpecError("the network needs an input shape", hint="start with input(32,32,3) or give --input 32,32,3"),
                first.line,
                first.column,
            )
        node_id = self.new_id("input")
        return self.add_node(Node(node_id, "input", "input", self.input_shape, (), (), "input", scope=self.within))

    # -- elements

    def element(
        self,
        el: Call | Repeat,
        prev: str | None,
        stack: tuple[str, ...],
        scope: _Scope,
        *,
        first: bool = False,
        bound: Call | None = None,
    ) -> str:
        """Add ``el`` after ``prev``; ``bound``: ``el`` with the block's parameters replaced, when known already."""
        if isinstance(el, Repeat):
            times = substitute(el.times, scope.bindings)
            if isinstance(times, bool) or not isinstance(times, int):
                raise self.fail(
                    SpecError(f"a repetition needs a whole-number count (got {show(times)})"), el.line, el.column
                )
            if times < 1:
                raise self.fail(
                    SpecError(f"a repetition needs a count of at least 1 (got {times})"), el.line, el.column
                )
            store = self.store
            if self.precount or store.repeats.get(id(el), 0) < times:  # type: ignore[union-attr]
                need = len(self.nodes) + self.at_least(el, scope, stack)
                if need > self.cap:
                    raise self.too_many(need, "the repetition makes the network", el.line, el.column)
                if store is not None and store.repeats.get(id(el), 0) < times:
                    store.repeats[id(el)] = times
            before = len(self.nodes)
            if self.store is None:
                bound = [self.bind_call(c, scope) if c.__class__ is Call else None for c in el.chain]
            else:  # a quick build: each call found by the values it reads, as read before (element)
                bound = [None] * len(el.chain)
            for i in range(times):
                used = self.used
                for inner, call in zip(el.chain, bound):  # bound once: the same bindings every time
                    prev = self.element(inner, prev, stack, scope, bound=call)
                last = self.nodes[-1] if self.nodes else None
                if (
                    self.store is not None
                    and len(self.nodes) == before + i + 1
                    and self.used == used + 1
                    and last.__class__ is Segment
                    and last.id == prev
                ):  # a quick build's repetition of one block's use: the same Segment, once a time
                    for _ in range(times - i - 1):
                        self.used += 1
                        prev = self.segment((last.use, last.key), prev, "")  # type: ignore[union-attr]
                    break
                if i == 0 and before + times * (len(self.nodes) - before) > self.cap:  # what the text did not say
                    need = before + times * (len(self.nodes) - before)
                    raise self.too_many(need, "the repetition makes the network", el.line, el.column)
            return prev  # type: ignore[return-value]
        store = self.store
        if store is not None and prev is not None:  # a quick build: a layer read before with the same values
            key = (id(el), stack, self.generation, first, self.reads(el, scope, ()))
            made = store.elements.get(key)
            if made is not None and len(self.nodes) < self.cap:
                if made.__class__ is Node:
                    node_id = self.new_id("")
                    self.nodes.append(_REPLACE_NODE(made, node_id, (prev,)))
                    return node_id
                if made.__class__ is Segment:  # a definition of several layers
                    node_id = self.new_id("")
                    self.nodes.append(_REPLACE_SEGMENT(made, node_id, (prev,)))
                    return node_id
                block, params = made  # a block's use: as the names its body reads have their values
                found = store.sites.get((key, self.reads(block, self.top, params), self.given(block)))
                if found is not None:
                    self.used += 1
                    return self.segment(found, prev, "")
            count, used = len(self.nodes), self.used
            out = self.layer(el, prev, stack, scope, first, bound)
            last = self.nodes[-1] if len(self.nodes) == count + 1 else None
            if last is not None and last.id == out and last.inputs == (prev,):
                if len(store.elements) >= store.held:
                    store.elements.clear()
                    store.sites.clear()
                if self.used == used and (last.__class__ is Node or last.__class__ is Segment):
                    store.elements[key] = last  # type: ignore[assignment]
                elif self.used == used + 1 and last.__class__ is Segment and last.use.block.__class__ is Block:
                    block = last.use.block
                    params = tuple([p for p, _ in block.params])
                    store.elements[key] = (block, params)  # type: ignore[assignment]
                    site = (key, self.reads(block, self.top, params), self.given(block))
                    store.sites[site] = (last.use, last.key)
            return out
        return self.layer(el, prev, stack, scope, first, bound)

    def given(self, block: Block) -> tuple[Any, ...]:
        """The defaults given anew to a block's parameters (a sweep's ``block.param``), with their types."""
        given = self.defaults.get(block.name.lower())
        return tuple([(k, _typed(v)) for k, v in given.items()]) if given else ()

    def layer(
        self, el: Call, prev: str | None, stack: tuple[str, ...], scope: _Scope, first: bool, bound: Call | None
    ) -> str:
        """A call in a chain: a reference, a layer, a definition or a block's use."""
        el = bound if bound is not None else self.bind_call(el, scope)
        if self.is_ref(el, scope):
            if not first:
                raise self.fail(
                    SpecError(
                        f"'{el.name}' is a node: a reference can only start a chain",
                        hint=f"to merge it with the layer before, write add({el.name}) or concat({el.name})",
                    ),
                    el.line,
                    el.column,
                )
            return scope.refs[el.name]
        return self.call(el, prev, stack, scope, el.name, el.args, el.kwargs, first=first)

    def bind_call(self, call: Call, scope: _Scope) -> Call:
        """The call with block parameters replaced by their values (names, sizes, keywords)."""
        bindings = scope.bindings
        if not bindings:
            return call
        name = bindings.get(call.name, call.name) if not call.has_parens else call.name
        if not isinstance(name, str):
            name = call.name
        if not call.args and not call.kwargs and name == call.name:  # relu, bn: nothing to replace
            return call
        try:
            args = tuple([v if v.__class__ is int else substitute(v, bindings) for v in call.args])
            kwargs = tuple([(k, v if v.__class__ is int else substitute(v, bindings)) for k, v in call.kwargs])
        except CnnCalcError as e:
            raise self.fail(e, call.line, call.column) from None
        return make_call(name, args, kwargs, call.line, call.column, call.has_parens)

    def lookup(self, call: Call, stack: tuple[str, ...], scope: _Scope) -> tuple[str, tuple] | Statement | Block:
        """A definition, a block, or a registered kind with its preset keywords; trailing numbers are labels."""
        found = self.kinds.get(call.name)
        if found is not None:  # no definition or block took the name since
            return found
        for word in candidates(call.name):
            key = word.lower()
            st = self.definitions.get(key)
            if st is not None and key not in stack:
                return st
            block = self.blocks.get(key)
            if block is not None and key not in stack:
                return block
            alias = resolve(word)
            if alias is not None:
                if not any(w.lower() in self.definitions or w.lower() in self.blocks for w in candidates(call.name)):
                    self.kinds[call.name] = (alias.kind, alias.preset)  # whatever the stack: no definition shadows it
                return (alias.kind, alias.preset)
        for word in candidates(call.name):  # skipped above only because it is being expanded
            key = word.lower()
            if key in stack:
                path = " -> ".join((*stack[stack.index(key) :], key))
                raise self.fail(
                    SpecError(f"'{word}' uses itself ({path})", hint="a block or definition cannot repeat itself"),
                    call.line,
                    call.column,
                )
        err = self.outside(call.name, scope) if not call.has_parens else None
        extra = list(self.definitions) + list(self.blocks) + list(scope.refs)
        raise self.fail(err or unknown_layer(call.name, extra), call.line, call.column)

    def references(self, call: Call, scope: _Scope) -> list[str]:
        """The node ids a merge call names among its positional arguments."""
        out = []
        for v in call.args:
            if not isinstance(v, str):
                raise self.fail(
                    SpecError(f"{call.name} takes the names of nodes (got {show(v)})", hint=f"e.g. {call.name}(a, b)"),
                    call.line,
                    call.column,
                )
            if v not in scope.refs:
                outside = self.outside(v, scope)
                if outside is not None:
                    raise self.fail(outside, call.line, call.column)
                hint = None
                if v.lower() in self.definitions:
                    hint = (
                        f"'{v}' is a definition (its chain starts with a layer); to make it a node, start it"
                        f" from a node: {v} = x -> ..."
                    )
                raise self.fail(
                    SpecError(f"{call.name} reads '{v}', which is not a node defined before it", hint=hint),
                    call.line,
                    call.column,
                )
            out.append(scope.refs[v])
        return out

    def call(
        self,
        site: Call,
        prev: str | None,
        stack: tuple[str, ...],
        scope: _Scope,
        label: str,
        args: tuple[Any, ...],
        kwargs: tuple[tuple[str, Any], ...],
        *,
        first: bool = False,
    ) -> str:
        target = self.lookup(site, stack, scope)
        if isinstance(target, Block):
            return self.use_block(target, site, prev, stack, scope, args, kwargs)
        if isinstance(target, Statement):
            return self.expand(target, site, prev, stack, scope, label, args, kwargs)
        kind, preset = target
        pending = _pending(args) or _pending(tuple([v for _, v in kwargs]))
        if pending is not None:
            raise self.fail(
                SpecError(
                    f"cannot work out {pending}: {', '.join(repr(n) for n in pending.names())} has no value",
                    hint="give it as a block or model argument",
                ),
                site.line,
                site.column,
            )
        if preset:
            try:
                check_preset(site.name, kind, preset, kwargs)
            except CnnCalcError as e:
                raise self.fail(e, site.line, site.column) from None
        merged = merge_kwargs(preset, kwargs)
        if REGISTRY[kind].inputs == 0:  # input, or a tensor a model holds or makes: it starts a chain
            if prev is not None:
                raise self.fail(
                    SpecError(f"{label} can only start a chain, but it follows another layer"), site.line, site.column
                )
            if kind != "input":
                node_id = self.new_id(scope.prefix + label)
                source = node_source(label, args, kwargs, None, site.has_parens)
                node = _node(node_id, kind, label, args, merged, (), source, site.line, site.column, self.within)
                return self.add_node(node)
            return self.input_node(site, scope.prefix + label, args, merged)
        inputs: tuple[str, ...]
        if is_merge(kind):
            refs = self.references(Call(site.name, args, (), site.line, site.column), scope)
            if first and len(refs) >= 2:
                inputs = tuple(refs)
            elif prev is None:
                raise self.fail(
                    SpecError(f"{label} has nothing to read", hint=f"name its inputs: {label}(a, b)"),
                    site.line,
                    site.column,
                )
            else:
                inputs = (prev, *refs)
            args = ()
        elif prev is None:
            raise self.fail(
                SpecError(f"{label} has no input", hint="start the chain with input(...)"), site.line, site.column
            )
        else:
            inputs = (prev,)
        if len(self.nodes) >= self.cap:
            raise self.too_many(len(self.nodes) + 1, "the network has", site.line, site.column)
        full = scope.prefix + label
        node_id = self.new_id(full)
        refs = inputs if inputs != (prev,) else None
        if refs is not None and self.log is not None:  # its source names its inputs: made again with a replay's
            self.log.append(("refs", len(self.nodes), label, kwargs, site.has_parens))
        source = node_source(label, args, kwargs, refs, site.has_parens)
        node = _node(node_id, kind, full, args, merged, inputs, source, site.line, site.column, self.within)
        return self.add_node(node)

    def expand(
        self,
        st: Statement,
        site: Call,
        prev: str | None,
        stack: tuple[str, ...],
        scope: _Scope,
        label: str,
        args: tuple[Any, ...],
        kwargs: tuple[tuple[str, Any], ...],
    ) -> str:
        """Use a definition: a one-layer alias takes the call's arguments; a block takes none."""
        stack = (*stack, st.name.lower())  # type: ignore[union-attr]
        if len(stack) > MAX_DEPTH:  # every level is a few frames of recursion
            raise self.fail(
                SpecError(f"definitions use one another more than {MAX_DEPTH} deep"), site.line, site.column
            )
        if len(st.chain) == 1 and isinstance(st.chain[0], Call):
            inner = st.chain[0]
            use_args = args if args else inner.args
            return self.call(inner, prev, stack, scope, label, use_args, merge_kwargs(inner.kwargs, kwargs))
        need = len(self.nodes) + self.definition_least(st, scope, stack[:-1]) if self.precount else 0
        if need > self.cap:
            raise self.too_many(need, f"'{st.name}' makes the network", site.line, site.column)
        if args or kwargs:
            raise self.fail(
                SpecError(
                    f"'{st.name}' is a block of {len(st.chain)} layers and takes no arguments",
                    hint=f"to give it parameters, write def {st.name}(c) {{ ... }}",
                ),
                site.line,
                site.column,
            )
        if self.store is not None and prev is not None:  # a quick build: made once, a Segment after
            return self.quick_definition(st, prev, stack, scope)
        for element in st.chain:
            prev = self.element(element, prev, stack, scope)
        return prev  # type: ignore[return-value]

    def quick_definition(self, st: Statement, prev: str, stack: tuple[str, ...], scope: _Scope) -> str:
        """A definition of several layers in a quick build: a Segment of an earlier use where the names its layers
        read (and any definition's) had the same values, else its layers, kept for later uses."""
        store = self.store
        assert store is not None
        key = ("def", st.name, stack, self.generation, self.reads(st, scope, ()))
        found = store.found.get(key)
        if found is not None:
            return self.segment(found, prev, scope.prefix)
        first_node, first_use = len(self.nodes), self.used
        start = prev
        for element in st.chain:
            prev = self.element(element, prev, stack, scope)
        use = _quick_use(st, tuple(self.nodes[first_node:]), start, prev) if self.used == first_use else None  # type: ignore[arg-type]
        if use is None:
            return prev  # type: ignore[return-value]
        del self.nodes[first_node:]
        return self.segment(store.add(key, use), start, scope.prefix)

    def reads(self, body: Block | Statement | Call, scope: _Scope, own: tuple[str, ...]) -> tuple[Any, ...]:
        """The values ``scope`` gives the names ``body`` may read (its own, and any definition's: a value may name
        one), but the parameters ``own``: what its expansion depends on besides its arguments."""
        store = self.store
        assert store is not None
        bindings, keys = scope.bindings, scope.keys
        if keys is None:  # the names given a value, one set for all the scopes that give the same names
            keys = frozenset(bindings)
            keys = scope.keys = store.keys.setdefault(keys, keys)
        at = (id(body), self.generation, own, keys)
        bound = store.bound.get(at)
        if bound is None:
            cached = store.names.get(at[:2])
            if cached is None:
                names: set[str] = set()
                if isinstance(body, Call):
                    _chain_names((body,), names)
                else:
                    for st in body.body if isinstance(body, Block) else (body,):
                        _chain_names(st.chain, names)
                for d in self.definitions.values():
                    _chain_names(d.chain, names)
                cached = store.names[at[:2]] = (body, tuple(sorted(names)))
            bound = store.bound[at] = (body, tuple([n for n in cached[1] if n in keys and n not in own]))
        return tuple([(n, _typed(bindings[n])) for n in bound[1]])

    def use_block(
        self,
        block: Block,
        site: Call,
        prev: str | None,
        stack: tuple[str, ...],
        scope: _Scope,
        args: tuple[Any, ...],
        kwargs: tuple[tuple[str, Any], ...],
    ) -> str:
        """Expand ``def name(params) { ... }`` with the call's arguments; ``in`` is ``prev``."""
        if prev is None:
            raise self.fail(
                SpecError(f"block '{block.name}' has no input", hint="put it after a layer, or start with input(...)"),
                site.line,
                site.column,
            )
        if len(stack) >= MAX_DEPTH:
            raise self.fail(SpecError(f"blocks are nested more than {MAX_DEPTH} deep"), site.line, site.column)
        own = self.bind_block(block, site, args, kwargs)
        store = self.store
        key = block.name.lower()
        self.block_uses[key] = n = self.block_uses.get(key, 0) + 1
        prefix = f"{scope.prefix}{block.name}{n}."
        self.used += 1
        quick = same = None
        if store is not None and self.last_site[0] is site:  # a repetition's next use of the block: the same
            return self.segment(self.last_site[1], prev, prefix)
        if store is not None:  # a quick build: a use like one the store holds is a Segment of it
            same = _same_use(key, own, stack, self.generation)
            if same is not None:
                quick = (same, self.reads(block, self.top, tuple(own)))
                found = store.found.get(quick)
                if found is not None:
                    self.last_site = (site, found)
                    return self.segment(found, prev, prefix)
        need = len(self.nodes) + self.block_least(block, own, stack) if self.precount else 0
        if need > self.cap:
            raise self.too_many(need, f"block '{block.name}' makes the network", site.line, site.column)
        bindings = {**self.top.bindings, **own}
        inner = _Scope({BLOCK_INPUT: prev}, bindings, prev, prefix, True, (*stack, key))
        outer = self.within
        level = 0 if outer is None else self.scopes[outer].level + 1
        self.within = len(self.scopes)
        self.scopes.append(Scope(self.within, inner.prefix.rstrip("."), block.name, outer, level, block=True))
        if store is None:
            same = _same_use(key, own, stack, self.generation)
        made = self.uses.get(same) if same is not None and store is None else None
        if made is not None and made.__class__ is tuple:  # recorded, not yet replayed: read the record once
            made = self.uses[same] = _Use.of(*made)
        if made is not None and made.block is block and len(self.nodes) + len(made.nodes) <= self.cap:
            try:
                return self.replay(made, prev, inner.prefix)
            finally:
                self.within = outer
        first_node, first_use, log = len(self.nodes), self.used, self.log
        self.log = [] if same is not None and store is None else None
        try:
            for st in block.body:
                self.statement(st, inner)
            if same is not None and self.used == first_use:  # it used no other block: it can be replayed
                nodes = tuple(self.nodes[first_node:])  # as made (a statement may rename the last one after)
                record = (block, self.log, nodes, first_node, prev, inner.last, inner.prefix)
                if store is None:
                    self.uses[same] = record
                else:  # a quick build: kept for the builds to come, and a Segment here too
                    use = _quick_use(block, nodes, prev, inner.last)  # type: ignore[arg-type]
                    if use is not None and quick is not None:
                        found = store.add(quick, use)
                        self.last_site = (site, found)
                        del self.nodes[first_node:]
                        self.within = outer
                        return self.segment(found, prev, inner.prefix)
        finally:
            self.within, self.log = outer, log
        return inner.last  # type: ignore[return-value]

    def segment(self, found: tuple[_Use, int], prev: str, prefix: str) -> str:
        """A Segment for a block's use made of an earlier use's nodes (a quick build)."""
        use, key = found
        node_id = self.new_id(prefix + "out")
        self.nodes.append(_segment(node_id, (prev,), use, key, prefix))
        return node_id

    def replay(self, use: _Use, prev: str, prefix: str) -> str:
        """Make again the nodes of an earlier use of the same block with the same arguments, as reading its body
        would make them: the same id requests (:class:`NodeIds` settles clashes), inputs, labels and sources."""
        ids, final = self.ids, []
        for op, local in use.ids:
            if op == "new":
                final.append(ids.new(prefix + local))
            else:  # a named statement's last node takes its name
                final[-1] = ids.rename(final[-1], prefix + local)
        mapping = dict(zip(use.made, final))
        mapping[use.input] = prev
        scope, nodes = self.within, self.nodes
        for k, node in enumerate(use.nodes):
            inputs = tuple([mapping[i] for i in node.inputs])
            local = use.labels[k]
            label = node.label if local is None else prefix + local
            made = use.refs.get(k)
            source = node.source if made is None else node_source(made[0], (), made[1], inputs, made[2])
            nodes.append(
                _node(final[k], node.kind, label, node.args, node.kwargs, inputs, source, node.line, node.column, scope)
            )
        return mapping[use.last]

    def bind_block(
        self, block: Block, site: Call, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]
    ) -> dict[str, Any]:
        names = [p for p, _ in block.params]
        if len(args) > len(names):
            raise self.fail(
                SpecError(f"block '{block.name}' takes {len(names)} argument(s) ({', '.join(names)}), got {len(args)}"),
                site.line,
                site.column,
            )
        bound = dict(zip(names, args))
        for k, v in kwargs:
            if k not in names:
                raise self.fail(
                    SpecError(f"block '{block.name}' has no parameter '{k}' (it takes {', '.join(names) or 'none'})"),
                    site.line,
                    site.column,
                )
            if k in bound:
                raise self.fail(SpecError(f"'{k}' is given twice to block '{block.name}'"), site.line, site.column)
            bound[k] = v
        given = self.defaults.get(block.name.lower())
        for name, default in block.params:
            if name not in bound:
                if given is not None and name in given:
                    default = given[name]
                if default is REQUIRED:
                    raise self.fail(
                        SpecError(
                            f"block '{block.name}' needs '{name}'", hint=f"e.g. {block.name}({', '.join(names)})"
                        ),
                        site.line,
                        site.column,
                    )
                bound[name] = default
        return bound

    def input_node(self, site: Call, label: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> str:
        named = [v for k, v in kwargs if k.lower() in ("shape", "size")]
        if named and not args:  # input(shape=(32, 32, 3)) is input(32, 32, 3)
            args = named[0] if isinstance(named[0], tuple) else (named[0],)
            kwargs = tuple((k, v) for k, v in kwargs if k.lower() not in ("shape", "size"))
        if not args:
            if self.input_shape is None:
                raise self.fail(
                    SpecError("input has no shape", hint="write input(32,32,3) or give --input 32,32,3"),
                    site.line,
                    site.column,
                )
            args = self.input_shape
        elif self.input_shape is not None and tuple(args) != tuple(self.input_shape):
            raise self.fail(
                SpecError(
                    f"the input is given twice: {tuple(args)} in the text and {tuple(self.input_shape)} by --input"
                ),
                site.line,
                site.column,
            )
        node_id = self.new_id(label)
        source = Call(label, args, kwargs, site.line, site.column, True).source()
        node = Node(node_id, "input", label, tuple(args), kwargs, (), source, site.line, site.column, self.within)
        return self.add_node(node)


# a Node made, and one copied with a new id, quicker than by Node(...) and dataclasses.replace (cnncalc.records)
_node = maker(Node, ("id", "kind", "label", "args", "kwargs", "inputs", "source", "line", "column", "scope"))
_with_id = copier(Node, "node, id", {"id": "id"})
_segment_with_id = copier(Segment, "node, id", {"id": "id"})
_REPLACE_NODE = copier(Node, "node, id, inputs", {"id": "id", "inputs": "inputs"})
_REPLACE_SEGMENT = copier(Segment, "node, id, inputs", {"id": "id", "inputs": "inputs"})
_segment = maker(Segment, ("id", "inputs", "use", "key", "label"))


def node_source(
    label: str,
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
    refs: tuple[str, ...] | None = None,
    has_parens: bool = True,
) -> str:
    """How a node reads in messages: ``conv(16, f=5)``, or ``add(x, conv_2)`` for one that names its inputs."""
    if refs is not None:
        parts = [*refs, *(show(v) for v in args), *(f"{k}={show(v)}" for k, v in kwargs)]
        return f"{label}({', '.join(parts)})"
    if not has_parens:  # as Call.source reads it
        return label
    parts = [show(v) for v in args] + [f"{k}={show(v)}" for k, v in kwargs]
    return f"{label}({', '.join(parts)})"


def _same_use(block: str, bound: dict[str, Any], stack: tuple[str, ...], generation: int) -> Any:
    """What makes two uses of a block the same (so the second may be a replay of the first), or None when its
    arguments cannot be told apart this way: the block, its arguments with their types (2 is not 2.0), the blocks
    being expanded, and the definitions made so far."""
    try:
        key = (block, tuple([(k, _typed(v)) for k, v in bound.items()]), stack, generation)
        hash(key)
    except TypeError:
        return None
    return key


def _typed(v: Any) -> Any:
    """A value with its type, inside tuples too: 1, 1.0 and True, or a Size and a tuple, are told apart."""
    if isinstance(v, tuple):
        return (v.__class__, tuple([_typed(x) for x in v]))
    return (v.__class__, v)


def _pending(v: Any) -> Expr | None:
    """The first expression left in ``v`` (a value, or a tuple of them): a name without a value."""
    if isinstance(v, Expr):
        return v
    if isinstance(v, tuple):
        for x in v:
            if x.__class__ is not int and x.__class__ is not str:  # most values: nothing to look into
                found = _pending(x)
                if found is not None:
                    return found
    return None


def substitute(v: Any, bindings: dict[str, Any]) -> Any:
    """``v`` with parameter names replaced by their values, inside tuples too."""
    if isinstance(v, str):
        return bindings.get(v, v)
    if isinstance(v, Expr):
        return evaluate(v.op, tuple(substitute(a, bindings) for a in v.args))
    if isinstance(v, Size):
        return Size(substitute(x, bindings) for x in v)
    if isinstance(v, tuple):
        return tuple(substitute(x, bindings) for x in v)
    return v


def check_preset(
    word: str, kind: str, preset: tuple[tuple[str, Any], ...], kwargs: tuple[tuple[str, Any], ...]
) -> None:
    """A built-in name's preset is part of its meaning: ``FCwB(5, bias=false)`` contradicts itself."""
    if not preset:
        return
    words = {w.lower(): p.name for p in REGISTRY[kind].params for w in (p.name, *p.aliases)}
    fixed = dict(preset)
    for key, value in kwargs:
        name = words.get(key.lower())
        if isinstance(value, str) and isinstance(fixed.get(name), bool):
            value = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}.get(
                value.lower(), value
            )
        if name in fixed and value != fixed[name]:
            raise ArgumentError(
                f"{word} always has {name}={show(fixed[name])}, but it is given {key}={show(value)}",
                hint=f"write {kind}(...) to choose {name} yourself",
            )


def starts_node(start: tuple[str, Call] | None) -> bool:
    """A named chain is a node when it starts (see :meth:`_Builder.start_of`) with input, a reference or a merge."""
    return start is not None and (start[0] == "ref" or _source(start[0]) or is_merge(start[0]))


def starts_fresh(start: tuple[str, Call] | None, scope: _Scope) -> bool:
    """Whether a chain starts from nothing (input, a reference, a merge of named nodes)."""
    if start is None:
        return False
    kind, first = start
    if kind == "ref" or _source(kind):
        return True
    if is_merge(kind):
        names = [v for v in first.args if isinstance(v, str)]
        return len(names) >= 2 and all(v in scope.refs for v in names)
    return False


def _source(kind: str) -> bool:
    """Kinds that read nothing (input, a tensor): a chain starting with one starts afresh."""
    return kind in REGISTRY and REGISTRY[kind].inputs == 0


def candidates(name: str) -> list[str]:
    """The words a layer name may mean: itself, then without a trailing label number (``CONV1``: conv).

    >>> candidates("CONV1"), candidates("conv")
    (['CONV1', 'CONV'], ['conv'])
    """
    words = _CANDIDATES.get(name)
    if words is None:
        m = LABEL_NUMBER.fullmatch(name)
        words = (name, m.group("base")) if m else (name,)
        if len(_CANDIDATES) < 4096:
            _CANDIDATES[name] = words
    return list(words)


_CANDIDATES: dict[str, tuple[str, ...]] = {}  # a name's candidates, as a text uses the same names again and again


def is_merge(kind: str) -> bool:
    """Kinds that read named nodes: add, mul, concat, sdpa (any number of inputs), matmul (two)."""
    inputs = REGISTRY[kind].inputs
    return inputs is None or inputs >= 2


def merge_kwargs(
    base: tuple[tuple[str, Any], ...], override: tuple[tuple[str, Any], ...]
) -> tuple[tuple[str, Any], ...]:
    """``base`` keywords that ``override`` does not give (in any case), then ``override``."""
    if not base:
        return tuple(override)
    keys = {k.lower() for k, _ in override}
    return tuple((k, v) for k, v in base if k.lower() not in keys) + tuple(override)


def build_graph(
    statements: list[Statement | Block],
    text: str,
    input_shape: tuple[int, ...] | None = None,
    params: dict[str, Any] | None = None,
    defaults: dict[str, dict[str, Any]] | None = None,
    store: Uses | None = None,
) -> Graph:
    """The Graph the statements describe; ``params`` gives values to names used at the top level, ``defaults``
    new defaults to blocks' parameters (``{"basic": {"c": 32}}``: every use of ``basic`` that does not give
    ``c`` takes 32). With ``store`` (a quick build, for totals only), a block's use like one the store holds is
    a :class:`Segment`, and the store keeps the others' nodes for the builds to come.

    What a repetition, a definition or a block makes is counted from the text before it is made, against the
    ``layers`` limit, so that a text of blocks doubling one another is refused at once. A quick build counts so
    only until one build with its store has ended: the builds after it read the same text with other values, a
    block's use seen before is one Segment; a repetition is counted again when it is asked for more times than
    before, and what the values make is held to the limit as it is made (a repetition after its first time,
    every node)."""
    b = _Builder(
        text,
        input_shape,
        top=_Scope(bindings=dict(params or {})),
        defaults=dict(defaults or {}),
        store=store,
        cap=limits.value("layers"),
        precount=store is None or not store.built,
    )
    for st in statements:
        b.statement(st, b.top)
    if not b.nodes:
        raise SpecError("the text describes no layers", hint="e.g. input(32,32,3) -> conv(8, f=5) -> fc(10)")
    if store is not None:
        store.built = True
    return Graph(tuple(b.nodes), scopes=tuple(b.scopes))
