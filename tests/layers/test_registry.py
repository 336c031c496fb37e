"""Nothing is a silent zero: the kinds flagged ``zero_cost`` count nothing, and every other kind counts
something (FLOPs under ``all`` or parameters) on a layer where it does work."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.graph import Graph, Node
from cnncalc.layers import REGISTRY

# a layer of each kind that does work, after a suitable input
WORKING = {
    "dense": "input(8) -> dense(4)",
    "prelu": "input(4, 4, 3) -> prelu",
    "embedding": "input(5) -> embedding(10, 4)",
    "posembedding": "input(5, 4) -> posembedding",
    "classtoken": "input(5, 4) -> classtoken",
    "attention": "input(5, 4) -> attention(2)",
    "transformer": "input(5, 4) -> transformer(2)",
    "se": "input(4, 4, 8) -> se(2)",
    "conv": "input(4, 4, 3) -> conv(2, f=3)",
    "depthwise": "input(4, 4, 3) -> dwconv(f=3)",
    "convtranspose": "input(4, 4, 3) -> deconv(2, f=2, s=2)",
    "add": "a = input(4, 3)\nb = a -> relu\nadd(a, b)",
    "mul": "a = input(4, 3)\nb = a -> relu\nmul(a, b)",
    "matmul": "a = input(4, 3)\nb = input(3, 2)\nmatmul(a, b)",
    "batchnorm": "input(4, 4, 3) -> bn",
    "layernorm": "input(5, 4) -> layernorm",
    "groupnorm": "input(4, 4, 4) -> groupnorm(2)",
    "instancenorm": "input(4, 4, 3) -> instancenorm",
    "maxpool": "input(4, 4, 3) -> maxpool(2)",
    "avgpool": "input(4, 4, 3) -> avgpool(2)",
    "globalavgpool": "input(4, 4, 3) -> globalavgpool",
    "globalmaxpool": "input(4, 4, 3) -> globalmaxpool",
    "adaptiveavgpool": "input(4, 4, 3) -> adaptiveavgpool(2)",
    "adaptivemaxpool": "input(4, 4, 3) -> adaptivemaxpool(2)",
    "lstm": "input(5, 4) -> lstm(3)",
    "gru": "input(5, 4) -> gru(3)",
    "rnn": "input(5, 4) -> rnn(3)",
    "upsample": "input(4, 4, 3) -> upsample(2, mode=bilinear)",
    "elementwise": "a = input(4, 3)\nb = a -> relu\nelementwise(a, b, op=sub)",
    "zero": "input(4, 3) -> zero",
    "reduce": "input(4, 3) -> reduce(mean)",
    "sort": "input(4, 3) -> sort(3)",
    "rmsnorm": "input(5, 4) -> rmsnorm",
    "sdpa": "q = input(5, 4)\nsdpa(q, q, q)",
    "groupedmm": "a = input(6, 4)\nb = input(2, 4, 3)\ngroupedmm(a, b)",
    "rotary": "input(5, 8) -> rotary(2)",
    "gqa": "input(5, 8) -> gqa(2, kv_heads=1)",
    "gatedmlp": "input(5, 8) -> swiglu(16)",
    "feedforward": "input(5, 8) -> feedforward(16)",
    "moe": "input(5, 8) -> moe(4, 2, 16)",
    "mla": "input(5, 8) -> mla(2, kv_lora_rank=4, qk_nope_dim=4, qk_rope_dim=2, v_head_dim=4)",
    "decoder": "input(5, 8) -> decoder(2, 16)",
    "topk": "input(5, 8) -> topk(2)",
    "expertdense": "input(5, 8) -> dispatch(2) -> expertdense(4, experts=4, top_k=2)",
    "combine": "x = input(5, 8)\nw = x -> dense(4) -> topk(2)\nr = x -> dispatch(2)\ncombine(r, w)",
    "nll": "x = input(4, 10)\np = x -> logsoftmax\nt = input(4)\nnll(p, t)",
    "mse": "y = input(4, 10)\nt = input(4, 10)\nmse(y, t)",
    "indexadd": "a = input(5, 8)\nb = input(3, 8)\nindexadd(a, b)",
}
# a layer of each zero-cost kind
FREE = {
    "input": "input(4, 4, 3)",
    "output": "input(4, 4, 3) -> output",
    "identity": "input(4, 4, 3) -> identity",
    "dropout": "input(4, 4, 3) -> dropout(0.5)",
    "flatten": "input(4, 4, 3) -> flatten",
    "reshape": "input(4, 4, 3) -> reshape(16, 3)",
    "permute": "input(4, 3) -> permute(1, 0)",
    "transpose": "input(4, 3) -> transpose(0, 1)",
    "channelshuffle": "input(4, 4, 4) -> channelshuffle(2)",
    "pixelshuffle": "input(4, 4, 4) -> pixelshuffle(2)",
    "zeropad": "input(4, 4, 3) -> zeropad(1)",
    "select": "input(4, 3) -> select(0)",
    "concat": "a = input(4, 4, 3)\nb = a -> relu\nconcat(a, b)",
    "cache": "input(5, 8) -> cache(window=4)",
    "split": "input(5, 8) -> split(4, start=2)",
    "expand": "input(5, 8) -> expand(3)",
    "dispatch": "input(5, 8) -> dispatch(2)",
    # the kinds a traced model's front-end makes, as a Graph: a model's tensor, a created tensor, moved data
    "tensor": Graph((Node("w", "tensor", "w", (4, 3)),)),
    "constant": Graph((Node("c", "constant", "c", (4, 3)),)),
    "copy": "a = input(4, 3)\ncopy(a, shape=(3, 4))",
}
# kinds without a counting rule: listed in the report, never counted as a silent zero
LISTED = {"uncounted": "a = input(4, 3)\nuncounted(a, op=solve, shape=(4, 3))"}
ACTIVATIONS = {k.name for k in REGISTRY.values() if k.family == "activation" and k.name != "prelu"}


def test_every_kind_is_covered_and_the_lists_match_the_flag():
    assert set(WORKING) | set(FREE) | set(LISTED) | ACTIVATIONS == set(REGISTRY)
    assert {name for name, k in REGISTRY.items() if k.zero_cost} == set(FREE)


@pytest.mark.parametrize("name", sorted(set(WORKING) | ACTIVATIONS))
def test_a_kind_that_works_counts(name):
    text = WORKING.get(name, f"input(4, 3) -> {name}")
    row = cnncalc.analyze(text, flops="all").rows[-1]
    assert row.kind == name
    assert row.flops > 0 or row.params > 0


@pytest.mark.parametrize("name", sorted(FREE))
def test_a_zero_cost_kind_counts_nothing(name):
    row = cnncalc.analyze(FREE[name], flops="all").rows[-1]
    assert row.kind == name
    assert (row.params, row.buffers, row.macs, row.flops) == (0, 0, 0, 0)


def test_an_operation_without_a_rule_is_listed():
    report = cnncalc.analyze(LISTED["uncounted"], flops="all")
    assert [(u.name, u.calls) for u in report.uncounted_ops] == [("solve", 1)]
    assert "Uncounted ops" in report.table()


COMPOSITES = sorted(name for name, k in REGISTRY.items() if k.expand is not None)


@pytest.mark.parametrize("name", COMPOSITES)
def test_a_composites_parts_each_have_an_id_of_their_own(name):
    # a mixture of experts names both its router and half of its experts' fused projection "gate"
    parts = cnncalc.analyze(WORKING.get(name, f"input(4, 3) -> {name}"), flops="all").nodes
    ids = [r.node_id for r in parts]
    assert len(parts) > 2 and len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
