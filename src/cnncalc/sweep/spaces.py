"""What a sweep varies: a spec with arguments, read once, and one Report per point.

- the notation (a text or a file) with a ``# args:`` line, or blocks with defaults used at its top level
  (``block.param``; :func:`cnncalc.notation.takes`);
- ``zoo:NAME``, its arguments (``--set`` fixes some; ``arch=all`` of ``zoo:nb201`` is its 15,625 cells);
- a Hugging Face ``config.json``: any field (``hidden_size``; a nested one as ``rope_scaling.factor``);
- ``space.py:make``: a function (or a class) of the user's, called with the point's values as keywords,
  returning the notation's text, a spec (a dict), a Graph, a :class:`cnncalc.Net` or a PyTorch module. The
  file is run as the user's own code (:func:`cnncalc.usercode.user_code`), where the sweep runs: its text
  travels with the sweep, so a remote cluster needs only cnncalc.

A space is plain data (texts and names), sent to a sweep's workers once; what it reads from them (the
notation's statements, the user's module) it keeps in the worker, never sent back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cnncalc.errors import ArgumentError, SpecError
from cnncalc.graph import Graph
from cnncalc.options import Options
from cnncalc.report import Report

_NOT_SENT = ("_statements", "_module", "_function", "_uses", "_blocks", "_titled")


class Space:
    """A spec with arguments: what it takes (:meth:`takes`), and the Report of one point (:meth:`report`)."""

    kind = ""
    label = ""

    def takes(self) -> dict[str, Any] | None:
        """The arguments and their defaults; None when any name is taken (a function of ``**kwargs``)."""
        raise NotImplementedError

    def choices(self, name: str) -> Sequence[Any] | None:
        """Every value of an argument that has a known set (``all``), else None."""
        return None

    def graph(self, values: dict[str, Any], options: Options) -> Graph:
        raise NotImplementedError

    def report(self, values: dict[str, Any], options: Options) -> Report:
        """The point's Report: the same as ``summary`` gives the spec with these values."""
        from cnncalc.analyze import analyze_graph

        return analyze_graph(self.graph(values, options), options)

    def identity(self) -> str:
        """What the points depend on, as text (a resumed sweep must be of the same space)."""
        state = {k: v for k, v in self.__getstate__().items()}
        return json.dumps({"kind": self.kind, **state}, sort_keys=True, default=repr)

    def check(self, names: Sequence[str]) -> None:
        """An ArgumentError for a name the spec does not take, listing those it does."""
        takes = self.takes()
        if takes is None:
            return
        for name in names:
            if name not in takes:
                import difflib

                near = difflib.get_close_matches(name, list(takes), n=3)
                listed = ", ".join(takes) if len(takes) <= 30 else ", ".join(list(takes)[:30]) + ", …"
                raise ArgumentError(
                    f"{self.label} takes no argument '{name}'",
                    hint=f"did you mean {' or '.join(near)}?" if near else f"it takes: {listed or 'none'}",
                )

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in _NOT_SENT}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class NotationSpace(Space):
    """The notation, with its ``# args:`` names and the parameters of the blocks its top level uses."""

    kind = "notation"

    def __init__(self, text: str, label: str, input_shape: tuple[int, ...] | None = None) -> None:
        self.text, self.label, self.input_shape = text, label, input_shape

    def statements(self) -> list[Any]:
        found = self.__dict__.get("_statements")
        if found is None:
            from cnncalc.notation.syntax import parse_statements

            found = self.__dict__["_statements"] = parse_statements(self.text)
        return found

    def takes(self) -> dict[str, Any]:
        from cnncalc.notation import takes

        return takes(self.text, self.statements())

    def graph(self, values: dict[str, Any], options: Options, store: Any = None) -> Graph:
        from cnncalc.notation import parse

        return parse(self.text, self.input_shape, values=values, statements=self.statements(), store=store)

    def report(self, values: dict[str, Any], options: Options) -> Report:
        """The point's Report; its totals by the quick path when they can be (block uses made and counted once
        across the points, :func:`cnncalc.analyze.analyze_totals`), else the whole analysis, as ``summary``."""
        from cnncalc.analyze import analyze_totals
        from cnncalc.errors import CnnCalcError

        if "_uses" not in self.__dict__:
            from cnncalc.notation.build import Uses

            self.__dict__["_uses"], self.__dict__["_blocks"] = Uses(), {}
        try:
            quick = analyze_totals(
                self.graph(values, options, self.__dict__["_uses"]), options, self.__dict__["_blocks"]
            )
        except CnnCalcError:
            quick = None  # the whole analysis says what is wrong, and where, in its own words
        return quick if quick is not None else super().report(values, options)


class ZooSpace(NotationSpace):
    """A zoo model: its arguments (``fixed`` are those ``--set`` gives every point)."""

    kind = "zoo"

    def __init__(self, name: str, fixed: dict[str, Any] | None = None) -> None:
        from cnncalc import zoo

        model = zoo.model(name)
        super().__init__(model.text, f"zoo model {model.name}")
        self.name, self.fixed = model.name, dict(fixed or {})
        zoo.values(self.name, **self.fixed)  # every fixed argument is one it takes

    def takes(self) -> dict[str, Any]:
        from cnncalc import zoo

        return dict(zoo.model(self.name).defaults)

    def choices(self, name: str) -> Sequence[Any] | None:
        from cnncalc import zoo

        return zoo.choices(self.name).get(name)

    def graph(self, values: dict[str, Any], options: Options, store: Any = None) -> Graph:
        from cnncalc import zoo
        from cnncalc.errors import CnnCalcError
        from cnncalc.notation import parse

        chosen = zoo.values(self.name, **{**self.fixed, **values})
        try:
            return parse(self.text, None, chosen, statements=self.statements(), store=store)
        except CnnCalcError as e:
            e.message = f"zoo model {self.name}: {e.message}"
            raise

    def report(self, values: dict[str, Any], options: Options) -> Report:
        titled = self.__dict__.get("_titled")
        if titled is None or titled[0] is not options:  # the zoo's title, as zoo.analyze gives it
            titled = self.__dict__["_titled"] = (options, Options.make(options, title=options.title or self.name))
        return super().report(values, titled[1])


class ConfigSpace(Space):
    """A Hugging Face ``config.json``: any field, a nested one by its dotted path."""

    kind = "config"

    def __init__(self, data: dict[str, Any], label: str, input: Any = None) -> None:  # noqa: A002
        self.data, self.label, self.input = data, label, input

    def takes(self) -> dict[str, Any]:
        from cnncalc.frontends.hf import fields

        return fields(self.data)

    def graph(self, values: dict[str, Any], options: Options) -> Graph:
        from cnncalc.frontends.hf import graph_of, with_fields

        return graph_of(with_fields(self.data, values), self.input)


class CallableSpace(Space):
    """``space.py:make``: the user's function (or class), called with each point's values as keywords."""

    kind = "callable"

    def __init__(
        self,
        path: str,
        name: str,
        source: str,
        input: Any = None,
        dtypes: Any = None,
        kwargs: Any = None,  # noqa: A002
    ) -> None:
        self.path, self.name, self.source = path, name, source
        self.label = f"{Path(path).name}:{name}"
        self.input, self.dtypes, self.kwargs = input, dtypes, kwargs

    def function(self) -> Any:
        """The user's function, from the file's text run as the user's own code (once in each process)."""
        found = self.__dict__.get("_function")
        if found is not None:
            return found
        import types

        from cnncalc.usercode import user_code

        module = types.ModuleType("_cnncalc_space_" + re.sub(r"\W", "_", Path(self.path).stem))
        module.__file__ = self.path
        folder = str(Path(self.path).resolve().parent)
        import sys

        sys.path.insert(0, folder)
        try:
            with user_code(f"importing {Path(self.path).name}"):
                code = compile(self.source, self.path, "exec")
                exec(code, module.__dict__)  # noqa: S102 - the user's own file, run as `python space.py` would
        finally:
            if folder in sys.path:
                sys.path.remove(folder)
        obj: Any = module
        for part in self.name.split("."):
            if not hasattr(obj, part):
                found_names = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
                hint = f"it defines: {', '.join(found_names)}" if found_names else "it defines no function"
                raise SpecError(f"{Path(self.path).name} has no '{self.name}'", hint=hint)
            obj = getattr(obj, part)
        if not callable(obj):
            raise SpecError(f"'{self.name}' in {Path(self.path).name} is not a function (it is a {type(obj).__name__})")
        self.__dict__["_function"] = obj
        return obj

    def takes(self) -> dict[str, Any] | None:
        import inspect

        function = self.function()  # an error importing the file, or finding the function, is said here
        try:
            sig = inspect.signature(function)
        except (TypeError, ValueError):
            return None
        out: dict[str, Any] = {}
        for p in sig.parameters.values():
            if p.kind is p.VAR_KEYWORD:
                return None
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
                out[p.name] = None if p.default is p.empty else p.default
        return out

    def graph(self, values: dict[str, Any], options: Options) -> Graph:
        from cnncalc.api import load
        from cnncalc.usercode import user_code

        shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
        with user_code(f"{self.name}({shown})"):
            made = self.function()(**values)
        if isinstance(made, str) or isinstance(made, dict) or isinstance(made, Graph) or hasattr(made, "graph"):
            if isinstance(made, str):
                from cnncalc.api import _notation_input, read_text
                from cnncalc.notation import parse

                return parse(read_text(made), _notation_input(self.input))
            return load(made)
        if made is None:
            raise SpecError(f"{self.name}({shown}) returned None", hint="return the notation's text, a spec or a model")
        return load(made, input=self.input, dtypes=self.dtypes, kwargs=self.kwargs, train=options.train)


def space_of(
    spec: str,
    *,
    fixed: dict[str, Any] | None = None,
    input: Any = None,  # noqa: A002
    dtypes: Any = None,
    kwargs: Any = None,
) -> Space:
    """The space SPEC describes: ``zoo:NAME``, ``file.py:make``, a ``config.json``, or the notation."""
    from cnncalc.frontends import TORCH_SPEC, refuse_unused

    if spec.startswith("zoo:"):
        refuse_unused(f"a zoo model ({spec})", input=input, dtypes=dtypes, kwargs=kwargs)
        return ZooSpace(spec[4:], fixed)
    m = TORCH_SPEC.match(spec)
    if m is not None:
        path = Path(m["file"])
        if not path.is_file():
            raise SpecError(f"no such file: {path}" if not path.is_dir() else f"{path} is a folder, not a file")
        space: Space = CallableSpace(m["file"], m["name"], _read(path), input, dtypes, kwargs)
        return _fixed(space, fixed)
    path = Path(spec)
    if path.suffix.lower() == ".json" and path.is_file():
        try:
            data = json.loads(_read(path))
        except json.JSONDecodeError as e:
            raise SpecError(f"{spec} is not JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
        if isinstance(data, dict) and "model_type" in data:
            from cnncalc.frontends.hf import _input, _no_model_inputs

            _no_model_inputs(dtypes, kwargs)  # said as the config.json front-end says it
            _input(input)
            return _fixed(ConfigSpace(data, path.name, input), fixed)
    if path.suffix.lower() in (".yaml", ".yml", ".json", ".onnx", ".keras"):
        raise SpecError(
            f"{spec} has no arguments to sweep",
            hint="a sweep varies the arguments of the notation (# args:), a zoo model, a config.json's fields "
            "or a function of yours (space.py:make)",
        )
    from cnncalc.api import _notation_input, read_text

    text = read_text(spec)
    refuse_unused("the notation", dtypes=dtypes, kwargs=kwargs)
    from cnncalc.inputs import InputSpec

    shape = input
    if isinstance(input, tuple) and input and isinstance(input[0], InputSpec):
        shape = _notation_input(input)
    elif isinstance(input, str):
        from cnncalc.api import parse_shape

        shape = parse_shape(input)
    label = Path(spec).name if text is not spec else "the notation"
    return _fixed(NotationSpace(text, label, shape), fixed)


class _Fixed(Space):
    """A space with some arguments fixed for every point (``--set``)."""

    def __init__(self, inner: Space, fixed: dict[str, Any]) -> None:
        self.inner, self.fixed = inner, fixed
        self.kind, self.label = inner.kind, inner.label

    def takes(self) -> dict[str, Any] | None:
        return self.inner.takes()

    def identity(self) -> str:
        return json.dumps({"inner": self.inner.identity(), "fixed": self.fixed}, sort_keys=True, default=repr)

    def choices(self, name: str) -> Sequence[Any] | None:
        return self.inner.choices(name)

    def graph(self, values: dict[str, Any], options: Options) -> Graph:
        return self.inner.graph({**self.fixed, **values}, options)

    def report(self, values: dict[str, Any], options: Options) -> Report:
        return self.inner.report({**self.fixed, **values}, options)


def _fixed(space: Space, fixed: dict[str, Any] | None) -> Space:
    if not fixed:
        return space
    space.check(list(fixed))
    return _Fixed(space, dict(fixed))


def _read(path: Path) -> str:
    from cnncalc.limits import guard

    try:
        size = path.stat().st_size
        guard("file_bytes", size, f"{path} has {size:,} bytes")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise SpecError(f"{path} is not a text file ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise SpecError(f"cannot read {path}: {e.strerror or e}") from None
