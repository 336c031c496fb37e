"""explain of a PyTorch model shows each row's real parameter count, by the same formulas as the notation."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from cnncalc import from_torch  # noqa: E402


def test_explain_gives_each_module_its_params_not_zero():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Flatten(), nn.Linear(8 * 30 * 30, 10))
    report = from_torch(model, (1, 3, 32, 32))
    data = json.loads(report.explain("json"))
    by_source = {layer["source"]: layer for layer in data["layers"]}
    for name, module in model.named_children():
        oracle = sum(p.numel() for p in module.parameters())  # PyTorch's own count
        steps = {s["quantity"]: s["value"] for s in by_source[name]["steps"]}
        assert steps["params"] == oracle
    text = report.explain("text")
    assert "params = (3·3·3 + 1)·8 = 224" in text  # weight (8, 3, 3, 3) and bias (8,)
    assert "params = (7200 + 1)·10 = 72,010" in text


MODEL = """
import torch.nn as nn
class Emb(nn.Module):
    def __init__(self):
        super().__init__()
        self.e = nn.Embedding(100, 8)
        self.head = nn.Sequential(nn.Linear(8, 3))
    def forward(self, t):
        return self.head(self.e(t))
"""


def test_explain_a_token_model(cli, tmp_path):
    path = tmp_path / "emb.py"
    path.write_text(MODEL)
    result = cli("explain", f"{path}:Emb", "--input", "2,5", "--input-dtype", "int64", "--depth", "1")
    assert result.exit_code == 0, result.stderr  # before: "No such option: --input-dtype"
    assert "params = 100·8 = 800" in result.stdout  # the embedding table, 100 rows of 8
    # depth 1: the Linear inside head is counted in head's row: 2·5 tokens · 8 · 3 = 240 MACs, (8 + 1)·3 params
    assert "MACs = 8·3·2·5 = 240" in result.stdout
    assert "params = (8 + 1)·3 = 27" in result.stdout
    assert "Linear" not in result.stdout
