"""explain: every layer kind explains its figures, and the explanation's numbers are the Report's numbers.

The formulas are also evaluated as arithmetic (``·`` → ``*``, ``−`` → ``-``,
floor/ceil), so a formula that reads well but does not give its value fails.
"""

from __future__ import annotations

import json
import math
import re

import pytest

import cnncalc
from cnncalc.explain import explain_rows
from cnncalc.graph import Graph, Node
from cnncalc.layers import REGISTRY

# One small valid network per registered kind; the last layer is the kind under test.
# A kind added to the registry without an entry here fails test_every_kind_has_an_example.
EXAMPLES: dict[str, str | Graph] = {
    "input": "input(9,9,4)",
    "output": "input(9,9,4) -> output",
    "identity": "input(9,9,4) -> identity",
    "dropout": "input(9,9,4) -> dropout(0.2)",
    "flatten": "input(9,9,4) -> flatten",
    "conv": "input(9,10,4) -> conv(6, f=3, s=2, p=1)",
    "depthwise": "input(9,9,4) -> dwconv(f=3, s=2, m=2)",
    "convtranspose": "input(9,9,4) -> deconv(6, f=3, s=2, p=1)",
    "dense": "input(9,9,4) -> fc(10)",
    "batchnorm": "input(9,9,4) -> bn",
    "maxpool": "input(9,9,4) -> maxpool(2)",
    "avgpool": "input(9,9,4) -> avgpool(3, s=2, p=1)",
    "globalavgpool": "input(9,9,4) -> gap",
    "globalmaxpool": "input(9,9,4) -> globalmaxpool",
    "adaptiveavgpool": "input(9,9,4) -> adaptiveavgpool(2)",
    "adaptivemaxpool": "input(9,9,4) -> adaptivemaxpool(3)",
    "prelu": "input(9,9,4) -> prelu",
    "add": "x = input(9,9,4)\ny = x -> conv(4, f=3, p=1)\nadd(x, y)",
    "mul": "x = input(9,9,4)\ny = x -> gap\nmul(x, y)",
    "concat": "x = input(9,9,4)\ny = x -> conv(6, f=1)\nconcat(x, y)",
    "matmul": "a = input(5, 12)\nb = input(12, 7)\nmatmul(a, b)",
    "nll": "x = input(4, 10)\np = x -> logsoftmax\nt = input(4)\nnll(p, t)",
    "mse": "y = input(4, 10)\nt = input(4, 10)\nmse(y, t)",
    "embedding": "input(7) -> embedding(50, 12)",
    "posembedding": "input(7, 12) -> posembedding(10)",
    "classtoken": "input(7, 12) -> classtoken",
    "select": "input(7, 12) -> select(0)",
    "attention": "input(7, 12) -> attention(3)",
    "transformer": "input(7, 12) -> transformer(3, 24, activation=gelu)",
    "layernorm": "input(7, 12) -> layernorm",
    "groupnorm": "input(9,9,4) -> groupnorm(2)",
    "instancenorm": "input(9,9,4) -> instancenorm(affine=true, stats=true)",
    "lstm": "input(7, 12) -> lstm(8, num_layers=2, bidirectional=true, proj_size=5)",
    "gru": "input(7, 12) -> gru(8, num_layers=2)",
    "rnn": "input(7, 12) -> rnn(8, bias=false)",
    "se": "input(9,9,4) -> se(reduction=2)",
    "reshape": "input(9,9,4) -> reshape(-1, 12)",
    "permute": "input(9,9,4) -> permute(2, 0, 1)",
    "transpose": "input(7, 12) -> transpose",
    "channelshuffle": "input(9,9,4) -> channelshuffle(2)",
    "pixelshuffle": "input(9,9,4) -> pixelshuffle(2)",
    "upsample": "input(9,9,4) -> upsample(2, mode=bilinear)",
    "zeropad": "input(9,9,4) -> zeropad(((1, 0), (2, 1)))",
    "elementwise": "x = input(9,9,4)\ny = x -> conv(4, f=3, p=1)\nelementwise(x, y, op=sub)",
    "reduce": "input(9,9,4) -> reduce(mean, dims=(0, 1))",
    "sort": "input(9,9,4) -> sort(4)",
    "rmsnorm": "input(7, 12) -> rmsnorm",
    "sdpa": "q = input(7, 12)\nk = input(5, 12)\nsdpa(q, k, k, heads=3)",
    "groupedmm": "a = input(6, 4)\nb = input(2, 4, 3)\ngroupedmm(a, b)",
    "copy": "x = input(9,9,4)\ncopy(x, shape=(4, 9, 9))",
    "indexadd": "x = input(9, 4)\ny = input(5, 4)\nindexadd(x, y)",
    "uncounted": "x = input(9,9,4)\nuncounted(x, op=solve, shape=(4, 9, 9))",
    # the kinds only a traced model's front-end makes: a model's tensor, a tensor its forward creates
    "tensor": Graph((Node("w", "tensor", "w", (4, 9, 9)),)),
    "constant": Graph((Node("c", "constant", "c", (4, 9, 9)),)),
}
EXAMPLES.update(
    {
        "rotary": "input(9, 8) -> rotary(2)",
        "zero": "input(9,9,4) -> zero",
        "cache": "input(9, 8) -> cache(window=4)",
        "split": "input(9, 8) -> split(4, start=2)",
        "expand": "input(9, 8) -> expand(3)",
        "gqa": "input(9, 8) -> gqa(2, kv_heads=1)",
        "gatedmlp": "input(9, 8) -> swiglu(16)",
        "feedforward": 'input(9, 8) -> feedforward(16, names="c_fc,c_proj")',
        "moe": "input(9, 8) -> moe(4, 2, 16, shared_ff=8, shared_gate=true)",
        "mla": "input(9, 8) -> mla(2, kv_lora_rank=4, q_lora_rank=6, qk_nope_dim=4, qk_rope_dim=2, v_head_dim=4)",
        "decoder": "input(9, 8) -> decoder(2, 16, kv_heads=1)",
        "topk": "input(9, 8) -> topk(2, normalize=true, correction=true)",
        "dispatch": "input(9, 8) -> dispatch(2)",
        "expertdense": "input(9, 8) -> dispatch(2) -> expertdense(4, experts=4, top_k=2, bias=true)",
        "combine": "x = input(9, 8)\nw = x -> dense(4) -> topk(2)\nr = x -> dispatch(2)\ncombine(r, w)",
    }
)
ACTIVATIONS = [name for name, kind in REGISTRY.items() if kind.family == "activation" and name not in EXAMPLES]
for _name in ACTIVATIONS:
    EXAMPLES[_name] = f"input(9,9,4) -> fc(12) -> {_name}"
# an activation given a size is a dense layer followed by it (seed 001's softmax(10))
EXAMPLES["softmax"] = "input(9,9,4) -> softmax(10)"

CHECKED = ("params", "MACs", "FLOPs", "activation size", "buffers", "inputs", "output", "filters", "size")
WORDS = re.compile(r"[A-Za-zγβ_']+(?:\s+[A-Za-zγβ_']+)*")


def evaluate(formula: str) -> float:
    """A formula as arithmetic: ``floor((224 − 7 + 2·0)/4) + 1`` → 55. Words (annotations) are dropped."""
    text = formula.replace("·", "*").replace("−", "-").replace("×", "*")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)  # 1,568 -> 1568
    text = text.replace("floor(", "FLOOR(").replace("ceil(", "CEIL(")
    text = re.sub(r"\([^()]*[a-zγβ][^()]*\)", "", text)  # "(γ and β per channel)", "(1 per output)"
    text = WORDS.sub(lambda m: m.group(0) if m.group(0) in ("FLOOR", "CEIL") else " ", text)
    text = re.sub(r"\)\s*\(", ")*(", text)
    return eval(text, {"__builtins__": {}}, {"FLOOR": math.floor, "CEIL": math.ceil})  # noqa: S307


def test_every_kind_has_an_example():
    missing = sorted(set(REGISTRY) - set(EXAMPLES))
    assert not missing, f"add an example network for {missing} to EXAMPLES"


@pytest.mark.parametrize("flops", ["seed", "matmul", "all"])
@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_explanation_gives_the_reports_numbers(kind, flops):
    report = cnncalc.analyze(EXAMPLES[kind], flops=flops)
    assert report.rows[-1].kind == kind
    for row, e in zip(report.rows, explain_rows(report)):
        by = {}
        for s in e.steps:
            by.setdefault(s.quantity, []).append(s.value)
        assert sum(by.get("params", [0])) == row.params
        assert by.get("MACs", [0])[-1] == row.macs
        assert by.get("FLOPs", [0])[-1] == row.flops
        assert by["activation size"][-1] == row.activation_size
        assert by["output shape"][-1] == report.shown_shape(row)
        if row.params:
            assert "params" in by, f"{kind}: params {row.params} with no worked formula"
        if row.macs:
            assert "MACs" in by and "FLOPs" in by
        axes = [s.value for s in e.steps if s.quantity.startswith("output ") and s.quantity != "output shape"]
        if len(row.output_shape) > 1 and axes:
            assert tuple(axes) == row.output_shape[1:]
        for s in e.steps:
            if s.formula and s.quantity in CHECKED or s.quantity.startswith("output ") and s.formula:
                assert evaluate(s.formula) == s.value, f"{kind}: {s}"


def test_seed_style_lines():
    r = cnncalc.analyze(
        "input(224,224,3) -> conv(32, f=7, s=4) -> maxpool(3, s=2) -> conv(64, f=3) -> maxpool(3, s=2)"
        " -> conv(128, f=3) -> maxpool(3, s=2) -> flatten -> fc(512) -> fc(100)"
    )
    text = r.explain()
    # seed 002 question 3: Ow = (224 − 7)/4 + 1 = 55; weights 7·7·3 = 147, (147 + 1)·32 = 4,736
    assert "output H = floor((224 − 7 + 2·0)/4) + 1 = 55" in text
    assert "params = (7·7·3 + 1)·32 = 4,736" in text
    assert "FLOPs = 2·32·(7·7·3)·(55·55) = 28,459,200" in text  # 2·32·147·3025
    assert "217 is not divisible by 4, so the division is floored" in text
    assert "output = 4·4·128 = 2,048" in text
    assert "params = (2048 + 1)·512 = 1,049,088" in text
    assert "total params = 4,736 + 18,496 + 73,856 + 1,049,088 + 51,300 = 1,197,476" in text


def test_markdown_and_json(cli):
    spec = "input(32,32,3) -> CONV1(8, f=5) -> POOL1(2) -> fc(10)"
    md = cli("explain", spec, "--format", "markdown")
    assert md.exit_code == 0
    assert "### 2. CONV1 (conv)" in md.stdout and "- params = (5·5·3 + 1)·8 = 608" in md.stdout
    js = cli("explain", spec, "--format", "json")
    data = json.loads(js.stdout)
    conv = data["layers"][1]
    assert {"quantity": "params", "formula": "(5·5·3 + 1)·8", "value": 608}.items() <= conv["steps"][2].items()
    assert conv["output_shape"] == [28, 28, 8]
    assert conv["steps"][-1] == {
        "quantity": "output shape",
        "formula": "",
        "value": [28, 28, 8],
        "text": "output shape = (28, 28, 8)",
    }
    chw = json.loads(cli("explain", spec, "--format", "json", "--layout", "chw").stdout)
    assert chw["layers"][1]["steps"][-1]["value"] == [8, 28, 28]
    assert [s["quantity"] for s in data["totals"]] == ["total params", "total MACs", "total FLOPs"]


def test_cli_bad_input_exits_2(cli):
    result = cli("explain", "input(8,8,3) -> conv(4, f=9)")
    assert result.exit_code == 2
    assert "kernel 9 is larger than the padded input 8" in result.stderr


def test_library_rejects_unknown_format():
    with pytest.raises(cnncalc.CnnCalcError):
        cnncalc.analyze("input(4) -> fc(2)").explain("pdf")
