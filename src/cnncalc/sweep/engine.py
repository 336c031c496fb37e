"""The sweep engine: points in chunks, on Dask workers (or in this process), streamed to a Parquet dataset.

Any search that evaluates numbered points can run here (a sweep's grid, a planner's layouts): give
:func:`run` a :class:`Task`, an object sent once to every worker, that knows how many points it has, the
columns of its rows, and the rows of the points ``start`` to ``stop``.

- **Where it runs**: ``workers=0``, in this process; else on Dask (``dask.distributed``): the cluster at
  ``scheduler`` (``tcp://host:8786``, or ``$DASK_SCHEDULER_ADDRESS``), or a local cluster of ``workers``
  processes (default: one a core) on 127.0.0.1, closed when the run ends.
- **Chunks**: a chunk is one Dask task; it is sized from the time a point takes, measured here first, so
  that a chunk lasts about a second (the scheduler's few milliseconds a task stay under 1%), and there are
  at least four chunks a worker when the points allow.
- **Streaming**: each chunk's rows are written as one part of the dataset (``part-000042.parquet``, with
  pyarrow) as soon as they are made: by the worker itself on a local cluster (it shares this machine's disk,
  and this process, which shares the cores, stays idle), else here as the chunk comes back; only the chunks in
  flight (a few per worker) are held at once.
- **Start**: every worker loads the task and runs its first point before the clock starts (imports and code
  paths used the first time, about half a second a fresh process): a run's points per second are the
  workers' once they are up, and that start is :attr:`Outcome.startup`.
- **Resume**: the dataset folder holds ``_sweep.json`` (what the run is, its chunks); a part is written
  under another name and renamed when complete, so a run killed at any moment leaves whole parts only, and
  ``resume=True`` runs the chunks that have none. A folder of another run is refused, never overwritten.
- **Progress**: points done, points per second and the time left, on standard error.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cnncalc.errors import ArgumentError, CnnCalcError, SpecError
from cnncalc.limits import guard

MANIFEST = "_sweep.json"
TARGET_SECONDS = 1.0  # what a chunk should take
CHUNKS_PER_WORKER = 4  # at least, when the points allow: a slow chunk does not leave the others idle
MAX_CHUNK = 200_000


class Task(Protocol):
    """What the engine runs: numbered points and their rows. It is pickled once and sent to every worker."""

    size: int  # how many points
    schema: list[tuple[str, str]]  # the rows' columns: (name, "int64" | "double" | "string" | "bool")

    def identity(self) -> str:
        """What makes two runs the same run (a resumed run must be): a text, compared whole."""
        ...

    def rows(self, start: int, stop: int) -> list[dict[str, Any]]:
        """The rows of points ``start`` to ``stop`` (some may be left out: a filter)."""
        ...

    def finish(self, rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]] | None:
        """The rows to keep once every chunk is done (a Pareto front), or None to keep every part as it is."""
        ...


@dataclass
class Outcome:
    """What a run did: its dataset, points run and kept, seconds, points per second, chunks and workers."""

    path: Path
    points: int
    rows: int
    seconds: float
    chunks: int
    workers: int
    resumed: int = 0  # chunks that were done already
    busy: float = 0.0  # seconds the workers spent in chunks (summed)
    startup: float = 0.0  # seconds to start the local cluster or reach the scheduler, and load the task on every
    # worker (not in ``seconds``)
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.points / self.seconds if self.seconds > 0 else 0.0


# ------------------------------------------------------------------ the dataset


def arrow_schema(schema: list[tuple[str, str]]) -> Any:
    import pyarrow as pa

    types = {"int64": pa.int64(), "double": pa.float64(), "string": pa.string(), "bool": pa.bool_()}
    return pa.schema([pa.field(name, types[kind]) for name, kind in schema])


def _table(rows: list[dict[str, Any]], schema: list[tuple[str, str]]) -> Any:
    import pyarrow as pa

    columns = {name: [r.get(name) for r in rows] for name, _ in schema}
    return pa.Table.from_pydict(columns, schema=arrow_schema(schema))


def _part(folder: Path, chunk: int | str) -> Path:
    return folder / (f"part-{chunk:06d}.parquet" if isinstance(chunk, int) else f"part-{chunk}.parquet")


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Writing ``path`` (the folder, a part, the manifest): what the system refuses (no such folder, no room, no
    right to write there) said in words, here or on the worker writing it."""
    try:
        yield
    except OSError as e:
        raise SpecError(f"cannot write {path}: {e.strerror or e}") from None


def _write(folder: Path, chunk: int | str, table: Any) -> None:
    """Write a part under a temporary name, then rename it: a part is there whole, or not at all."""
    import pyarrow.parquet as pq

    final = _part(folder, chunk)
    partial = final.with_name("." + final.name + ".partial")
    with _writing(final):
        pq.write_table(table, partial)
        os.replace(partial, final)


def _manifest(task: Task, chunk: int, chunks: int) -> dict[str, Any]:
    from cnncalc import __version__

    return {
        "cnncalc": __version__,
        "run": task.identity(),
        "points": task.size,
        "chunk": chunk,
        "chunks": chunks,
        "columns": [list(c) for c in task.schema],
        "complete": False,
    }


def _prepare(folder: Path, task: Task, chunk: int, resume: bool) -> tuple[int, set[int]]:
    """The chunk size and the chunks done: a new folder, or the folder of this same run to resume (nothing is
    written here: :func:`_start` makes the folder, once the workers are there)."""
    manifest = folder / MANIFEST
    if folder.exists() and not folder.is_dir():
        raise SpecError(f"{folder} is a file; a sweep writes a folder of Parquet parts", hint="choose another -o")
    if resume:
        if not manifest.is_file():
            raise SpecError(f"{folder} holds no sweep to resume", hint="run it without --resume first")
        try:
            known = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise SpecError(f"{folder}/{MANIFEST} cannot be read: resume a folder a sweep wrote") from None
        if not isinstance(known, dict) or known.get("run") != task.identity():
            raise SpecError(
                f"{folder} holds another sweep (its spec, values or settings differ)",
                hint="give the same command line to resume it, or another -o for this one",
            )
        chunk = int(known["chunk"])
        done = set()
        for p in folder.glob("part-*.parquet"):
            stem = p.stem.removeprefix("part-")
            if stem.isdigit():
                done.add(int(stem))
        return chunk, done
    if folder.exists() and any(folder.iterdir()):
        what = "a sweep" if manifest.is_file() else "files"
        raise SpecError(
            f"{folder} already holds {what}",
            hint="--resume continues the sweep it holds; choose another -o for a new one (nothing is overwritten)",
        )
    return chunk, set()


def _start(folder: Path, task: Task, chunk: int, resume: bool) -> None:
    """Make the folder and its manifest (a new run), or clear what a killed run left half-written (a resumed one)."""
    if resume:
        for stale in folder.glob(".part-*.partial"):
            stale.unlink()
        return
    with _writing(folder):
        folder.mkdir(parents=True, exist_ok=True)
    _save(folder / MANIFEST, _manifest(task, chunk, max(1, math.ceil(task.size / chunk))))


def _save(path: Path, data: dict[str, Any]) -> None:
    partial = path.with_name("." + path.name + ".partial")
    with _writing(path):
        partial.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(partial, path)


def read_rows(folder: Path, columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Every row of a sweep's dataset, part by part (one part in memory at a time)."""
    import pyarrow.parquet as pq

    for p in sorted(folder.glob("part-*.parquet")):
        table = pq.read_table(p, columns=columns)
        yield from table.to_pylist()


# ------------------------------------------------------------------ chunks


def chunk_size(seconds_per_point: float, size: int, workers: int) -> int:
    """Points a chunk: about TARGET_SECONDS of work, and at least CHUNKS_PER_WORKER chunks a worker if possible.

    >>> chunk_size(0.001, 15_625, 2), chunk_size(0.001, 1_000_000, 2), chunk_size(2.0, 10, 2)
    (1000, 1000, 1)
    """
    by_time = max(1, int(TARGET_SECONDS / max(seconds_per_point, 1e-6)))
    spread = max(1, math.ceil(size / (CHUNKS_PER_WORKER * max(workers, 1))))
    return max(1, min(by_time, spread, MAX_CHUNK))


def _run_chunk(task: Task, chunk: int, start: int, stop: int, folder: str | None = None) -> tuple[int, Any, float, int]:
    """One chunk, where it runs: its rows as an Arrow table (or None once written as its part in ``folder``),
    the seconds its points took, the points it covered."""
    began = time.perf_counter()
    rows = task.rows(start, stop)
    seconds = time.perf_counter() - began
    table = _table(rows, task.schema)
    if folder is None:
        return chunk, table, seconds, stop - start
    _write(Path(folder), chunk, table)
    return chunk, None, seconds, stop - start


def _load(task: Task) -> None:
    """A worker's start: the task's code imported and its first code paths run, on its first point, and the
    Parquet writer loaded (pyarrow's first table costs a quarter of a second)."""
    import pyarrow.parquet  # noqa: F401

    with contextlib.suppress(Exception):  # a point that fails is said by its chunk, where it counts
        _table(task.rows(0, min(1, task.size)), task.schema)


# ------------------------------------------------------------------ progress


class Progress:
    """A line on standard error: points done, points per second, time left (redrawn at most 10 times a second)."""

    def __init__(self, total: int, enabled: bool, stream: Any = None) -> None:
        self.total, self.enabled = total, enabled
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.perf_counter()
        self.last = 0.0
        self.done = 0

    def add(self, points: int) -> None:
        self.done += points
        now = time.perf_counter()
        if self.enabled and (now - self.last >= (0.1 if self.tty else 10.0) or self.done >= self.total):
            self.last = now
            self.draw(now)

    def draw(self, now: float) -> None:
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        share = 100 * self.done / self.total if self.total else 100.0
        line = f"sweep: {self.done:,}/{self.total:,} points ({share:.0f}%), {rate:,.0f} points/s, {left:,.0f} s left"
        if self.tty:
            self.stream.write("\r" + line + "\x1b[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


# ------------------------------------------------------------------ running


def run(
    task: Task,
    output: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool | None = None,
    chunk: int | None = None,
    seconds_per_point: float | None = None,
) -> Outcome:
    """Run every point of ``task`` and write its rows to the Parquet dataset ``output`` (a folder).

    ``workers=0`` runs in this process; ``scheduler`` (or ``$DASK_SCHEDULER_ADDRESS``) is a Dask cluster's
    address; else a local cluster of ``workers`` processes (default: one a core). ``chunk`` fixes the points a
    chunk (default: sized from ``seconds_per_point``, measured by the caller).
    """
    folder = Path(output)
    scheduler = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    if workers is not None and workers < 0:
        raise ArgumentError(f"--workers must be 0 (this process) or more (got {workers})")
    if workers and not scheduler:  # each is a process started here, before any point runs
        guard("local_workers", workers, f"--workers {workers:,} asks for {workers:,} worker processes on this machine")
    local = os.cpu_count() or 1
    planned = 1 if workers == 0 and not scheduler else (workers or local)
    if chunk is None:
        chunk = chunk_size(seconds_per_point or 0.001, task.size, planned)
    chunk, done = _prepare(folder, task, chunk, resume)
    chunks = max(1, math.ceil(task.size / chunk))
    todo = [(i, i * chunk, min(task.size, (i + 1) * chunk)) for i in range(chunks) if i not in done]
    shown = sys.stderr.isatty() if progress is None else progress
    bar = Progress(sum(stop - start for _, start, stop in todo), shown)
    began = time.perf_counter()
    busy = startup = 0.0
    used = planned
    try:
        if workers == 0 and not scheduler:
            _start(folder, task, chunk, resume)
            for i, start, stop in todo:
                _, table, seconds, n = _run_chunk(task, i, start, stop)
                _write(folder, i, table)
                busy += seconds
                bar.add(n)
        else:
            with _cluster(scheduler, workers) as (client, used):
                shared = _spread(client, task)
                startup = time.perf_counter() - began
                bar.start = time.perf_counter()
                _start(folder, task, chunk, resume)
                writes = None if scheduler else str(folder.resolve())  # a local cluster's workers write the parts
                busy = _on_dask(client, used, shared, todo, folder, bar, writes)
                seconds = time.perf_counter() - began - startup  # the points', before the cluster closes
        _finish(folder, task)
    finally:
        bar.close()
    if workers == 0 and not scheduler:
        seconds = time.perf_counter() - began
    points = sum(stop - start for _, start, stop in todo)
    rows = _count_rows(folder)
    return Outcome(folder, points, rows, seconds, len(todo), used, len(done), busy, startup=startup)


def _count_rows(folder: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("part-*.parquet"))


def _finish(folder: Path, task: Task) -> None:
    """Once every chunk is done: the task's last word on the rows (a Pareto front), and the run marked complete."""
    kept = task.finish(read_rows(folder))
    if kept is not None:
        rows = list(kept)
        _write(folder, "front", _table(rows, task.schema))
        for p in folder.glob("part-*.parquet"):
            if p.name != "part-front.parquet":
                p.unlink()
    manifest = folder / MANIFEST
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["complete"] = True
    _save(manifest, data)


@contextlib.contextmanager
def _cluster(scheduler: str | None, workers: int | None) -> Iterator[tuple[Any, int]]:
    """A Dask client: to the cluster at ``scheduler``, or to a local cluster started here and closed after."""
    try:
        from distributed import Client
    except ImportError:
        raise SpecError(
            "a sweep runs on Dask, which is not installed",
            hint='pip install "cnncalc[sweep]", or --workers 0 to run in this process',
        ) from None
    import dask

    quiet = {
        "distributed.worker.daemon": False,
        "distributed.admin.tick.limit": "60s",
        # a local cluster's workers share this machine's cores: no stack sampling every 10 ms beside the points
        # (it feeds the dashboard, which a sweep does not start)
        "distributed.worker.profile.enabled": False,
    }
    with dask.config.set(quiet):
        if scheduler:
            try:
                client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as e:
                raise SpecError(f"no Dask scheduler answers at {scheduler} ({e})") from None
            except ValueError as e:  # not an address: Dask says what is missing ('missing port number')
                raise SpecError(
                    f"--scheduler {scheduler} is not an address ({e})", hint="e.g. tcp://10.0.0.5:8786"
                ) from None
            try:
                count = len(client.scheduler_info().get("workers", {})) or 1
                yield client, count
            finally:
                client.close()
            return
        n = workers or os.cpu_count() or 1
        cluster = local_cluster(n)
        try:
            client = Client(cluster)
            try:
                yield client, n
            finally:
                client.close()
        finally:
            cluster.close()


def local_cluster(workers: int) -> Any:
    """A ``distributed.LocalCluster`` of ``workers`` single-threaded processes on 127.0.0.1, as a sweep starts one
    (the caller closes it)."""
    import logging

    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # its HTTP server: any free port, not 8787
        silence_logs=logging.ERROR,
    )


def _spread(client: Any, task: Task) -> Any:
    """The task (spec, values, settings) sent once to every worker, and loaded there (:func:`_load`)."""
    what, hint = "the sweep could not start on a worker", "every worker needs cnncalc[sweep] installed"
    shared = _result(lambda: client.scatter(task, broadcast=True, hash=False), what, hint)
    names = list(client.scheduler_info().get("workers", {}))
    loads = [client.submit(_load, shared, workers=[w], allow_other_workers=False, pure=False) for w in names]
    for future in loads:
        _result(future.result, what, hint)
    return shared


def _result(call: Callable[[], Any], what: str, hint: str) -> Any:
    """What ``call`` (a task's result) gives; what it raised, said in cnncalc's words (a CnnCalcError as it is)."""
    try:
        return call()
    except CnnCalcError:
        raise
    except Exception as e:  # noqa: BLE001 - a worker that died, a package missing there, or a bug: said once
        raise SpecError(f"{what}: {_words(e)}", hint=hint) from None


def _words(e: Exception) -> str:
    """A worker's exception in words. Dask hands some back as a bare Exception holding the original's repr.

    >>> _words(Exception("ModuleNotFoundError('No module named cnncalc')"))
    'No module named cnncalc'
    >>> _words(Exception("Refused('no room')"))
    'Refused: no room'
    """
    import ast
    import builtins
    import re

    from cnncalc.usercode import described

    found = (
        re.fullmatch(r"(\w+)\((.*)\)", e.args[0], re.S)
        if type(e) is Exception and len(e.args) == 1 and isinstance(e.args[0], str)
        else None
    )
    if found is not None:
        with contextlib.suppress(ValueError, SyntaxError):
            message = ast.literal_eval(found.group(2) or "''")
            kind = getattr(builtins, found.group(1), None)
            if isinstance(message, str) and isinstance(kind, type) and issubclass(kind, Exception):
                return described(kind(message))
            if isinstance(message, str):
                return f"{found.group(1)}: {message}" if message else found.group(1)
    return described(e)


def _on_dask(
    client: Any,
    workers: int,
    shared: Any,
    todo: list[tuple[int, int, int]],
    folder: Path,
    bar: Progress,
    writes: str | None,
) -> float:
    """Run the chunks on the cluster, a few per worker in flight; each part written by its worker (``writes``,
    the folder, on a local cluster), or here as it comes back."""
    import uuid

    from distributed import as_completed

    run_id = uuid.uuid4().hex[:12]
    pending = iter(todo)
    window = 2 * workers + 1
    busy = 0.0

    def submit(item: tuple[int, int, int]) -> Any:
        i, start, stop = item
        key = f"cnncalc-sweep-{run_id}-{i}"
        return client.submit(_run_chunk, shared, i, start, stop, writes, key=key, pure=False)

    flying = [submit(item) for item in itertools.islice(pending, window)]
    if not flying:
        return busy
    results = as_completed(flying)
    failed, hint = "a chunk of the sweep failed on a worker", "the chunks written are kept: --resume runs the rest"
    for future in results:
        i, table, seconds, n = _result(future.result, failed, hint)
        future.release()
        if table is not None:
            _write(folder, i, table)
        busy += seconds
        bar.add(n)
        nxt = next(pending, None)
        if nxt is not None:
            results.add(submit(nxt))
    return busy


def timed(evaluate: Callable[[int], Any], size: int, tries: int = 8) -> float:
    """Seconds a point takes, measured on the first points (the very first, which pays for imports, left out)."""
    if size <= 1:
        return 0.01
    evaluate(0)
    n = min(tries, size - 1)
    began = time.perf_counter()
    for k in range(1, n + 1):
        evaluate(k)
    return (time.perf_counter() - began) / n
