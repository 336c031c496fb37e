"""A small model's forward runs first on the CPU, on zeros: the same report as the meta device's, the model untouched.

The CPU is there for speed only (a shape-only trace makes PyTorch import its compiler
the first time a kernel written in Python runs), so everything here holds it to the
meta path: every test model, in eval and training mode, gives the same report both
ways; a forward that reads a value leaves the CPU for the meta device and fake
tensors, which say so, rather than pick a branch on zeros.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from support.torch_models import ZOO, CnnBn  # noqa: E402
from torch import nn  # noqa: E402

import cnncalc  # noqa: E402
from cnncalc.errors import CnnCalcError  # noqa: E402
from cnncalc.frontends import torch as frontend  # noqa: E402

ON_CPU = "run on the CPU with zeros"
ON_FAKE = "traced with fake tensors"


def how(report: cnncalc.Report) -> str:
    notes = " ".join(report.notes)
    assert (ON_CPU in notes) != (ON_FAKE in notes), notes
    return ON_CPU if ON_CPU in notes else ON_FAKE


def everything_but_the_notes(report: cnncalc.Report) -> dict:
    data = json.loads(report.to_json())
    data.pop("notes", None)
    return data


@pytest.fixture(autouse=True)
def no_time_limit(monkeypatch):
    """Which way a model runs must not depend on how busy the test machine is (the limit's own test sets it)."""
    monkeypatch.setattr(frontend, "CPU_SECONDS", float("inf"))


def both_ways(model, example, monkeypatch, **options):
    on_cpu = cnncalc.from_torch(model, example, **options)
    with monkeypatch.context() as m:
        m.setattr(frontend, "CPU_WEIGHT_BYTES", -1)
        on_meta = cnncalc.from_torch(model, example, **options)
    return on_cpu, on_meta


@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
@pytest.mark.parametrize("name", sorted(ZOO))
def test_every_test_model_gives_the_same_report_on_the_cpu_and_on_meta(name, train, monkeypatch):
    factory, example, _ = ZOO[name]
    torch.manual_seed(0)
    model = factory()
    on_cpu, on_meta = both_ways(model, example(), monkeypatch, train=train, flops="matmul")
    assert how(on_cpu) == ON_CPU and how(on_meta) == ON_FAKE
    assert everything_but_the_notes(on_cpu) == everything_but_the_notes(on_meta)


def test_a_model_built_on_meta_runs_on_cpu_zeros_and_stays_on_meta():
    with torch.device("meta"):
        model = CnnBn()
    report = cnncalc.from_torch(model, (2, 3, 32, 32))
    assert how(report) == ON_CPU
    assert all(t.is_meta for t in list(model.parameters()) + list(model.buffers()))


def test_the_users_weights_statistics_random_state_and_threads_are_left_as_they_were():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Dropout(0.5), nn.ReLU())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(2, 3, 16, 16)
    rng, threads = torch.get_rng_state(), torch.get_num_threads()
    report = cnncalc.from_torch(model, x, train=True)  # batch norm updates its statistics, dropout draws
    assert how(report) == ON_CPU
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # running mean, variance and step counter too
    assert torch.equal(torch.get_rng_state(), rng)
    assert torch.get_num_threads() == threads  # the forward ran on one
    assert model.training  # the mode put back


class Branches(nn.Module):
    """Takes a branch on a value: on zeros the trace would follow ``small`` whatever the real input."""

    def __init__(self):
        super().__init__()
        self.big = nn.Linear(4, 64)
        self.small = nn.Linear(4, 2)

    def forward(self, x):
        return self.big(x) if x.sum() > 0 else self.small(x)


class Masks(nn.Module):
    """A boolean mask: the output's size is how many values are positive."""

    def forward(self, x):
        return x[x > 0] * 2


@pytest.mark.parametrize("sign", [1, -1], ids=["positive", "negative"])
def test_a_branch_on_a_value_is_never_taken_on_zeros_and_runs_for_real_on_the_examples_values(sign):
    x = sign * torch.rand(2, 4)
    report = cnncalc.from_torch(Branches(), x)
    notes = " ".join(report.notes)
    assert "run for real on the CPU with random weights" in notes and ON_CPU not in notes and ON_FAKE not in notes
    assert "reads tensor values in Branches (Branches) at test_torch_cpu_first.py:" in notes
    assert report.totals.macs == (2 * 4 * 64 if sign > 0 else 2 * 4 * 2)  # big(x) when x.sum() > 0, else small(x)


def test_a_boolean_mask_gives_the_size_its_values_give():
    x = torch.tensor([[1.0, -2.0, 3.0, 4.0], [-1.0, 5.0, -6.0, 7.0]])  # five positive values
    report = cnncalc.from_torch(Masks(), x, flops="all")
    assert report.rows[-1].output_shape == (5,)
    assert report.totals.flops == 8 + 5  # the comparison of each value, then 2·x of the five kept


def test_a_forward_that_reads_values_is_refused_past_the_limit_with_its_size_and_how_to_raise_it():
    from cnncalc import limits

    with limits.raised(forward_bytes=1000), pytest.raises(CnnCalcError) as info:
        cnncalc.from_torch(Branches(), (2, 4))
    text = str(info.value)
    assert "reads tensor values, so it must run for real on the CPU: its weights and inputs take 1.3 KiB" in text
    assert "over the limit of 1,000 (forward_bytes); raise it with CNNCALC_LIMIT_FORWARD_BYTES=N" in text


class Gathers(nn.Module):
    """Integer indices: the output's size comes from the index's shape, not its values."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 5)

    def forward(self, x):
        return self.fc(x[:, torch.tensor([0, 2, 3])])


def test_integer_indexing_stays_on_the_cpu():
    report = cnncalc.from_torch(Gathers(), (2, 6))
    assert how(report) == ON_CPU
    assert report.totals.params == 3 * 5 + 5
    assert report.totals.macs == 2 * 3 * 5


@pytest.mark.parametrize(
    "limit, value",
    [
        ("CPU_WEIGHT_BYTES", 1000),
        ("CPU_INPUT_ELEMENTS", 100),
        ("CPU_OUTPUT_BYTES", 1000),
        ("CPU_SECONDS", 0.0),
    ],
)
def test_a_model_past_any_limit_is_traced_on_meta_with_the_same_figures(limit, value, monkeypatch):
    model = CnnBn()  # it has more than 1,000 bytes of weights, 100 input elements or 1,000 bytes of outputs
    example = (2, 3, 32, 32)
    expected = everything_but_the_notes(cnncalc.from_torch(model, example))
    monkeypatch.setattr(frontend, limit, value)
    report = cnncalc.from_torch(model, example)
    assert how(report) == ON_FAKE
    assert everything_but_the_notes(report) == expected


def test_a_small_model_from_the_command_line_never_imports_pytorchs_compiler(tmp_path: Path):
    # the reason the CPU comes first: batch norm's shape-only kernel is written in Python, and its first call
    # imports torch._dynamo (seconds); on the CPU it is never called
    tests = Path(__file__).resolve().parents[1]
    model_file = tmp_path / "net.py"
    model_file.write_text(
        f"import sys\nsys.path.insert(0, {str(tests)!r})\nfrom support.torch_models import CnnBn\n", encoding="utf-8"
    )
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from cnncalc.cli import app\n"
        f"r = CliRunner().invoke(app, ['summary', {str(model_file) + ':CnnBn'!r}, '--input', '2,3,32,32'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print('torch._dynamo' in sys.modules, 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("cpu", [True, False], ids=["cpu", "meta"])
@pytest.mark.parametrize(
    "model, size",
    [
        (nn.Conv2d(3, 8, 3), (1, 4, 32, 32)),  # 4 channels into a layer made for 3
        (nn.ConvTranspose2d(3, 8, 3), (1, 5, 8, 8)),  # PyTorch's meta kernel does not check this one
        (nn.Linear(5, 3), (2, 4)),
        (nn.Conv2d(3, 8, 7), (1, 3, 4, 4)),  # a kernel larger than the input
    ],
    ids=["conv", "conv_transpose", "linear", "kernel"],
)
def test_a_product_given_the_wrong_sizes_is_an_error_either_way(model, size, cpu, monkeypatch):
    # on the CPU products are not computed (only their sizes are needed), so their sizes are checked first
    if not cpu:
        monkeypatch.setattr(frontend, "CPU_WEIGHT_BYTES", -1)
    with pytest.raises(CnnCalcError, match="channels|reduction dim|[Kk]ernel size"):
        cnncalc.from_torch(model, size)
