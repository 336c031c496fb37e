"""Classic architectures, each a readable notation file in this folder (docs/zoo.md).

A file starts with a comment line describing the model and a line
``# args: classes=1000, size=224`` naming the arguments it takes and their
defaults; the text uses those names as values.

>>> r = analyze("resnet50")
>>> r.totals.params  # torchvision's resnet50: 25,557,032
25557032
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from cnncalc.conventions import Convention, Layout
from cnncalc.errors import ArgumentError, CnnCalcError, SpecError
from cnncalc.graph import Graph
from cnncalc.report import Report

ARGS_LINE = re.compile(r"^#\s*args:\s*(?P<args>.*)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Model:
    """A zoo entry: its name, description (its file's first comment lines), arguments with defaults, and text."""

    name: str
    description: str
    defaults: dict[str, int | float | str]
    text: str


def _value(text: str) -> int | float | str:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def names() -> list[str]:
    """The zoo's model names, sorted."""
    return sorted(p.name[:-4] for p in files("cnncalc.zoo").iterdir() if p.name.endswith(".cnn"))


def model(name: str) -> Model:
    """A zoo model by name (torchvision's spelling: ``resnet50``, ``vgg16_bn``)."""
    key = name.lower().replace("-", "_")
    if key not in names():
        import difflib

        near = difflib.get_close_matches(key, names(), n=3)
        hint = f"did you mean {' or '.join(near)}?" if near else "run `cnncalc zoo` to list them"
        raise SpecError(f"the zoo has no model '{name}'", hint=hint)
    text = files("cnncalc.zoo").joinpath(f"{key}.cnn").read_text(encoding="utf-8")
    head = []  # the comment lines above "# args:", the whole description
    for line in text.splitlines():
        if not line.startswith("#") or ARGS_LINE.match(line):
            break
        head.append(line.lstrip("# ").strip())
    first = " ".join(head)
    m = ARGS_LINE.search(text)
    defaults: dict[str, int | float | str] = {}
    if m:
        for part in m.group("args").split(","):
            if part.strip():
                k, _, v = part.partition("=")
                defaults[k.strip()] = _value(v.strip())
    return Model(key, first, defaults, text)


def parse_args(pairs: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``["classes=10", "size=160"]`` as ``{"classes": 10, "size": 160}``."""
    out: dict[str, Any] = {}
    for pair in pairs:
        k, sep, v = pair.partition("=")
        if not sep or not k.strip():
            raise ArgumentError(f"a model argument is written name=value (got {pair!r})", hint="e.g. --set classes=10")
        out[k.strip()] = _value(v.strip())
    return out


def graph(name: str, **args: Any) -> Graph:
    """The Graph of a zoo model, with its arguments (``classes=10``, ``size=160``) over the defaults."""
    from cnncalc.notation import parse

    m = model(name)
    for k in args:
        if k not in m.defaults:
            takes = ", ".join(f"{k}={v}" for k, v in m.defaults.items()) or "none"
            raise ArgumentError(f"{m.name} has no argument '{k}' (it takes {takes})")
    values = {**m.defaults, **args}
    try:
        return parse(m.text, None, values)
    except CnnCalcError as e:
        e.message = f"zoo model {m.name}: {e.message}"
        raise


def analyze(
    name: str,
    *,
    flops: Convention | str = Convention.seed,
    batch: int = 1,
    layout: Layout | str = Layout.hwc,
    dtype: str = "float32",
    **args: Any,
) -> Report:
    """The Report of a zoo model."""
    from cnncalc.analyze import analyze_graph

    return analyze_graph(graph(name, **args), convention=flops, batch=batch, layout=layout, title=name, dtype=dtype)
