"""YAML and JSON specs (schema in docs/spec.md): a list of layers, each a mapping, to a Graph.

::

    name: small residual net
    input: [32, 32, 3]          # shape as shown, channels last
    layers:
      - {kind: conv, args: [16], f: 3, p: 1, name: stem}
      - {kind: conv, args: [16], f: 3, p: 1}
      - {kind: add, inputs: [stem]}      # reads the previous layer and stem
      - gap
      - {kind: fc, args: [10]}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cnncalc.errors import SpecError, type_name
from cnncalc.frontends.common import GraphMaker
from cnncalc.graph import Graph

TOP_KEYS = ("name", "title", "input", "layout", "layers")
LAYER_KEYS = ("kind", "name", "inputs", "args")


def load(path: str | Path) -> Graph:
    """The Graph of a ``.yaml``/``.yml``/``.json`` spec file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte order mark, as Notepad writes one, is dropped
    except OSError as e:
        raise SpecError(f"cannot read {path}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise SpecError(f"{path} is not a text file ({e.reason} at byte {e.start})") from None
    return loads(text, fmt="json" if path.suffix.lower() == ".json" else "yaml", source=str(path))


def loads(text: str, *, fmt: str = "yaml", source: str = "the spec") -> Graph:
    """The Graph of a spec given as text (``fmt`` is ``yaml`` or ``json``; JSON is also valid YAML)."""
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise SpecError(f"{source} is not valid JSON: {e.msg}", line=e.lineno, column=e.colno) from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            column = mark.column + 1 if mark is not None else None
            problem = getattr(e, "problem", None) or str(e)
            raise SpecError(f"{source} is not valid YAML: {problem}", line=line, column=column) from None
    return from_dict(data, source=source)


def _value(v: Any, where: str) -> Any:
    """A YAML value as the notation would give it: lists become tuples; no mappings."""
    if isinstance(v, list):
        return tuple(_value(x, where) for x in v)
    if isinstance(v, dict):
        raise SpecError(f"{where}: a value cannot be a mapping ({v!r})")
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    raise SpecError(f"{where}: unsupported value {v!r}")


def from_dict(data: Any, *, source: str = "the spec") -> Graph:
    """The Graph of a spec already loaded into Python data (a dict with ``layers``)."""
    if not isinstance(data, dict):
        raise SpecError(f"{source} must be a mapping with 'layers' (got {type_name(data)})")
    for key in data:
        if key not in TOP_KEYS:
            raise SpecError(f"{source}: unknown field '{key}' (fields: {', '.join(TOP_KEYS)})")
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers:
        raise SpecError(f"{source}: 'layers' must be a non-empty list of layers")
    m = GraphMaker()
    if data.get("input") is not None:
        shape = data["input"]
        if isinstance(shape, int):
            shape = [shape]
        if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
            raise SpecError(f"{source}: 'input' must be a list of whole numbers like [32, 32, 3] (got {shape!r})")
        kwargs = (("layout", data["layout"]),) if data.get("layout") is not None else ()
        m.layer("input", tuple(shape), kwargs, where="input")
    elif data.get("layout") is not None:
        raise SpecError(f"{source}: 'layout' needs 'input'")
    for i, item in enumerate(layers, start=1):
        where = f"layer {i}"
        if isinstance(item, str):
            item = {"kind": item}
        if not isinstance(item, dict):
            raise SpecError(f"{where}: a layer is a mapping with 'kind' or a kind name (got {item!r})")
        if "kind" not in item:
            raise SpecError(f"{where}: missing 'kind' (e.g. kind: conv)")
        word = item["kind"]
        name = item.get("name")
        where = f"layer {i} ({name})" if name else f"layer {i} ({word})"
        inputs = item.get("inputs")
        if isinstance(inputs, str):
            inputs = [inputs]
        if inputs is not None and (not isinstance(inputs, list) or not all(isinstance(x, str) for x in inputs)):
            raise SpecError(f"{where}: 'inputs' must be a node name or a list of them (got {inputs!r})")
        raw_args = item.get("args")
        if raw_args is None:
            args: tuple[Any, ...] = ()
        elif isinstance(raw_args, list):
            args = tuple(_value(a, where) for a in raw_args)
        else:
            args = (_value(raw_args, where),)
        kwargs = tuple((str(k), _value(v, f"{where} '{k}'")) for k, v in item.items() if k not in LAYER_KEYS)
        m.layer(word, args, kwargs, inputs=inputs, name=name, where=where)
    return m.graph(title_of(data))


def title_of(data: Any) -> str:
    return str(data.get("name") or data.get("title") or "") if isinstance(data, dict) else ""
