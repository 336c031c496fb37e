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

from pathlib import Path
from typing import Any

from cnncalc.documents import check_nesting, checked, kind_of_value, load_json, load_yaml, read_text, shown
from cnncalc.errors import SpecError
from cnncalc.frontends.common import GraphMaker
from cnncalc.graph import Graph
from cnncalc.limits import guard

TOP_KEYS = ("name", "title", "input", "layout", "layers")
LAYER_KEYS = ("kind", "name", "inputs", "args")


def load(path: str | Path) -> Graph:
    """The Graph of a ``.yaml``/``.yml``/``.json`` spec file (read whole, within ``file_bytes``)."""
    path = Path(path)
    text = read_text(path)
    return loads(text, fmt="json" if path.suffix.lower() == ".json" else "yaml", source=str(path))


def loads(text: str, *, fmt: str = "yaml", source: str = "the spec") -> Graph:
    """The Graph of a spec given as text (``fmt`` is ``yaml`` or ``json``; JSON is also valid YAML).

    Read by :mod:`cnncalc.documents`: a key given twice, nesting past ``nesting`` levels and YAML aliases
    expanding past ``yaml_nodes`` values are refused before anything is built.
    """
    data = load_json(text, source) if fmt == "json" else load_yaml(text, source)
    return from_dict(data, source=source)


def _value(v: Any, where: str) -> Any:
    """A spec's value as the notation would give it: lists become tuples; numbers checked; no mappings."""
    if isinstance(v, list):
        return tuple(_value(x, where) for x in v)
    if isinstance(v, dict):
        raise SpecError(f"{where}: a value cannot be a mapping (got {shown(v)})")
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v  # its numbers are checked where they enter the Graph (GraphMaker.layer)
    raise SpecError(f"{where}: a value is a number, text, true/false or a list (got {shown(v)})")


def from_dict(data: Any, *, source: str = "the spec") -> Graph:
    """The Graph of a spec already loaded into Python data (a dict with ``layers``)."""
    if data is None or data == {}:
        raise SpecError(f"{source} is empty: a spec is a mapping with 'layers'", hint="see docs/spec.md")
    if not isinstance(data, dict):
        raise SpecError(f"{source} must be a mapping with 'layers' (got {kind_of_value(data)})")
    check_nesting(data, source)  # Python data given directly: the file readers checked theirs already
    for key in data:
        if key not in TOP_KEYS:
            raise SpecError(f"{source}: unknown field {shown(key)} (fields: {', '.join(TOP_KEYS)})")
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers:
        got = "an empty list" if isinstance(layers, list) else kind_of_value(layers)
        raise SpecError(f"{source}: 'layers' must be a non-empty list of layers (got {got})")
    guard("layers", len(layers) + (data.get("input") is not None), f"{source} has {len(layers):,} layers")
    m = GraphMaker()
    if data.get("input") is not None:
        shape = data["input"]
        if isinstance(shape, int) and not isinstance(shape, bool):
            shape = [shape]
        checked(shape, f"{source}: 'input'")
        if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
            raise SpecError(f"{source}: 'input' must be a list of whole numbers like [32, 32, 3] (got {shown(shape)})")
        kwargs = (("layout", data["layout"]),) if data.get("layout") is not None else ()
        m.layer("input", tuple(shape), kwargs, where="input")
    elif data.get("layout") is not None:
        raise SpecError(f"{source}: 'layout' needs 'input'")
    for i, item in enumerate(layers, start=1):
        where = f"layer {i}"
        if isinstance(item, str):
            item = {"kind": item}
        if not isinstance(item, dict):
            raise SpecError(f"{where}: a layer is a mapping with 'kind' or a kind name (got {shown(item)})")
        if "kind" not in item:
            raise SpecError(f"{where}: missing 'kind' (e.g. kind: conv)")
        word = item["kind"]
        name = item.get("name")
        label = name if isinstance(name, str) and name else word if isinstance(word, str) else ""
        where = f"layer {i} ({label[:40]})" if label else where
        inputs = item.get("inputs")
        if isinstance(inputs, str):
            inputs = [inputs]
        if inputs is not None and (not isinstance(inputs, list) or not all(isinstance(x, str) for x in inputs)):
            raise SpecError(f"{where}: 'inputs' must be a node name or a list of them (got {shown(inputs)})")
        raw_args = item.get("args")
        if raw_args is None:
            args: tuple[Any, ...] = ()
        elif isinstance(raw_args, list):
            args = tuple(_value(a, f"{where} 'args'") for a in raw_args)
        else:
            args = (_value(raw_args, f"{where} 'args'"),)
        kwargs = tuple((str(k), _value(v, f"{where} '{k}'")) for k, v in item.items() if k not in LAYER_KEYS)
        m.layer(word, args, kwargs, inputs=inputs, name=name, where=where)
    return m.graph(title_of(data))


def title_of(data: Any) -> str:
    return str(data.get("name") or data.get("title") or "") if isinstance(data, dict) else ""
