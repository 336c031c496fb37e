"""Worked formulas: every figure of a Report with the arithmetic behind it, in the seeds' style.

The layer kinds record each figure together with its formula as they compute
it (``Calc.step``), so the explanation reads the Report and never recomputes.

>>> from cnncalc import analyze
>>> print(explain(analyze("input(224,224,3) -> conv(32, f=7, s=4)"), "text").splitlines()[6])
   output H = floor((224 − 7 + 2·0)/4) + 1 = 55
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cnncalc.conventions import CONVENTION_NOTES
from cnncalc.errors import ArgumentError
from cnncalc.layers.base import Step, fmt
from cnncalc.limits import guard
from cnncalc.report import Report, Row

FORMATS = ("text", "markdown", "json", "latex")


@dataclass(frozen=True, slots=True)
class Explained:
    """One layer's worked arithmetic: the steps its kind recorded, then its output shape."""

    index: int
    name: str
    kind: str
    source: str
    steps: tuple[Step, ...]
    notes: tuple[str, ...]


def explain_row(report: Report, row: Row) -> Explained:
    """The steps of one row, closed by its output shape (in the report's layout)."""
    steps = list(row.steps)
    shown = report.shown_shape(row)
    steps.append(Step("output shape", "", tuple(shown)))
    if not any(s.quantity == "params" for s in steps) and row.kind != "input":
        steps.append(Step("params", "", row.params))
    return Explained(row.index, row.name, row.kind, row.source or row.name, tuple(steps), row.notes)


def explain_rows(report: Report) -> list[Explained]:
    return [explain_row(report, row) for row in report.rows]


def total_steps(report: Report) -> list[Step]:
    """The totals as sums of the per-layer figures: ``params = 608 + 3,216 + … = 62,958``."""
    out = []
    for quantity, attr in (("params", "params"), ("MACs", "macs"), ("FLOPs", "flops")):
        terms = [getattr(r, attr) for r in report.rows if getattr(r, attr)]
        total = getattr(report.totals, attr)
        formula = " + ".join(fmt(t) for t in terms) if len(terms) > 1 else ""
        out.append(Step(f"total {quantity}", formula, total))
    t = report.training
    if t is not None:  # the step's: the rows' backward and saved bytes, and how the peak is made
        for quantity, attr, total in (
            ("backward FLOPs", "backward_flops", t.backward_flops),
            ("saved for backward", "saved_bytes", t.saved_activation_bytes),
        ):
            terms = [getattr(r, attr) for r in report.rows if getattr(r, attr)]
            formula = " + ".join(fmt(v) for v in terms) if len(terms) > 1 else ""
            out.append(Step(f"total {quantity}", formula, total if attr != "saved_bytes" else f"{total:,} B"))
        out.append(Step("training step FLOPs", f"{fmt(t.forward_flops)} + {fmt(t.backward_flops)}", t.flops))
        parts = [t.param_bytes, t.buffer_bytes, t.gradient_bytes, t.optimizer_bytes, t.activation_peak_bytes]
        out.append(
            Step(
                f"training peak ({t.optimizer}: params + buffers + gradients + optimizer state + activations)",
                " + ".join(fmt(v) for v in parts),
                f"{t.peak_bytes:,} B",
            )
        )
    return out


def rank_steps(report: Report) -> list[tuple[str, list[Step]]]:
    """Each rank class's figures with their arithmetic (a parallel layout's), headed by the ranks they hold for."""
    p = report.parallel
    if p is None:
        return []
    from cnncalc.render.ranks import rank_list

    out = []
    for c in p.ranks:
        steps = list(c.steps)
        steps += [Step(f"communication: {k}", "", f"{v:,} B") for k, v in c.communication.as_dict().items() if v]
        out.append((f"ranks {rank_list(c.ranks)} (stage {c.stage}) of --parallel {p.layout}", steps))
    return out


def heading(e: Explained) -> str:
    source = f" — {e.source}" if e.source and e.source != e.name else ""
    return f"{e.index}. {e.name} ({e.kind}){source}"


def render_text(report: Report) -> str:
    lines: list[str] = []
    if report.title:
        lines += [report.title, ""]
    for e in explain_rows(report):
        lines.append(heading(e))
        lines += [f"   {s}" for s in e.steps]
        lines += [f"   note: {n}" for n in e.notes]
        lines.append("")
    lines += [str(s) for s in total_steps(report)]
    for title, steps in rank_steps(report):
        lines += ["", title]
        lines += [f"   {s}" for s in steps]
    lines.append(f"FLOPs convention: {report.convention.value} — {CONVENTION_NOTES[report.convention]}")
    return "\n".join(lines) + "\n"


def render_markdown(report: Report) -> str:
    lines: list[str] = [f"## {report.title}", ""] if report.title else []
    for e in explain_rows(report):
        lines += [f"### {heading(e)}", ""]
        lines += [f"- {s}" for s in e.steps]
        lines += [f"- *{n}*" for n in e.notes]
        lines.append("")
    lines += ["### Totals", ""]
    lines += [f"- {s}" for s in total_steps(report)]
    for title, steps in rank_steps(report):
        lines += ["", f"### {title}", ""]
        lines += [f"- {s}" for s in steps]
    lines += ["", f"FLOPs convention: {report.convention.value} — {CONVENTION_NOTES[report.convention]}"]
    return "\n".join(lines) + "\n"


def render_latex(report: Report) -> str:
    """A solution sheet: each layer's arithmetic as aligned equations (a worksheet's ``WE``, ``Bias``, ``Total``
    for the parameters), then the totals; a whole document that compiles with plain pdflatex."""
    from cnncalc.render import latex

    body: list[str] = []
    for e in explain_rows(report):
        body.append(rf"\subsection*{{{latex.text(heading(e))}}}")
        body.append(latex.aligned(e.steps))
        body += [rf"\emph{{note: {latex.text(n)}}}\par" for n in e.notes]
        body.append("")
    body += [r"\subsection*{Totals}", latex.aligned(total_steps(report)), ""]
    body.append(latex.text(f"FLOPs convention: {report.convention.value} — {CONVENTION_NOTES[report.convention]}"))
    return latex.document("\n".join(body), report.title or "Worked arithmetic")


def _value(v: Any) -> Any:
    if isinstance(v, tuple):
        return list(v)
    return v if isinstance(v, (int, float, str)) else str(v)


def step_dict(s: Step) -> dict[str, Any]:
    return {"quantity": s.quantity, "formula": s.formula, "value": _value(s.value), "text": str(s)}


def as_dict(report: Report) -> dict[str, Any]:
    """The explanation as data: ``{"layers": [{"index", "name", "kind", "steps": [...], "notes"}], "totals"}``."""
    return {
        "convention": report.convention.value,
        "layout": report.layout.value,
        "batch": report.batch,
        "layers": [
            {
                "index": e.index,
                "name": e.name,
                "kind": e.kind,
                "source": e.source,
                "output_shape": list(report.shown_shape(row)),
                "steps": [step_dict(s) for s in e.steps],
                "notes": list(e.notes),
            }
            for row, e in zip(report.rows, explain_rows(report))
        ],
        "totals": [step_dict(s) for s in total_steps(report)],
        "ranks": [{"title": title, "steps": [step_dict(s) for s in steps]} for title, steps in rank_steps(report)],
    }


def explain(report: Report, format: str = "text") -> str:  # noqa: A002 - the user's word
    """The worked arithmetic of every layer as ``text``, ``markdown``, ``json`` or ``latex`` (a solution sheet)."""
    fmt_name = str(getattr(format, "value", format)).lower()
    if fmt_name not in FORMATS:
        raise ArgumentError(f"unknown explain format '{format}' (choose {', '.join(FORMATS)})")
    guard("explain_layers", len(report.rows), f"the network has {len(report.rows):,} layers to explain")
    if fmt_name == "text":
        return render_text(report)
    if fmt_name == "markdown":
        return render_markdown(report)
    if fmt_name == "latex":
        return render_latex(report)
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
