"""LaTeX for solution sheets: the worked arithmetic as aligned equations, tables as tabulars.

The output compiles with a plain ``pdflatex`` (only ``amsmath``). Formulas are the ones explain prints,
turned into math: ``·`` is ``\\times`` as worksheets write it, ``floor(…)`` a pair of floor brackets, words
upright, thousands separated as ``62{,}958``.

>>> math("floor((224 − 7 + 2·0)/4) + 1")
'\\\\left\\\\lfloor (224 - 7 + 2 \\\\times 0)/4 \\\\right\\\\rfloor + 1'
>>> math("x = floor(9/2) per output")
'\\\\text{x }= \\\\left\\\\lfloor 9/2 \\\\right\\\\rfloor\\\\text{ per output}'
>>> math("(5·5·3 + 1)·8"), number(62958)
('(5 \\\\times 5 \\\\times 3 + 1) \\\\times 8', '62{,}958')
>>> text("conv_1 & 50% #2")
'conv\\\\_1 \\\\& 50\\\\% \\\\#2'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cnncalc.layers.base import Step, fmt

_TEXT = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "—": "---",
    "–": "--",
    "−": "-",
    "·": r"$\cdot$",
    "×": r"$\times$",
    "β": r"$\beta$",
    "γ": r"$\gamma$",
    "→": r"$\to$",
    "…": r"\ldots{}",
    "≈": r"$\approx$",
    "≤": r"$\le$",
    "≥": r"$\ge$",
    "²": r"$^2$",
}
_MATH = {
    "·": r" \times ",
    "×": r" \times ",
    "−": "-",
    "—": "-",
    "β": r"\beta ",
    "γ": r"\gamma ",
    "≈": r"\approx ",
    "≤": r"\le ",
    "≥": r"\ge ",
    "²": "^2",
    "…": r"\ldots ",
    "→": r"\to ",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "{": r"\{",
    "}": r"\}",
    "~": r"\sim ",
    "^": r"\hat{}",
    "\\": r"\backslash ",
}
# floor( and ceil( open brackets; a run of words keeps its spaces (upright text); numbers; anything else alone
_WORD = r"(?!(?:floor|ceil)\()[A-Za-z_]+"
_TOKEN = re.compile(rf"(floor|ceil)\(| *{_WORD}(?: +{_WORD})* *|\d[\d,]*(?:\.\d+)?|\s+|.", re.DOTALL)


def text(value: str) -> str:
    """Plain text for LaTeX's text mode, every special character escaped."""
    return "".join(_TEXT.get(ch, ch if ch.isascii() else "?") for ch in value)


def number(value: Any) -> str:
    """A figure as math: ``62{,}958``; a shape as ``(28, 28, 8)``; anything else as upright text."""
    if isinstance(value, bool):
        return rf"\text{{{value}}}"
    if isinstance(value, (int, float)):
        return fmt(value).replace(",", "{,}")
    if isinstance(value, tuple):
        return "(" + ", ".join(number(v) for v in value) + ")"
    return rf"\text{{{text(str(value))}}}"


def math(formula: str) -> str:
    """A formula as explain writes it, in LaTeX math: numbers, operators, floor and ceil brackets, upright words."""
    out: list[str] = []
    closers: list[str] = []  # for each open parenthesis: what closes it
    for m in _TOKEN.finditer(formula):
        tok = m.group(0)
        if m.group(1):  # floor( or ceil(
            left = r"\left\lfloor " if m.group(1) == "floor" else r"\left\lceil "
            out.append(left)
            closers.append(r" \right\rfloor" if m.group(1) == "floor" else r" \right\rceil")
        elif tok == "(":
            out.append("(")
            closers.append(")")
        elif tok == ")":
            out.append(closers.pop() if closers else ")")
        elif tok[0].isdigit():
            out.append(tok.replace(",", "{,}"))
        elif tok.strip() and (tok.strip()[0].isalpha() or tok.strip()[0] == "_"):
            out.append(rf"\text{{{text(tok)}}}")
        elif tok.isspace():
            out.append(" ")
        else:
            out.append(_MATH.get(tok, tok if tok.isascii() else ""))
    return re.sub(r" {2,}", " ", "".join(out)).strip()


def align_lines(step: Step) -> list[str]:
    """One step as lines of an ``align*``: ``\\text{params} &= (5 \\times 5 \\times 3 + 1) \\times 8 = 608``.

    A step with parts is written as a worksheet writes it: ``WE: 5·5·3 = 75``, ``75·8 = 600``, ``Bias: 1·8 = 8``,
    ``Total: 608``.
    """
    if step.parts:
        lines = [rf"\text{{{text(step.quantity)}:}} & \\"]
        for part in step.parts:
            label = rf"\text{{{text(part.quantity)}: }}" if part.quantity else ""
            lines.append(rf"{label}{math(part.formula)} &= {number(part.value)} \\")
        lines.append(rf"\text{{Total: }} &{number(step.value)} \\")
        return lines
    value = number(step.value)
    numeric = isinstance(step.value, (int, float)) and not isinstance(step.value, bool)
    shown = fmt(step.value) if numeric else str(step.value)
    if step.formula and step.formula != shown:  # as Step's own text: the formula only where it says more
        return [rf"\text{{{text(step.quantity)}}} &= {math(step.formula)} = {value} \\"]
    return [rf"\text{{{text(step.quantity)}}} &= {value} \\"]


def aligned(steps: Sequence[Step]) -> str:
    """Steps as one ``align*`` environment (the last line without its break)."""
    lines = [line for s in steps for line in align_lines(s)]
    if lines:
        lines[-1] = lines[-1].removesuffix(r" \\")
    return "\\begin{align*}\n" + "\n".join(lines) + "\n\\end{align*}"


def document(body: str, title: str = "") -> str:
    """A whole document around ``body`` that compiles with plain pdflatex."""
    head = [
        r"\documentclass[11pt,fleqn]{article}",
        r"\usepackage{amsmath}",
        r"\setlength{\parindent}{0pt}",
        r"\allowdisplaybreaks",
        r"\begin{document}",
    ]
    if title:
        head.append(rf"\section*{{{text(title)}}}")
    return "\n".join(head) + "\n" + body.rstrip("\n") + "\n\\end{document}\n"


def tabular(headers: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: Sequence[bool] = ()) -> str:
    """A table as a ``tabular`` with rules: headers and cells are plain text (escaped here)."""
    align = "".join("r" if i < len(numeric) and numeric[i] else "l" for i in range(len(headers)))
    lines = [rf"\begin{{tabular}}{{|{'|'.join(align)}|}}", r"\hline"]
    lines.append(" & ".join(rf"\textbf{{{text(h)}}}" for h in headers) + r" \\ \hline")
    for row in rows:
        lines.append(" & ".join(text(c) for c in row) + r" \\ \hline")
    lines.append(r"\end{tabular}")
    return "\n".join(lines)
