"""Reading what a user names, within the limits: a file whole, a JSON or YAML document, and its fields.

Every front-end that reads a document comes here, so that each cost is bounded before it is paid
(:mod:`cnncalc.limits`) and each mistake is said in the user's words, naming the file and the field:

- :func:`read_bytes`, :func:`read_text`: a file read whole, refused past ``file_bytes`` before it is read;
- :func:`load_json`, :func:`load_yaml`: a document, with a key given twice in one mapping refused (the
  last would silently win), nesting refused past ``nesting`` levels, YAML aliases refused when they
  would expand past ``yaml_nodes`` values (a billion-laughs file of a few hundred bytes), and whole
  numbers longer than a number may be kept as :class:`~cnncalc.numbers.Digits`, for the field that
  reads one to refuse it by name;
- :class:`Fields`: a mapping's values read with their types checked, every problem naming the field.

>>> load_json('{"units": 10, "bias": true}', "net.json")
{'units': 10, 'bias': True}
>>> load_json('{"units": 10, "units": 12}', "net.json")
Traceback (most recent call last):
    ...
cnncalc.errors.SpecError: net.json: 'units' is given twice in one mapping (which one is meant?)
>>> load_yaml("a: &x [1, 2]\\nb: [*x, *x]", "net.yaml")  # 13 values once expanded, well within yaml_nodes
{'a': [1, 2], 'b': [[1, 2], [1, 2]]}
>>> Fields({"filters": 8.5}, "layer c (Conv2D)").whole("filters")
Traceback (most recent call last):
    ...
cnncalc.errors.SpecError: layer c (Conv2D): 'filters' must be a whole number (got 8.5)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from cnncalc.errors import ArgumentError, LimitError, SpecError
from cnncalc.limits import guard, value
from cnncalc.numbers import Digits, max_digits, number

MAX_SIZE = 2**63 - 1  # every size must fit the int64 a framework indexes with


# ---------------------------------------------------------------- files


def read_bytes(path: str | Path, what: str | None = None) -> bytes:
    """A file's bytes, read whole: refused (before it is opened) when it is larger than ``file_bytes``."""
    p = Path(path)
    what = what or str(path)
    try:
        stat = p.stat()
    except (FileNotFoundError, ValueError):  # ValueError: a name with a NUL character, which no file has
        raise SpecError(f"no such file: {what}") from None
    except OSError as e:
        raise SpecError(f"cannot read {what}: {e.strerror or 'the system refused'}") from None
    if p.is_dir():
        raise SpecError(f"{what} is a folder, not a file")
    if not p.is_file():
        raise SpecError(f"{what} is not a regular file (a device, a pipe or a socket)")
    guard("file_bytes", stat.st_size, f"{what} is {stat.st_size:,} bytes")
    cap = value("file_bytes")
    try:
        with open(p, "rb") as f:
            data = f.read(cap + 1)
    except OSError as e:
        raise SpecError(f"cannot read {what}: {e.strerror or 'the system refused'}") from None
    guard("file_bytes", len(data), f"{what} holds more than {cap:,} bytes")  # it grew since it was measured
    return data


def read_text(path: str | Path, what: str | None = None) -> str:
    """A text file, read whole (UTF-8; a byte order mark, as Notepad writes one, is dropped)."""
    return decode(read_bytes(path, what), what or str(path))


def decode(data: bytes, what: str) -> str:
    """UTF-8 bytes as text, or an error saying where they stop being text."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SpecError(f"{what} is not a text file (a byte that is not UTF-8 at byte {e.start:,})") from None


# ---------------------------------------------------------------- JSON


def load_json(text: str | bytes, source: str) -> Any:
    """A JSON document, with duplicate keys, deep nesting and over-long whole numbers refused or marked."""
    import json

    if isinstance(text, bytes):
        text = decode(text, source)
    text = text.removeprefix("\ufeff")
    try:
        data = json.loads(text, object_pairs_hook=_unique(source), parse_int=_whole)
    except json.JSONDecodeError as e:
        raise SpecError(f"{source} is not valid JSON: {e.msg}", line=e.lineno, column=e.colno) from None
    except RecursionError:  # deeper than Python's own reader goes: said as the limit it is over
        raise _too_deep(source, _bracket_depth(text)) from None
    check_nesting(data, source)
    return data


def _unique(source: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):
            seen: set[str] = set()
            for key, _ in items:
                if key in seen:
                    raise SpecError(f"{source}: {shown(key)} is given twice in one mapping (which one is meant?)")
                seen.add(key)
        return out

    return pairs


def _whole(text: str) -> int | Digits:
    """A JSON whole number; one longer than a number may be is kept as its text, for its field to refuse."""
    return Digits(text) if len(text) > max_digits() + 1 else int(text)


def _bracket_depth(text: str) -> int:
    """How deep a JSON text's brackets go (on the error path only, when Python's reader gave up)."""
    import re

    depth = deepest = 0
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]', text):
        c = m.group(0)
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


def _too_deep(source: str, depth: int) -> LimitError:
    return LimitError(f"{source} nests values {depth:,} levels deep", limit="nesting", cap=value("nesting"))


def check_nesting(data: Any, source: str) -> None:
    """Refuse a document (or Python data standing for one) whose values nest deeper than ``nesting`` levels.

    A mapping or list of plain values is one level. Data that holds itself is infinitely deep: refused too.
    """
    cap = value("nesting")
    stack = [(data, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict):
            children: Any = v.values()
        elif isinstance(v, (list, tuple)):
            children = v
        else:
            continue
        if depth > cap:
            raise _too_deep(source, depth) if depth < 10 * cap else _deeper(source, cap)
        stack.extend([(c, depth + 1) for c in children if isinstance(c, (dict, list, tuple))])


def _deeper(source: str, cap: int) -> LimitError:
    return LimitError(f"{source} nests values more than {cap:,} levels deep", limit="nesting", cap=cap)


# ---------------------------------------------------------------- YAML


def load_yaml(text: str, source: str) -> Any:
    """A YAML document (the safe subset: no Python objects), its costs counted before its values are made.

    The composer's tree is measured first: nesting past ``nesting`` levels is refused as it is read, and
    the values the document holds once every alias is expanded (``&a [*b, *b]`` doubles ``b``) are counted
    against ``yaml_nodes``, before any value is made. A key given twice in one mapping is refused.
    """
    import yaml

    loader = _yaml_loader()(text)
    loader.source = source
    try:
        return loader.get_single_data()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = getattr(e, "problem", None) or "it cannot be read"
        raise SpecError(f"{source} is not valid YAML: {problem}", line=line, column=column) from None
    except RecursionError:  # the nesting limit raised past what Python's own stack allows
        raise _deeper(source, value("nesting")) from None
    finally:
        loader.dispose()


@cache
def _yaml_loader() -> type:
    """yaml.SafeLoader, counting what it composes (made once, when a YAML document is first read)."""
    import yaml
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    class Loader(yaml.SafeLoader):
        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            self.depth = 0
            self.composed = 0
            self.source = "the YAML"

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                return super().compose_node(parent, index)
            self.depth += 1
            self.composed += 1
            mark = self.peek_event().start_mark
            where = {"line": mark.line + 1, "column": mark.column + 1}
            if self.depth > value("nesting"):
                raise LimitError(
                    f"{self.source} nests values more than {value('nesting'):,} levels deep",
                    limit="nesting",
                    cap=value("nesting"),
                    **where,  # type: ignore[arg-type]
                )
            guard("yaml_nodes", self.composed, f"{self.source} holds more values than that", **where)
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def compose_document(self) -> Any:
            node = super().compose_document()
            if node is not None:
                measure(node, self.source)
            return node

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, MappingNode):
                seen: dict[Any, int] = {}
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":  # '<<: *base' may be overridden: not a twin
                        continue
                    key = self.construct_object(key_node, deep=True)
                    line = key_node.start_mark.line + 1
                    try:
                        first = seen.get(key)
                    except TypeError:  # a list as a key: PyYAML says what is wrong with it
                        break
                    if first is not None:
                        raise SpecError(
                            f"{self.source}: {shown(key)} is given twice in one mapping (lines {first} and {line}:"
                            " which one is meant?)",
                            line=line,
                            column=key_node.start_mark.column + 1,
                        )
                    seen[key] = line
            return super().construct_mapping(node, deep=deep)

        def construct_yaml_int(self, node: Any) -> Any:
            text = str(self.construct_scalar(node)).replace("_", "")
            if sum(c.isdigit() for c in text) > max_digits() + 1:
                return Digits(text)
            return super().construct_yaml_int(node)

    Loader.add_constructor("tag:yaml.org,2002:int", Loader.construct_yaml_int)

    def measure(root: Any, source: str) -> None:
        """Count the values of the tree once aliases are expanded, and its depth, without expanding it."""
        size: dict[int, int] = {}
        depth: dict[int, int] = {}
        deepest = value("nesting")
        stack: list[tuple[Any, bool]] = [(root, False)]
        busy: set[int] = set()
        while stack:
            node, done = stack.pop()
            key = id(node)
            if isinstance(node, ScalarNode) or key in size:
                size.setdefault(key, 1)
                depth.setdefault(key, 0)
                continue
            if isinstance(node, SequenceNode):
                children = list(node.value)
            else:
                children = [x for pair in node.value for x in pair]
            if not done:
                if key in busy:  # reached again while its own values are being counted: it holds itself
                    mark = node.start_mark
                    raise SpecError(
                        f"{source}: an alias refers to a value that holds the alias itself (it never ends)",
                        line=mark.line + 1,
                        column=mark.column + 1,
                    )
                busy.add(key)
                stack.append((node, True))
                stack.extend((c, False) for c in children if id(c) not in size)
                continue
            busy.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            mark = node.start_mark
            where = {"line": mark.line + 1, "column": mark.column + 1}
            guard("yaml_nodes", size[key], f"{source}'s aliases expand to {size[key]:,} values", **where)
            if depth[key] > deepest:
                raise LimitError(
                    f"{source}'s aliases nest values {depth[key]:,} levels deep", limit="nesting", cap=deepest, **where
                )

    return Loader


# ---------------------------------------------------------------- values in messages


def shown(v: Any, room: int = 40) -> str:
    """A value as a message shows it, short whatever its size: ``'relu'``, ``[3, 3]``, ``a number of 5,000 digits``.

    >>> shown("relu"), shown([3, 3]), shown(None), shown({"a": 1}), shown(float("nan"))
    ("'relu'", '[3, 3]', 'null', "{'a': 1}", 'NaN')
    """
    text = _show(v, 2)
    return text if len(text) <= room else text[: room - 3] + "..."


def _show(v: Any, levels: int) -> str:
    if isinstance(v, Digits):
        return f"a number of {v.digits():,} digits"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "NaN" if math.isnan(v) else ("-" if v < 0 else "") + "Infinity" if math.isinf(v) else repr(v)
    if isinstance(v, int):
        return str(v) if abs(v) < 10**60 else f"a number of about {int(abs(v).bit_length() * 0.30103) + 1:,} digits"
    if isinstance(v, str):
        return repr(v[:60])
    if isinstance(v, (list, tuple)):
        if levels <= 0:
            return "[...]"
        inner = ", ".join(_show(x, levels - 1) for x in list(v)[:4])
        return f"[{inner}{', ...' if len(v) > 4 else ''}]"
    if isinstance(v, dict):
        if levels <= 0:
            return "{...}"
        items = list(v.items())[:3]
        inner = ", ".join(f"{_show(k, 0)}: {_show(x, levels - 1)}" for k, x in items)
        return f"{{{inner}{', ...' if len(v) > 3 else ''}}}"
    return f"a value of another kind ({str(v)[:30]})"


def kind_of_value(v: Any) -> str:
    """What a value is, in a document's words: 'a list', 'a mapping', 'text', 'a number', 'null'.

    >>> kind_of_value([1]), kind_of_value({}), kind_of_value("x"), kind_of_value(None)
    ('a list', 'a mapping', 'text', 'null')
    """
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true or false"
    if isinstance(v, (int, float, Digits)):
        return "a number"
    if isinstance(v, str):
        return "text"
    if isinstance(v, (list, tuple)):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return "a value of another kind"


# ---------------------------------------------------------------- fields

MISSING: Any = object()


class Fields:
    """A mapping from a document, read field by field with the types checked; every problem names the field.

    ``where`` says whose fields they are ('layer conv1 (Conv2D)', 'config.json'); ``aliases`` gives other
    spellings of a key (``{"n_embd": ("hidden_size",)}``); ``needs`` ends the message for a missing key.

    >>> f = Fields({"units": 10, "use_bias": False, "rate": float("nan")}, "layer d (Dense)")
    >>> f.whole("units"), f.flag("use_bias", True), f.whole("groups", 1)
    (10, False, 1)
    >>> f.number("rate")
    Traceback (most recent call last):
        ...
    cnncalc.errors.SpecError: layer d (Dense): 'rate' must be a finite number (got NaN)
    >>> f.whole("filters")
    Traceback (most recent call last):
        ...
    cnncalc.errors.SpecError: layer d (Dense): 'filters' is missing
    """

    def __init__(
        self,
        data: Any,
        where: str,
        *,
        aliases: Mapping[str, tuple[str, ...]] | None = None,
        needs: str = "",
    ) -> None:
        if not isinstance(data, dict):
            raise SpecError(f"{where} must be a mapping of fields (got {kind_of_value(data)} {shown(data)})")
        self.data = data
        self.where = where
        self.aliases = aliases or {}
        self.needs = needs

    def error(self, key: str, text: str) -> SpecError:
        return SpecError(f"{self.where}: '{key}' {text}")

    def wrong(self, key: str, expected: str, v: Any) -> SpecError:
        return self.error(key, f"must be {expected} (got {shown(v)})")

    def has(self, key: str) -> bool:
        return any(self.data.get(k) is not None for k in (key, *self.aliases.get(key, ())))

    def raw(self, key: str, default: Any = MISSING) -> Any:
        """The value as written (null counts as not given), or ``default``; missing without one is an error."""
        for name in (key, *self.aliases.get(key, ())):
            v = self.data.get(name)
            if v is not None:
                return v
        if default is MISSING:
            raise self.error(key, f"is missing{self.needs}")
        return default

    def value(self, key: str, default: Any = MISSING) -> Any:
        """The value as written, any shape, with every number in it checked (finite, not over-long)."""
        v = self.raw(key, default)
        if v is not default:
            checked(v, f"{self.where}: '{key}'")
        return v

    def whole(self, key: str, default: Any = MISSING, *, minimum: int = 1, maximum: int = MAX_SIZE) -> Any:
        """A whole number from ``minimum`` to ``maximum`` (a JSON number, not text)."""
        v = self.raw(key, default)
        if v is default and default is not MISSING:
            return v
        if isinstance(v, bool) or not isinstance(v, (int, Digits)):
            raise self.wrong(key, "a whole number", v)
        try:
            n = number(v, f"'{key}'")
        except ArgumentError as e:
            raise SpecError(f"{self.where}: {e.message}") from None
        if n < minimum:
            raise self.wrong(key, "positive" if minimum == 1 else f"at least {minimum:,}", v)
        if n > maximum:
            why = "every size must fit in 64 bits" if maximum == MAX_SIZE else "no more"
            raise self.error(key, f"must be at most {maximum:,} ({why}; got {shown(v)})")
        return n

    def number(
        self, key: str, default: Any = MISSING, *, minimum: float | None = None, maximum: float | None = None
    ) -> Any:
        """A finite number (from ``minimum`` to ``maximum`` when given)."""
        v = self.raw(key, default)
        if v is default and default is not MISSING:
            return v
        if isinstance(v, bool) or not isinstance(v, (int, float, Digits)):
            raise self.wrong(key, "a number", v)
        if isinstance(v, float) and not math.isfinite(v):
            raise self.wrong(key, "a finite number", v)
        try:
            x = number(v, f"'{key}'")
        except ArgumentError as e:
            raise SpecError(f"{self.where}: {e.message}") from None
        if (minimum is not None and x < minimum) or (maximum is not None and x > maximum):
            low = "" if minimum is None else f"at least {minimum:g}"
            high = "" if maximum is None else f"at most {maximum:g}"
            raise self.wrong(key, " and ".join(p for p in (low, high) if p), v)
        return float(x)

    def flag(self, key: str, default: Any = MISSING) -> Any:
        """true or false."""
        v = self.raw(key, default)
        if v is default and default is not MISSING:
            return v
        if not isinstance(v, bool):
            raise self.wrong(key, "true or false", v)
        return v

    def word(self, key: str, default: Any = MISSING, choices: tuple[str, ...] = ()) -> Any:
        """Text (one of ``choices`` when given, in any case)."""
        v = self.raw(key, default)
        if v is default and default is not MISSING:
            return v
        if not isinstance(v, str) or isinstance(v, Digits) or (choices and v.lower() not in choices):
            raise self.wrong(key, f"one of {', '.join(choices)}" if choices else "text", v)
        return v

    def wholes(self, key: str, default: Any = MISSING, *, minimum: int = 1) -> Any:
        """A list of whole numbers (from ``minimum``)."""
        v = self.raw(key, default)
        if v is default and default is not MISSING:
            return v
        if not isinstance(v, list):
            raise self.wrong(key, "a list of whole numbers", v)
        return [Fields({key: x}, self.where).whole(key, minimum=minimum) for x in v]

    def fields(self, key: str, default: Any = MISSING) -> Any:
        """A nested mapping, as Fields of its own ('where' names the key); a default mapping is wrapped too."""
        v = self.raw(key, default)
        if v is default and default is not MISSING and not isinstance(v, dict):
            return v
        if not isinstance(v, dict):
            raise self.wrong(key, "a mapping", v)
        return Fields(v, f"{self.where} '{key}'")

    def entries(self, key: str, default: Any = MISSING) -> Any:
        """A list, as written."""
        v = self.raw(key, default)
        if v is default and default is not MISSING:
            return v
        if not isinstance(v, list):
            raise self.wrong(key, "a list", v)
        return v


def checked(v: Any, what: str) -> Any:
    """``v`` with every number in it checked where it enters: no NaN, no infinity, no over-long whole number.

    >>> checked([3, 3], "'kernel_size'")
    [3, 3]
    >>> checked([3, float("inf")], "'kernel_size'")
    Traceback (most recent call last):
        ...
    cnncalc.errors.SpecError: 'kernel_size' must be a finite number (got Infinity)
    """
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, float):
            if not math.isfinite(x):
                raise SpecError(f"{what} must be a finite number (got {shown(x)})")
        elif isinstance(x, (int, Digits)) and not isinstance(x, bool):
            try:
                number(x, what)
            except ArgumentError as e:
                raise SpecError(e.message) from None
    return v


__all__ = [
    "Fields",
    "check_nesting",
    "checked",
    "decode",
    "kind_of_value",
    "load_json",
    "load_yaml",
    "read_bytes",
    "read_text",
    "shown",
]
