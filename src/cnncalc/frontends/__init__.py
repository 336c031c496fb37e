"""Front-ends: translate an architecture given in another form (a YAML/JSON spec, the Python API, a PyTorch
module) into cnncalc."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

from cnncalc.errors import SpecError
from cnncalc.graph import Graph

# ``path/to/model.py:ModelClass``: a PyTorch model to import (recognised before torch is imported).
TORCH_SPEC = re.compile(r"^(?P<file>.+\.py):(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$")


FILES: dict[str, str] = {
    ".yaml": "cnncalc.frontends.spec:load",
    ".yml": "cnncalc.frontends.spec:load",
    ".onnx": "cnncalc.frontends.onnx:load",
    ".keras": "cnncalc.frontends.keras:load",
}
"""The front-end that reads a file, by its suffix (``module:function``, imported only when used).

Each function takes the path and the keywords ``input``, ``dtypes``, ``kwargs`` and returns a Graph.
"""

JSON_FORMS: list[tuple[str, str]] = [
    ("class_name", "cnncalc.frontends.keras:from_document"),  # model.to_json()
    ("model_type", "cnncalc.frontends.hf:from_document"),  # a Hugging Face config.json
]
"""JSON documents other than a cnncalc spec: (a top-level key that marks the form, ``module:function``).

Each function takes the document already read (:func:`cnncalc.documents.load_json`), its source (the path,
for messages) and the keywords ``input``, ``dtypes``, ``kwargs``, and returns a Graph.
"""


EXTRAS = {"onnx": "onnx", "keras": "keras"}
"""The pip extra that brings a front-end's package, by the package's name."""


def _call(target: str, path: Any, **given: Any) -> Graph:
    module, _, name = target.partition(":")
    try:
        reader = getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as e:
        extra = EXTRAS.get((e.name or "").split(".")[0])
        if extra is None:
            raise
        raise SpecError(f"reading {path} needs the {e.name} package", hint=f'pip install "cnncalc[{extra}]"') from None
    return reader(path, **given)


MODULE_CLASS = re.compile(r"^class\s+([A-Za-z_]\w*)\s*\(([^)]*)\)\s*:", re.MULTILINE)


def module_classes(text: str) -> tuple[list[str], list[str]]:
    r"""The classes a Python file defines at its top level, read from its text (nothing imported or run).

    The first list holds those whose bases look like a network (``nn.Module``, a ``...Model``), the second the rest.

    >>> module_classes("import torch\nclass Net(torch.nn.Module):\n    pass\nclass Config:\n    pass\n")
    (['Net'], [])
    """
    nets: list[str] = []
    other: list[str] = []
    for name, bases in MODULE_CLASS.findall(text):
        (nets if re.search(r"Module|Model|Sequential|\bFor[A-Z]", bases) else other).append(name)
    return nets, other


def python_file(path: Path) -> SpecError:
    """A ``.py`` named without ``:Class``: say so, with the classes the file defines (read as text, not imported)."""
    from cnncalc.limits import guard

    try:
        size = path.stat().st_size
        guard("file_bytes", size, f"{path} has {size:,} bytes")
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        return SpecError(f"cannot read {path}: {e.strerror or e}")
    nets, other = module_classes(text)
    found = nets or other
    if found:
        listed = ", ".join(found[:8]) + (", …" if len(found) > 8 else "")
        hint = f"for example {path}:{found[0]} (its classes: {listed})"
    else:
        hint = f"it defines no class at its top level; write {path}:ClassName for the nn.Module to trace"
    return SpecError(f"{path} is a Python file: name the nn.Module class to trace after a colon", hint=hint)


def path_kind(path: str | Path) -> str | None:
    """``"file"``, ``"folder"`` or None (nothing there, or a name no file could have: too long, a NUL in it).

    >>> path_kind("a" * 5000), path_kind("nul" + chr(0) + ".txt")
    (None, None)
    """
    try:
        p = Path(path)
        return "file" if p.is_file() else "folder" if p.is_dir() else None
    except (OSError, ValueError):
        return None


def refuse_unused(what: str, *, input: Any = None, dtypes: Any = None, kwargs: Any = None, shape: str = "") -> None:  # noqa: A002
    """Refuse the options that do not apply to a source (``what``: 'the notation', 'a spec file', 'a config.json').

    ``shape`` says how the source takes an input shape, when it takes one (then a plain ``--input`` is fine and
    only a named one is refused); empty when it takes none.

    >>> refuse_unused("the notation", kwargs={"use_cache": False})
    Traceback (most recent call last):
        ...
    cnncalc.errors.SpecError: --kwarg goes to a PyTorch model's forward (model.py:Class): the notation has none
    """
    if kwargs:
        raise SpecError(f"--kwarg goes to a PyTorch model's forward (model.py:Class): {what} has none")
    if dtypes:
        raise SpecError(
            f"--input-dtype sets a PyTorch model's input dtype (model.py:Class): {what} has no input of another dtype"
        )
    if input is None or (isinstance(input, (tuple, list)) and not input):
        return
    from cnncalc.inputs import InputSpec

    specs = input if isinstance(input, (tuple, list)) and input and isinstance(input[0], InputSpec) else ()
    if not shape:
        raise SpecError(f"--input is not for {what}: it gives its own input", hint="leave --input out")
    named = [s.name for s in specs if s.name or s.dtype]
    if named or len(specs) > 1:
        raise SpecError(f"{what} takes one input shape, {shape}: names and dtypes are for model files")


def load_model_source(source: str, **given: Any) -> Graph | None:
    """The Graph of a file a front-end reads (a spec, a model file, ``file.py:Class``), or None for notation."""
    m = TORCH_SPEC.match(source)
    if m is not None:
        try:
            from cnncalc.frontends.torch import graph_of_file
        except ImportError:
            raise SpecError(
                f"{source} is a PyTorch model, and torch is not installed", hint='pip install "cnncalc[torch]"'
            ) from None
        return graph_of_file(source, **given)
    given.pop("train", None)  # only a traced model runs differently in training (dropout, batch statistics)
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix == ".py" and "(" not in source and path_kind(path) == "file":
        raise python_file(path)
    if "(" in source or suffix not in (*FILES, ".json"):
        return None
    kind = path_kind(path)
    if kind != "file":
        if suffix in (".yaml", ".yml", ".json"):
            return None  # the notation reader says what is wrong with the name
        raise SpecError(f"{source} is a folder, not a file" if kind == "folder" else f"no such file: {source}")
    if suffix == ".json":  # read once, then given to the front-end its top-level keys name
        from cnncalc.documents import load_json, read_bytes

        data = load_json(read_bytes(path, source), source)
        for key, target in JSON_FORMS:
            if isinstance(data, dict) and key in data:
                return _call(target, data, source=source, **given)
        from cnncalc.frontends.spec import from_dict

        refuse_unused(f"a spec file ({source})", **given)
        return from_dict(data, source=source)
    target = FILES[suffix]
    if target.startswith("cnncalc.frontends.spec:"):
        refuse_unused(f"a spec file ({source})", **given)
        return _call(target, source)
    return _call(target, source, **given)
