"""Turn parsed statements into a Graph: resolve names, aliases and repetitions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cnncalc.errors import ArgumentError, CnnCalcError, SpecError
from cnncalc.graph import Graph, Node
from cnncalc.layers.base import REGISTRY, resolve, unknown_layer
from cnncalc.notation.parser import Call, Repeat, Statement, caret, show

LABEL_NUMBER = re.compile(r"(?P<base>[A-Za-z_]*[A-Za-z])[_-]?\d+")
MAX_NODES = 1_000_000
MAX_DEPTH = 100


@dataclass
class _Builder:
    text: str
    input_shape: tuple[int, ...] | None
    definitions: dict[str, Statement] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    used_ids: dict[str, int] = field(default_factory=dict)
    last: str | None = None

    def fail(self, err: CnnCalcError, line: int, column: int) -> CnnCalcError:
        if err.line is None:
            err.line, err.column = line, column
            err.context = caret(self.text, line, column)
        return err

    def new_id(self, label: str) -> str:
        base = label.lower()
        n = self.used_ids.get(base, 0) + 1
        node_id = base if n == 1 else f"{base}_{n}"
        while node_id in self.used_ids and node_id != base:  # a label may itself read 'conv_2'
            n += 1
            node_id = f"{base}_{n}"
        self.used_ids[base] = n
        self.used_ids.setdefault(node_id, 1)
        return node_id

    # -- statements

    def statement(self, st: Statement) -> None:
        if st.name is not None and not self.starts_with_input(st.chain):
            self.definitions[st.name.lower()] = st
            return
        prev = self.last
        if not self.starts_with_input(st.chain):
            if prev is None:
                prev = self.implicit_input(st.chain[0])
        else:
            prev = None
        for element in st.chain:
            prev = self.element(element, prev, ())
        self.last = prev

    def starts_with_input(self, chain: tuple[Call | Repeat, ...]) -> bool:
        first = chain[0]
        if not isinstance(first, Call):
            return False
        target = self.lookup(first, ())
        return isinstance(target, tuple) and target[0] == "input"

    def implicit_input(self, first: Call | Repeat) -> str:
        if self.input_shape is None:
            raise self.fail(
                SpecError("the network needs an input shape", hint="start with input(32,32,3) or give --input 32,32,3"),
                first.line,
                first.column,
            )
        node_id = self.new_id("input")
        self.nodes.append(Node(node_id, "input", "input", self.input_shape, (), (), "input"))
        return node_id

    # -- elements

    def element(self, el: Call | Repeat, prev: str | None, stack: tuple[str, ...]) -> str:
        if isinstance(el, Repeat):
            if el.times < 1:
                raise self.fail(
                    SpecError(f"a repetition needs a count of at least 1 (got {el.times})"), el.line, el.column
                )
            if len(self.nodes) + el.times * len(el.chain) > MAX_NODES:
                raise self.fail(
                    SpecError(f"the repetition would make more than {MAX_NODES:,} layers"), el.line, el.column
                )
            before = len(self.nodes)
            for i in range(el.times):
                for inner in el.chain:
                    prev = self.element(inner, prev, stack)
                if i == 0 and before + el.times * (len(self.nodes) - before) > MAX_NODES:  # nested or via blocks
                    raise self.fail(
                        SpecError(f"the repetition would make more than {MAX_NODES:,} layers"), el.line, el.column
                    )
            return prev  # type: ignore[return-value]
        return self.call(el, prev, stack, el.name, el.args, el.kwargs)

    def lookup(self, call: Call, stack: tuple[str, ...]) -> tuple[str, tuple] | Statement:
        """A definition, or a registered kind with its preset keywords; trailing numbers are labels."""
        for word in self.candidates(call.name):
            st = self.definitions.get(word.lower())
            if st is not None and word.lower() not in stack:
                return st
            alias = resolve(word)
            if alias is not None:
                return (alias.kind, alias.preset)
        raise self.fail(unknown_layer(call.name, list(self.definitions)), call.line, call.column)

    @staticmethod
    def candidates(name: str) -> list[str]:
        m = LABEL_NUMBER.fullmatch(name)
        return [name, m.group("base")] if m else [name]

    def call(
        self,
        site: Call,
        prev: str | None,
        stack: tuple[str, ...],
        label: str,
        args: tuple[Any, ...],
        kwargs: tuple[tuple[str, Any], ...],
    ) -> str:
        target = self.lookup(site, stack)
        if isinstance(target, Statement):
            return self.expand(target, site, prev, stack, label, args, kwargs)
        kind, preset = target
        if preset:
            self.check_preset(site, kind, preset, kwargs)
        merged = _merge(preset, kwargs)
        if kind == "input":
            if prev is not None:
                raise self.fail(
                    SpecError(f"{label} can only start a chain, but it follows another layer"), site.line, site.column
                )
            return self.input_node(site, label, args, merged)
        if prev is None:
            raise self.fail(
                SpecError(f"{label} has no input", hint="start the chain with input(...)"), site.line, site.column
            )
        if len(self.nodes) >= MAX_NODES:
            raise self.fail(SpecError(f"the network would have more than {MAX_NODES:,} layers"), site.line, site.column)
        node_id = self.new_id(label)
        source = Call(label, args, kwargs, site.line, site.column, site.has_parens).source()
        self.nodes.append(Node(node_id, kind, label, args, merged, (prev,), source, site.line, site.column))
        return node_id

    def expand(
        self,
        st: Statement,
        site: Call,
        prev: str | None,
        stack: tuple[str, ...],
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
            return self.call(inner, prev, stack, label, use_args, _merge(inner.kwargs, kwargs))
        if args or kwargs:
            raise self.fail(
                SpecError(f"'{st.name}' is a block of {len(st.chain)} layers and takes no arguments"),
                site.line,
                site.column,
            )
        for element in st.chain:
            prev = self.element(element, prev, stack)
        return prev  # type: ignore[return-value]

    def check_preset(
        self, site: Call, kind: str, preset: tuple[tuple[str, Any], ...], kwargs: tuple[tuple[str, Any], ...]
    ) -> None:
        """A built-in name's preset is part of its meaning: ``FCwB(5, bias=false)`` contradicts itself."""
        words = {w.lower(): p.name for p in REGISTRY[kind].params for w in (p.name, *p.aliases)}
        fixed = dict(preset)
        for word, value in kwargs:
            name = words.get(word.lower())
            if isinstance(value, str) and isinstance(fixed.get(name), bool):
                value = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}.get(
                    value.lower(), value
                )
            if name in fixed and value != fixed[name]:
                raise self.fail(
                    ArgumentError(
                        f"{site.name} always has {name}={show(fixed[name])}, but it is given {word}={show(value)}",
                        hint=f"write {kind}(...) to choose {name} yourself",
                    ),
                    site.line,
                    site.column,
                )

    def input_node(self, site: Call, label: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> str:
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
        self.nodes.append(Node(node_id, "input", label, tuple(args), kwargs, (), source, site.line, site.column))
        return node_id


def _merge(base: tuple[tuple[str, Any], ...], override: tuple[tuple[str, Any], ...]) -> tuple[tuple[str, Any], ...]:
    keys = {k.lower() for k, _ in override}
    return tuple((k, v) for k, v in base if k.lower() not in keys) + tuple(override)


def build_graph(statements: list[Statement], text: str, input_shape: tuple[int, ...] | None = None) -> Graph:
    """The Graph the statements describe."""
    b = _Builder(text, input_shape)
    for st in statements:
        b.statement(st)
    if not b.nodes:
        raise SpecError("the text describes no layers", hint="e.g. input(32,32,3) -> conv(8, f=5) -> fc(10)")
    return Graph(tuple(b.nodes))
