"""The library's entry points: from a spec to a Report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cnncalc.analyze import analyze_graph
from cnncalc.conventions import Convention, Layout
from cnncalc.errors import SpecError, wrong_type
from cnncalc.graph import Graph
from cnncalc.limits import guard
from cnncalc.notation import parse as _parse_notation
from cnncalc.options import Options
from cnncalc.report import Report

_SHAPE_SPLIT = re.compile(r"\s*[,x×]\s*|\s+")


def parse_shape(text: str | int | tuple[int, ...] | list[int]) -> tuple[int, ...]:
    """An input shape from ``"32,32,3"``, ``"32x32x3"``, ``"(32, 32, 3)"``, a tuple, or one number (token ids).

    >>> parse_shape("32x32x3")
    (32, 32, 3)
    """
    from cnncalc.errors import ArgumentError
    from cnncalc.numbers import whole

    if isinstance(text, (tuple, list)):
        items = list(text)
    elif isinstance(text, bool) or not isinstance(text, (str, int)):
        raise wrong_type("input", "a shape such as '32,32,3' or (32, 32, 3)", text)
    elif not isinstance(text, str):
        items = [text]  # input=128, as a spec's `input: 128`
    else:
        if len(text) > 1000:
            raise SpecError(f"the input shape is {len(text):,} characters long: write it as 32,32,3")
        inner = text.strip().strip("()[]").strip().removesuffix(",").strip()  # (1024,) is one number
        # an empty item ('8,,3', '8,x,3') is a mistake, never silently dropped
        items = _SHAPE_SPLIT.split(inner) if inner else []
    from cnncalc.documents import shown

    shape = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise SpecError(f"the input shape must be whole numbers like 32,32,3 (got {shown(text)})")
        try:  # no NaN, no 8.7 made 8, no True made 1, no other scripts' digits, no over-long numbers
            n = whole(item, "the input shape")
        except ArgumentError as e:
            if "digits" in e.message:
                raise SpecError(e.message) from None
            raise SpecError(f"the input shape must be whole numbers like 32,32,3 (got {shown(text)})") from None
        if n < 1:
            raise SpecError(f"the input shape must be positive (got {shown(text)})")
        shape.append(n)
    if not shape:
        raise SpecError("the input shape is empty", hint="e.g. --input 32,32,3")
    return tuple(shape)


def parse(text: str, input: str | int | tuple[int, ...] | None = None) -> Graph:  # noqa: A002 - the user's word
    """The Graph of a network written in the text notation.

    A text that joins more layers than an analysis takes (``layers`` in :mod:`cnncalc.limits`) is refused before
    it is parsed: each arrow joins a layer, so the arrows count the layers from below.
    """
    if not isinstance(text, str):
        raise wrong_type("text", "the notation as a str", text)
    arrows = text.count("->") + text.count("→")
    guard("layers", arrows + 1, f"the text joins {arrows + 1:,} layers or more")
    return _parse_notation(text, None if input is None else parse_shape(input))


TEXT_SUFFIXES = (".txt", ".cnn", ".net")
SPEC_SUFFIXES = (".yaml", ".yml", ".json")


def load(
    source: Any,
    *,
    input: Any = None,  # noqa: A002 - the user's word
    dtypes: Any = None,
    kwargs: dict[str, Any] | None = None,
    train: bool = False,
) -> Graph:
    """The Graph of a network, whatever form it comes in.

    ``source`` is notation text; a path to a file holding it (``.cnn``, ``.txt``),
    a YAML/JSON spec (``.yaml``, ``.json``), or a model file a front-end reads
    (see :data:`cnncalc.frontends.FILES`); ``path/to/model.py:Class``; a spec as a
    dict; a :class:`cnncalc.Net`; a Graph; or a ``torch.nn.Module``. ``input`` is
    the input shape (the notation's, channels last), or a model's input sizes with
    the batch first (one, a list, a dict by name, or parsed ``--input`` items);
    ``dtypes`` and ``kwargs`` go to a model's forward, traced in training mode with ``train``.

    >>> load("input(8,8,3) -> conv(4, f=3)").nodes[1].kind
    'conv'
    """
    from cnncalc.frontends import load_model_source, refuse_unused

    if isinstance(source, Graph):
        refuse_unused("a Graph", input=input, dtypes=dtypes, kwargs=kwargs)
        return source
    if hasattr(source, "graph") and callable(source.graph):  # a cnncalc.Net
        refuse_unused("a cnncalc.Net", input=input, dtypes=dtypes, kwargs=kwargs)
        return source.graph()
    if isinstance(source, dict):
        from cnncalc.frontends.spec import from_dict

        refuse_unused("a spec", input=input, dtypes=dtypes, kwargs=kwargs)
        return from_dict(source)
    if isinstance(source, Path):
        source = str(source)
    if isinstance(source, str):
        model = load_model_source(source, input=input, dtypes=dtypes, kwargs=kwargs, train=train)
        if model is not None:
            return model
        refuse_unused("the notation", dtypes=dtypes, kwargs=kwargs)
        return parse(read_text(source), _notation_input(input))
    if type(source).__module__.startswith("torch") or _is_module(source):
        from cnncalc.frontends.torch import trace_graph
        from cnncalc.inputs import InputSpec, for_torch

        if isinstance(input, tuple) and input and isinstance(input[0], InputSpec):
            input, dtypes = for_torch(input)[0], for_torch(input)[1] if dtypes is None else dtypes
        return trace_graph(source, input, input_dtype=dtypes, kwargs=kwargs, train=train)
    raise wrong_type(
        "spec", "the text notation, a file's path, a spec (a dict), a Graph, a cnncalc.Net or a torch module", source
    )


def _is_module(obj: Any) -> bool:
    return any(c.__name__ == "Module" and c.__module__.startswith("torch.nn") for c in type(obj).__mro__)


def _notation_input(input: Any) -> Any:  # noqa: A002
    """The notation's ``--input``: one shape, without a name or dtype."""
    if not isinstance(input, tuple) or not input:
        return input
    from cnncalc.inputs import InputSpec

    if isinstance(input[0], InputSpec):
        if len(input) > 1 or input[0].name or input[0].dtype:
            raise SpecError(
                "the notation takes one input shape", hint="names and dtypes are for model files, e.g. model.py:Net"
            )
        return input[0].shape
    return input


def read_text(spec: str) -> str:
    """The notation: the text itself, or the contents of the file it names (an error if it names no file).

    A file is read whole, within the ``file_bytes`` limit (:func:`cnncalc.documents.read_text`).
    """
    from cnncalc.documents import read_text as read_file

    path = Path(spec)
    looks_like_path = ("(" not in spec and "->" not in spec and "→" not in spec) and (
        "/" in spec or path.suffix in (*TEXT_SUFFIXES, *SPEC_SUFFIXES)
    )
    from cnncalc.frontends import path_kind

    kind = path_kind(path)
    if kind == "file":
        return read_file(path, spec)
    if looks_like_path:
        raise SpecError(f"{spec} is a folder, not a file" if kind == "folder" else f"no such file: {spec}")
    return spec


def analyze(
    spec: Any,
    *,
    input: Any = None,  # noqa: A002
    flops: Convention | str | None = None,
    batch: int | None = None,
    layout: Layout | str | None = None,
    title: str = "",
    dtype: str | None = None,
    options: Options | None = None,
    **given: Any,
) -> Report:
    """Every layer's shape, parameters, MACs and FLOPs, with totals.

    ``spec`` is anything :func:`load` reads: the text notation, a file, a spec, a
    Graph, a :class:`cnncalc.Net`, a PyTorch module. ``input`` (channels last, as
    the notation writes it) serves a bare ``input``; ``flops`` names the FLOPs
    convention (``seed``, ``matmul`` or ``all``); ``dtype`` (float32, float16,
    bfloat16, int8) sets the element size of the memory figures. The choices are
    checked by :class:`~cnncalc.options.Options` (``framework``, ``depth`` too).

    >>> [r.flops for r in analyze("input(28,28,1) -> conv(5, f=3) -> fc(10)").rows]  # 2·5·(3·3·1)·(26·26)
    [0, 60840, 67600]
    """
    opts = Options.make(options, flops=flops, batch=batch, layout=layout, title=title or None, dtype=dtype, **given)
    return analyze_graph(load(spec, input=input, train=opts.train), opts)
