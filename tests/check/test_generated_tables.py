"""A table made from a report, in any format people paste, with any labels and any parameter-free rows left
out, and k of its cells changed, is graded with exactly those k cells wrong.

The tables are written here by small writers of each format (Markdown with and without outer pipes, CSV
with commas or semicolons and a byte order mark, TSV, Keras 3's box-drawn summary as rich draws it, Keras 2's
two printouts, torchsummary's); they do not use cnncalc's renderers. What is checked is the reading and the
matching of rows to layers: a changed cell is a number or a shape that no layer of the network has, so the
only right answer is the row it stands in.
"""

from __future__ import annotations

import csv
import io

import rich.console
import rich.table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.conventions import Layout, show_shape

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


# ---------------------------------------------------------------- changes no layer could explain


def wrong_number(value: int, taken: set[int], pick: int) -> int:
    candidates = [value + 1, value * 10 + 7, value + 1000, 2 * value + 3, value + 97, 13, 4242]
    candidates = [c for c in candidates if c not in taken and c > 0 and c != value]
    return candidates[pick % len(candidates)]


def wrong_shape(dims: tuple[int, ...], taken: set[tuple[int, ...]], pick: int) -> tuple[int, ...]:
    candidates = []
    for axis in range(len(dims)):
        for new in (dims[axis] + 1, dims[axis] * 2, dims[axis] + 7):
            candidates.append(dims[:axis] + (new,) + dims[axis + 1 :])
    candidates = [c for c in candidates if c not in taken]
    return candidates[pick % len(candidates)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=networks(),
    fmt=st.sampled_from(DELIMITED + PRINTOUTS),
    style=st.sampled_from(["kind", "numbered", "keras", "torch", "roles", "blank"]),
    data=st.data(),
)
def test_a_generated_table_with_k_changed_cells_has_exactly_those_cells_wrong(spec, fmt, style, data):
    report = cnncalc.analyze(spec)
    rows = list(report.rows)
    free = [r.index for r in rows if not r.params]
    left_out = set(data.draw(st.lists(st.sampled_from(free), unique=True), label="left out") if free else [])
    shown = [r for r in rows if r.index not in left_out]
    names = labels(shown, style)
    if fmt in PRINTOUTS:
        columns = ["output_shape", "params"]
    else:
        columns = data.draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=5, unique=True), label="columns")
    layout = Layout.chw if fmt == "torchsummary" else Layout.hwc
    cell_style = data.draw(st.integers(0, 2), label="cell style")

    values = {
        c: [show_shape(r.output_shape, layout) if c == "output_shape" else getattr(r, c) for r in shown]
        for c in columns
    }
    taken = {
        c: {show_shape(r.output_shape, layout) if c == "output_shape" else getattr(r, c) for r in rows} for c in columns
    }
    cells = [(i, c) for i in range(len(shown)) for c in columns]
    k = data.draw(st.integers(0, min(3, len(cells))), label="k")
    changed = data.draw(st.lists(st.sampled_from(cells), min_size=k, max_size=k, unique=True), label="changed")
    for n, (i, c) in enumerate(changed):
        pick = data.draw(st.integers(0, 20), label=f"change {n}")
        if c == "output_shape":
            values[c][i] = wrong_shape(values[c][i], taken[c], pick)
        else:
            values[c][i] = wrong_number(values[c][i], taken[c], pick)

    def text(c: str, i: int) -> str:
        v = values[c][i]
        return shape_text(v, fmt, cell_style) if c == "output_shape" else number_text(v, fmt, cell_style)

    body = [[names[i], *(text(c, i) for c in columns)] for i in range(len(shown))]
    t = report.totals
    totals = [f"Total params: {t.params:,}", f"Trainable params: {t.trainable_params:,}", "Non-trainable params: 0"]
    if fmt == "keras3":
        table = keras3(body, totals, data.draw(st.integers(64, 100), label="width"))
    elif fmt.startswith("keras2"):
        table = keras2(body, [s.replace(",", "") for s in totals], old=fmt == "keras2 old")
    elif fmt == "torchsummary":
        table = torchsummary(body, totals)
    else:
        table = delimited(fmt, ["Layer", *(TITLES[c] for c in columns)], body)

    r = cnncalc.check(table, report, convention="torch")
    expected_wrong = {(i + 1, TITLES[c]) for i, c in changed}
    got_wrong = {(c.row, "Output shape" if c.column == "Output Shape" else c.column) for c in r.wrong_cells()}
    got_wrong = {(row, TITLES["params"] if col == "Param #" else col) for row, col in got_wrong}
    assert got_wrong == expected_wrong, table
    assert not r.missing_rows and not r.extra_rows, table
    if style in ("kind", "numbered", "keras", "torch"):  # labels that name the kind tell which layers are left out
        assert len(r.skipped_layers) == len(left_out - {1}), table  # the input is never reported as skipped
    assert r.right == len(cells) - k + (3 if fmt in PRINTOUTS else 0), table
