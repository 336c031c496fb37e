"""explain reads a PyTorch model with the options summary has for it: --input-dtype and --depth."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

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
