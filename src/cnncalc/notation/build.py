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
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from cnncalc.errors import ArgumentError, CnnCalcError, SpecError
from cnncalc.graph import Graph, Node, NodeIds, Scope
from cnncalc.layers.base import REGISTRY, resolve, unknown_layer
from cnncalc.notation.syntax import REQUIRED, Block, Call, Expr, Repeat, Size, Statement, caret, evaluate, show

LABEL_NUMBER = re.compile(r"(?P<base>[A-Za-z_]*[A-Za-z])[_-]?\d+")
MAX_NODES = 1_000_000
MAX_DEPTH = 50
BLOCK_INPUT = "in"


@dataclass
class _Scope:
    """Where statements are read: the top level, or one use of a block."""

    refs: dict[str, str] = field(default_factory=dict)  # node name -> node id
    bindings: dict[str, Any] = field(default_factory=dict)  # parameter -> value
    last: str | None = None
    prefix: str = ""
    in_block: bool = False
    stack: tuple[str, ...] = ()  # the blocks being expanded, to stop a block using itself


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
        if isinstance(st, Block):
            if scope.in_block:
                raise self.fail(SpecError(f"block '{st.name}' is defined inside another block"), st.line, st.column)
            self.blocks[st.name.lower()] = st
            self.kinds.clear()  # a name may mean the block now
            return
        start = self.start_of(st.chain, scope)
        if st.name is not None and not scope.in_block and not starts_node(start):
            self.definitions[st.name.lower()] = st
            self.kinds.clear()
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
        """Give the statement's last node the statement's name as its id, when this statement made it."""
        if not self.nodes or self.nodes[-1].id != node_id or len(self.nodes) <= first_new:
            return node_id
        wanted = self.ids.rename(node_id, scope.prefix + name)
        self.nodes[-1] = _with_id(self.nodes[-1], wanted)
        return wanted

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
        node_id = self.ids.new("input")
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
            if len(self.nodes) + times * len(el.chain) > MAX_NODES:
                raise self.fail(
                    SpecError(f"the repetition would make more than {MAX_NODES:,} layers"), el.line, el.column
                )
            before = len(self.nodes)
            for i in range(times):
                for inner in el.chain:
                    prev = self.element(inner, prev, stack, scope)
                if i == 0 and before + times * (len(self.nodes) - before) > MAX_NODES:  # nested or via blocks
                    raise self.fail(
                        SpecError(f"the repetition would make more than {MAX_NODES:,} layers"), el.line, el.column
                    )
            return prev  # type: ignore[return-value]
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
        return Call(name, args, kwargs, call.line, call.column, call.has_parens)

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
        for v in (*args, *[v for _, v in kwargs]):
            pending = _pending(v) if isinstance(v, (Expr, tuple)) else None
            if pending is not None:
                raise self.fail(
                    SpecError(
                        f"cannot work out {pending}: {', '.join(repr(n) for n in pending.names())} has no value",
                        hint="give it as a block or model argument",
                    ),
                    site.line,
                    site.column,
                )
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
                node_id = self.ids.new(scope.prefix + label)
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
        if len(self.nodes) >= MAX_NODES:
            raise self.fail(SpecError(f"the network would have more than {MAX_NODES:,} layers"), site.line, site.column)
        full = scope.prefix + label
        node_id = self.ids.new(full)
        source = node_source(label, args, kwargs, inputs if inputs != (prev,) else None, site.has_parens)
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
        if args or kwargs:
            raise self.fail(
                SpecError(
                    f"'{st.name}' is a block of {len(st.chain)} layers and takes no arguments",
                    hint=f"to give it parameters, write def {st.name}(c) {{ ... }}",
                ),
                site.line,
                site.column,
            )
        for element in st.chain:
            prev = self.element(element, prev, stack, scope)
        return prev  # type: ignore[return-value]

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
        bindings = {**self.top.bindings, **self.bind_block(block, site, args, kwargs)}
        key = block.name.lower()
        self.block_uses[key] = n = self.block_uses.get(key, 0) + 1
        inner = _Scope({BLOCK_INPUT: prev}, bindings, prev, f"{scope.prefix}{block.name}{n}.", True, (*stack, key))
        outer = self.within
        level = 0 if outer is None else self.scopes[outer].level + 1
        self.within = len(self.scopes)
        self.scopes.append(Scope(self.within, inner.prefix.rstrip("."), block.name, outer, level, block=True))
        try:
            for st in block.body:
                self.statement(st, inner)
        finally:
            self.within = outer
        return inner.last  # type: ignore[return-value]

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
        for name, default in block.params:
            if name not in bound:
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
        node_id = self.ids.new(label)
        source = Call(label, args, kwargs, site.line, site.column, True).source()
        node = Node(node_id, "input", label, tuple(args), kwargs, (), source, site.line, site.column, self.within)
        return self.add_node(node)


def _slot_writer(changed: tuple[str, ...], copy: bool) -> Any:
    """A Node made slot by slot in straight-line code (a frozen dataclass's own __init__, or dataclasses.replace,
    costs several times as much, and a network has thousands of nodes): ``make(*changed)`` with the other fields
    at their defaults, or ``make(node, *changed)``, a copy of ``node`` with ``changed`` fields."""
    head = ("node, " if copy else "") + ", ".join(changed)
    lines = [f"def make({head}):", "    new = new_node(Node)"]
    defaults: dict[str, Any] = {}
    for f in fields(Node):
        if f.name in changed:
            value = f.name
        elif copy:
            value = f"node.{f.name}"
        else:
            assert f.default is not MISSING
            defaults[f"default_{f.name}"] = f.default
            value = f"default_{f.name}"
        lines.append(f"    set_{f.name}(new, {value})")
    lines.append("    return new")
    scope: dict[str, Any] = {"new_node": object.__new__, "Node": Node, **defaults}
    scope.update({f"set_{f.name}": getattr(Node, f.name).__set__ for f in fields(Node)})
    exec("\n".join(lines), scope)
    return scope["make"]


_node = _slot_writer(("id", "kind", "label", "args", "kwargs", "inputs", "source", "line", "column", "scope"), False)
_with_id = _slot_writer(("id",), True)


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


def _pending(v: Any) -> Expr | None:
    if isinstance(v, Expr):
        return v
    if isinstance(v, tuple):
        for x in v:
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
) -> Graph:
    """The Graph the statements describe; ``params`` gives values to names used at the top level."""
    b = _Builder(text, input_shape, top=_Scope(bindings=dict(params or {})))
    for st in statements:
        b.statement(st, b.top)
    if not b.nodes:
        raise SpecError("the text describes no layers", hint="e.g. input(32,32,3) -> conv(8, f=5) -> fc(10)")
    return Graph(tuple(b.nodes), scopes=tuple(b.scopes))
