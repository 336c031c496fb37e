"""Plots of a Report: per-layer bars, a roofline against a device, the training memory breakdown (``cnncalc[plot]``).

What each plot draws is computed first by a plain function that needs no matplotlib
(:func:`layer_bars`, :func:`roofline`, :func:`memory_breakdown`), so the numbers can be
checked against the report's; matplotlib is imported only by the drawing functions.

The roofline places every layer at its arithmetic intensity, FLOPs / (bytes read + bytes
written) from the report's compulsory traffic (docs/memory.md), and at the FLOP/s the
device can reach there: ``attainable = min(peak, intensity · bandwidth)``. Seed 001's
first conv on an A100 80GB at float32:

>>> from cnncalc import analyze
>>> r = roofline(analyze("input(32,32,3) -> conv(8, f=5)"), "a100-80gb")
>>> p = r.points[0]
>>> p.flops, p.bytes_moved        # 2·470,400; (3,072 + 608 + 6,272)·4
(940800, 39808)
>>> round(p.intensity, 2), round(r.ridge_flops_per_byte, 2)   # 940,800 / 39,808; ridge 19.5e12 / 2,039e9
(23.63, 9.56)
>>> p.attainable, p.memory_bound   # right of the ridge: min(19.5e12, 23.63 · 2,039e9) is the peak
(19500000000000.0, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnncalc.errors import ArgumentError, SpecError
from cnncalc.hardware import Hardware, lookup
from cnncalc.limits import guard
from cnncalc.memory import element_bytes
from cnncalc.render import human_bytes
from cnncalc.report import Report

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

KINDS = ("layers", "roofline", "memory", "plan")
_BINARY = (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024), ("B", 1))
FORMATS = ("png", "svg", "pdf")


# ---------------------------------------------------------------- the data each plot draws


@dataclass(frozen=True, slots=True)
class LayerBars:
    """Per-layer figures for the bar chart: labels (``"2 conv"``), params, MACs, FLOPs, activation bytes."""

    labels: tuple[str, ...]
    params: tuple[int, ...]
    macs: tuple[int, ...]
    flops: tuple[int, ...]
    activation_bytes: tuple[int, ...]
    dtype: str
    convention: str


def layer_bars(report: Report) -> LayerBars:
    """Every row's params, MACs, FLOPs and output bytes (activation size · bytes per element of the report's dtype)."""
    b = element_bytes(report.dtype)
    rows = report.rows
    return LayerBars(
        labels=tuple(f"{r.index} {r.name}" for r in rows),
        params=tuple(r.params for r in rows),
        macs=tuple(r.macs for r in rows),
        flops=tuple(r.flops for r in rows),
        activation_bytes=tuple(r.activation_size * b for r in rows),
        dtype=report.dtype,
        convention=report.convention.value,
    )


@dataclass(frozen=True, slots=True)
class RooflinePoint:
    """One layer on the roofline: its FLOPs and bytes moved, FLOPs per byte, and FLOP/s reachable there."""

    index: int
    name: str
    kind: str
    flops: int
    bytes_moved: int
    intensity: float
    attainable: float  # FLOP/s
    seconds: float  # flops / attainable: the layer's time if it ran at the roof
    memory_bound: bool  # left of the ridge: the bandwidth, not the peak, limits it


@dataclass(frozen=True, slots=True)
class Roofline:
    """A device's roof (peak FLOP/s, bandwidth in bytes/s, ridge in FLOPs per byte) and the layers placed under it."""

    device: str
    dtype: str
    peak: float  # FLOP/s
    bandwidth: float  # bytes/s
    points: tuple[RooflinePoint, ...]
    skipped: tuple[str, ...]  # rows with no FLOPs or no traffic: they have no place on log-log axes
    convention: str

    @property
    def ridge_flops_per_byte(self) -> float:
        return self.peak / self.bandwidth

    @property
    def seconds(self) -> float:
        """The sum of every layer's time at the roof: a lower bound on one forward pass."""
        return sum(p.seconds for p in self.points)


def device_roof(
    report: Report,
    hardware: str | Hardware | None = None,
    *,
    peak_tflops: float | None = None,
    bandwidth_gbs: float | None = None,
) -> tuple[str, float, float]:
    """``(device title, peak FLOP/s, bandwidth bytes/s)`` at the report's dtype; given figures override the table's."""
    if hardware is not None and not isinstance(hardware, (str, Hardware)):
        from cnncalc.errors import wrong_type

        raise wrong_type("hardware", "a device's name such as 'a100-80gb', or a cnncalc.hardware.Hardware", hardware)
    device = lookup(hardware) if isinstance(hardware, str) else hardware
    if device is None and (peak_tflops is None or bandwidth_gbs is None):
        raise ArgumentError(
            "a roofline needs a device", hint="name one with --hardware (e.g. a100-80gb) or give --peak and --bandwidth"
        )
    from cnncalc.numbers import finite

    peak_tflops, bandwidth_gbs = (
        None if value is None else finite(value, f"the {label}")
        for label, value in (("peak", peak_tflops), ("bandwidth", bandwidth_gbs))
    )
    for label, value in (("peak", peak_tflops), ("bandwidth", bandwidth_gbs)):
        if value is not None and not value > 0:
            raise ArgumentError(f"the {label} must be a positive number (got {value:g})")
    peak = peak_tflops if peak_tflops is not None else device.peak_tflops(report.dtype)  # type: ignore[union-attr]
    bandwidth = bandwidth_gbs if bandwidth_gbs is not None else device.bandwidth_gbs  # type: ignore[union-attr]
    if device is None:
        title = f"{peak:,g} TFLOPS, {bandwidth:,g} GB/s"
    elif peak_tflops is None and bandwidth_gbs is None:
        title = device.title
    else:
        title = f"{device.title} with {peak:,g} TFLOPS, {bandwidth:,g} GB/s"
    return title, peak * 1e12, bandwidth * 1e9


def roofline(
    report: Report,
    hardware: str | Hardware | None = None,
    *,
    peak_tflops: float | None = None,
    bandwidth_gbs: float | None = None,
) -> Roofline:
    """Each layer with FLOPs and traffic at (FLOPs / (bytes_read + bytes_written), min(peak, intensity · bandwidth))."""
    title, peak, bandwidth = device_roof(report, hardware, peak_tflops=peak_tflops, bandwidth_gbs=bandwidth_gbs)
    points = []
    skipped = []
    for r in report.rows:
        moved = r.bytes_read + r.bytes_written
        if r.flops <= 0 or moved <= 0:
            skipped.append(f"{r.index} {r.name}")
            continue
        intensity = r.flops / moved
        attainable = min(peak, intensity * bandwidth)
        points.append(
            RooflinePoint(
                r.index, r.name, r.kind, r.flops, moved, intensity, attainable, r.flops / attainable, attainable < peak
            )
        )
    return Roofline(title, report.dtype, peak, bandwidth, tuple(points), tuple(skipped), report.convention.value)


def training_memory(report: Report) -> dict[str, dict[str, int]]:
    """Per optimizer, the peak of a training step as params, buffers, gradients, optimizer state and activations.

    The one place the plots read the report's training figures (:mod:`cnncalc.training`):
    the parts of ``peak_bytes`` for each optimizer, the activations being what is
    alive at the step's largest point (what autograd keeps, and what the forward holds then).
    """
    t = report.training
    if t is None:
        raise SpecError(
            "the memory plot shows a training step, and this report has no training figures",
            hint="analyze with train=True (--train)",
        )
    return {
        optimizer: {
            "params": t.param_bytes,
            "buffers": t.buffer_bytes,
            "gradients": t.gradient_bytes,
            "optimizer state": state,
            "activations": t.activation_peak_bytes,
        }
        for optimizer, state in t.optimizers
    }


@dataclass(frozen=True, slots=True)
class MemoryBreakdown:
    """Stacked bars: one per optimizer, each a tuple of (part, bytes); and the inference peak beside them."""

    dtype: str
    bars: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    peak_inference_bytes: int


def memory_breakdown(report: Report) -> MemoryBreakdown:
    """The training memory per optimizer (params, buffers, gradients, optimizer state, activations), in bytes."""
    parts = training_memory(report)
    bars = tuple((opt, tuple(parts[opt].items())) for opt in parts)
    m = report.memory
    if m is None:
        raise SpecError("this report carries no memory figures to plot")
    return MemoryBreakdown(m.dtype, bars, m.param_bytes + m.buffer_bytes + m.peak_activation_bytes)


# ---------------------------------------------------------------- drawing (matplotlib from here on)


def _figure(width: float, height: float) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise SpecError("plots need matplotlib, which is not installed", hint="pip install cnncalc[plot]") from None
    return Figure(figsize=(width, height), layout="constrained")


def _title(report: Report, what: str) -> str:
    return f"{report.title}: {what}" if report.title else what[:1].upper() + what[1:]


LABELLED = 120  # at most this many layers are named on the axis; past it every k-th is, and the bars get thinner


def draw_layers(report: Report, *, log: bool = False) -> Figure:
    """Three panels of horizontal bars, one bar per layer: params, MACs and FLOPs, activation bytes.

    The figure grows with the layers up to :data:`LABELLED` of them; a longer network is drawn in the same
    height with thinner bars and every k-th layer named, so the cost of a plot grows with its layers, never
    their square (the rows' labels are what a renderer lays out again and again).
    """
    data = layer_bars(report)
    n = len(data.labels)
    fig = _figure(13, max(3.0, 1.6 + 0.24 * min(n, LABELLED)))
    axes = fig.subplots(1, 3, sharey=True)
    y = list(range(n))
    h = 0.8
    _bars(axes[0], y, data.params, h, "tab:blue")
    axes[0].set_title("Parameters")
    _bars(axes[1], [v - h / 4 for v in y], data.macs, h / 2, "tab:orange", "MACs")
    _bars(axes[1], [v + h / 4 for v in y], data.flops, h / 2, "tab:red", f"FLOPs ({data.convention})")
    axes[1].set_title("MACs and FLOPs")
    axes[1].legend(loc="lower right", fontsize="small")
    _bars(axes[2], y, data.activation_bytes, h, "tab:green")
    axes[2].set_title(f"Activation bytes ({data.dtype})")
    step = -(-n // LABELLED)
    axes[0].set_yticks(y[::step], data.labels[::step], fontsize="small" if n <= 40 else "x-small")
    axes[0].set_ylim(n - 0.5, -0.5)  # first layer on top, no empty margin
    for ax in axes:
        if log:
            ax.set_xscale("log")
        ax.grid(axis="x", alpha=0.3)
    if not log:
        from matplotlib.ticker import EngFormatter

        for ax in axes:
            ax.xaxis.set_major_formatter(EngFormatter())
    shown = "" if step == 1 else f"; one layer in {step} named"
    fig.suptitle(_title(report, f"per layer, batch {report.batch}" + (" (log scale)" if log else "") + shown))
    return fig


def _bars(
    ax: Any, y: list[float], widths: tuple[int, ...], height: float, color: str, label: str | None = None
) -> None:
    """Horizontal bars: a patch each for a short network, one collection of them all for a long one."""
    if len(y) <= LABELLED:
        ax.barh(y, widths, height=height, color=color, label=label)
        return
    from matplotlib.collections import PolyCollection

    half = height / 2
    boxes = [((0, c - half), (w, c - half), (w, c + half), (0, c + half)) for c, w in zip(y, widths)]
    bars = PolyCollection(boxes, facecolors=color, edgecolors="none", label=label)
    ax.add_collection(bars)
    ax.update_datalim([(0, min(y) - half), (max(widths, default=0), max(y) + half)])
    ax.autoscale_view()


def _share(fraction: float) -> str:
    """``55%``, or ``0.1%`` below one percent."""
    return f"{fraction:.0%}" if fraction >= 0.01 else f"{fraction:.1%}"


def _duration(seconds: float) -> str:
    """``12.3 µs``, ``4.56 ms``, ``1.2 s``: three significant figures in a readable unit."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:,.3g} {unit}"
    return f"{seconds / 1e-9:,.3g} ns"


def draw_roofline(data: Roofline, title: str = "") -> Figure:
    """Log-log: the roof min(peak, x · bandwidth), the ridge, and one point per layer sized by its FLOPs."""
    from matplotlib.ticker import EngFormatter

    fig = _figure(9, 6)
    ax = fig.add_subplot()
    ridge = data.ridge_flops_per_byte
    xs = [p.intensity for p in data.points] or [ridge]
    lo = min(min(xs), ridge) / 4
    hi = max(max(xs), ridge) * 4
    ax.plot([lo, ridge, hi], [lo * data.bandwidth, data.peak, data.peak], color="black", lw=1.5, label="roof")
    ax.axvline(ridge, color="gray", ls=":", lw=1)
    bottom = lo * data.bandwidth / 2
    ax.text(
        ridge, bottom * 1.5, f" ridge {ridge:,.1f} FLOPs/byte", rotation=90, va="bottom", fontsize="small", color="gray"
    )
    total = sum(p.flops for p in data.points) or 1
    kinds = list(dict.fromkeys(p.kind for p in data.points))
    for kind in kinds:
        pts = [p for p in data.points if p.kind == kind]
        ax.scatter(
            [p.intensity for p in pts],
            [p.attainable for p in pts],
            s=[20 + 600 * p.flops / total for p in pts],
            alpha=0.7,
            label=kind,
            edgecolors="black",
            linewidths=0.4,
            zorder=3,
        )
    heaviest = sorted(data.points, key=lambda p: p.flops, reverse=True)[:5]
    for k, p in enumerate(sorted(heaviest, key=lambda p: p.intensity)):  # stacked below the roof, one line each
        ax.annotate(
            f"{p.index} {p.name} ({_share(p.flops / total)} of FLOPs)",
            (p.intensity, p.attainable),
            xytext=(10, -22 - 13 * k),
            textcoords="offset points",
            fontsize="x-small",
            arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "gray"},
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(bottom, data.peak * 3)
    ax.yaxis.set_major_formatter(EngFormatter(unit="FLOP/s"))
    ax.set_xlabel("arithmetic intensity (FLOPs per byte read and written)")
    ax.set_ylabel("attainable FLOP/s = min(peak, intensity × bandwidth)")
    ax.grid(which="both", alpha=0.2)
    ax.legend(loc="lower right", fontsize="small", title="kind (size: share of FLOPs)", title_fontsize="small")
    memory_bound = sum(p.memory_bound for p in data.points)
    note = (
        f"{len(data.points)} layers: {memory_bound} memory-bound, {len(data.points) - memory_bound} compute-bound; "
        f"at the roof one pass takes at least {_duration(data.seconds)}"
    )
    if data.skipped:
        n = len(data.skipped)
        note += f"\n{n} layer{'s' * (n != 1)} with no FLOPs ({data.convention} convention) or no traffic: not drawn"
    ax.text(0.01, 0.99, note, transform=ax.transAxes, va="top", fontsize="small")
    head = f"{data.device}, {data.dtype}: {data.peak / 1e12:,.4g} TFLOPS, {data.bandwidth / 1e9:,.4g} GB/s"
    fig.suptitle(f"{title}: roofline on {head}" if title else f"Roofline on {head}")
    return fig


def draw_memory(data: MemoryBreakdown, title: str = "") -> Figure:
    """Horizontal stacked bars, one per optimizer: params, buffers, gradients, optimizer state, activations."""
    colors = {
        "params": "tab:blue",
        "buffers": "tab:cyan",
        "gradients": "tab:orange",
        "optimizer state": "tab:purple",
        "activations": "tab:green",
    }
    largest = max(sum(v for _, v in parts) for _, parts in data.bars)
    unit, scale = next((u, f) for u, f in _BINARY if largest >= f or u == "B")
    fig = _figure(10, 3.6)
    ax = fig.add_subplot()
    names = [name for name, _ in data.bars]
    seen: set[str] = set()
    for i, (_, parts) in enumerate(data.bars):
        left = 0
        for part, value in parts:
            if value <= 0:
                continue
            label = None if part in seen else part
            ax.barh(i, value / scale, left=left / scale, color=colors[part], label=label, edgecolor="white")
            seen.add(part)
            left += value
        ax.text(left / scale, i, f"  {human_bytes(left)}", va="center", fontsize="small")
    ax.set_yticks(range(len(names)), [f"training, {n}" for n in names])
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xlim(0, largest / scale * 1.2)
    ax.set_xlabel(unit)
    fig.legend(loc="outside lower center", fontsize="small", ncols=5)
    ax.grid(axis="x", alpha=0.3)
    what = (
        f"memory per training step ({data.dtype}); inference peak "
        f"(params + buffers + live activations): {human_bytes(data.peak_inference_bytes)}"
    )
    fig.suptitle(f"{title}: {what}" if title else what[0].upper() + what[1:])
    return fig


@dataclass(frozen=True, slots=True)
class PlanPoints:
    """``cnncalc plan``'s layouts as points: (step seconds, peak bytes, fits, label) and the memory a device may
    hold; the best ones (fitting, quickest first) are labelled by their rank."""

    points: tuple[tuple[float, int, bool, str], ...]
    memory_bytes: int
    device: str
    devices: int


def plan_points(found: Any, top: int = 10) -> PlanPoints:
    """The points of a :class:`cnncalc.parallel.search.Plan` (no matplotlib)."""
    best = {id(c): i for i, c in enumerate(found.best[:top], 1)}
    points = tuple(
        (c.seconds, c.peak_bytes, c.fits, str(best[id(c)]) if id(c) in best else "") for c in found.candidates
    )
    return PlanPoints(points, found.memory_bytes, found.device, found.devices)


def draw_plan(data: PlanPoints, title: str = "") -> Figure:
    """Peak memory against step time, one point per layout; the device's memory as a line, the best numbered."""
    fig = _figure(9, 5.5)
    ax = fig.add_subplot()
    gib = 1024**3
    for fits, color, label in ((False, "tab:gray", "does not fit"), (True, "tab:blue", "fits")):
        pts = [(t, m / gib) for t, m, f, _ in data.points if f is fits]
        if pts:
            ax.scatter([t for t, _ in pts], [m for _, m in pts], s=10, color=color, alpha=0.6, label=label)
    for t, m, _, label in data.points:
        if label:
            ax.annotate(label, (t, m / gib), fontsize="small", xytext=(3, 3), textcoords="offset points")
    ax.axhline(data.memory_bytes / gib, color="tab:red", linestyle="--", label="what a device may hold")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step time (s)")
    ax.set_ylabel("peak per device (GiB)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    what = f"layouts on {data.devices} × {data.device}: memory against step time"
    fig.suptitle(f"{title}: {what}" if title else what[0].upper() + what[1:])
    return fig


def plot(report: Report, kind: str = "layers", path: str | Path | None = None, **options: Any) -> Figure:
    """Draw ``kind`` (layers, roofline, memory); save it to ``path`` (.png, .svg or .pdf) when given."""
    if path is not None and not isinstance(path, (str, Path)):
        from cnncalc.errors import wrong_type

        raise wrong_type("path", "a file's path ending in .png, .svg or .pdf", path)
    if "log" in options and not isinstance(options["log"], bool):
        from cnncalc.errors import wrong_type

        raise wrong_type("log", "True or False", options["log"])
    kind = str(getattr(kind, "value", kind)).lower()
    if kind not in KINDS:
        raise ArgumentError(f"unknown plot kind '{kind}' (choose {', '.join(KINDS)})")
    suffix = Path(path).suffix.lower().lstrip(".") if path is not None else ""
    if path is not None and suffix not in FORMATS:
        raise ArgumentError(f"cannot tell the format of '{path}'", hint=f"end the file name in .{', .'.join(FORMATS)}")
    takes = {
        "layers": ("log",),
        "roofline": ("hardware", "peak_tflops", "bandwidth_gbs"),
        "memory": (),
        "plan": ("plan", "devices", "gpus_per_node", "memory_fraction", "network", "overlap", "mfu"),
    }[kind]
    extra = sorted(set(options) - set(takes))
    if extra:
        raise ArgumentError(
            f"plot {kind} takes no option {', '.join(extra)}", hint=f"it takes {', '.join(takes) or 'none'}"
        )
    if kind in ("layers", "roofline"):
        n = len(report.rows)
        guard("plot_layers", n, f"the network has {n:,} layers to draw")
    if kind == "layers":
        fig = draw_layers(report, log=bool(options.get("log", False)))
    elif kind == "roofline":
        data = roofline(
            report,
            options.get("hardware"),
            peak_tflops=options.get("peak_tflops"),
            bandwidth_gbs=options.get("bandwidth_gbs"),
        )
        fig = draw_roofline(data, report.title)
    elif kind == "plan":
        found = options.get("plan")
        if found is None:
            found = _plan_of(report, options)
        fig = draw_plan(plan_points(found), report.title)
    else:
        fig = draw_memory(memory_breakdown(report), report.title)
    if path is not None:
        try:
            fig.savefig(path, format=suffix, dpi=110)
        except OSError as e:
            raise SpecError(f"cannot write {path}: {e.strerror or e}") from None
    return fig


def _plan_of(report: Report, options: dict[str, Any]) -> Any:
    """The plan of a report analysed with a parallel layout (``parallel="dp=1"``), on ``devices``."""
    from cnncalc.options import Options
    from cnncalc.parallel.search import plan

    if report.parallel is None or report.training is None:
        raise ArgumentError(
            "plot plan needs a training report with a parallel layout",
            hint='analyze(..., train=True, parallel="dp=1"), then plot("plan", devices="8xh100-sxm")',
        )
    if options.get("devices") is None:
        raise ArgumentError("plot plan needs devices=, e.g. devices='8xh100-sxm'")
    given = {k: options.get(k) for k in ("devices", "gpus_per_node", "memory_fraction", "network", "overlap", "mfu")}
    opts = Options.make(train=True, dtype=report.dtype, parallel="dp=1", **given)
    return plan(report, opts)
