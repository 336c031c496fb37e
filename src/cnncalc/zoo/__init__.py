"""Classic architectures, each a readable notation file in this folder (docs/zoo.md).

A file starts with a comment line describing the model and a line
``# args: classes=1000, size=224`` naming the arguments it takes and their
defaults; the text uses those names as values.

>>> r = analyze("resnet50")
>>> r.totals.params  # torchvision's resnet50: 25,557,032
25557032
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from importlib.resources import files
from typing import Any

from cnncalc.conventions import Convention, Layout
from cnncalc.errors import ArgumentError, CnnCalcError, SpecError
from cnncalc.graph import Graph
from cnncalc.notation import ARGS_LINE, arguments, value_of
from cnncalc.options import Options
from cnncalc.report import Report

OPTION_NAMES = frozenset(f.name for f in fields(Options))


@dataclass(frozen=True, slots=True)
class Model:
    """A zoo entry: its name, description (its file's first comment lines), arguments with defaults, and text."""

    name: str
    description: str
    defaults: dict[str, int | float | str]
    text: str


def names() -> list[str]:
    """The zoo's model names, sorted."""
    return list(_names())


@cache
def _names() -> tuple[str, ...]:  # the package's files: listed once
    return tuple(sorted(p.name[:-4] for p in files("cnncalc.zoo").iterdir() if p.name.endswith(".cnn")))


@cache
def _text(key: str) -> str:  # a model's file, as shipped: read once
    return files("cnncalc.zoo").joinpath(f"{key}.cnn").read_text(encoding="utf-8")


def model(name: str) -> Model:
    """A zoo model by name (torchvision's spelling: ``resnet50``, ``vgg16_bn``)."""
    key = name.lower().replace("-", "_")
    if key not in _names():
        import difflib

        near = difflib.get_close_matches(key, names(), n=3)
        hint = f"did you mean {' or '.join(near)}?" if near else "run `cnncalc zoo` to list them"
        raise SpecError(f"the zoo has no model '{name}'", hint=hint)
    text = _text(key)
    head = []  # the comment lines above "# args:", the whole description
    for line in text.splitlines():
        if not line.startswith("#") or ARGS_LINE.match(line):
            break
        head.append(line.lstrip("# ").strip())
    return Model(key, " ".join(head), arguments(text), text)


def parse_args(pairs: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``["classes=10", "size=160"]`` as ``{"classes": 10, "size": 160}``."""
    out: dict[str, Any] = {}
    for pair in pairs:
        k, sep, v = pair.partition("=")
        if not sep or not k.strip():
            raise ArgumentError(f"a model argument is written name=value (got {pair!r})", hint="e.g. --set classes=10")
        out[k.strip()] = value_of(v.strip())
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
    flops: Convention | str | None = None,
    batch: int | None = None,
    layout: Layout | str | None = None,
    dtype: str | None = None,
    options: Options | None = None,
    **args: Any,
) -> Report:
    """The Report of a zoo model, with its arguments (``classes=10``) and the report's options (any other
    :class:`~cnncalc.options.Options` field by name too: ``train=True``, ``optimizer``, ``recompute``...)."""
    from cnncalc.analyze import analyze_graph

    takes = model(name).defaults
    chosen = {k: args.pop(k) for k in list(args) if k in OPTION_NAMES and k not in takes}
    opts = Options.make(options, flops=flops, batch=batch, layout=layout, dtype=dtype, **chosen)
    return analyze_graph(graph(name, **args), Options.make(opts, title=opts.title or name))
