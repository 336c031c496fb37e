"""Sweeps: one spec with arguments, analysed at every point of a grid of their values (docs/sweep.md).

``cnncalc sweep SPEC --vary NAME=VALUES ... -o results.parquet``, or in Python::

    df = cnncalc.sweep("zoo:resnet18", {"classes": "10,100,1000", "size": "log2:32..256"})

Each point is a row: its number in the grid (``point``), its arguments, the totals ``summary --format json``
gives for it (nested keys dotted: ``memory.peak_activation_bytes``), and ``error``, the message of a point
that does not build (its figures empty). The points run on Dask (:mod:`cnncalc.sweep.engine`), each chunk's
rows written as a part of a Parquet dataset as it comes back.

>>> t = plan("input(size, size, 3) -> conv(8, f=k) -> gap -> fc(10)\\n# args: size=32, k=3", {"k": "1,3,5"})
>>> t.size, [r["params"] for r in t.rows(0, 3)]
(3, [122, 314, 698])
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnncalc.errors import ArgumentError, CnnCalcError, type_name, wrong_type
from cnncalc.options import Options
from cnncalc.sweep.rows import columns as figure_columns
from cnncalc.sweep.rows import figures, fits, found_columns, type_of
from cnncalc.sweep.spaces import Space, space_of
from cnncalc.sweep.values import Axis, Grid, Sample, axis
from cnncalc.sweep.where import Condition

__all__ = ["SweepTask", "plan", "sweep"]


@dataclass
class SweepTask:
    """A sweep as the engine runs it (:class:`cnncalc.sweep.engine.Task`): sent to every worker once."""

    space: Space
    axes: tuple[Axis, ...]
    options: Options
    size: int  # points: the whole grid, or the points drawn
    seed: int | None = None  # drawn at random (--random) by this seed, else the whole grid in order
    where: Condition | None = None
    pareto: tuple[str, ...] = ()
    schema: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @property
    def grid(self) -> Grid:
        found = self.__dict__.get("_grid")
        if found is None:
            found = self.__dict__["_grid"] = Grid(self.axes)
        return found

    def index(self, k: int) -> int:
        """The grid number of the ``k``-th point of the sweep."""
        if self.seed is None:
            return k
        sample = self.__dict__.get("_sample")
        if sample is None:
            sample = self.__dict__["_sample"] = Sample(self.grid.size, self.size, self.seed)
        return sample.index(k)

    def identity(self) -> str:
        """A digest of everything the rows depend on (a resumed run must be the same run)."""
        parts = {
            "space": self.space.identity(),
            "vary": [[a.name, a.text] for a in self.axes],
            "size": self.size,
            "seed": self.seed,
            "options": repr(self.options),
            "where": None if self.where is None else self.where.text,
            "pareto": list(self.pareto),
            "columns": self.schema,
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()

    def argument_names(self) -> list[str]:
        return [a.name for a in self.axes]

    def row(self, k: int) -> dict[str, Any] | None:
        """The row of the ``k``-th point, or None when ``--where`` leaves it out."""
        index = self.index(k)
        values = self.grid.point(index)
        row: dict[str, Any] = {"point": index}
        kinds = self.__dict__.get("_kinds")
        if kinds is None:
            kinds = self.__dict__["_kinds"] = dict(self.schema)
        for name, v in values.items():
            row[name] = str(v) if kinds[name] == "string" and not isinstance(v, str) else v
        where = self.where
        early = where is not None and where.names <= values.keys()
        if early and not where(row):  # type: ignore[misc]
            return None
        try:
            report = self.space.report(values, self.options)
            row.update(figures(report))
            problem = fits(row, self.schema)
            if problem is not None:
                raise ArgumentError(problem)
        except CnnCalcError as e:
            row = {k: row[k] for k in ("point", *values)}
            row["error"] = str(e)
        except (RecursionError, MemoryError) as e:
            row = {k: row[k] for k in ("point", *values)}
            row["error"] = "the point nests too deeply to read" if isinstance(e, RecursionError) else "out of memory"
        except Exception as e:  # noqa: BLE001 - a bug shows as this point's error, the sweep goes on
            from cnncalc.usercode import described

            row = {k: row[k] for k in ("point", *values)}
            row["error"] = f"internal error, please report it with this point: {described(e)}"
        if where is not None and not early and not where(row):
            return None
        return row

    def rows(self, start: int, stop: int) -> list[dict[str, Any]]:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = [r for r in (self.row(k) for k in range(start, stop)) if r is not None]
        if self.pareto:
            out = front(out, self.pareto)
        return out

    def finish(self, rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]] | None:
        if not self.pareto:
            return None
        seen: dict[int, dict[str, Any]] = {}
        for r in rows:
            seen.setdefault(r["point"], r)
        return iter(sorted(front(list(seen.values()), self.pareto), key=lambda r: r["point"]))


def front(rows: list[dict[str, Any]], names: Sequence[str]) -> list[dict[str, Any]]:
    """The rows no other row dominates (as small or smaller in every named column, smaller in one); rows without
    a value in one of the columns (a point that failed) are left out.

    >>> pts = [{"a": 1, "b": 5}, {"a": 2, "b": 2}, {"a": 3, "b": 3}, {"a": 5, "b": 1}, {"a": 2, "b": 2}]
    >>> [(r["a"], r["b"]) for r in front(pts, ["a", "b"])]
    [(1, 5), (2, 2), (2, 2), (5, 1)]
    """
    valued = [r for r in rows if all(r.get(n) is not None for n in names)]
    valued.sort(key=lambda r: tuple(r[n] for n in names))
    kept: list[dict[str, Any]] = []
    keys: list[tuple[Any, ...]] = []
    for r in valued:
        key = tuple(r[n] for n in names)
        dominated = False
        for k in keys:
            if k != key and all(a <= b for a, b in zip(k, key)):
                dominated = True
                break
        if not dominated:
            kept.append(r)
            keys.append(key)
    return kept


def _values_text(values: Any) -> str | Sequence[Any]:
    """A VALUES text as given, or Python values (a list, a range) as they are."""
    if isinstance(values, str):
        return values
    if isinstance(values, (int, float)):
        return str(values)
    if isinstance(values, (range, list, tuple)):
        return values
    if isinstance(values, Iterable):
        return list(values)
    raise ArgumentError(f"a sweep's values are a text like '16..64:16' or a list (got {type_name(values)})")


def _axis_of(name: str, values: Any, space: Space) -> Axis:
    given = _values_text(values)
    if isinstance(given, str):
        return axis(name, given, space.choices(name))
    from cnncalc.numbers import number

    items = []
    for v in given:
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            raise ArgumentError(f"--vary {name}: a value is a number or a word (got {v!r})")
        items.append(number(v, f"--vary {name}") if not isinstance(v, str) else v)
    if not items:
        raise ArgumentError(f"--vary {name} has no values")
    text = ",".join(str(v) for v in items)
    return Axis(name, (tuple(items),), text)


def parse_vary(items: Sequence[str]) -> list[tuple[str, str]]:
    """``["w=16,32", "d=1..4"]`` as ``[("w", "16,32"), ("d", "1..4")]``."""
    out = []
    for item in items:
        name, sep, values = str(item).partition("=")
        if not sep or not name.strip():
            raise ArgumentError(f"--vary is NAME=VALUES (got {item!r})", hint="e.g. --vary width=16,32,64")
        out.append((name.strip(), values))
    return out


def parse_set(items: Sequence[str]) -> dict[str, Any]:
    """``["classes=10"]`` as ``{"classes": 10}``: each value a number (checked) or a word."""
    from cnncalc.sweep.values import value_of

    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = str(item).partition("=")
        if not sep or not name.strip():
            raise ArgumentError(f"--set is NAME=VALUE (got {item!r})", hint="e.g. --set classes=10")
        out[name.strip()] = value_of(value, f"--set {name.strip()}")
    return out


def plan(
    spec: str,
    vary: Mapping[str, Any] | Sequence[str] | Sequence[tuple[str, Any]],
    *,
    fixed: Mapping[str, Any] | None = None,
    random: int | None = None,
    seed: int = 0,
    where: str | None = None,
    pareto: Sequence[str] | str | None = None,
    options: Options | None = None,
    input: Any = None,  # noqa: A002 - the user's word
    dtypes: Any = None,
    kwargs: Any = None,
) -> SweepTask:
    """The sweep of ``spec`` over ``vary``, checked whole before any point runs: every name is one the spec
    takes, every value a number or a word, the grid within its limit (``sweep_points``), the condition and the
    Pareto columns are columns."""
    from cnncalc.limits import guard
    from cnncalc.numbers import whole

    if isinstance(spec, Path):
        spec = str(spec)
    if not isinstance(spec, str):
        raise wrong_type("spec", "a text, a path, zoo:NAME or file.py:function", spec)
    if isinstance(vary, str):
        vary = [vary]  # one NAME=VALUES
    if not isinstance(vary, (Mapping, Sequence)):
        raise wrong_type("vary", 'a dict of names to values, {"width": "16..64:16"}, or NAME=VALUES texts', vary)
    if fixed is not None and not isinstance(fixed, Mapping):
        raise wrong_type("set", 'a dict of names to values, {"classes": 10}', fixed)
    opts = Options.make(options)
    space = space_of(spec, fixed=dict(fixed or {}), input=input, dtypes=dtypes, kwargs=kwargs)
    if isinstance(vary, Mapping):
        pairs = list(vary.items())
    else:
        pairs = [p if isinstance(p, tuple) and len(p) == 2 else parse_vary([p])[0] for p in vary]
    if not pairs:
        raise ArgumentError("a sweep needs --vary NAME=VALUES", hint="e.g. --vary width=16,32,64")
    names = [n for n, _ in pairs]
    for n in names:
        if names.count(n) > 1:
            raise ArgumentError(f"--vary {n} is given twice", hint=f"list every value once: --vary {n}=a,b,c")
        if fixed and n in fixed:
            raise ArgumentError(f"{n} is given by --set and --vary: one or the other")
    space.check(names)
    axes = tuple(_axis_of(n, v, space) for n, v in pairs)
    grid = Grid(axes)
    note = ""
    if random is None:
        guard(
            "sweep_points",
            grid.size,
            f"the grid has {_count(grid.size)} points",
            hint="sample it (--random 100000 --seed 0), give fewer values, or raise it with "
            "CNNCALC_LIMIT_SWEEP_POINTS=N",
        )
        size, drawn = grid.size, None
    else:
        count = whole(random, "--random", minimum=1)
        guard("sweep_points", count, f"--random asks for {count:,} points")
        drawn = whole(seed, "--seed", minimum=0)
        if count > grid.size:
            note = f"--random {count:,}: the grid has {grid.size:,} points, all of them drawn"
        size = min(count, grid.size)
    arg_types = [(a.name, type_of(a[i] for i in range(min(a.size, 10_000)))) for a in axes]
    task = SweepTask(space, axes, opts, size, drawn, note=note)
    probe = _probe(task)
    llm = probe is not None and any(k.startswith("llm.") for k in probe)
    figure_cols = figure_columns(opts, llm)
    if probe is not None:  # a parallel layout's figures: their keys follow the layout
        figure_cols += found_columns(probe, figure_cols)
    taken = {n for n, _ in figure_cols} | {"point", "error"}
    for n in names:
        if n in taken:
            raise ArgumentError(f"--vary {n}: a sweep's row has a column of that name already (its figures)")
    task.schema = [("point", "int64"), *arg_types, *figure_cols, ("error", "string")]
    columns = [n for n, _ in task.schema]
    if where is not None:
        task.where = Condition.read(where, [c for c in columns if c != "error"])
        if probe is not None:  # a condition that cannot be worked out on a row says so now, not on a worker
            task.where({**task.grid.point(task.index(0)), **probe})
    if pareto:
        chosen = [p.strip() for p in pareto.split(",")] if isinstance(pareto, str) else [str(p) for p in pareto]
        kinds = dict(task.schema)
        for p in chosen:
            if kinds.get(p) not in ("int64", "double"):
                import difflib

                near = difflib.get_close_matches(p, columns, n=3)
                hint = f"did you mean {' or '.join(near)}?" if near else "e.g. --pareto flops,params"
                raise ArgumentError(f"--pareto: '{p}' is not a column of numbers", hint=hint)
        if len(chosen) < 2 or len(set(chosen)) != len(chosen):
            raise ArgumentError("--pareto names two or more different columns", hint="e.g. --pareto flops,params")
        task.pareto = tuple(chosen)
    return task


def _count(n: int) -> str:
    return f"{n:,}" if n < 10**15 else f"{n:.3e}"


def _probe(task: SweepTask, tries: int = 8) -> dict[str, Any] | None:
    """The figures of the sweep's first point that builds (of the first few), here, before any worker starts."""
    for k in range(min(tries, task.size)):
        try:
            return figures(task.space.report(task.grid.point(task.index(k)), task.options))
        except CnnCalcError:
            continue
    return None


def sweep(
    spec: str,
    vary: Mapping[str, Any] | Sequence[str],
    *,
    output: str | Path | None = None,
    set: Mapping[str, Any] | None = None,  # noqa: A002 - the CLI's word
    random: int | None = None,
    seed: int = 0,
    where: str | None = None,
    pareto: Sequence[str] | str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = False,
    input: Any = None,  # noqa: A002
    options: Options | None = None,
    **given: Any,
) -> Any:
    """Sweep ``spec`` over ``vary`` (``{"width": "16..64:16", "depth": [2, 3]}``): a pandas DataFrame of the rows,
    or, with ``output``, the path of the Parquet dataset written there.

    ``set`` fixes arguments for every point; ``random``/``seed`` draw points instead of the whole grid;
    ``where`` keeps the rows meeting a condition; ``pareto`` the non-dominated rows; ``workers=0`` runs in this
    process, ``scheduler`` on a Dask cluster; other keywords are :class:`~cnncalc.options.Options`
    (``flops``, ``train``, ``dtype``...), as ``summary`` takes them.
    """
    from cnncalc.sweep import engine

    opts = Options.make(options, **given)
    task = plan(spec, vary, fixed=set, random=random, seed=seed, where=where, pareto=pareto, options=opts, input=input)
    if output is not None:
        engine.run(
            task,
            output,
            workers=workers,
            scheduler=scheduler,
            resume=resume,
            progress=progress,
            seconds_per_point=engine.timed(lambda k: task.row(k), task.size),
        )
        return Path(output)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cnncalc-sweep-") as folder:
        target = Path(folder) / "results.parquet"
        engine.run(
            task,
            target,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            seconds_per_point=engine.timed(lambda k: task.row(k), task.size),
        )
        import pandas as pd

        return pd.read_parquet(target)
