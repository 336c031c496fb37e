"""Plots: the data each one draws checked against the report's numbers and hand arithmetic; the files are made."""

from __future__ import annotations

import sys

import pytest

import cnncalc
from cnncalc import zoo
from cnncalc.errors import ArgumentError, SpecError
from cnncalc.hardware import lookup
from cnncalc.render.plot import layer_bars, memory_breakdown, roofline, training_memory

SEED_001 = (
    "input(32,32,3) -> CONV1(8, f=5, s=1) -> POOL1(2) -> CONV2(16, f=5, s=1) -> POOL2(2)"
    " -> FC3(120) -> FC4(84) -> softmax(10)"
)


@pytest.fixture(scope="module")
def lenet() -> cnncalc.Report:
    return cnncalc.analyze(SEED_001, train=True)  # the memory plot is a training step's


# ---------------------------------------------------------------- the data


def test_layer_bars_are_the_rows_figures(lenet: cnncalc.Report):
    data = layer_bars(lenet)
    layers = ("1 input", "2 CONV1", "3 POOL1", "4 CONV2", "5 POOL2", "6 FC3", "7 FC4", "8 softmax")
    assert data.labels == (*layers, "9 loss")  # the training step's loss, the sum of the outputs
    assert data.params == (0, 608, 0, 3216, 0, 48120, 10164, 850, 0)  # seed 001's table
    assert data.macs == (0, 470_400, 0, 320_000, 0, 48_000, 10_080, 840, 0)  # 8·75·784, 16·200·100, 400·120, ...
    assert data.flops == tuple(r.flops for r in lenet.rows)
    # activation bytes at float32: (32·32·3, 28·28·8, 14·14·8, 10·10·16, 5·5·16, 120, 84, 10, the loss 1) · 4
    assert data.activation_bytes == tuple(4 * n for n in (3072, 6272, 1568, 1600, 400, 120, 84, 10, 1))


def test_layer_bars_follow_the_dtype():
    data = layer_bars(cnncalc.analyze(SEED_001, dtype="bfloat16"))
    assert data.activation_bytes[1] == 6272 * 2


def test_roofline_points_by_hand(lenet: cnncalc.Report):
    a100 = lookup("a100-80gb")
    data = roofline(lenet, "a100-80gb")
    assert data.peak == 19.5e12 and data.bandwidth == 2039e9
    assert data.ridge_flops_per_byte == pytest.approx(19.5e12 / 2039e9)  # 9.56 FLOPs per byte
    by_index = {p.index: p for p in data.points}
    conv1 = by_index[2]
    # reads (32·32·3 input + 608 params)·4 bytes, writes 28·28·8·4; FLOPs 2·470,400
    assert (conv1.flops, conv1.bytes_moved) == (940_800, (3072 + 608) * 4 + 6272 * 4)
    assert conv1.intensity == pytest.approx(940_800 / 39_808)  # 23.63: right of the ridge
    assert conv1.attainable == a100.peak_tflops("float32") * 1e12 and not conv1.memory_bound
    fc3 = by_index[6]
    # reads (400 inputs + 48,120 params)·4, writes 120·4; FLOPs 2·48,000
    assert fc3.bytes_moved == (400 + 48_120) * 4 + 120 * 4 == 194_560
    assert fc3.attainable == pytest.approx(96_000 / 194_560 * 2039e9)  # 0.49 FLOPs/byte on the bandwidth slope
    assert fc3.memory_bound
    assert fc3.seconds == pytest.approx(96_000 / fc3.attainable)
    assert data.skipped == ("1 input", "9 loss")  # moves nothing, computes nothing (the sum: under all only)


@pytest.mark.parametrize("hardware", ["h100-sxm", "v100", "epyc-9654"])
def test_every_point_sits_on_the_roof_of_the_reports_own_traffic(hardware: str):
    report = zoo.analyze("resnet50")
    h = lookup(hardware)
    data = roofline(report, hardware)
    rows = {r.index: r for r in report.rows}
    assert len(data.points) + len(data.skipped) == len(report.rows)
    for p in data.points:
        r = rows[p.index]
        moved = r.bytes_read + r.bytes_written
        assert (p.flops, p.bytes_moved) == (r.flops, moved)
        assert p.intensity == pytest.approx(r.intensity)
        peak, bandwidth = h.peak_tflops("float32") * 1e12, h.bandwidth_gbs * 1e9
        assert p.attainable == pytest.approx(min(peak, r.flops / moved * bandwidth))
    for label in data.skipped:
        r = rows[int(label.split()[0])]
        assert r.flops == 0 or r.bytes_read + r.bytes_written == 0


def test_the_roofline_reads_the_peak_of_the_reports_dtype():
    data = roofline(cnncalc.analyze(SEED_001, dtype="bfloat16"), "H100 SXM")
    assert data.peak == pytest.approx(1979e12 / 2)  # the datasheet's 1,979 TFLOPS is with sparsity


def test_given_peak_and_bandwidth_override_the_table(lenet: cnncalc.Report):
    data = roofline(lenet, peak_tflops=10, bandwidth_gbs=500)
    assert (data.peak, data.bandwidth, data.ridge_flops_per_byte) == (10e12, 500e9, 20.0)
    mixed = roofline(lenet, "a100-80gb", bandwidth_gbs=1000)
    assert (mixed.peak, mixed.bandwidth) == (19.5e12, 1000e9)


def test_a_roofline_without_a_device_or_with_bad_figures_says_why(lenet: cnncalc.Report):
    with pytest.raises(ArgumentError, match="needs a device"):
        roofline(lenet)
    with pytest.raises(ArgumentError, match="peak must be a positive number"):
        roofline(lenet, peak_tflops=0, bandwidth_gbs=100)
    with pytest.raises(ArgumentError, match="did you mean"):
        roofline(lenet, "a100-90gb")


def test_memory_breakdown_by_hand(lenet: cnncalc.Report):
    parts = training_memory(lenet)
    params = 62_958 * 4  # seed 001's parameters, all trainable, at 4 bytes, in 10 tensors (weights and biases)
    # what autograd keeps, and all that is alive at the step's peak (the end of the forward): each layer's
    # input for its weight gradient, each max pool's input and int64 indices, the softmax's output; and the loss
    # made from it (their sum, one float32)
    kept = (3072 + 6272 + 1568 + 1600 + 400 + 120 + 84 + 10) * 4 + (1568 + 400) * 8 + 4
    assert parts["adam"] == {
        "params": params,
        "buffers": 0,
        "gradients": params,
        "optimizer state": 2 * params + 10 * 4,  # first and second moments, and a float32 step per tensor
        "activations": kept,
    }
    assert parts["sgd"]["optimizer state"] == 0
    assert parts["momentum"]["optimizer state"] == params
    data = memory_breakdown(lenet)
    assert [name for name, _ in data.bars] == ["sgd", "momentum", "adam", "adamw"]
    assert data.peak_inference_bytes == params + cnncalc.analyze(SEED_001).memory.peak_activation_bytes


def test_memory_breakdown_keeps_buffers_apart():
    report = cnncalc.analyze("input(8,8,3) -> conv(4, f=3) -> bn -> relu", train=True)
    parts = training_memory(report)["sgd"]
    assert parts["buffers"] == 2 * 4 * 4  # running mean and variance of 4 channels, 4 bytes each
    assert parts["gradients"] == report.totals.trainable_params * 4 == ((3 * 3 * 3 + 1) * 4 + 2 * 4) * 4


def test_the_memory_plot_needs_training_figures():
    with pytest.raises(SpecError, match="no training figures"):
        training_memory(cnncalc.analyze(SEED_001))


# ---------------------------------------------------------------- the files

matplotlib = pytest.importorskip("matplotlib")

SIGNATURES = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}


@pytest.mark.parametrize("kind", ["layers", "roofline", "memory"])
@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_report_plot_writes_each_format(lenet: cnncalc.Report, tmp_path, kind: str, fmt: str):
    path = tmp_path / f"{kind}.{fmt}"
    options = {"hardware": "a100-80gb"} if kind == "roofline" else {}
    fig = lenet.plot(kind, str(path), **options)
    data = path.read_bytes()
    if fmt == "svg":
        text = data.decode("utf-8")
        assert "<svg" in text and "</svg>" in text
    else:
        assert data.startswith(SIGNATURES[fmt])
    assert fig.axes  # a Figure comes back for notebooks


def test_the_roofline_figure_draws_the_roof_and_ridge(lenet: cnncalc.Report):
    fig = lenet.plot("roofline", hardware="a100-80gb")
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    roof = next(line for line in ax.get_lines() if line.get_label() == "roof")
    xs, ys = roof.get_data()
    ridge = 19.5e12 / 2039e9
    assert xs[1] == pytest.approx(ridge) and ys[1] == pytest.approx(19.5e12)
    assert ys[0] == pytest.approx(xs[0] * 2039e9)  # the bandwidth slope
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == 7  # every layer but the input


def test_layers_log_scale_on_request(lenet: cnncalc.Report):
    fig = lenet.plot("layers", log=True)
    assert {ax.get_xscale() for ax in fig.axes} == {"log"}
    assert len(fig.axes[0].patches) == len(lenet.rows)


def test_plot_rejects_unknown_kinds_formats_and_options(lenet: cnncalc.Report, tmp_path):
    with pytest.raises(ArgumentError, match="unknown plot kind 'pie'"):
        lenet.plot("pie")
    with pytest.raises(ArgumentError, match="cannot tell the format"):
        lenet.plot("layers", str(tmp_path / "x.gif"))
    with pytest.raises(ArgumentError, match="takes no option hardware"):
        lenet.plot("memory", hardware="v100")


def test_without_matplotlib_it_says_which_extra_to_install(lenet: cnncalc.Report, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(SpecError, match=r"cnncalc\[plot\]"):
        lenet.plot("layers")


# ---------------------------------------------------------------- the command


def test_cli_plot_writes_the_file(cli, tmp_path):
    out = tmp_path / "roof.png"
    result = cli("plot", SEED_001, "--kind", "roofline", "--hardware", "H100 SXM", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(SIGNATURES["png"])
    out = tmp_path / "mem.svg"
    assert cli("plot", SEED_001, "-k", "memory", "--dtype", "bfloat16", "-o", str(out)).exit_code == 0
    assert "<svg" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-k", "roofline", "--hardware", "h100 sx"], "did you mean h100-sxm"),
        (["-k", "roofline"], "needs a device"),
        (["-k", "roofline", "--hardware", "v100", "--dtype", "int8"], "no published int8 peak"),
        (["-k", "memory", "--peak", "3"], "--peak applies only to --kind roofline"),
    ],
)
def test_cli_plot_errors_exit_2_without_a_traceback(cli, tmp_path, args: list[str], message: str):
    result = cli("plot", SEED_001, *args, "-o", str(tmp_path / "x.png"))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
