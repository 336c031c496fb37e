"""Hugging Face models through the PyTorch front-end, against PyTorch itself.

Small configs, random init, nothing downloaded. For each model, with the inputs it
takes (masks, decoder ids, use_cache=False): parameters equal ``numel``,
``--flops matmul`` equals FlopCounterMode on a real CPU forward (math SDPA,
autograd on, oneDNN off; plus the grouped matrix products it has no formula for),
and every module call's output shape equals the real forward's. These forwards
read values (mask checks, routing) and run here because cnncalc traces with fake
tensors.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from support.hf_cases import BATCH, CASES, DECODER, MIXTRAL, T, ids, mask  # noqa: E402
from support.oracles import real_calls, real_flops, shape_texts  # noqa: E402

import cnncalc  # noqa: E402
from cnncalc import CnnCalcError  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    build, inputs = CASES[request.param]
    torch.manual_seed(0)
    model = build()
    given = inputs()
    report = cnncalc.from_torch(model, given, flops="matmul", depth=99)
    return request.param, model, given, report


def test_params_equal_numel(case):
    name, model, given, report = case
    assert report.totals.params == sum(p.numel() for p in model.parameters())
    assert report.totals.buffers == sum(b.numel() for b in model.buffers())
    assert sum(r.params for r in report.rows) == report.totals.params


def test_matmul_flops_equal_flop_counter_mode(case):
    name, model, given, report = case
    assert report.totals.flops == real_flops(model, **given) > 0
    assert report.uncounted_ops == ()


def test_output_shapes_equal_a_real_forward(case):
    name, model, given, report = case
    calls = real_calls(model, **given)
    # a row per module call (the model's own operations between them are rows of their own, not module calls)
    rows = [r for r in report.rows if r.branch and r.node_id != calls[0][0]]
    assert [r.node_id for r in rows] == [path for path, _ in calls[1:]]
    assert not {r.node_id for r in report.rows if not r.branch} & {path for path, _ in calls}
    for row, (path, shapes) in zip(rows, calls[1:]):
        assert row.shape_text == shape_texts(shapes, BATCH), path


def test_mixtral_eager_experts_run_for_real_and_count_the_work_of_any_routing():
    # the eager experts loop in Python over the experts the router picked (nonzero): the forward runs for real.
    # Whichever experts are hit, every token goes through exactly top-k of them, so the multiply-adds are
    # tokens·k·(3·d·ffn) per layer, as grouped_mm's and FlopCounterMode's on the user's own weights
    torch.manual_seed(0)
    eager = T.MixtralModel(T.MixtralConfig(**MIXTRAL, experts_implementation="eager"))
    grouped = T.MixtralModel(T.MixtralConfig(**MIXTRAL, experts_implementation="grouped_mm"))
    given = dict(input_ids=ids(), use_cache=False)
    report = cnncalc.from_torch(eager, given, flops="matmul")
    assert "run for real on the CPU with random weights" in " ".join(report.notes)
    assert "modeling_mixtral.py:" in " ".join(report.notes)
    assert report.totals.params == sum(p.numel() for p in eager.parameters())
    assert (
        report.totals.flops
        == real_flops(eager, **given)
        == cnncalc.from_torch(grouped, given, flops="matmul").totals.flops
    )
    experts = MIXTRAL["num_hidden_layers"] * BATCH * 12 * MIXTRAL["num_experts_per_tok"] * 3 * 64 * 128
    assert (
        sum(r.macs for r in cnncalc.from_torch(eager, given, depth=99).rows if r.source.endswith("experts")) == experts
    )


def test_mixtral_eager_experts_past_the_limit_name_the_line_the_size_and_the_way_out():
    from cnncalc import limits

    model = T.MixtralModel(T.MixtralConfig(**MIXTRAL, experts_implementation="eager"))
    with limits.raised(forward_bytes=10_000), pytest.raises(CnnCalcError) as info:
        cnncalc.from_torch(model, dict(input_ids=ids(), use_cache=False))
    text = str(info.value)
    assert "reads tensor values" in text and "over the limit of 10,000 (forward_bytes)" in text
    assert "CNNCALC_LIMIT_FORWARD_BYTES" in text


def test_named_inputs_by_size_and_dtype_from_the_cli(tmp_path, cli):
    path = tmp_path / "tiny_llama.py"
    path.write_text(
        "import transformers as T\n"
        f"class Tiny(T.LlamaModel):\n    def __init__(self):\n        super().__init__(T.LlamaConfig(**{DECODER!r}))\n",
        encoding="utf-8",
    )
    args = ["summary", f"{path}:Tiny", "--input", "input_ids=2,12", "--input", "attention_mask=2,12", "--flops"]
    result = cli(*args, "matmul", "--kwarg", "use_cache=false", "--format", "json")
    assert result.exit_code == 0, result.stderr
    torch.manual_seed(0)
    model = T.LlamaModel(T.LlamaConfig(**DECODER))
    import json

    data = json.loads(result.stdout)
    assert data["totals"]["flops"] == real_flops(model, input_ids=ids(), attention_mask=mask(), use_cache=False)
    wrong = cli("summary", f"{path}:Tiny", "--input", "input_idz=2,12")
    assert wrong.exit_code == 2 and "takes no input 'input_idz'" in wrong.stderr and "input_ids" in wrong.stderr
