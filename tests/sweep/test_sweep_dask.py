"""Sweeps on Dask: the local cluster a sweep starts, and a cluster started here and given by its address as a
remote scheduler would be. Every row is still ``summary --format json`` of its point; a sweep killed part-way
(the process killed) and resumed gives the dataset of one run straight through. Every cluster is closed."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.dask_cluster import local_scheduler
from support.sweeps import HF, NET, SPACE, assert_row_is, flat_totals, read

pytest.importorskip("pyarrow")
pytest.importorskip("distributed")

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def scheduler():
    """A cluster of two worker processes on 127.0.0.1, as a remote one would be reached: by its address."""
    with local_scheduler(2) as address:
        yield address


def test_the_local_cluster_a_sweep_starts(cli, tmp_path):
    out = tmp_path / "r.parquet"
    result = cli(
        "sweep",
        "zoo:nb201",
        "--vary",
        "arch=all",
        "--random",
        "60",
        "--seed",
        "11",
        "--set",
        "N=1",
        "--workers",
        "2",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    assert "on 2 workers" in result.stderr
    rows = read(out)
    assert len(rows) == 60
    for row in random.Random(1).sample(rows, 3):
        summary = cli("zoo", "nb201", "--set", f"arch={row['arch']}", "--set", "N=1", "--format", "json")
        assert_row_is(row, flat_totals(summary.stdout), ["arch"])


def test_a_cluster_given_by_its_address(cli, tmp_path, scheduler, monkeypatch):
    net = tmp_path / "net.cnn"
    net.write_text(NET)
    out = tmp_path / "r.parquet"
    result = cli(
        "sweep",
        str(net),
        "--vary",
        "width=4..64:4",
        "--vary",
        "k=1,3,7",
        "--vary",
        "size=8,32",
        "--scheduler",
        scheduler,
        "-o",
        str(out),
        "--flops",
        "all",
    )
    assert result.exit_code == 0, result.stderr
    rows = read(out)
    assert len(rows) == 16 * 3 * 2 and [r["point"] for r in rows] == list(range(96))
    assert any(r["error"] for r in rows)  # a 7x7 kernel on 8x8 after the stride: a row with its message
    for row in random.Random(2).sample([r for r in rows if r["error"] is None], 4):
        args = [f"width={row['width']}", f"k={row['k']}", f"size={row['size']}"]
        summary = cli(
            "summary", str(net), *[a for s in args for a in ("--set", s)], "--flops", "all", "--format", "json"
        )
        assert_row_is(row, flat_totals(summary.stdout), ["width", "k", "size"])
    # the address from the environment, as Dask's own tools take it; a config's fields; the user's function
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", scheduler)
    config = tmp_path / "c.parquet"
    result = cli(
        "sweep",
        str(HF / "qwen2_7b.json"),
        "--vary",
        "intermediate_size=8192..16384:4096",
        "--input",
        "1,64",
        "-o",
        str(config),
    )
    assert result.exit_code == 0, result.stderr
    for row in read(config):
        summary = cli(
            "summary",
            str(HF / "qwen2_7b.json"),
            "--set",
            f"intermediate_size={row['intermediate_size']}",
            "--input",
            "1,64",
            "--format",
            "json",
        )
        assert_row_is(row, flat_totals(summary.stdout), ["intermediate_size"])
    (tmp_path / "space.py").write_text(SPACE)
    monkeypatch.chdir(tmp_path)
    result = cli("sweep", "space.py:make", "--vary", "depth=1..3", "-o", "s.parquet")
    assert result.exit_code == 0, result.stderr
    namespace: dict = {}
    exec(SPACE, namespace)
    for row in read(tmp_path / "s.parquet"):
        summary = cli("summary", namespace["make"](depth=row["depth"]), "--format", "json")
        assert_row_is(row, flat_totals(summary.stdout), ["depth"])


def run_cli(*args: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(
        [sys.executable, "-m", "cnncalc", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@pytest.mark.parametrize("workers", ["0", "2"])  # in one process; on a local cluster, its workers writing the parts
def test_a_sweep_killed_part_way_and_resumed_is_the_sweep_run_straight_through(cli, tmp_path, scheduler, workers):
    import psutil

    args = ["zoo:nb201", "--vary", "arch=all", "--random", "900", "--seed", "9", "--set", "N=1", "--chunk", "30"]
    straight, killed = tmp_path / "straight.parquet", tmp_path / "killed.parquet"
    assert cli("sweep", *args, "-o", str(straight), "--workers", "0").exit_code == 0
    proc = run_cli("sweep", *args, "-o", str(killed), "--workers", workers, cwd=tmp_path)
    started = []
    try:
        deadline = time.monotonic() + 120
        while len(list(killed.glob("part-*.parquet"))) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep ended before it could be killed"
        started = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)  # no warning, no cleaning up: as a machine that loses power
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    gone, alive = psutil.wait_procs(started, timeout=30)
    assert not alive, "a worker of the killed sweep lives on"
    parts = sorted(killed.glob("part-*.parquet"))
    assert 3 <= len(parts) < 30, "killed part-way"
    result = cli("sweep", *args, "-o", str(killed), "--resume", "--scheduler", scheduler)
    assert result.exit_code == 0, result.stderr
    assert "chunks done before" in result.stderr
    assert read(killed) == read(straight)
    assert sorted(p.name for p in killed.iterdir() if not p.name.startswith("_")) == sorted(
        p.name for p in straight.iterdir() if not p.name.startswith("_")
    )


@pytest.fixture
def written(monkeypatch):
    """The parts this process writes (by chunk), the engine's writing watched."""
    from cnncalc.sweep import engine

    chunks = []
    real_write = engine._write
    monkeypatch.setattr(
        engine, "_write", lambda folder, chunk, table: (chunks.append(chunk), real_write(folder, chunk, table))
    )
    return chunks


def test_on_a_local_cluster_each_worker_starts_on_the_first_point_and_writes_its_own_parts(tmp_path, written):
    """The workers share this machine's disk: they write the parts, and this process (which shares the cores)
    writes none; each worker runs the first point once before any chunk, so a run's clock starts on workers
    that are up."""
    from support.engine_tasks import Noted

    from cnncalc.sweep import engine

    task = Noted(tmp_path / "log", 40)
    done = engine.run(task, tmp_path / "r.parquet", workers=2, chunk=5, progress=False)
    rows = read(tmp_path / "r.parquet")
    assert [r["point"] for r in rows] == list(range(40)) and done.chunks == 8 and done.rows == 40
    assert written == []  # every part came from a worker
    assert os.getpid() not in {r["pid"] for r in rows}
    calls = task.calls()
    assert len(calls) == 2 and {r["pid"] for r in rows} <= set(calls)  # the points were made by the two workers
    for pid, made in calls.items():
        assert made[0] == (0, 1), f"worker {pid} began with {made[0]}, not its start on the first point"
    chunks = sorted(c for made in calls.values() for c in made[1:])
    assert chunks == [(k, k + 5) for k in range(0, 40, 5)]


def test_a_remote_cluster_sends_the_rows_back_and_this_process_writes_them(tmp_path, scheduler, written):
    """A cluster reached by its address may not share this disk: the rows come back, the parts are written here."""
    from support.engine_tasks import Noted

    from cnncalc.sweep import engine

    task = Noted(tmp_path / "log", 12)
    done = engine.run(task, tmp_path / "r.parquet", scheduler=scheduler, chunk=4, progress=False)
    assert sorted(written) == [0, 1, 2] and done.rows == 12
    assert [r["point"] for r in read(tmp_path / "r.parquet")] == list(range(12))


def test_a_task_no_worker_can_load_is_said_before_any_chunk(tmp_path, scheduler):
    from support.engine_tasks import Unloadable

    from cnncalc.errors import SpecError
    from cnncalc.sweep import engine

    with pytest.raises(SpecError) as caught:
        engine.run(
            Unloadable(tmp_path / "log", 12), tmp_path / "r.parquet", scheduler=scheduler, chunk=4, progress=False
        )
    assert str(caught.value).startswith("the sweep could not start on a worker: No module named 'pyarrow'")
    assert "cnncalc[sweep]" in caught.value.hint
    assert not list((tmp_path / "r.parquet").glob("part-*"))


def test_a_local_sweep_beside_a_cluster_holding_port_8787_says_nothing_of_it(tmp_path):
    """8787 is Dask's dashboard port: a user's own cluster often holds it. A sweep's cluster takes a free port."""
    import socket

    held = socket.socket()
    try:
        with contextlib.suppress(OSError):  # held already by another: the same case
            held.bind(("127.0.0.1", 8787))
            held.listen()
        spec = "# args: c=4\ninput(8, 8, 3) -> conv(c, f=3) -> gap"
        proc = run_cli("sweep", spec, "--vary", "c=1..6", "--workers", "1", "-o", "r.parquet", cwd=tmp_path)
        _, err = proc.communicate(timeout=120)
    finally:
        held.close()
    assert proc.returncode == 0, err.decode()
    assert err.decode().splitlines() == [next(line for line in err.decode().splitlines() if line.startswith("wrote"))]


def test_a_part_a_worker_cannot_write_is_said_in_words(tmp_path):
    from support.engine_tasks import Unwritable

    from cnncalc.errors import SpecError
    from cnncalc.sweep import engine

    out = tmp_path / "r.parquet"
    with pytest.raises(SpecError) as caught:
        engine.run(Unwritable(tmp_path / "log", 8, out), out, workers=1, chunk=4, progress=False)
    assert str(caught.value).startswith(f"cannot write {out.resolve()}/part-00000")
    assert "No such file or directory" in str(caught.value)
