"""Models other tools run, in the torch front-end: a forward run for real, scripted modules, lazy modules, modules
without a forward, 0-d inputs, parameters read in a forward pre-hook. Their figures against PyTorch itself are in
``test_torch_tool_suites.py``; here, what the user sees and that their model is left as it was."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
from support.tool_models import CASES, MLP, LazyNet, ScriptedParts, pruned_lenet, weight_normed  # noqa: E402
from torch import nn  # noqa: E402

import cnncalc  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def by_source(report: cnncalc.Report) -> dict[str, cnncalc.Report]:
    return {r.source: r for r in report.rows}


def test_a_forward_run_for_real_is_the_same_every_time_and_leaves_the_model_and_random_state_alone():
    model = CASES["torchinfo_normal_output"].build()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rng = torch.get_rng_state()
    first = cnncalc.from_torch(model, (3, 10), flops="all")
    second = cnncalc.from_torch(model, (3, 10), flops="all")
    assert first.to_json() == second.to_json()
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert torch.equal(torch.get_rng_state(), rng)


def test_a_scripted_module_has_a_row_per_submodule_holding_parameters_named_by_its_class():
    report = cnncalc.from_torch(torch.jit.script(MLP()), (64, 128), depth=99)
    rows = by_source(report)
    assert report.title == "MLP"
    assert [(rows[p].name.split("-")[0], rows[p].params) for p in ("layers.0", "layers.2", "layers.4")] == [
        ("Linear", 128 * 128 + 128),
        ("Linear", 128 * 128 + 128),
        ("Linear", 128 + 1),
    ]
    assert rows["layers.0"].macs == 64 * 128 * 128 and rows["layers.0"].shape_text == "[-1, 128]"
    plain = cnncalc.from_torch(MLP(), (64, 128))
    assert (report.totals.params, report.totals.macs) == (plain.totals.params, plain.totals.macs)


def test_scripted_submodules_of_a_plain_model_are_rows_of_their_own():
    rows = by_source(cnncalc.from_torch(ScriptedParts(), (2, 1, 28, 28)))
    # conv1, its F.max_pool2d and F.relu (a row where they run in the forward), conv2, conv2_drop, theirs, fc1
    assert (rows["fc1"].name, rows["fc1"].params, rows["fc1"].macs) == ("Linear-6", 320 * 50 + 50, 2 * 320 * 50)


def test_a_lazy_model_is_sized_on_a_copy_and_stays_lazy():
    model = LazyNet()
    report = cnncalc.from_torch(model, (2, 3, 12, 12))
    assert nn.parameter.is_lazy(model.fc.weight) and type(model.fc) is nn.LazyLinear
    explicit = LazyNet()
    explicit.conv, explicit.bn, explicit.fc = nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Linear(8 * 10 * 10, 10)
    expected = cnncalc.from_torch(explicit, (2, 3, 12, 12))
    assert json.loads(report.to_json())["layers"] == json.loads(expected.to_json())["layers"]
    assert "took their sizes from a forward run for real on a copy" in " ".join(report.notes)


def test_a_module_without_forward_lists_its_parameters_by_module():
    model = nn.ModuleDict({"encoder": nn.Linear(4, 8), "head": nn.Sequential(nn.Linear(8, 2), nn.BatchNorm1d(2))})
    report = cnncalc.from_torch(model)
    rows = by_source(report)
    assert (rows["encoder"].params, rows["head"].params, rows["head.1"].buffers) == (40, 0, 5)
    assert rows["head.0"].params == 18 and report.totals.macs == 0
    assert "has no forward" in " ".join(report.notes)


def test_a_module_without_forward_from_the_command_line_needs_no_input(tmp_path, cli):
    path = tmp_path / "heads.py"
    path.write_text(
        "import torch\nclass Heads(torch.nn.ModuleList):\n    def __init__(self):\n"
        "        super().__init__([torch.nn.Linear(4, 4) for _ in range(3)])\n",
        encoding="utf-8",
    )
    result = cli("summary", f"{path}:Heads", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["params"] == 3 * 20


@pytest.mark.parametrize("scalar", [(), torch.tensor(2.0)], ids=["size", "tensor"])
def test_a_zero_d_input_is_an_input_of_one_number(scalar):
    report = cnncalc.from_torch(CASES["torchinfo_scalar_tensor_input"].build(), [(1, 10), scalar], flops="all")
    assert report.totals.params == 55 and report.totals.macs == 50
    assert report.totals.flops == 2 * 50 + 5 + 5  # the bias add and the multiply by the scalar, per output


def test_parameters_read_in_a_forward_pre_hook_land_on_their_own_modules_row():
    rows = by_source(cnncalc.from_torch(pruned_lenet(), (2, 1, 28, 28)))
    assert (rows["conv1"].params, rows["conv1"].buffers) == (10 * 25 + 10, 10 * 25)  # weight_orig, bias; the mask
    assert (rows["fc1"].params, rows["fc1"].buffers) == (320 * 50 + 50, 320 * 50)
    normed = by_source(cnncalc.from_torch(weight_normed(), (4, 16), flops="all"))
    assert normed["0"].params == 32 * 16 + 32 + 32  # v, g and the bias
    assert normed["0"].flops == 2 * 4 * 16 * 32 + 3 * 32 * 16 + 4 * 32  # products, w = g·v/‖v‖, the bias add


def test_a_forward_without_inputs_takes_an_empty_list():
    report = cnncalc.from_torch(CASES["torchinfo_empty_module"].build(), [], flops="all")
    assert report.totals.params == 0 and report.totals.flops == 9  # the sum of a 3x3 tensor attribute
