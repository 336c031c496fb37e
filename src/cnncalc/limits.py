"""What an input may cost before cnncalc refuses it: every cap named once, checked before the cost is paid.

A few hundred bytes can ask for gigabytes (a YAML alias expanded a billion times, a zip bomb, an ONNX
``ConstantOfShape([40000, 40000])``) or for hours (a million-layer chain drawn as bars). Each front-end
and command checks the cap that guards it *before* reading, expanding or materialising, and the error
(:class:`cnncalc.errors.LimitError`) names the cap and how to raise it:

- the environment: ``CNNCALC_LIMIT_CHECK_ROWS=20000 cnncalc check big.csv --spec net.txt``;
- Python: ``with cnncalc.limits.raised(check_rows=20000): cnncalc.check(...)``.

>>> value("check_rows") == LIMITS["check_rows"].default
True
>>> with raised(check_rows=7):
...     value("check_rows")
7
>>> guard("check_rows", 3, "3 rows")  # within the cap: nothing happens
>>> with raised(check_rows=2):
...     guard("check_rows", 3, "3 rows")
Traceback (most recent call last):
    ...
cnncalc.errors.LimitError: 3 rows, over the limit of 2 (check_rows); raise it with CNNCALC_LIMIT_CHECK_ROWS=N
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType

MiB = 1 << 20


@dataclass(frozen=True, slots=True)
class Limit:
    """One cap: its name, its default, what it counts, and whether a user may raise it."""

    name: str
    default: int
    counts: str
    raisable: bool = True


LIMITS: dict[str, Limit] = {
    lim.name: lim
    for lim in (
        # reading files
        Limit("file_bytes", 64 * MiB, "bytes of a text, spec, config or table file read whole"),
        Limit("decompressed_bytes", 64 * MiB, "bytes of an archive member (a .keras file's config.json) once unpacked"),
        Limit("archive_directory_bytes", 1 * MiB, "bytes of an archive's list of members (a .keras file's)"),
        Limit("nesting", 100, "levels of nesting in a YAML, JSON, .keras or config.json document"),
        Limit("yaml_nodes", 1_000_000, "values a YAML document holds once its aliases are expanded"),
        Limit("digits", 30, "digits of one number written in a spec, a table or an option", raisable=False),
        Limit("notation_tokens", 2_000_000, "names, numbers and signs of one notation text"),
        # building and counting
        Limit("onnx_elements", 1_000_000, "elements of an ONNX value worked out to know a shape (never weights)"),
        Limit("onnx_values", 16_000_000, "elements of all the ONNX values worked out to know shapes, together"),
        Limit("onnx_graph_bytes", 256 * MiB, "bytes of an ONNX file read into memory (its weights' values left out)"),
        Limit("onnx_messages", 2_000_000, "protobuf messages of an ONNX file (nodes, attributes, tensors, shapes)"),
        Limit("onnx_fields", 20_000_000, "protobuf fields of an ONNX file read one by one (names, numbers, messages)"),
        Limit("onnx_nesting", 16, "If/Loop/Scan bodies nested inside each other in an ONNX graph"),
        Limit("layers", 250_000, "nodes of one network analysed"),
        Limit("train_layers", 100_000, "nodes of a network analysed with --train"),
        Limit("explain_layers", 100_000, "layers whose arithmetic explain writes out"),
        Limit("plot_layers", 2_000, "layers drawn in one plot"),
        Limit("page_layers", 10_000, "layers the web page analyses"),
        Limit("check_rows", 5_000, "rows of a table check grades"),
        Limit("forward_bytes", 512 * MiB, "bytes of weights and inputs a model's forward may use when run for real"),
        Limit("forward_seconds", 300, "seconds a model's forward may run while it is traced"),
        # many devices
        Limit("ranks", 1 << 20, "devices (ranks) of one parallel layout"),
        Limit("microbatches", 100_000, "micro-batches (times virtual stages) of one pipeline schedule"),
        Limit("layouts", 100_000, "parallel layouts cnncalc plan evaluates"),
        Limit("sweep_points", 10_000_000, "points of a sweep: its whole grid, or the points --random draws"),
        Limit("local_workers", 64, "worker processes a sweep or a plan starts on this machine (--workers)"),
    )
}
"""Every cap, by name. ``CNNCALC_LIMIT_<NAME>`` in the environment, or :func:`raised`, sets another value."""

_RAISED: ContextVar[Mapping[str, int]] = ContextVar("cnncalc_limits", default=MappingProxyType({}))


def env_name(name: str) -> str:
    """The environment variable that sets a limit: ``CNNCALC_LIMIT_CHECK_ROWS``."""
    return f"CNNCALC_LIMIT_{name.upper()}"


def value(name: str) -> int:
    """A limit's value now: :func:`raised` over the environment over the default."""
    limit = LIMITS[name]
    chosen = _RAISED.get().get(name)
    if chosen is not None:
        return chosen
    text = os.environ.get(env_name(name)) if limit.raisable else None
    if text:
        return _whole(text.strip(), env_name(name))
    return limit.default


def guard(name: str, amount: int, what: str, **where: object) -> None:
    """Refuse ``amount`` when it is over the limit ``name``; ``what`` says what was counted ('the table has 3 rows')."""
    cap = value(name)
    if amount > cap:
        from cnncalc.errors import LimitError

        raise LimitError(what, limit=name, cap=cap, raisable=LIMITS[name].raisable, **where)  # type: ignore[arg-type]


@contextmanager
def raised(**caps: int) -> Iterator[None]:
    """Other values for some limits inside a ``with`` block (this thread or task only)."""
    for name, cap in caps.items():
        if name not in LIMITS:
            from cnncalc.errors import ArgumentError

            raise ArgumentError(f"unknown limit '{name}' (choose {', '.join(LIMITS)})")
        if not LIMITS[name].raisable:
            from cnncalc.errors import ArgumentError

            raise ArgumentError(f"the limit '{name}' protects the reader itself and cannot be changed")
        _whole(cap, name)
    token = _RAISED.set({**_RAISED.get(), **caps})
    try:
        yield
    finally:
        _RAISED.reset(token)


def _whole(text: object, what: str) -> int:
    from cnncalc.numbers import whole

    return whole(text, what, minimum=1)
