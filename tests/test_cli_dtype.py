"""--dtype reaches the memory figures of every command that takes it, whatever else is given with it.

Each option a command passes through to the options merge is None when not given; a None must never reset a value
chosen before it (``cnncalc zoo resnet50 --dtype float16`` once reported float32 memory). The figures are checked
against hand counts: bytes = parameters · bytes per element.
"""

from __future__ import annotations

import json

import pytest

from cnncalc.report import Report

RESNET50_PARAMS = 25_557_032  # torchvision's resnet50
SEED_PARAMS = 608  # input(32,32,3) -> conv(8, f=5): (5·5·3 + 1)·8
BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}


@pytest.mark.parametrize("dtype", sorted(BYTES))
@pytest.mark.parametrize(
    "command",
    [
        ("zoo", "resnet50"),
        ("zoo", "resnet50", "--set", "classes=1000"),
        ("zoo", "resnet50", "--batch", "2", "--flops", "all"),
        ("summary", "input(32,32,3) -> conv(8, f=5)"),
        ("summary", "input(32,32,3) -> conv(8, f=5)", "--batch", "3", "--layout", "chw"),
    ],
    ids=["zoo", "zoo-set", "zoo-batch", "summary", "summary-batch"],
)
def test_dtype_sets_the_memory_of_the_report(cli, command, dtype):
    result = cli(*command, "--dtype", dtype, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    params = RESNET50_PARAMS if command[0] == "zoo" else SEED_PARAMS
    assert report["dtype"] == dtype
    assert report["totals"]["params"] == params
    assert report["totals"]["memory"]["param_bytes"] == params * BYTES[dtype]


def test_dtype_of_a_spec_file_and_a_config(cli, tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text("input: [32, 32, 3]\nlayers:\n  - {kind: conv, args: [8], f: 5}\n")
    result = cli("summary", str(spec), "--dtype", "int8", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["totals"]["memory"]["param_bytes"] == SEED_PARAMS * 1


@pytest.mark.parametrize("kind", ["layers", "memory"])
def test_plot_draws_at_the_dtype_given(cli, tmp_path, monkeypatch, kind):
    seen = {}

    def plot(self: Report, kind: str = "layers", path: str | None = None, **options: object) -> None:
        seen.update(dtype=self.dtype, param_bytes=self.memory.param_bytes)

    monkeypatch.setattr(Report, "plot", plot)
    result = cli("plot", "input(32,32,3) -> conv(8, f=5)", "-o", str(tmp_path / "p.svg"), "--kind", kind,
                 "--dtype", "float16", "--batch", "2")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert seen == {"dtype": "float16", "param_bytes": SEED_PARAMS * 2}
