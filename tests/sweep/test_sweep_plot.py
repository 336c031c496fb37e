"""``cnncalc plot results.parquet --kind sweep``: the points on log axes and the Pareto front, read batch by batch."""

from __future__ import annotations

import pytest
from support.sweeps import NET, read

pytest.importorskip("pyarrow")
pytest.importorskip("matplotlib")

from cnncalc.errors import CnnCalcError  # noqa: E402
from cnncalc.render.sweep_plot import draw_sweep, sweep_points  # noqa: E402


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from cnncalc.sweep import engine, plan

    folder = tmp_path_factory.mktemp("sweep")
    (folder / "net.cnn").write_text(NET)
    task = plan(str(folder / "net.cnn"), {"width": "4..64:4", "k": "1,3,9", "size": "4,32"})
    engine.run(task, folder / "r.parquet", workers=0, chunk=7)
    return folder / "r.parquet"


def test_the_front_is_every_point_no_other_beats(dataset):
    rows = [r for r in read(dataset) if r["error"] is None]
    points = sweep_points(dataset, "params", "memory.peak_activation_bytes", "k")
    pairs = {(r["params"], r["memory.peak_activation_bytes"]) for r in rows}
    expected = sorted(p for p in pairs if not any(q != p and q[0] <= p[0] and q[1] <= p[1] for q in pairs))
    assert list(points.front) == expected and len(expected) > 1
    assert points.rows == 16 * 3 * 2 and points.left_out == 16 * 3 * 2 - len(rows) > 0  # the 9x9 kernels on 4x4
    assert len(points.x) == len(rows) and set(points.color) == {1, 3, 9}  # k=9 builds on 32x32


def test_at_most_so_many_points_are_drawn_the_front_from_all(dataset):
    few = sweep_points(dataset, "flops", "params", most=10)
    every = sweep_points(dataset, "flops", "params")
    assert len(few.x) == 10 and few.front == every.front
    assert set(zip(few.x, few.y)) <= set(zip(every.x, every.y))


def test_log_axes_a_colour_bar_and_the_front(dataset):
    fig = draw_sweep(sweep_points(dataset, "flops", "params", "width"))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "flops" and ax.get_ylabel() == "params"
    assert len(fig.axes) == 2  # the colour bar of width
    assert "Pareto front" in ax.get_title() and any(line.get_label() == "Pareto front" for line in ax.get_lines())


def test_the_command_writes_the_file_and_names_a_wrong_column(cli, dataset, tmp_path):
    out = tmp_path / "sweep.png"
    result = cli(
        "plot", str(dataset), "--kind", "sweep", "--x", "flops", "--y", "params", "--color", "k", "-o", str(out)
    )
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = cli("plot", str(dataset), "--kind", "sweep", "--x", "flop", "-o", str(out))
    assert bad.exit_code == 2 and "no column 'flop'" in bad.stderr and "did you mean flops" in bad.stderr
    words = cli("plot", str(dataset), "--kind", "sweep", "--x", "error", "-o", str(out))
    assert words.exit_code == 2 and "columns of numbers" in words.stderr
    misplaced = cli("plot", "input(8) -> fc(2)", "--x", "flops", "-o", str(out))
    assert misplaced.exit_code == 2 and "--kind sweep" in misplaced.stderr


def test_a_file_that_is_not_a_sweep(tmp_path):
    (tmp_path / "x.parquet").write_text("not parquet")
    with pytest.raises(CnnCalcError, match="not a sweep"):
        sweep_points(tmp_path / "x.parquet", "flops", "params")
    with pytest.raises(CnnCalcError, match="no such sweep"):
        sweep_points(tmp_path / "none.parquet", "flops", "params")
