"""Front-ends: translate an architecture given in another form (a YAML/JSON spec, the Python API, a PyTorch
module) into cnncalc."""

from __future__ import annotations

import importlib
import json
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
}
"""The front-end that reads a file, by its suffix (``module:function``, imported only when used).

Each function takes the path and the keywords ``input``, ``dtypes``, ``kwargs`` and returns a Graph.
"""

JSON_FORMS: list[tuple[str, str]] = [("model_type", "cnncalc.frontends.hf:load")]
"""JSON documents other than a cnncalc spec: (a top-level key that marks the form, ``module:function``)."""


def _call(target: str, path: str, **given: Any) -> Graph:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)(path, **given)


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
    path = Path(source)
    suffix = path.suffix.lower()
    if "(" in source or suffix not in (*FILES, ".json") or not path.is_file():
        return None
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            data = None  # the spec reader says what is wrong with it
        for key, target in JSON_FORMS:
            if isinstance(data, dict) and key in data:
                return _call(target, source, **given)
        from cnncalc.frontends.spec import load

        return load(source)
    target = FILES[suffix]
    if target.startswith("cnncalc.frontends.spec:"):
        return _call(target, source)
    return _call(target, source, **given)
