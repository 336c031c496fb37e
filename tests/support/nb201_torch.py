"""NAS-Bench-201's CIFAR network in plain PyTorch, from the structure of the benchmark's published code (xautodl's
``TinyNetwork``, ``InferCell``, ``ResNetBasicblock`` and its operations): the oracle tests/zoo/test_zoo_nb201.py holds
the zoo's ``nb201`` to, and the network benchmarks/sweep.py counts with torchinfo and fvcore.

A stem conv and batch norm; three stages of ``N`` cells at ``C``, ``2C`` and ``4C`` channels joined by residual
blocks of stride 2 (ReLU-conv-BN twice, the shortcut an average pool and a 1x1 conv); batch norm, ReLU, global
pooling and a linear classifier. A cell's node ``j`` is the sum of its edges' operations on the earlier nodes;
``none`` is ``x.mul(0)``, ``skip_connect`` the identity, ``nor_conv_kxk`` ReLU-conv-BN, ``avg_pool_3x3`` an average
pool that leaves out the padding.
"""

from __future__ import annotations

import torch
from torch import nn

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


class ReLUConvBN(nn.Sequential):
    def __init__(self, cin: int, cout: int, k: int, stride: int, pad: int) -> None:
        super().__init__(nn.ReLU(), nn.Conv2d(cin, cout, k, stride, pad, bias=False), nn.BatchNorm2d(cout))


class Zero(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


def operation(name: str, c: int) -> nn.Module:
    return {
        "none": lambda: Zero(),
        "skip_connect": lambda: nn.Identity(),
        "nor_conv_1x1": lambda: ReLUConvBN(c, c, 1, 1, 0),
        "nor_conv_3x3": lambda: ReLUConvBN(c, c, 3, 1, 1),
        "avg_pool_3x3": lambda: nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
    }[name]()


def genotype(arch: str) -> list[list[tuple[str, int]]]:
    """The benchmark's reading of a cell string: per node, its (operation, input node) edges."""
    nodes = []
    for node in arch.split("+"):
        edges = [e.split("~") for e in node.split("|") if e]
        nodes.append([(op, int(i)) for op, i in edges])
    return nodes


class Cell(nn.Module):
    def __init__(self, arch: str, c: int) -> None:
        super().__init__()
        self.nodes = genotype(arch)
        self.ops = nn.ModuleList(operation(op, c) for node in self.nodes for op, _ in node)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs, k = [x], 0
        for node in self.nodes:
            total = None
            for _, i in node:
                y = self.ops[k](outs[i])
                k += 1
                total = y if total is None else total + y
            outs.append(total)
        return outs[-1]


class Reduction(nn.Module):
    def __init__(self, cin: int, c: int) -> None:
        super().__init__()
        self.a = ReLUConvBN(cin, c, 3, 2, 1)
        self.b = ReLUConvBN(c, c, 3, 1, 1)
        self.down = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(cin, c, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.b(self.a(x))  # the residual branch runs first, then the shortcut, as in the benchmark's code
        return self.down(x) + y


class TinyNetwork(nn.Module):
    def __init__(self, arch: str, C: int = 16, N: int = 5, classes: int = 10) -> None:  # noqa: N803
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        cells: list[nn.Module] = [Cell(arch, C) for _ in range(N)]
        cells += [Reduction(C, 2 * C)] + [Cell(arch, 2 * C) for _ in range(N)]
        cells += [Reduction(2 * C, 4 * C)] + [Cell(arch, 4 * C) for _ in range(N)]
        self.cells = nn.Sequential(*cells)
        self.last = nn.Sequential(nn.BatchNorm2d(4 * C), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(4 * C, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.last(self.cells(self.stem(x))))
