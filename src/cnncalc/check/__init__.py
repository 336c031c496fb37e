"""Grade a hand-made table against the computed one, cell by cell.

Three steps, one module each: :mod:`~cnncalc.check.read` reads the table as it was pasted
(CSV with commas, semicolons or tabs, Markdown with or without outer pipes, a Keras or
torchsummary printout, a box-drawn table); :mod:`~cnncalc.check.align` decides which
layer each row is, on its label, its numbers and the order; :mod:`~cnncalc.check.grade`
grades every recognised cell (layer, output/activation shape, activation size, params,
FLOPs, MACs) and the totals (a ``Total`` row, ``Total params: N`` lines). Each wrong
cell is reported with the value written, the right value and the explain line that
gives it.

>>> r = check("| Layer | Params |\\n|---|---|\\n| conv(8, f=5) | 608 |\\n| fc(10) | 62,730 |", input="32,32,3")
>>> (r.right, r.wrong)  # (5·5·3 + 1)·8 = 608 is right; (28·28·8 + 1)·10 = 62,730 is right
(2, 0)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnncalc.conventions import Convention, Layout

if TYPE_CHECKING:
    from cnncalc.check.grade import CheckResult
    from cnncalc.report import Report

FRAMEWORKS = ("torch", "keras")

# What `from cnncalc.check import X` finds, imported when first asked for (the CLI's summary never pays for it).
_LAZY = {
    "Cell": "cnncalc.check.grade",
    "CheckResult": "cnncalc.check.grade",
    "grade": "cnncalc.check.grade",
    "Table": "cnncalc.check.read",
    "read_table": "cnncalc.check.read",
    "classify": "cnncalc.check.columns",
    "label_kind": "cnncalc.check.align",
    "align": "cnncalc.check.align",
    "spec_from_table": "cnncalc.check.spec",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cnncalc.check' has no attribute {name!r}")


def read_text(table: str | Path) -> str:
    """The table's text: ``table`` itself, or the file it names (UTF-8, a byte order mark dropped)."""
    from cnncalc.errors import SpecError
    from cnncalc.limits import guard

    if isinstance(table, Path) or (isinstance(table, str) and "\n" not in table and _is_file(table)):
        try:
            size = Path(table).stat().st_size
            guard("file_bytes", size, f"{table} holds {size:,} bytes")
            return Path(table).read_text(encoding="utf-8-sig")
        except OSError as e:
            raise SpecError(f"cannot read {table}: {e.strerror}") from None
        except UnicodeDecodeError:
            raise SpecError(f"{table} is not a text file (CSV, TSV or Markdown in UTF-8)") from None
    guard("file_bytes", len(table), f"the table is {len(table):,} characters long")
    return str(table)


def _is_file(text: str) -> bool:
    """Whether ``text`` names a file (a long text or one with a NUL names none)."""
    try:
        return len(text) < 4096 and Path(text).is_file()
    except (OSError, ValueError):
        return False


def check(
    table: str | Path,
    spec: str | Path | Report | None = None,
    *,
    input: str | tuple[int, ...] | None = None,  # noqa: A002 - the user's word
    flops: Convention | str = Convention.seed,
    layout: Layout | str | None = None,
    convention: str | None = None,
) -> CheckResult:
    """Grade a hand-made table (text, or a path to a file) against ``spec``.

    ``spec`` is the notation, a path to a file holding it, or a Report. Without
    ``spec`` the table's layer column must hold the notation per row. ``convention``
    is the framework whose counting the table follows (``torch`` or ``keras``);
    by default ``keras`` for a pasted Keras ``model.summary()``, else ``torch``.
    """
    from cnncalc.analyze import enum_option
    from cnncalc.api import analyze
    from cnncalc.check.grade import grade
    from cnncalc.check.read import read_table
    from cnncalc.check.spec import GIVE_SPEC, spec_from_table
    from cnncalc.errors import ArgumentError, CnnCalcError, SpecError, wrong_type
    from cnncalc.report import Report

    if not isinstance(table, (str, Path)):
        raise wrong_type("table", "the table's text or a path to its file", table)
    if input is not None and not isinstance(input, (str, tuple, list)):
        raise wrong_type("input", "a shape such as '32,32,3' or (32, 32, 3)", input)
    text = read_text(table)
    if spec is None:  # an exercise from ``cnncalc quiz`` carries its network
        from cnncalc.quiz import find_marker

        marked = find_marker(text)
        spec = None if marked is None else str(marked["spec"])
    parsed = read_table(text)
    lay = None if layout is None else enum_option(Layout, layout, "layout")
    if convention is not None and not isinstance(convention, str):
        raise wrong_type("convention", "'torch' or 'keras'", convention)
    if convention is not None and str(getattr(convention, "value", convention)).lower() not in FRAMEWORKS:
        raise ArgumentError(f"unknown framework convention '{convention}' (choose {', '.join(FRAMEWORKS)})")
    framework = str(getattr(convention, "value", convention)).lower() if convention else None
    framework = framework or ("keras" if parsed.keras else "torch")
    if isinstance(spec, Path):
        try:
            spec = spec.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            raise SpecError(f"cannot read the spec {spec}") from None
    if isinstance(spec, Report):
        report = spec
    else:
        source = spec if spec is not None else spec_from_table(parsed, input)
        try:
            report = analyze(source, input=input, flops=flops, layout=lay or Layout.hwc, framework=framework)
        except CnnCalcError as e:
            if spec is None and e.hint is None:
                e.hint = "the layer column was read as the notation; if it holds labels, " + GIVE_SPEC
            raise
    return grade(parsed, report, lay, framework)


__all__ = ["FRAMEWORKS", "check", "read_text", *_LAZY]
