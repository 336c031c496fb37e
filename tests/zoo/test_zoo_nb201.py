"""NAS-Bench-201's CIFAR network (zoo ``nb201``) against the benchmark's own network in plain PyTorch
(tests/support/nb201_torch.py, from the structure of its published code): parameters held to ``numel``, MACs to
FlopCounterMode (which counts 2 FLOPs a MAC), each layer's kind, shape and parameters in order, and each edge's
operation read back from the graph."""

from __future__ import annotations

import itertools
import random

import pytest

from cnncalc import zoo
from cnncalc.errors import CnnCalcError

torch = pytest.importorskip("torch")
from support.nb201_torch import OPS, TinyNetwork, Zero, genotype  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402


def torch_figures(arch: str, size: int = 32, **kw: int) -> tuple[int, int, int]:
    """(params by numel, running-statistics elements, MACs by FlopCounterMode) of the reference network."""
    model = TinyNetwork(arch, **kw).eval()
    params = sum(p.numel() for p in model.parameters())
    stats = sum(b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked"))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, size, size))
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return params, stats, flops // 2


def sample(n: int, seed: int = 201) -> list[str]:
    every = zoo.choices("nb201")["arch"]
    rng = random.Random(seed)
    picked = [every[0], every[len(every) - 1], every[3 * 3125 + 3 * 625 + 3 * 125 + 3 * 25 + 3 * 5 + 3]]
    picked.append("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    return picked + [every[rng.randrange(len(every))] for _ in range(n)]


@pytest.mark.parametrize("arch", sample(16))
def test_params_and_macs_equal_the_benchmarks_network(arch):
    r = zoo.analyze("nb201", arch=arch, flops="matmul")
    params, stats, macs = torch_figures(arch)
    assert r.totals.params == params
    assert r.totals.buffers == stats
    assert r.totals.macs == macs
    assert r.totals.flops == 2 * macs  # FlopCounterMode's own count


def test_other_widths_depths_and_inputs():
    arch = "|nor_conv_1x1~0|+|avg_pool_3x3~0|nor_conv_3x3~1|+|none~0|skip_connect~1|nor_conv_3x3~2|"
    r = zoo.analyze("nb201", arch=arch, C=8, N=2, classes=100, size=16)
    params, stats, macs = torch_figures(arch, size=16, C=8, N=2, classes=100)
    assert (r.totals.params, r.totals.buffers, r.totals.macs) == (params, stats, macs)


def test_the_extremes_of_the_space():
    # the emptiest cell (every edge none) and the fullest (every edge a 3x3 conv); the benchmark's code counts
    # "FLOPs" as these MACs plus the classifier's 10 bias additions, in millions: 7.78305 and 220.11969
    every = zoo.choices("nb201")["arch"]
    low = zoo.analyze("nb201", arch=every[0]).totals
    full = "+".join("|" + "|".join(f"nor_conv_3x3~{i}" for i in range(j)) + "|" for j in (1, 2, 3))
    high = zoo.analyze("nb201", arch=full)
    assert (low.params, low.macs) == (73_306, 7_783_040)
    assert (high.totals.params, high.totals.macs) == (1_531_546, 220_119_680)


def cell_edges(arch: str) -> dict[tuple[int, int], tuple[str, ...]]:
    """cnncalc's first cell read back: for each edge (from node, to node), the kinds on it (kernel sizes noted)."""
    graph = zoo.graph("nb201", arch=arch, N=1)
    nodes = {n.id: n for n in graph.nodes}
    ends = {"bn": 0}  # the cell's input is the stem's batch norm
    cell = [n for n in graph.nodes if n.id.startswith("cell1.")]
    targets = {"cell1.n1": 1, "cell1.n2": 2, cell[-1].id: 3}
    edges: dict[tuple[int, int], tuple[str, ...]] = {}

    def back(node_id: str, target: int) -> None:
        kinds: list[str] = []
        while node_id not in ends:
            node = nodes[node_id]
            word = node.kind
            if word == "conv":  # the kernel as the file writes it: conv(c, f=3, ...)
                word += str(dict(node.kwargs)["f"])
            kinds.append(word)
            node_id = node.inputs[0]
        edges[(ends[node_id], target)] = tuple(reversed(kinds))

    for node_id, target in targets.items():
        node = nodes[node_id]
        if node.kind == "add":
            for src in node.inputs:
                back(src, target)
        else:  # a node of one edge is that edge's last layer
            back(node_id, target)
        ends[node_id] = target
    return edges


def test_each_edge_carries_the_operation_the_string_gives_it():
    # which edge gets which operation does not change the totals (every node has the same shape), so the
    # wiring is read back from the graph: every edge (i, j) of the benchmark's reading of the string
    for arch in sample(6, seed=7):
        edges = cell_edges(arch)
        for j, node in enumerate(genotype(arch), start=1):
            for op, i in node:
                kinds = edges[(i, j)]
                expected = {
                    "none": ("zero",),
                    "skip_connect": ("identity",),
                    "avg_pool_3x3": ("avgpool",),
                }.get(op)
                if expected is None:
                    assert kinds[0] == "relu" and kinds[2] == "batchnorm" and kinds[1].startswith("conv"), kinds
                    assert ("1" if op == "nor_conv_1x1" else "3") in kinds[1]
                else:
                    assert kinds == expected, (arch, i, j, kinds)
        assert len(edges) == 6


def test_the_cells_come_in_the_benchmarks_order():
    # the benchmark's code lists the cells node by node, each node's edges by input, the last edge fastest
    expected = []
    for ops in itertools.product(OPS, repeat=6):
        nodes = [ops[0:1], ops[1:3], ops[3:6]]
        expected.append("+".join("|" + "|".join(f"{op}~{i}" for i, op in enumerate(node)) + "|" for node in nodes))
    every = zoo.choices("nb201")["arch"]
    assert len(every) == 15_625 == len(expected)
    for i in [0, 1, 4, 5, 124, 3125, 7777, 15_624]:
        assert every[i] == expected[i]
        assert every.index(expected[i]) == i


@pytest.mark.parametrize(
    ("arch", "says"),
    [
        ("|nor_conv_3x3~0|", "1 node"),
        ("|nor_conv_3x3~0|+|conv~0|none~1|+|none~0|none~1|none~2|", "unknown operation 'conv'"),
        ("|none~0|+|none~0|none~0|+|none~0|none~1|none~2|", "two edges from node 0"),
        ("|none~0|+|none~0|+|none~0|none~1|none~2|", "no edge from node 1"),
        ("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", "cannot read node 1"),
        ("|none0|+|none~0|none~1|+|none~0|none~1|none~2|", "operation~node"),
    ],
)
def test_a_wrong_cell_string_says_what_is_wrong(arch, says):
    with pytest.raises(CnnCalcError, match=says) as info:
        zoo.analyze("nb201", arch=arch)
    assert "nb201" in str(info.value)


KINDS = {
    nn.ReLU: "relu",
    nn.Conv2d: "conv",
    nn.BatchNorm2d: "batchnorm",
    nn.AvgPool2d: "avgpool",
    nn.AdaptiveAvgPool2d: "globalavgpool",
    nn.Linear: "dense",
    Zero: "zero",
    nn.Identity: "identity",
}


@pytest.mark.parametrize("arch", sample(2, seed=11))
def test_layer_by_layer_the_same_kinds_shapes_and_params(arch):
    # every layer the reference runs, in order, with its output shape and numel; cnncalc's rows without the
    # input and the sums (Python's + in the reference)
    model = TinyNetwork(arch).eval()
    ran: list[tuple[str, tuple[int, ...], int]] = []

    def hook(module, args, out):
        shape = tuple(out.shape[1:])
        shown = (*shape[1:], shape[0]) if len(shape) == 3 else shape  # (C, H, W) is shown (H, W, C)
        if module.__class__ is nn.AdaptiveAvgPool2d:
            shown = (shape[0],)  # global pooling: a vector
        ran.append((KINDS[module.__class__], shown, sum(p.numel() for p in module.parameters())))

    for m in model.modules():
        if m.__class__ in KINDS:
            m.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.zeros(1, 3, 32, 32))
    r = zoo.analyze("nb201", arch=arch)
    ours = [(row.kind, r.shown_shape(row), row.params) for row in r.rows if row.kind not in ("input", "add")]
    assert ours == ran


def test_the_edges_can_be_given_one_by_one_or_as_the_string():
    one = zoo.analyze("nb201", e10="none", e32="avg_pool_3x3").totals
    string = "|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|"
    assert one == zoo.analyze("nb201", arch=string).totals
    assert zoo.values("nb201", e10="none", e32="avg_pool_3x3")["arch"] == string
    with pytest.raises(CnnCalcError, match="arch or the edges"):
        zoo.analyze("nb201", arch=string, e10="none")
