"""Every row of a sweep is ``summary --format json`` of its point, field by field; a point that fails carries its
message; --where, --pareto, --random and the Python API keep what they say. In this process (--workers 0);
tests/sweep/test_sweep_dask.py runs the same on Dask."""

from __future__ import annotations

import random

import pytest
from support.sweeps import HF, NET, SPACE, assert_row_is, flat_totals, read

import cnncalc

pytest.importorskip("pyarrow")


@pytest.fixture
def net(tmp_path):
    path = tmp_path / "net.cnn"
    path.write_text(NET)
    return path


def sample(rows, n, seed=0):
    rng = random.Random(seed)
    return rng.sample(rows, min(n, len(rows)))


@pytest.mark.parametrize(
    "options",
    [[], ["--flops", "all", "--batch", "4"], ["--train", "--optimizer", "sgd", "--dtype", "bfloat16"]],
    ids=["default", "all-batch", "train"],
)
def test_a_notations_rows_are_its_points_summaries(cli, net, tmp_path, options):
    out = tmp_path / "r.parquet"
    result = cli(
        "sweep",
        str(net),
        "--vary",
        "width=8..32:8",
        "--vary",
        "k=1,3,5",
        "--vary",
        "blk.s=1,2",
        "-o",
        str(out),
        "--workers",
        "0",
        *options,
    )
    assert result.exit_code == 0, result.stderr
    rows = read(out)
    assert len(rows) == 4 * 3 * 2 and [r["point"] for r in rows] == list(range(24))
    assert rows[5]["width"] == 8 and rows[5]["k"] == 5 and rows[5]["blk.s"] == 2
    for row in sample(rows, 5):
        args = ["--set", f"width={row['width']}", "--set", f"k={row['k']}", "--set", f"blk.s={row['blk.s']}"]
        summary = cli("summary", str(net), *args, "--format", "json", *options)
        assert summary.exit_code == 0, summary.stderr
        assert_row_is(row, flat_totals(summary.stdout), ["width", "k", "blk.s"])
    if "--train" in options:
        assert rows[0]["training.optimizer_bytes"] is not None


def test_a_point_that_does_not_build_is_a_row_with_its_message(cli, net, tmp_path):
    out = tmp_path / "r.parquet"
    result = cli("sweep", str(net), "--vary", "size=4,32", "--vary", "k=3,9", "-o", str(out), "--workers", "0")
    assert result.exit_code == 0, result.stderr
    rows = read(out)
    assert len(rows) == 4
    failed = [r for r in rows if r["error"] is not None]
    assert [(r["size"], r["k"]) for r in failed] == [(4, 9)]  # a 9x9 kernel on a padded 6x6 input
    row = failed[0]
    assert row["params"] is None and row["flops"] is None
    summary = cli("summary", str(net), "--set", "size=4", "--set", "k=9")
    assert summary.exit_code == 2
    assert row["error"] == summary.stderr.strip().removeprefix("error: ")
    assert "larger than" in row["error"]
    ok = [r for r in rows if r["error"] is None]
    assert all(r["params"] > 0 for r in ok)


def test_a_config_jsons_fields(cli, tmp_path):
    config = HF / "llama3_8b.json"
    out = tmp_path / "r.parquet"
    result = cli(
        "sweep",
        str(config),
        "--vary",
        "hidden_size=2048,4096",
        "--vary",
        "num_hidden_layers=16..48:16",
        "--input",
        "1,256",
        "--context",
        "512",
        "-o",
        str(out),
        "--workers",
        "0",
    )
    assert result.exit_code == 0, result.stderr
    rows = read(out)
    assert len(rows) == 6
    for row in sample(rows, 2):
        summary = cli(
            "summary",
            str(config),
            "--set",
            f"hidden_size={row['hidden_size']}",
            "--set",
            f"num_hidden_layers={row['num_hidden_layers']}",
            "--input",
            "1,256",
            "--context",
            "512",
            "--format",
            "json",
        )
        assert summary.exit_code == 0, summary.stderr
        expected = flat_totals(summary.stdout)
        assert "llm.kv_cache_bytes" in expected
        assert_row_is(row, expected, ["hidden_size", "num_hidden_layers"])


def test_a_zoo_models_arguments_and_nb201s_cells(cli, tmp_path):
    out = tmp_path / "r.parquet"
    result = cli(
        "sweep",
        "zoo:nb201",
        "--vary",
        "arch=all",
        "--random",
        "12",
        "--seed",
        "7",
        "--set",
        "N=2",
        "-o",
        str(out),
        "--workers",
        "0",
        "--flops",
        "matmul",
    )
    assert result.exit_code == 0, result.stderr
    rows = read(out)
    every = cnncalc.zoo.choices("nb201")["arch"]
    assert len(rows) == 12 and all(every[r["point"]] == r["arch"] for r in rows)
    for row in sample(rows, 3):
        summary = cli(
            "zoo", "nb201", "--set", f"arch={row['arch']}", "--set", "N=2", "--flops", "matmul", "--format", "json"
        )
        assert summary.exit_code == 0, summary.stderr
        assert_row_is(row, flat_totals(summary.stdout), ["arch"])


def test_a_parallel_layout_gives_every_rank_classs_figures(cli, tmp_path):
    out = tmp_path / "r.parquet"
    options = ["--train", "--parallel", "dp=2,zero=1,pp=2,microbatches=2", "--batch", "4"]
    result = cli("sweep", "zoo:resnet18", "--vary", "classes=10,1000", "-o", str(out), "--workers", "0", *options)
    assert result.exit_code == 0, result.stderr
    rows = read(out)
    assert len(rows) == 2 and rows[0]["parallel.world_size"] == 4
    for row in rows:
        summary = cli("zoo", "resnet18", "--set", f"classes={row['classes']}", *options, "--format", "json")
        assert summary.exit_code == 0, summary.stderr
        expected = flat_totals(summary.stdout)
        assert "parallel.ranks" in expected and "parallel.layout.pp" in expected
        assert_row_is(row, expected, ["classes"])


def test_a_function_of_the_users(cli, tmp_path, monkeypatch):
    (tmp_path / "space.py").write_text(SPACE)
    monkeypatch.chdir(tmp_path)
    result = cli(
        "sweep",
        "space.py:make",
        "--vary",
        "width=log2:8..32",
        "--vary",
        "act=relu,gelu",
        "-o",
        "r.parquet",
        "--workers",
        "0",
        "--flops",
        "all",
    )
    assert result.exit_code == 0, result.stderr
    assert "building" not in result.stdout  # the user's prints: not on standard output
    rows = read(tmp_path / "r.parquet")
    assert len(rows) == 6
    namespace: dict = {}
    exec(SPACE, namespace)
    for row in rows:
        text = namespace["make"](width=row["width"], act=row["act"])
        summary = cli("summary", text, "--flops", "all", "--format", "json")
        assert_row_is(row, flat_totals(summary.stdout), ["width", "act"])


def test_where_keeps_the_rows_meeting_it(cli, net, tmp_path):
    every, kept = tmp_path / "all.parquet", tmp_path / "kept.parquet"
    base = [str(net), "--vary", "width=8..64:8", "--vary", "k=1,3,5", "--workers", "0"]
    assert cli("sweep", *base, "-o", str(every)).exit_code == 0
    condition = "params < 60000 and memory.peak_activation_bytes >= 2**17 and k != 5"
    result = cli("sweep", *base, "-o", str(kept), "--where", condition)
    assert result.exit_code == 0, result.stderr
    expected = [
        r for r in read(every) if r["params"] < 60000 and r["memory.peak_activation_bytes"] >= 2**17 and r["k"] != 5
    ]
    assert read(kept) == expected and 0 < len(expected) < 24


def test_pareto_keeps_the_non_dominated_points(cli, tmp_path):
    every, front = tmp_path / "all.parquet", tmp_path / "front.parquet"
    base = [
        "zoo:nb201",
        "--vary",
        "arch=all",
        "--random",
        "300",
        "--seed",
        "3",
        "--set",
        "N=1",
        "--workers",
        "0",
        "--chunk",
        "40",
    ]
    assert cli("sweep", *base, "-o", str(every)).exit_code == 0
    result = cli("sweep", *base, "-o", str(front), "--pareto", "memory.activation_bytes,params")
    assert result.exit_code == 0, result.stderr
    rows = read(every)

    def dominated(r):
        a, p = r["memory.activation_bytes"], r["params"]
        return any(
            o["memory.activation_bytes"] <= a
            and o["params"] <= p
            and (o["memory.activation_bytes"], o["params"]) != (a, p)
            for o in rows
        )

    expected = [r for r in rows if not dominated(r)]
    assert read(front) == expected and 1 < len(expected) < 300


def test_random_draws_distinct_points_and_the_same_again(cli, net, tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    base = [str(net), "--vary", "width=1..1000", "--vary", "k=1,3", "--random", "20", "--seed", "5", "--workers", "0"]
    assert cli("sweep", *base, "-o", str(a)).exit_code == 0
    assert cli("sweep", *base, "-o", str(b)).exit_code == 0
    rows = read(a)
    assert rows == read(b) and len({r["point"] for r in rows}) == 20
    assert all(r["width"] == r["point"] // 2 + 1 and r["k"] == (1, 3)[r["point"] % 2] for r in rows)


def test_the_python_api_returns_a_dataframe_or_the_path(net, tmp_path):
    df = cnncalc.sweep(str(net), {"width": [8, 16], "k": "1,3"}, workers=0, flops="matmul")
    assert list(df["width"]) == [8, 8, 16, 16] and list(df["k"]) == [1, 3, 1, 3]
    expected = cnncalc.analyze(NET.replace("width=16", "width=16").replace("k=3", "k=1"), flops="matmul")
    assert int(df["params"][2]) == expected.totals.params
    path = cnncalc.sweep(str(net), {"width": [8, 16]}, workers=0, output=tmp_path / "r.parquet")
    assert path == tmp_path / "r.parquet" and len(read(path)) == 2


def test_an_existing_folder_is_never_overwritten(cli, net, tmp_path):
    out = tmp_path / "r.parquet"
    args = [str(net), "--vary", "width=8,16", "-o", str(out), "--workers", "0"]
    assert cli("sweep", *args).exit_code == 0
    again = cli("sweep", *args)
    assert again.exit_code == 2 and "already holds a sweep" in again.stderr and "--resume" in again.stderr
    other = cli("sweep", str(net), "--vary", "width=8,32", "-o", str(out), "--workers", "0", "--resume")
    assert other.exit_code == 2 and "another sweep" in other.stderr
    done = cli("sweep", *args, "--resume")
    assert done.exit_code == 0 and len(read(out)) == 2
