"""A small decoder on int64 token ids: embeddings, two pre-norm transformer layers, a tied-free head."""

import torch
from torch import nn


class GPT(nn.Module):
    def __init__(self, vocab: int = 1000, d: int = 64, heads: int = 4, layers: int = 2, length: int = 128) -> None:
        super().__init__()
        self.tokens = nn.Embedding(vocab, d)
        self.positions = nn.Embedding(length, d)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        where = torch.arange(ids.shape[1], device=ids.device)
        x = self.tokens(ids) + self.positions(where)
        return self.head(self.norm(self.blocks(x)))
