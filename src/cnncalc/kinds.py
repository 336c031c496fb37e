"""Every layer kind documented from its registry entry: its names, arguments, formulas and a worked example.

``cnncalc kinds NAME`` prints :func:`describe`; ``docs/kinds.md`` is :func:`markdown`, written by
``python -m cnncalc.kinds > docs/kinds.md`` (a test keeps the two in sync). The formulas are the
kind's docstring; the worked example runs the kind's example through explain, so it shows the
arithmetic the kind really does.

>>> print(describe("fcwb").splitlines()[0])
fcwb is dense(bias=true): fully connected
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

from cnncalc.errors import CnnCalcError
from cnncalc.layers import ALIASES, REGISTRY
from cnncalc.layers.base import Kind, Param, render_value, unknown_layer

# What a worked example is tried on, in order: an image, a sequence (L, d), a wider one, a vector, an image with
# channels divisible by 4, ImageNet's input; a kind of two inputs reads `a` and `b` (an image and its relu, a
# sequence and its transpose).
EXAMPLE_INPUTS = (
    "input(32,32,3) -> {}",
    "input(10,32) -> {}",
    "input(10,96) -> {}",
    "input(64) -> {}",
    "input(16,16,8) -> {}",
    "input(224,224,3) -> {}",
)
EXAMPLE_BRANCHES = ("a = input(8,8,4)\nb = a -> relu\n{}", "a = input(10,32)\nb = a -> permute(1, 0)\n{}")
FAMILIES = {
    "reshape": "moving numbers without arithmetic",
    "activation": "activations",
    "conv": "convolutions",
    "pool": "pooling",
    "dense": "fully connected",
    "norm": "normalization",
    "recurrent": "recurrent",
    "attention": "attention, embeddings and transformers",
    "merge": "merging branches",
    "elementwise": "elementwise",
}


@dataclass(frozen=True, slots=True)
class Example:
    """A kind's example, worked: the notation it ran as, and the steps explain shows for the kind's row."""

    text: str
    steps: tuple[str, ...]
    notes: tuple[str, ...]


def lookup(name: str) -> tuple[Kind, tuple[tuple[str, object], ...], bool]:
    """The kind a name stands for, the arguments its alias presets, and whether a trailing number was a label.

    An unknown name is an UnknownLayerError naming the nearest.
    """
    alias = ALIASES.get(name.lower())
    labelled = False
    if alias is None:
        alias = ALIASES.get(re.sub(r"\d+$", "", name.lower()))
        labelled = alias is not None
    if alias is None:
        raise unknown_layer(name)
    return REGISTRY[alias.kind], alias.preset, labelled


def worked(kind: Kind) -> Example | None:
    """The kind's example run on the first of :data:`EXAMPLE_INPUTS` (or branches) it takes, or None."""
    from cnncalc.api import analyze
    from cnncalc.explain import explain_row

    call = kind.example or kind.name
    whole = kind.inputs == 0 or "input(" in call  # an example that is a network of its own
    templates = ("{}",) if whole else EXAMPLE_INPUTS if kind.inputs == 1 else EXAMPLE_BRANCHES
    for template in templates:
        text = template.format(call)
        try:
            report = analyze(text)
        except CnnCalcError:
            continue
        row = report.rows[-1]
        e = explain_row(report, row)
        return Example(text, tuple(str(s) for s in e.steps), e.notes)
    return None


def _param_line(p: Param) -> tuple[str, str]:
    names = p.name + (f" ({', '.join(p.aliases)})" if p.aliases else "")
    if p.required:
        how = "required"
    elif p.variadic:
        how = "any number of values"
    elif p.default is None:
        how = "optional"
    else:
        how = f"default {render_value(p.default)}"
    if p.positional:
        how += ", positional"
    return names, how


def _doc(kind: Kind) -> str:
    return inspect.cleandoc(kind.doc) if kind.doc else ""


def describe(name: str) -> str:
    """One kind as ``cnncalc kinds NAME`` shows it: names, formulas, arguments, a worked example."""
    kind, preset, labelled = lookup(name)
    lines = []
    family = FAMILIES.get(kind.family, kind.family)
    if name.lower() != kind.name:
        fixed = ", ".join(f"{k}={render_value(v).strip(chr(39))}" for k, v in preset)
        label = " (its trailing number is a label)" if labelled else ""
        lines.append(f"{name.lower()} is {kind.name}" + (f"({fixed})" if fixed else "") + f"{label}: {family}")
    else:
        lines.append(f"{kind.name}: {family}")
    if kind.aliases:
        lines.append(f"also written: {', '.join(kind.aliases)}")
    lines.append("")
    lines += _doc(kind).splitlines()
    lines.append("")
    if kind.params:
        lines.append("arguments:")
        rows = [_param_line(p) for p in kind.params]
        width = max(len(n) for n, _ in rows)
        lines += [f"  {n:<{width}}  {how}" for n, how in rows]
    else:
        lines.append("arguments: none")
    if kind.inputs != 1:
        lines.append("inputs: " + ("any number" if kind.inputs is None else str(kind.inputs)))
    ex = worked(kind)
    if ex is not None:
        lines += ["", f"example: {ex.text.replace(chr(10), '; ')}"]
        lines += [f"  {s}" for s in ex.steps]
        lines += [f"  note: {n}" for n in ex.notes]
    elif kind.example:
        lines += ["", f"example: {kind.example}"]
    return "\n".join(lines).rstrip() + "\n"


def markdown() -> str:
    """``docs/kinds.md``: every kind, family by family, from the registry."""
    out = [
        "# Layer kinds",
        "",
        "Generated from cnncalc's registry by `python -m cnncalc.kinds > docs/kinds.md`; do not edit by hand.",
        "`cnncalc kinds NAME` prints one of these. Names are case-insensitive, and a trailing number",
        "is a label (`CONV1` is `conv`). The worked examples are explain's own lines.",
        "",
    ]
    kinds = sorted(REGISTRY.values(), key=lambda k: (k.family, k.name))
    for family in sorted({k.family for k in kinds}):
        out += [f"## {FAMILIES.get(family, family).capitalize()}", ""]
        for kind in (k for k in kinds if k.family == family):
            out += [f"### `{kind.name}`", ""]
            if kind.aliases:
                out += ["Also written: " + ", ".join(f"`{a}`" for a in kind.aliases) + ".", ""]
            presets = [a for a in ALIASES.values() if a.kind == kind.name and a.preset]
            if presets:
                shown = [
                    f"`{a.name}` = `{kind.name}({', '.join(f'{k}={render_value(v)}' for k, v in a.preset)})`"
                    for a in presets
                ]
                out += ["Presets: " + "; ".join(shown) + ".", ""]
            out += [*_doc(kind).splitlines(), ""]
            if kind.params:
                out += ["| argument | also | default |", "|---|---|---|"]
                for p in kind.params:
                    _, how = _param_line(p)
                    also = ", ".join(f"`{a}`" for a in p.aliases)
                    out.append(f"| `{p.name}` | {also} | {how} |")
                out.append("")
            ex = worked(kind)
            if ex is not None:
                command = ex.text.replace("\n", "; ")
                out += ["```", f'$ cnncalc explain "{command}"', *ex.steps, *(f"note: {n}" for n in ex.notes)]
                out += ["```", ""]
            elif kind.example:
                out += [f"Example: `{kind.example}`", ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":  # python -m cnncalc.kinds > docs/kinds.md
    print(markdown(), end="")
