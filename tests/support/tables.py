"""Tables as people paste them, written from a report by small writers of each format (not cnncalc's renderers):
Markdown with and without outer pipes, CSV with commas or semicolons and a byte order mark, TSV, Keras 3's
box-drawn summary as rich draws it, Keras 2's two printouts, torchsummary's. Hypothesis strategies draw the
networks; tests/check reads the tables back.
"""

from __future__ import annotations

import csv
import io

import rich.console
import rich.table
from hypothesis import strategies as st

import cnncalc

KERAS = {
    "input": "InputLayer",
    "conv": "Conv2D",
    "batchnorm": "BatchNormalization",
    "relu": "Activation",
    "tanh": "Activation",
    "softmax": "Softmax",
    "maxpool": "MaxPooling2D",
    "dropout": "Dropout",
    "flatten": "Flatten",
    "dense": "Dense",
}
TORCH = {
    "input": "Input",
    "conv": "Conv2d",
    "batchnorm": "BatchNorm2d",
    "relu": "ReLU",
    "tanh": "Tanh",
    "softmax": "Softmax",
    "maxpool": "MaxPool2d",
    "dropout": "Dropout",
    "flatten": "Flatten",
    "dense": "Linear",
}
FREE = ("relu", "tanh", "dropout(0.2)")
DELIMITED = ("markdown", "markdown bare", "csv", "semicolon", "tsv")
PRINTOUTS = ("keras3", "keras2", "keras2 old", "torchsummary")
COLUMNS = ("output_shape", "params", "activation_size", "macs", "flops")
TITLES = {
    "output_shape": "Output shape",
    "params": "Params",
    "activation_size": "Activation size",
    "macs": "MACs",
    "flops": "FLOPs",
}


@st.composite
def networks(draw: st.DrawFn) -> str:
    size = draw(st.sampled_from([8, 12, 16]))
    parts = [f"input({size},{size},{draw(st.sampled_from([1, 3]))})"]
    for _ in range(draw(st.integers(1, 3))):
        parts.append(f"conv({draw(st.sampled_from([4, 6, 8, 16]))}, f=3, p=1)")
        if draw(st.booleans()):
            parts.append("bn")
        if draw(st.booleans()):
            parts.append("relu")
        if size >= 4 and draw(st.booleans()):
            parts.append("maxpool(2)")
            size //= 2
        if draw(st.booleans()):
            parts.append("dropout(0.1)")
    if draw(st.booleans()):
        parts.append("flatten")
    for units in draw(st.lists(st.sampled_from([10, 32, 64, 100]), min_size=1, max_size=3)):
        parts.append(f"fc({units})")
        if draw(st.booleans()):
            parts.append(draw(st.sampled_from(FREE)))
    if draw(st.booleans()):
        parts.append("softmax")
    return " -> ".join(parts)


# ---------------------------------------------------------------- labels


def labels(rows: list[cnncalc.Row], style: str) -> list[str]:
    counts: dict[str, int] = {}
    dense = [r.index for r in rows if r.kind == "dense"]
    out = []
    for i, r in enumerate(rows, start=1):
        n = counts[r.kind] = counts.get(r.kind, 0) + 1
        if style == "kind":
            out.append(r.kind)
        elif style == "numbered":
            out.append(f"{r.kind.upper()}{n}")
        elif style == "keras":
            cls = KERAS[r.kind]
            name = "".join("_" + ch.lower() if ch.isupper() and j else ch.lower() for j, ch in enumerate(cls))
            out.append(f"{name}{'' if n == 1 else f'_{n - 1}'} ({cls})")
        elif style == "torch":
            out.append(f"{TORCH[r.kind]}-{i}")
        elif style == "roles":
            if r.kind == "input":
                out.append("Input")
            elif r.kind == "dense":
                out.append("Output" if r.index == dense[-1] else f"Hidden {dense.index(r.index) + 1}")
            else:
                out.append(f"Layer {i}")
        else:
            out.append("")
    return out


# ---------------------------------------------------------------- cells as each format writes them


def shape_text(dims: tuple[int, ...], fmt: str, style: int) -> str:
    if fmt in ("keras3", "keras2", "keras2 old"):
        return "(None, " + ", ".join(map(str, dims)) + ")"
    if fmt == "torchsummary":
        return "[-1, " + ", ".join(map(str, dims)) + "]"
    if style == 0 or len(dims) == 1 and style == 1:
        return "(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")"
    return ("x" if style == 1 else " × ").join(map(str, dims))


def number_text(n: int, fmt: str, style: int) -> str:
    if fmt in ("keras2", "keras2 old"):
        return str(n)
    if fmt == "semicolon":
        return f"{n:,}".replace(",", ".") if style else str(n)
    return f"{n:,}" if style or fmt in ("keras3", "torchsummary") else str(n)


# ---------------------------------------------------------------- writers


def delimited(fmt: str, header: list[str], body: list[list[str]]) -> str:
    if fmt.startswith("markdown"):
        lines = [" | ".join(header), " | ".join("---" for _ in header), *(" | ".join(r) for r in body)]
        return "\n".join(f"| {ln} |" if fmt == "markdown" else ln for ln in lines) + "\n"
    out = io.StringIO()
    delimiter = {"csv": ",", "semicolon": ";", "tsv": "\t"}[fmt]
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows([header, *body])
    return ("\ufeff" if fmt == "semicolon" else "") + out.getvalue()


def keras3(body: list[list[str]], totals: list[str], width: int) -> str:
    spans = [int(p * width) for p in (0.45, 0.80, 1.0)]
    widths = [spans[0], spans[1] - spans[0], spans[2] - spans[1]]
    columns = [
        rich.table.Column(title, justify=justify, width=w)
        for title, justify, w in zip(("Layer (type)", "Output Shape", "Param #"), ("left", "left", "right"), widths)
    ]
    table = rich.table.Table(*columns, width=width, show_lines=True)
    for r in body:
        table.add_row(*r)
    out = io.StringIO()
    console = rich.console.Console(file=out, width=200, color_system=None, force_terminal=False, highlight=False)
    console.print('Model: "sequential"')
    console.print(table)
    for t in totals:
        console.print(f" {t} (1.00 KB)")
    return out.getvalue()


def keras2(body: list[list[str]], totals: list[str], old: bool) -> str:
    """Keras 2.13+ wraps a long field and leaves a blank line after each row; before, it cut the field short."""
    width = 65
    pos = [29, 55, 65]

    def row(fields: list[str]) -> list[str]:
        if old:
            line = ""
            for i, f in enumerate(fields):
                if i:
                    line = line[:-1] + " "
                line = (line + f)[: pos[i]]
                line += " " * (pos[i] - len(line))
            return [line]
        left, lines = list(fields), []
        while any(left):
            line = ""
            for col in range(3):
                start = pos[col - 1] if col else 0
                cutoff = pos[col] - start - (3 if col < 2 else 0)
                line += (" " if col == 0 else "") + left[col][:cutoff] + ("  " if col < 2 else "")
                left[col] = left[col][cutoff:]
                line += " " * (pos[col] - len(line))
            lines.append(line)
        return lines

    lines = ['Model: "sequential"', "_" * width, *row(["Layer (type)", "Output Shape", "Param #"]), "=" * width]
    for i, r in enumerate(body):
        lines += row(r)
        lines.append(("_" * width if i < len(body) - 1 else "") if old else " " * width)
    lines += ["=" * width, *totals, "_" * width]
    return "\n".join(lines) + "\n"


def torchsummary(body: list[list[str]], totals: list[str]) -> str:
    lines = ["-" * 64, "{:>20}  {:>25} {:>15}".format("Layer (type)", "Output Shape", "Param #"), "=" * 64]
    lines += ["{:>20}  {:>25} {:>15}".format(*r) for r in body]
    lines += ["=" * 64, *totals, "-" * 64, "Input size (MB): 0.01", "-" * 64]
    return "\n".join(lines) + "\n"


def table_of(report: cnncalc.Report, fmt: str, style: str = "kind", cell_style: int = 0, columns=None) -> str:
    """The whole table of ``report`` as ``fmt`` writes it (every row, right figures): what the fuzz mutates."""
    from cnncalc.conventions import Layout, show_shape

    rows = list(report.rows)
    names = labels(rows, style)
    columns = ["output_shape", "params"] if fmt in PRINTOUTS or columns is None else list(columns)
    layout = Layout.chw if fmt == "torchsummary" else Layout.hwc

    def text(c: str, r: cnncalc.Row) -> str:
        if c == "output_shape":
            return shape_text(show_shape(r.output_shape, layout), fmt, cell_style)
        return number_text(getattr(r, c), fmt, cell_style)

    body = [[names[i], *(text(c, r) for c in columns)] for i, r in enumerate(rows)]
    t = report.totals
    totals = [f"Total params: {t.params:,}", f"Trainable params: {t.trainable_params:,}", "Non-trainable params: 0"]
    if fmt == "keras3":
        return keras3(body, totals, 80)
    if fmt.startswith("keras2"):
        return keras2(body, [s.replace(",", "") for s in totals], old=fmt == "keras2 old")
    if fmt == "torchsummary":
        return torchsummary(body, totals)
    return delimited(fmt, ["Layer", *(TITLES[c] for c in columns)], body)
