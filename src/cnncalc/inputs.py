"""Inputs as models take them: ``--input NAME=SHAPE[:DTYPE]`` (repeatable), ``--kwarg NAME=VALUE``.

One syntax for every front-end that reads a model with named inputs (a PyTorch
module, an ONNX file, a language model's config). A plain ``--input SHAPE``
keeps working; several unnamed inputs may be separated by ``;``.

>>> parse_inputs(["input_ids=1,128:int64", "attention_mask=1,128"])[0]
InputSpec(name='input_ids', shape=(1, 128), dtype='int64')
>>> parse_inputs("1,16;1,16")
(InputSpec(name=None, shape=(1, 16), dtype=None), InputSpec(name=None, shape=(1, 16), dtype=None))
>>> parse_kwargs(["use_cache=false", "past_key_values=none", "temperature=0.7"])
{'use_cache': False, 'past_key_values': None, 'temperature': 0.7}
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnncalc.errors import ArgumentError, SpecError

NAME = re.compile(r"^[A-Za-z_][\w.]*$")
DTYPE_WORD = re.compile(r"^[a-z][a-z0-9_]*$")
KNOWN_DTYPES = (
    "float32 float16 bfloat16 float64 half float double int64 int32 int16 int8 uint8 bool long int complex64".split()
)


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One input: its name (None for a positional one), its shape with the batch first, its dtype (None: default)."""

    name: str | None
    shape: tuple[int, ...]
    dtype: str | None = None


def parse_inputs(items: Sequence[str] | str | None) -> tuple[InputSpec, ...]:
    """``--input`` values as InputSpecs; a malformed one is a SpecError saying how to write it."""
    from cnncalc.api import parse_shape

    if items is None:
        return ()
    texts = [items] if isinstance(items, str) else list(items)
    specs: list[InputSpec] = []
    for text in texts:
        for part in str(text).split(";"):
            part = part.strip()
            if not part:
                continue
            name, sep, rest = part.partition("=")
            if not sep:
                name, rest = "", part
            name = name.strip()
            if sep and not NAME.match(name):
                raise SpecError(
                    f"malformed --input {part!r}: the name before '=' must be a word like input_ids",
                    hint="write NAME=SHAPE[:DTYPE], e.g. input_ids=1,128:int64",
                )
            shape_text, colon, dtype = rest.partition(":")
            dtype = dtype.strip().lower()
            if colon and not DTYPE_WORD.match(dtype):
                raise SpecError(
                    f"malformed --input {part!r}: the dtype after ':' must be a word like int64",
                    hint="write NAME=SHAPE[:DTYPE], e.g. input_ids=1,128:int64",
                )
            if colon and dtype not in KNOWN_DTYPES:
                raise ArgumentError(
                    f"unknown dtype '{dtype}' in --input {part!r}", hint=f"choose from {', '.join(KNOWN_DTYPES)}"
                )
            try:
                shape = parse_shape(shape_text)
            except SpecError as e:
                raise SpecError(
                    f"malformed --input {part!r}: {e.message}", hint="write NAME=SHAPE[:DTYPE], e.g. input_ids=1,128"
                ) from None
            specs.append(InputSpec(name or None, shape, dtype or None))
    names = [s.name for s in specs if s.name]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise SpecError(f"the input '{twice}' is given twice")
    if names and len(names) != len(specs):
        raise SpecError("give every input a name, or none", hint="e.g. --input input_ids=1,128 --input mask=1,128")
    return tuple(specs)


def parse_value(text: str) -> Any:
    """A ``--kwarg`` value: true/false, none, a number, a tuple of numbers, else the text itself."""
    word = text.strip()
    low = word.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    from cnncalc.numbers import NUMBER, number

    if (
        NUMBER.match(word)
        or low.lstrip("+-") in ("nan", "inf", "infinity")
        or any(c.isdigit() and not c.isascii() for c in word)
    ):
        return number(word, "the value")  # finite, 0-9, at most 30 digits: else refused
    if "," in word:
        return tuple(parse_value(p) for p in word.strip("()[]").split(",") if p.strip())
    return word


def parse_kwargs(items: Sequence[str] | None) -> dict[str, Any]:
    """``--kwarg NAME=VALUE`` values as a dict of keyword arguments for the model's forward."""
    out: dict[str, Any] = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not NAME.match(name):
            raise SpecError(f"malformed --kwarg {item[:60]!r}", hint="write NAME=VALUE, e.g. --kwarg use_cache=false")
        if name in out:
            raise SpecError(f"--kwarg {name} is given twice")
        try:
            out[name] = parse_value(value)
        except ArgumentError as e:
            raise ArgumentError(f"--kwarg {name}: {e.message}") from None
    return out


def for_torch(specs: Sequence[InputSpec]) -> tuple[Any, Any]:
    """What ``from_torch`` takes: sizes (one, a list, or a dict by name) and dtypes (one, or a dict by name)."""
    if not specs:
        return None, None
    if specs[0].name is not None:
        sizes = {s.name: s.shape for s in specs}
        dtypes = {s.name: s.dtype for s in specs if s.dtype}
        return sizes, dtypes or None
    dtypes = {s.dtype for s in specs if s.dtype}
    if len(dtypes) > 1:
        raise SpecError("unnamed inputs take one dtype", hint="name the inputs to give each its own dtype")
    sizes_list = [s.shape for s in specs]
    return (sizes_list[0] if len(sizes_list) == 1 else sizes_list), (dtypes.pop() if dtypes else None)
