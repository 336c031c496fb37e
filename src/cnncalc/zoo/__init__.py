"""Classic architectures, each a readable notation file in this folder (docs/zoo.md).

A file starts with a comment line describing the model and a line
``# args: classes=1000, size=224`` naming the arguments it takes and their
defaults; the text uses those names as values.

>>> r = analyze("resnet50")
>>> r.totals.params  # torchvision's resnet50: 25,557,032
25557032
"""

from __future__ import annotations

from collections.abc import Sequence
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
from cnncalc.zoo.cells import SPACES

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
    description, defaults = _read(key)
    return Model(key, description, dict(defaults), _text(key))


@cache
def _read(key: str) -> tuple[str, tuple[tuple[str, Any], ...]]:  # a model's description and arguments: read once
    text = _text(key)
    head = []  # the comment lines above "# args:", the whole description
    for line in text.splitlines():
        if not line.startswith("#") or ARGS_LINE.match(line):
            break
        head.append(line.lstrip("# ").strip())
    defaults = arguments(text)
    space = SPACES.get(key)
    if space is not None:  # the cell string of the edges' defaults: one argument for all of them
        defaults[space.argument] = space.string(defaults)
    return " ".join(head), tuple(defaults.items())


def choices(name: str) -> dict[str, Sequence[Any]]:
    """The arguments of a zoo model that take one of a known set of values, each with every value (in order):
    ``nb201``'s ``arch`` has the 15,625 cells of NAS-Bench-201. A sweep's ``--vary arch=all`` goes through them.

    >>> len(choices("nb201")["arch"]), choices("resnet50")
    (15625, {})
    """
    space = SPACES.get(model(name).name)
    return {} if space is None else {space.argument: space.all()}


def parse_args(pairs: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``["classes=10", "size=160"]`` as ``{"classes": 10, "size": 160}``; each value read as a number where it
    looks like one (no NaN, no infinity, no other scripts' digits), and each name given once."""
    out: dict[str, Any] = {}
    for pair in pairs:
        k, sep, v = pair.partition("=")
        k = k.strip()
        if not sep or not k:
            raise ArgumentError(f"a model argument is written name=value (got {pair!r})", hint="e.g. --set classes=10")
        if k in out:
            raise ArgumentError(f"--set {k} is given twice (which one is meant?)")
        out[k] = value_of(v.strip(), f"--set {k}")
    return out


@dataclass(frozen=True, slots=True)
class Rule:
    """What a zoo argument must be: the values the model it comes from refuses are refused here too.

    ``kind``: ``whole`` (a whole number), ``number`` (any finite number) or ``word`` (one of ``choices``, or any
    text the model reads itself when there are none); for numbers, ``above``: the value must be greater, ``most``:
    at most this, ``multiple``: a multiple of it. ``why`` says which model refuses the rest.
    """

    kind: str = "whole"
    above: float = 0
    most: int | None = None
    multiple: int | None = None
    choices: tuple[str, ...] = ()
    why: str = ""

    def check(self, model: str, name: str, value: Any) -> Any:
        from cnncalc.numbers import number, whole

        what = f"{model}'s argument {name}"
        why = self.why or None
        if self.kind == "word":
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                expected = f"one of {', '.join(self.choices)}" if self.choices else "text"
                raise ArgumentError(f"{what} must be {expected} (got {value!r})", hint=why)
            return value
        v = whole(value, what) if self.kind == "whole" else number(value, what)
        if v <= self.above:
            least = "positive" if self.above == 0 else f"greater than {self.above:g}"
            raise ArgumentError(f"{what} must be {least} (got {v})", hint=why)
        if self.most is not None and v > self.most:
            raise ArgumentError(f"{what} must be at most {self.most:,} (got {v:,})", hint=why)
        if self.multiple is not None and v % self.multiple:
            raise ArgumentError(f"{what} must be a multiple of {self.multiple} (got {v:,})", hint=why)
        return v


RULES: dict[str, Rule] = {
    "classes": Rule(why="a classifier has at least one class"),
    "size": Rule(why="an image has at least one pixel a side"),
    "width": Rule("number", why="torchvision's width_mult scales every layer's channels"),
    "alpha": Rule("number", why="Keras' alpha scales every layer's channels"),
    "length": Rule(why="a sequence has at least one token"),
    "vocab": Rule(why="a vocabulary has at least one token"),
    "C": Rule(why="a cell has at least one channel"),
    "N": Rule(why="a stage has at least one cell"),
}
"""What each argument the zoo's files declare (their ``# args:`` lines) must be, by name."""

MODEL_RULES: dict[str, dict[str, Rule]] = {
    "vit_b_16": {"size": Rule(multiple=16, why="torchvision's vit_b_16 cuts the image into 16x16 patches")},
    "bert_base": {"length": Rule(most=512, why="BERT-base learned 512 positions")},
    "gpt2": {"length": Rule(most=1024, why="GPT-2 learned 1,024 positions")},
    **{
        name: {
            space.argument: Rule("word", why=f"a {space.name} cell string"),  # read by the cell space itself
            **{edge: Rule("word", choices=space.ops, why=f"an operation of {space.name}") for edge in space.edge_names},
        }
        for name, space in SPACES.items()
    },
}
"""A model's own rules for some of its arguments: with :data:`RULES`' for the same name, both apply."""


def check_args(m: Model, args: dict[str, Any]) -> dict[str, Any]:
    """The arguments given to a zoo model, each checked as the model would check it; unknown names are an error."""
    out = {}
    for k, v in args.items():
        if k not in m.defaults:
            takes = ", ".join(f"{k}={v}" for k, v in m.defaults.items()) or "none"
            raise ArgumentError(f"{m.name} has no argument '{k}' (it takes {takes})")
        own = MODEL_RULES.get(m.name, {}).get(k)
        out[k] = RULES[k].check(m.name, k, v) if k in RULES else v
        if own is not None:
            out[k] = own.check(m.name, k, out[k])
    return out


def values(name: str, **args: Any) -> dict[str, Any]:
    """The values a zoo model's text reads: its defaults, ``args`` over them (each one it takes); a cell string
    names the edges it reads (``nb201``'s ``arch`` gives its six edges, ``e10`` to ``e32``).

    >>> values("nb201", arch="|none~0|+|none~0|none~1|+|none~0|none~1|avg_pool_3x3~2|")["e32"]
    'avg_pool_3x3'
    """
    m = model(name)
    args = check_args(m, args)
    out = {**m.defaults, **args}
    space = SPACES.get(m.name)
    if space is not None and space.argument in args:  # a cell string: the operation on each edge
        both = [k for k in space.edge_names if k in args]
        if both:
            raise ArgumentError(f"{m.name} takes {space.argument} or the edges ({', '.join(both)}), not both")
        try:
            out.update(space.edges(args[space.argument]))
        except CnnCalcError as e:
            e.message = f"zoo model {m.name}: {e.message}"
            raise
    elif space is not None:
        out[space.argument] = space.string(out)
    return out


def graph(name: str, **args: Any) -> Graph:
    """The Graph of a zoo model, with its arguments (``classes=10``, ``size=160``) over the defaults."""
    from cnncalc.notation import parse

    m = model(name)
    chosen = values(name, **args)
    try:
        return parse(m.text, None, chosen)
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
