"""Zoo and notation models against the same models written in plain PyTorch (torch==2.13.0, no torchvision).

Each torch model below records every layer it runs (kind, output shape, the
module's parameter count from ``numel``); the test compares that list, layer by
layer, with cnncalc's rows.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

import cnncalc  # noqa: E402
from cnncalc import zoo  # noqa: E402


class Traced(nn.Module):
    """A model that records (kind, shape as cnncalc shows it, params) for each layer it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.trace: list[tuple[str, tuple[int, ...], int]] = []

    def rec(self, kind: str, y: torch.Tensor, module: nn.Module | None = None) -> torch.Tensor:
        shape = tuple(y.shape[1:])
        if y.dim() == 4:  # (C, H, W) is shown (H, W, C)
            shape = (*shape[1:], shape[0])
        params = sum(p.numel() for p in module.parameters()) if module is not None else 0
        self.trace.append((kind, shape, params))
        return y

    def run(self, kind: str, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return self.rec(kind, module(x), module)


def cnncalc_rows(report: cnncalc.Report) -> list[tuple[str, tuple[int, ...], int]]:
    return [(r.kind, report.shown_shape(r), r.params) for r in report.rows if r.kind not in ("input", "flatten")]


def compare(model: Traced, x: torch.Tensor, report: cnncalc.Report) -> None:
    model.trace.clear()
    with torch.no_grad():
        model(x)
    ours = cnncalc_rows(report)
    assert len(ours) == len(model.trace)
    for i, (a, b) in enumerate(zip(ours, model.trace)):
        assert a == b, f"layer {i + 1}: cnncalc {a} vs torch {b}"
    assert sum(p.numel() for p in model.parameters()) == report.totals.params


# ---------------------------------------------------------------- ResNet-18


class Basic(nn.Module):
    def __init__(self, cin: int, c: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.down = None
        if stride != 1 or cin != c:
            self.down = nn.Sequential(nn.Conv2d(cin, c, 1, stride, bias=False), nn.BatchNorm2d(c))


class ResNet18(Traced):
    def __init__(self, classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64))
        chans = [(64, 64, 1), (64, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1)]
        chans += [(256, 512, 2), (512, 512, 1)]
        self.blocks = nn.ModuleList(Basic(*c) for c in chans)
        self.fc = nn.Linear(512, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.run("conv", self.stem[0], x)
        x = self.run("batchnorm", self.stem[1], x)
        x = self.rec("relu", torch.relu(x))
        x = self.rec("maxpool", nn.functional.max_pool2d(x, 3, 2, 1))
        for b in self.blocks:
            y = self.run("conv", b.conv1, x)
            y = self.run("batchnorm", b.bn1, y)
            y = self.rec("relu", torch.relu(y))
            y = self.run("conv", b.conv2, y)
            y = self.run("batchnorm", b.bn2, y)
            if b.down is not None:
                x = self.run("conv", b.down[0], x)
                x = self.run("batchnorm", b.down[1], x)
            x = self.rec("add", y + x)
            x = self.rec("relu", torch.relu(x))
        x = self.rec("globalavgpool", x.mean((2, 3)))
        return self.run("dense", self.fc, x)


def test_resnet18_layer_by_layer():
    compare(ResNet18(10), torch.randn(1, 3, 96, 96), zoo.analyze("resnet18", classes=10, size=96))


# ---------------------------------------------------------------- MobileNet V2


class MobileNetV2(Traced):
    SETTINGS = [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ]

    def __init__(self, classes: int = 1000, width: float = 1.0) -> None:
        super().__init__()

        def div8(v: float) -> int:  # torchvision's _make_divisible(v, 8), written out
            new = max(8, int(v + 4) // 8 * 8)
            return new + 8 if new < 0.9 * v else new

        self.layers = nn.ModuleList()
        self.plan: list[tuple[str, int]] = []  # (what, index of module)

        def add(kind: str, m: nn.Module) -> None:
            self.plan.append((kind, len(self.layers)))
            self.layers.append(m)

        cin = div8(32 * width)
        add("conv", nn.Conv2d(3, cin, 3, 2, 1, bias=False))
        add("batchnorm", nn.BatchNorm2d(cin))
        self.plan.append(("relu6", -1))
        for t, c, n, s in self.SETTINGS:
            c = div8(c * width)
            for i in range(n):
                stride = s if i == 0 else 1
                hidden = round(cin * t)
                residual = stride == 1 and cin == c
                if residual:
                    self.plan.append(("save", -1))
                if t != 1:
                    add("conv", nn.Conv2d(cin, hidden, 1, bias=False))
                    add("batchnorm", nn.BatchNorm2d(hidden))
                    self.plan.append(("relu6", -1))
                add("depthwise", nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False))
                add("batchnorm", nn.BatchNorm2d(hidden))
                self.plan.append(("relu6", -1))
                add("conv", nn.Conv2d(hidden, c, 1, bias=False))
                add("batchnorm", nn.BatchNorm2d(c))
                if residual:
                    self.plan.append(("add", -1))
                cin = c
        last = div8(1280 * max(1.0, width))
        add("conv", nn.Conv2d(cin, last, 1, bias=False))
        add("batchnorm", nn.BatchNorm2d(last))
        self.plan.append(("relu6", -1))
        self.plan.append(("globalavgpool", -1))
        self.plan.append(("dropout", -1))
        add("dense", nn.Linear(last, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        saved = []
        for kind, i in self.plan:
            if kind == "save":
                saved.append(x)
            elif kind == "add":
                x = self.rec("add", x + saved.pop())
            elif kind == "relu6":
                x = self.rec("relu6", nn.functional.relu6(x))
            elif kind == "globalavgpool":
                x = self.rec(kind, x.mean((2, 3)))
            elif kind == "dropout":
                x = self.rec(kind, x)
            else:
                x = self.run(kind, self.layers[i], x)
        return x


@pytest.mark.parametrize("width", [1.0, 0.75, 1.4])
def test_mobilenet_v2_layer_by_layer(width):
    report = zoo.analyze("mobilenet_v2", size=96, width=width)
    compare(MobileNetV2(width=width), torch.randn(1, 3, 96, 96), report)


# ---------------------------------------------------------------- a small transformer

SMALL_TRANSFORMER = """
ids = input(16)
tokens = ids -> embedding(100, 32)
positions = ids -> embedding(16, 32)
add(tokens, positions) -> [transformer(4, 64)] * 2 -> layernorm -> fc(100)
"""


class SmallTransformer(Traced):
    def __init__(self) -> None:
        super().__init__()
        self.tok = nn.Embedding(100, 32)
        self.pos = nn.Embedding(16, 32)
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(32, 4, dim_feedforward=64, dropout=0.0, batch_first=True) for _ in range(2)
        )
        self.norm = nn.LayerNorm(32)
        self.head = nn.Linear(32, 100)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        t = self.run("embedding", self.tok, ids)
        p = self.run("embedding", self.pos, torch.arange(ids.shape[1]).unsqueeze(0))
        x = self.rec("add", t + p)
        for b in self.blocks:
            x = self.run("transformer", b, x)
        x = self.run("layernorm", self.norm, x)
        return self.run("dense", self.head, x)


def test_small_transformer_layer_by_layer():
    compare(SmallTransformer(), torch.randint(0, 100, (1, 16)), cnncalc.analyze(SMALL_TRANSFORMER))
