"""A sweep's points, one column against another on log axes, with the Pareto front drawn (``cnncalc plot
results.parquet --kind sweep --x flops --y params [--color depth]``; needs ``cnncalc[plot]`` and pyarrow).

What is drawn is worked out first, without matplotlib (:func:`sweep_points`): the dataset is read one batch at a
time, the front (the points no other point beats on both axes, each as small or smaller and one smaller) kept as it
goes, and at most ``most`` points kept for the scatter, drawn evenly from all of them; a sweep of ten million
points is never held whole. Points without a positive value on an axis (a point that failed, a zero) cannot sit on
log axes: they are counted and said under the plot.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnncalc.errors import ArgumentError, SpecError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

MOST = 200_000  # points drawn at most (the front is worked out from all of them)


@dataclass(frozen=True)
class SweepPoints:
    """The points to draw (``x``, ``y``, and ``color`` when a column colours them), the front sorted by ``x``, and
    how many rows were read, drawn, and left out (no positive value on an axis)."""

    x_name: str
    y_name: str
    color_name: str | None
    x: tuple[float, ...]
    y: tuple[float, ...]
    color: tuple[Any, ...] | None
    front: tuple[tuple[float, float], ...]
    rows: int
    left_out: int
    title: str = ""


def sweep_points(
    path: str | Path, x: str, y: str, color: str | None = None, *, most: int = MOST, seed: int = 0
) -> SweepPoints:
    """Read ``x``, ``y`` (and ``color``) from a sweep's dataset: the points to draw and the Pareto front."""
    try:
        import pyarrow.dataset as ds
    except ImportError:
        raise SpecError("reading a sweep needs pyarrow", hint='pip install "cnncalc[sweep]"') from None
    folder = Path(path)
    if not folder.exists():
        raise SpecError(f"no such sweep: {path}")
    try:
        data = ds.dataset(str(folder), format="parquet")
    except Exception as e:  # noqa: BLE001 - pyarrow's own words for a file that is not Parquet
        raise SpecError(f"{path} is not a sweep's Parquet dataset ({type(e).__name__})") from None
    names = data.schema.names
    wanted = [x, y] + ([color] if color else [])
    for name in wanted:
        if name not in names:
            import difflib

            near = difflib.get_close_matches(name, names, n=3)
            hint = f"did you mean {' or '.join(near)}?" if near else f"its columns: {', '.join(names)}"
            raise ArgumentError(f"the sweep has no column '{name}'", hint=hint)
    for name in (x, y):
        kind = str(data.schema.field(name).type)
        if not (kind.startswith("int") or kind in ("double", "float")):
            raise ArgumentError(f"--x and --y are columns of numbers; '{name}' holds {kind}")
    rng = random.Random(seed)
    kept: list[tuple[float, float, Any]] = []
    front: list[tuple[float, float]] = []
    rows = left_out = seen = 0
    for batch in data.to_batches(columns=wanted):
        columns = [batch.column(i).to_pylist() for i in range(len(wanted))]
        for i in range(batch.num_rows):
            rows += 1
            a, b = columns[0][i], columns[1][i]
            if a is None or b is None or a <= 0 or b <= 0:
                left_out += 1
                continue
            c = columns[2][i] if color else None
            seen += 1
            if len(kept) < most:
                kept.append((a, b, c))
            else:  # every point has the same chance to be drawn (reservoir sampling)
                j = rng.randrange(seen)
                if j < most:
                    kept[j] = (a, b, c)
            front.append((a, b))
        front = _front(front)
    return SweepPoints(
        x,
        y,
        color,
        tuple(p[0] for p in kept),
        tuple(p[1] for p in kept),
        tuple(p[2] for p in kept) if color else None,
        tuple(front),
        rows,
        left_out,
        folder.name,
    )


def _front(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points no other beats on both axes (:func:`cnncalc.sweep.front`), sorted by the first, each once.

    >>> _front([(1, 5), (2, 2), (3, 3), (5, 1), (2, 2), (2, 4)])
    [(1, 5), (2, 2), (5, 1)]
    """
    from cnncalc.sweep import front

    kept = front([{"x": a, "y": b} for a, b in set(points)], ("x", "y"))
    return sorted((r["x"], r["y"]) for r in kept)


def draw_sweep(points: SweepPoints) -> Figure:
    """A scatter on log axes (coloured by a column when one is given) and the front as a step line."""
    from cnncalc.render.plot import _figure

    fig = _figure(7.5, 5.5)
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_yscale("log")
    values = points.color
    if values is not None and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        dots = ax.scatter(points.x, points.y, c=values, s=6, cmap="viridis", alpha=0.7, linewidths=0)
        fig.colorbar(dots, ax=ax, label=points.color_name)
    elif values is not None:
        groups = sorted({str(v) for v in values})
        if len(groups) > 20:
            raise ArgumentError(f"--color {points.color_name} has {len(groups)} values; a legend shows at most 20")
        for g in groups:
            xs = [a for a, v in zip(points.x, values) if str(v) == g]
            ys = [b for b, v in zip(points.y, values) if str(v) == g]
            ax.scatter(xs, ys, s=6, alpha=0.7, linewidths=0, label=g)
        ax.legend(title=points.color_name, fontsize="small", markerscale=2)
    else:
        ax.scatter(points.x, points.y, s=6, alpha=0.6, linewidths=0, color="tab:blue")
    if points.front:
        fx = [p[0] for p in points.front]
        fy = [p[1] for p in points.front]
        ax.step(fx, fy, where="post", color="tab:red", linewidth=1.5, label="Pareto front")
        ax.scatter(fx, fy, s=14, color="tab:red", zorder=3)
    ax.set_xlabel(points.x_name)
    ax.set_ylabel(points.y_name)
    drawn = len(points.x)
    what = f"{drawn:,} points" if drawn == points.rows - points.left_out else f"{drawn:,} of {points.rows:,} points"
    ax.set_title(f"{points.title}: {what}, {len(points.front):,} on the Pareto front (red)", fontsize="medium")
    if points.left_out:
        fig.text(
            0.01,
            0.005,
            f"{points.left_out:,} rows without a positive {points.x_name} and {points.y_name} "
            "(failed points, zeros) are not drawn",
            fontsize="small",
        )
    ax.grid(True, which="major", alpha=0.3)
    return fig


def plot_sweep(path: str | Path, output: str | Path | None, x: str, y: str, color: str | None = None) -> Figure:
    """Draw a sweep's ``y`` against ``x`` and save it to ``output`` (.png, .svg or .pdf) when given."""
    from cnncalc.render.plot import FORMATS

    suffix = Path(output).suffix.lower().lstrip(".") if output is not None else ""
    if output is not None and suffix not in FORMATS:
        raise ArgumentError(
            f"cannot tell the format of '{output}'", hint=f"end the file name in .{', .'.join(FORMATS)}"
        )
    fig = draw_sweep(sweep_points(path, x, y, color))
    if output is not None:
        try:
            fig.savefig(output, format=suffix, dpi=110)
        except OSError as e:
            raise SpecError(f"cannot write {output}: {e.strerror or e}") from None
    return fig
