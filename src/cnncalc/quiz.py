"""Exercises for a class: a network's table to fill by hand, and its answer key.

An exercise is a network (a spec the teacher gives, or one generated at a level of difficulty) and
the columns the students work out. :func:`exercise` makes one; :func:`variants` makes many of the same
level, each different, so a class cannot copy one answer; :func:`render` writes the blank table or the
key as Markdown, CSV, LaTeX or HTML. Each carries its spec in a comment (``cnncalc-exercise: {...}``),
so ``cnncalc check filled.md`` grades a filled one without being told the network.

The levels, as the course's worksheets climb:

1. chains of convolutions, pools and fully connected layers, stride 1 and no padding (the seeds' tables);
2. padding, strides, dilation and groups;
3. branches that merge (a residual add, a concatenation) and batch norm.

>>> ex = exercise("input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)", ask=("output_shape", "params"))
>>> print(render(ex, "csv", key=True).split("\\n", 2)[2], end="")  # (5·5·3 + 1)·8 = 608; (14·14·8 + 1)·10
#,Layer,Output shape,Params
1,"input(32, 32, 3)","(32, 32, 3)",0
2,"conv(8, f=5)","(28, 28, 8)",608
3,pool(2),"(14, 14, 8)",0
4,fc(10),"(10,)",15690
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cnncalc.errors import ArgumentError, CnnCalcError, SpecError
from cnncalc.report import Report

LEVELS = {
    1: "chains of convolutions, pools and fully connected layers (stride 1, no padding)",
    2: "padding, strides, dilation and groups",
    3: "branches that merge (add, concat) and batch norm",
}
ASKABLE = ("output_shape", "activation_size", "params", "macs", "flops")
FORMATS = ("markdown", "csv", "latex", "html")
DEFAULT_ASK = ("output_shape", "params")
MARK = "cnncalc-exercise:"
MARK_LINE = re.compile(r"cnncalc-exercise:[ \t]*(.*)")


@dataclass(frozen=True, slots=True)
class Exercise:
    """A network to work through: its ``spec`` (the notation), the ``ask``-ed columns, and its Report (the key).

    ``level`` and ``seed`` say how it was generated (None for a spec the teacher gave); ``number`` is its place
    among variants.
    """

    spec: str
    ask: tuple[str, ...]
    report: Report
    level: int | None = None
    seed: int | None = None
    number: int | None = None

    def marker(self) -> str:
        """The line that lets ``check`` grade a filled copy without being told the spec."""
        data = {"spec": self.spec, "ask": list(self.ask), "level": self.level, "seed": self.seed}
        return f"{MARK} {json.dumps(data, ensure_ascii=False)}"


def parse_ask(ask: str | Sequence[str] | None) -> tuple[str, ...]:
    """The columns to ask for, from ``output_shape,params`` or a sequence; each once, each askable."""
    if ask is None:
        return DEFAULT_ASK
    items = [a.strip() for a in (ask.split(",") if isinstance(ask, str) else ask) if str(a).strip()]
    if not items:
        raise ArgumentError(f"ask for at least one column (choose from {', '.join(ASKABLE)})")
    for item in items:
        if item not in ASKABLE:
            raise ArgumentError(f"unknown column '{item}' to ask for (choose from {', '.join(ASKABLE)})")
        if items.count(item) > 1:
            raise ArgumentError(f"the column '{item}' is asked for twice")
    return tuple(items)


def exercise(
    spec: str | None = None,
    *,
    level: int | None = None,
    seed: int | None = None,
    ask: str | Sequence[str] | None = None,
    number: int | None = None,
) -> Exercise:
    """An exercise from ``spec`` (the notation), or generated at ``level`` from ``seed`` when no spec is given."""
    from cnncalc.api import analyze

    columns = parse_ask(ask)
    if spec is None:
        level = 1 if level is None else level
        seed = random.SystemRandom().randrange(10**6) if seed is None else seed
        spec = generate(level, seed)
    elif level is not None:
        raise ArgumentError("a level is for generated exercises; a given spec is its own level")
    try:
        report = analyze(spec)
    except CnnCalcError as e:
        raise SpecError(f"the exercise's network does not work out: {e}") from None
    return Exercise(spec, columns, report, level, seed, number)


def variants(count: int, *, level: int = 1, seed: int = 0, ask: str | Sequence[str] | None = None) -> list[Exercise]:
    """``count`` different generated exercises of one level: the n-th from the seed ``seed + n``, skipping repeats."""
    from cnncalc.numbers import whole

    count = whole(count, "the number of variants", minimum=1)
    if count > MAX_VARIANTS:
        raise ArgumentError(f"at most {MAX_VARIANTS} variants at once (got {count})")
    seen: set[str] = set()
    out: list[Exercise] = []
    n = seed
    while len(out) < count:
        spec = generate(level, n)
        if spec not in seen:
            seen.add(spec)
            made = exercise(spec, ask=ask, number=len(out) + 1)
            out.append(dataclasses.replace(made, level=level, seed=n))
        n += 1
        if n - seed > count * 50:  # pragma: no cover - the space of a level is far larger than any class
            raise ArgumentError(f"level {level} has fewer than {count} different networks")
    return out


MAX_VARIANTS = 500


# ---------------------------------------------------------------- generating networks


def generate(level: int, seed: int) -> str:
    """A network of ``level``'s difficulty from ``seed``: valid (no window larger than its input), small numbers.

    >>> generate(1, 7) == generate(1, 7)
    True
    >>> generate(1, 7) != generate(1, 8)
    True
    """
    from cnncalc.numbers import whole

    level = whole(level, "the level")
    if level not in LEVELS:
        raise ArgumentError(f"the level is 1, 2 or 3 (got {level})")
    seed = whole(seed, "the seed")
    rng = random.Random(f"cnncalc-quiz-{level}-{seed}")
    make = (_level1, _level2, _level3)[level - 1]
    while True:  # a draw whose sizes run out is drawn again, from the same stream
        spec = make(rng)
        try:
            from cnncalc.api import analyze

            analyze(spec)
            return spec
        except CnnCalcError:
            continue


def _conv_out(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _level1(rng: random.Random) -> str:
    size = rng.choice((28, 32, 48, 64, 96, 128, 150, 224))
    channels = rng.choice((1, 3))
    layers = [f"input({size},{size},{channels})"]
    n = size
    for i in range(rng.randint(2, 3)):
        choices = [k for k in (3, 5, 7) if _conv_out(n, k) >= 4]
        if not choices:
            break
        k = rng.choice(choices)
        layers.append(f"conv({rng.choice((6, 8, 16, 32, 64))}, f={k})")
        n = _conv_out(n, k)
        if n >= 8 and (i == 0 or rng.random() < 0.7):
            layers.append("pool(2)")
            n //= 2
    for _ in range(rng.randint(1, 2)):
        layers.append(f"fc({rng.choice((64, 84, 100, 120, 128, 256))})")
    layers.append(f"fc({rng.choice((2, 10, 100))})")
    return " -> ".join(layers)


def _level2(rng: random.Random) -> str:
    """Every level-2 network pads, strides, dilates and groups at least once each."""
    size = rng.choice((32, 48, 64, 96, 112, 128, 224))
    layers = [f"input({size},{size},3)"]
    n, c = size, 3
    features = ["pad", "stride", "dilate", "group"]
    rng.shuffle(features)
    for feature in features:
        k = rng.choice((3, 5))
        filters = rng.choice((16, 32, 64))
        if feature == "pad":
            p = rng.choice((1, 2)) if k == 5 else 1
            layers.append(f"conv({filters}, f={k}, p={p})")
            n = _conv_out(n, k, p=p)
        elif feature == "stride":
            p = rng.choice((0, 1))
            layers.append(f"conv({filters}, f={k}, s=2, p={p})")
            n = _conv_out(n, k, 2, p)
        elif feature == "dilate":
            layers.append(f"conv({filters}, f=3, d=2, p={rng.choice((0, 2))})")
            n = _conv_out(n, 3, 1, int(layers[-1].split("p=")[1].rstrip(")")), 2)
        else:
            g = rng.choice([g for g in (2, 4) if c % g == 0] or [1]) if c > 3 else 1
            if g == 1:  # the first layer reads 3 channels: widen first, then group
                layers.append(f"conv({filters}, f=1)")
                c = filters
                g = rng.choice((2, 4))
            layers.append(f"conv({filters}, f=3, p=1, g={g})")
        c = filters
        if n >= 12 and rng.random() < 0.5:
            s = rng.choice((2, 3))
            layers.append(f"maxpool(3, s={s})" if s == 2 else "pool(3)")
            n = (n - 3) // s + 1
    layers.append(f"fc({rng.choice((10, 100))})")
    return " -> ".join(layers)


def _level3(rng: random.Random) -> str:
    """A stem, then a residual block (an add) or a split-and-concatenate block, with batch norm."""
    size = rng.choice((16, 28, 32, 56, 64))
    c = rng.choice((16, 32, 64))
    stem = f"x = input({size},{size},3) -> conv({c}, f=3, p=1, bias=false) -> bn -> relu"
    if rng.random() < 0.5:
        s = rng.choice((1, 2))
        lines = [
            stem,
            f"y = x -> conv({c * s}, f=3, s={s}, p=1, bias=false) -> bn -> relu -> "
            f"conv({c * s}, f=3, p=1, bias=false) -> bn",
        ]
        if s == 1:
            lines.append("add(x, y) -> relu")
        else:
            lines.append(f"z = x -> conv({c * s}, f=1, s=2, bias=false) -> bn")
            lines.append("add(y, z) -> relu")
    else:
        a, b, d = rng.choice((8, 16, 32)), rng.choice((16, 24, 32)), rng.choice((8, 16))
        lines = [
            stem,
            f"a = x -> conv({a}, f=1)",
            f"b = x -> conv({b // 2}, f=1) -> conv({b}, f=3, p=1)",
            f"c = x -> maxpool(3, s=1, p=1) -> conv({d}, f=1)",
            "concat(a, b, c) -> bn -> relu",
        ]
    lines.append(f"gap -> fc({rng.choice((10, 100))})")
    return "\n".join(lines)


# ---------------------------------------------------------------- the table, blank or filled


def table(ex: Exercise, *, key: bool) -> tuple[list[str], list[list[str]]]:
    """Headers and rows: ``#``, the layer as written, then the asked columns (blank but for the input's row)."""
    from cnncalc.render import HEADERS, cell

    headers = [HEADERS["index"], HEADERS["name"], *(HEADERS[c] for c in ex.ask)]
    rows = []
    for row in ex.report.rows:
        given = key or row.kind == "input"  # the input is the problem's statement
        written = row.source or row.name
        cells = [cell(ex.report, row, c) if given else "" for c in ex.ask]
        rows.append([str(row.index), written, *cells])
    return headers, rows


def render(
    ex: Exercise,
    format: str = "markdown",  # noqa: A002
    *,
    key: bool = False,
    filled: Sequence[Sequence[str]] | None = None,
) -> str:
    """The exercise (``key=False``: blank cells to fill) or its answer key, as markdown, csv, latex or html.

    ``filled`` writes the exercise with these rows instead (a student's answers, as :func:`table` lays them out).
    """
    fmt = str(getattr(format, "value", format)).lower()
    if fmt not in FORMATS:
        raise ArgumentError(f"unknown exercise format '{format}' (choose {', '.join(FORMATS)})")
    headers, rows = table(ex, key=key)
    if filled is not None:
        rows = [[str(c) for c in r] for r in filled]
    title = _title(ex, key)
    return {"markdown": _markdown, "csv": _csv, "latex": _latex, "html": _html}[fmt](ex, title, headers, rows, key)


def _title(ex: Exercise, key: bool) -> str:
    what = "Answer key" if key else "Exercise"
    number = f" {ex.number}" if ex.number is not None else ""
    level = f" (level {ex.level}: {LEVELS[ex.level]})" if ex.level else ""
    return f"{what}{number}{level}"


def wrapped(spec: str, width: int = 72) -> str:
    """The notation broken before its arrows so no line passes ``width`` (a line may start with ``->``).

    >>> print(wrapped("input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)", width=30))
    input(32,32,3) -> conv(8, f=5)
    -> pool(2) -> fc(10)
    """
    out: list[str] = []
    for line in spec.split("\n"):
        parts = line.split(" -> ")
        current = parts[0]
        for part in parts[1:]:
            if len(current) + 4 + len(part) > width:
                out.append(current)
                current = f"-> {part}"
            else:
                current += f" -> {part}"
        out.append(current)
    return "\n".join(out)


def _instructions(ex: Exercise) -> str:
    from cnncalc.render import HEADERS

    asked = ", ".join(HEADERS[c] if HEADERS[c][1:2].isupper() else HEADERS[c].lower() for c in ex.ask)
    return f"For every layer of this network, work out its {asked}. Shapes are (H, W, C), batch 1."


def _markdown(ex: Exercise, title: str, headers: list[str], rows: list[list[str]], key: bool) -> str:
    lines = [f"<!-- {ex.marker()} -->", f"## {title}", ""]
    if not key:
        lines += [_instructions(ex), ""]
    lines += ["```", wrapped(ex.spec), "```", ""]
    lines.append("| " + " | ".join(headers) + " |")
    lines.append("|" + "|".join("---:" if i == 0 or i > 1 else "---" for i in range(len(headers))) + "|")
    for r in rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    return "\n".join(lines) + "\n"


def _csv(ex: Exercise, title: str, headers: list[str], rows: list[list[str]], key: bool) -> str:
    import csv
    import io

    out = io.StringIO()
    out.write(f"# {ex.marker()}\n# {title}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows([[c.replace(",", "") if c.replace(",", "").isdigit() else c for c in r] for r in rows])
    return out.getvalue()


def _latex(ex: Exercise, title: str, headers: list[str], rows: list[list[str]], key: bool) -> str:
    from cnncalc.render import latex

    body = [f"% {ex.marker()}"]
    if not key:
        body.append(latex.text(_instructions(ex)) + r"\par\medskip")
    body.append(r"\begin{verbatim}" + "\n" + wrapped(ex.spec) + "\n" + r"\end{verbatim}")
    numeric = [h not in ("Layer", "Output shape") for h in headers]
    body.append(latex.tabular(headers, rows, numeric=numeric))
    if key:
        from cnncalc.explain import explain_rows

        body.append(r"\subsection*{Working}")
        for e in explain_rows(ex.report):
            if e.kind == "input":
                continue
            steps = [s for s in e.steps if _worked(s.quantity, ex.ask)]
            if steps:
                body.append(rf"\textbf{{{latex.text(str(e.index) + '. ' + e.source)}}}")
                body.append(latex.aligned(steps))
    return latex.document("\n".join(body), title)


def _worked(quantity: str, ask: tuple[str, ...]) -> bool:
    """Whether an explain step works out one of the asked columns."""
    q = quantity.lower()
    wanted = {
        "output_shape": q.startswith("output ") or q == "output shape",
        "activation_size": q == "activation size",
        "params": q == "params",
        "macs": q == "macs",
        "flops": q == "flops",
    }
    return any(wanted[a] for a in ask)


def _html(ex: Exercise, title: str, headers: list[str], rows: list[list[str]], key: bool) -> str:
    from html import escape

    lines = [
        "<!doctype html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head><body>',
        f"<!-- {ex.marker().replace('--', '- -')} -->",
        f"<h2>{escape(title)}</h2>",
    ]
    if not key:
        lines.append(f"<p>{escape(_instructions(ex))}</p>")
    lines.append(f"<pre>{escape(wrapped(ex.spec))}</pre>")
    lines.append("<table>")
    lines.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers) + "</tr>")
    for r in rows:
        lines.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>")
    lines += ["</table>", "</body></html>"]
    return "\n".join(lines) + "\n"


def find_marker(text: str) -> dict[str, object] | None:
    """The exercise a filled table carries (its spec and asked columns), or None when it carries none."""
    found = MARK_LINE.findall(text)
    if not found:
        return None
    if len(found) > 1:
        raise SpecError(
            f"the file holds {len(found)} exercises; grade one at a time",
            hint="write each variant to its own file with cnncalc quiz --output FOLDER",
        )
    raw = found[0].strip().removesuffix("-->").strip().replace("- -", "--")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        raise SpecError("the exercise's cnncalc-exercise line is damaged: its network cannot be read") from None
    if not isinstance(data, dict) or not isinstance(data.get("spec"), str):
        raise SpecError("the exercise's cnncalc-exercise line names no network")
    return data
