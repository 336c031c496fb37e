"""Hostile ``--loss`` values and losses that cannot apply, on the command line."""

from __future__ import annotations

import sys

from hostile.cases import Case

NET = "input(16) -> fc(10)"
OWN_LOSS = '''
import torch
import torch.nn.functional as F


class Net(torch.nn.Module):
    """A classifier that computes its own loss from the labels it is given."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(16, 10)

    def forward(self, x, labels):
        return F.cross_entropy(self.fc(x), labels)
'''
HUGE_VOCAB = (
    '{"model_type": "llama", "vocab_size": 1000000000, "hidden_size": 64, "intermediate_size": 128, '
    '"num_hidden_layers": 2, "num_attention_heads": 4}'
)

CASES = [
    Case("loss_without_train", ("summary", NET, "--loss", "mse"), says="--loss goes with --train"),
    Case("loss_unknown", ("summary", NET, "--train", "--loss", "hinge"), says="unknown loss 'hinge'"),
    Case("loss_empty", ("summary", NET, "--train", "--loss", ""), says="unknown loss ''"),
    Case("loss_nan", ("summary", NET, "--train", "--loss", "nan"), says="unknown loss 'nan'"),
    Case("loss_number", ("summary", NET, "--train", "--loss", "1e999"), says="unknown loss"),
    Case("loss_fullwidth", ("summary", NET, "--train", "--loss", "ｍｓｅ"), says="unknown loss"),
    Case("loss_two", ("summary", NET, "--train", "--loss", "sum,mse"), says="unknown loss 'sum,mse'"),
    Case("loss_long", ("summary", NET, "--train", "--loss", "x" * 100_000), says="unknown loss 'x+…'"),
    Case("loss_shell", ("summary", NET, "--train", "--loss", "sum; cat .env"), says="unknown loss"),
    Case("loss_on_zoo_without_train", ("zoo", "lenet5", "--loss", "sum"), says="--loss goes with --train"),
    Case(
        "loss_cross_entropy_of_one_number",
        ("summary", "input(16) -> fc(10) -> reduce(sum)", "--train", "--loss", "cross_entropy"),
        says="needs class scores",
    ),
    Case(
        "loss_on_a_model_with_its_own",
        ("summary", "model.py:Net", "--input", "x=4,16", "--input", "labels=4:int64", "--train", "--loss", "mse"),
        files={"model.py": OWN_LOSS},
        says="computes its own loss",
        needs=("torch",),
        # importing the model's file looks for its bytecode cache, as Python imports any module
        named=("model.py", f"__pycache__/model.{sys.implementation.cache_tag}.pyc"),
    ),
    Case(  # a billion-word vocabulary: the log-probabilities are counted, never made
        "loss_of_a_huge_vocabulary",
        ("summary", "config.json", "--input", "8,4096", "--train", "--format", "json"),
        files={"config.json": HUGE_VOCAB},
        answered=True,
        says='"loss": "cross_entropy"',
    ),
]
