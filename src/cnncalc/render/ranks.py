"""A parallel layout's figures under the table: one row per rank class (ranks that hold the same), then what each
collective moves, and the step's time when devices are given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.layers.calc import fmt

if TYPE_CHECKING:
    from cnncalc.parallel.figures import Parallel, RankClass
    from cnncalc.report import Report

RANK_HEADERS = ("Ranks", "Stage", "Params", "Gradients", "Optimizer", "Activations", "Transient", "Peak", "FLOPs")


def rank_list(ranks: tuple[int, ...]) -> str:
    """``0-7, 16-23``: runs of consecutive ranks.

    >>> rank_list((0, 1, 2, 3, 8, 10, 11))
    '0-3, 8, 10-11'
    """
    runs: list[list[int]] = []
    for r in sorted(ranks):
        if runs and r == runs[-1][1] + 1:
            runs[-1][1] = r
        else:
            runs.append([r, r])
    shown = [f"{a}-{b}" if b > a else str(a) for a, b in runs]
    return ", ".join(shown[:6]) + (f", … ({len(ranks):,} ranks)" if len(shown) > 6 else "")


def rank_cells(c: RankClass, human_bytes: object) -> list[str]:
    hb = human_bytes  # type: ignore[assignment]
    return [
        rank_list(c.ranks),
        str(c.stage),
        hb(c.param_bytes),  # type: ignore[operator]
        hb(c.gradient_bytes),  # type: ignore[operator]
        hb(c.optimizer_bytes),  # type: ignore[operator]
        hb(c.activation_bytes),  # type: ignore[operator]
        hb(c.transient_bytes),  # type: ignore[operator]
        hb(c.peak_bytes),  # type: ignore[operator]
        fmt(c.flops),
    ]


def heading(p: Parallel) -> str:
    what = "training step" if p.train else "forward"
    return (
        f"Parallel {p.layout} on {fmt(p.world_size)} ranks ({what}): global batch {p.batch}, "
        f"{p.microbatch} per micro-batch on a rank"
        + (f"; pipeline bubble {p.bubble_fraction:.1%} of the step" if p.layout.pp > 1 else "")
    )


def communication_lines(p: Parallel, human_bytes: object) -> list[str]:
    """What each rank moves per step by collective, the rank classes that move the same said once."""
    moves: dict[tuple[tuple[str, int], ...], list[int]] = {}
    for c in p.ranks:
        key = tuple((k, v) for k, v in c.communication.as_dict().items() if v)
        moves.setdefault(key, []).extend(c.ranks)
    lines = []
    for moved, ranks in moves.items():
        text = ", ".join(f"{k} {human_bytes(v)}" for k, v in moved) or "nothing"  # type: ignore[operator]
        who = "every rank" if len(moves) == 1 else f"ranks {rank_list(tuple(ranks))}"
        lines.append(f"  {who} moves per step: {text}")
    return lines


def parallel_lines(report: Report) -> list[str]:
    """The rank classes as an aligned table of text, for the lines under a report's table."""
    from cnncalc.render import human_bytes

    p = report.parallel
    if p is None:
        return []
    rows = [list(RANK_HEADERS)] + [rank_cells(c, human_bytes) for c in p.ranks]
    widths = [max(len(r[i]) for r in rows) for i in range(len(RANK_HEADERS))]
    lines = [heading(p)]
    for r in rows:
        cells = [r[0].ljust(widths[0])] + [v.rjust(widths[i]) for i, v in enumerate(r) if i]
        lines.append("  " + "  ".join(cells).rstrip())
    lines += communication_lines(p, human_bytes)
    if p.time is not None:
        lines += p.time.lines()
    if p.serving is not None:
        lines += p.serving.lines()
    lines += list(p.notes)
    return lines


def markdown_table(report: Report) -> list[str]:
    """The rank classes as a Markdown table (the Markdown renderer's)."""
    from cnncalc.render import human_bytes

    p = report.parallel
    if p is None:
        return []
    lines = ["", f"**{heading(p)}**", "", "| " + " | ".join(RANK_HEADERS) + " |"]
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(RANK_HEADERS) - 1)) + "|")
    for c in p.ranks:
        lines.append("| " + " | ".join(rank_cells(c, human_bytes)) + " |")
    lines.append("")
    lines += [f"{line.strip()}  " for line in communication_lines(p, human_bytes)]
    if p.time is not None:
        lines += [f"{line}  " for line in p.time.lines()]
    if p.serving is not None:
        lines += [f"{line}  " for line in p.serving.lines()]
    lines += [f"{n}  " for n in p.notes]
    return lines


def plan_lines(found: object, top: int = 10) -> list[str]:
    """``cnncalc plan``'s table: the best layouts by step time, each with its peak and what limits it."""
    from cnncalc.budget import human_seconds
    from cnncalc.render import human_bytes

    p = found  # a cnncalc.parallel.search.Plan
    best = p.best  # type: ignore[attr-defined]
    head = (
        f"{len(p.candidates):,} layouts on {p.devices:,} × {p.device} evaluated, {len(best):,} fit in "  # type: ignore[attr-defined]
        f"{human_bytes(p.memory_bytes)} a device" + (f" ({p.refused:,} the model cannot take)" if p.refused else "")  # type: ignore[attr-defined]  # type: ignore[attr-defined]
    )
    if not best:
        return [head, "no layout fits: more devices, a smaller batch, or mixed precision"]
    rows = [["#", "Layout", "Step", "Tokens/s", "MFU", "Peak", "Limited by"]]
    for i, c in enumerate(best[:top], 1):
        rate = "–" if c.tokens_per_second is None else f"{c.tokens_per_second:,.0f}"
        rows.append(
            [str(i), c.text, human_seconds(c.seconds), rate, f"{c.mfu:.1%}", human_bytes(c.peak_bytes), c.limit]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [head]
    for r in rows:
        cells = [v.rjust(widths[i]) if i in (0, 2, 3, 4, 5) else v.ljust(widths[i]) for i, v in enumerate(r)]
        lines.append("  ".join(cells).rstrip())
    return lines
