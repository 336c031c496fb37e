"""The CLI's help shows its examples as written, and check says plainly what --spec it takes."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("command", "example"),
    [
        ((), 'echo "conv(32, f=7, s=4) -> maxpool(3, s=2) -> fc(100)" | cnncalc summary - --input 224,224,3'),
        (("summary",), "cnncalc summary gpt.py:GPT --input 1,128 --input-dtype int64 --flops matmul"),
        (("explain",), "cnncalc explain net.txt --format markdown > worked.md"),
        (("check",), "cnncalc check table.tsv          # the layer column holds conv(32, f=7, s=4) ... per row"),
        (("zoo",), "cnncalc zoo resnet50 --set classes=10 --set size=160"),
    ],
)
def test_help_shows_each_example_on_one_line(cli, command, example):
    # before: click re-wrapped the epilog, splitting commands mid-way and joining continuation lines
    result = cli(*command, "--help")
    assert result.exit_code == 0
    assert any(line.strip() == example for line in result.stdout.splitlines())


def test_the_zoo_examples_run(cli):
    result = cli("zoo", "resnet50", "--set", "classes=10", "--set", "size=160", "--format", "json")
    assert result.exit_code == 0, result.stderr


def test_check_against_a_pytorch_file_says_so(cli, tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("Layer,Params\nfc,10\n")
    model = tmp_path / "net.py"
    model.write_text("import torch.nn as nn\nclass Net(nn.Module):\n    pass\n")
    result = cli("check", str(table), "--spec", f"{model}:Net")
    assert result.exit_code == 2
    assert "not a PyTorch model" in result.stderr  # before: "no such file" for a file that exists


@pytest.mark.parametrize("command", [("summary", "DIR"), ("check", "DIR", "--spec", "input(4) -> fc(2)")])
def test_a_folder_is_named_as_a_folder(cli, tmp_path, command):
    result = cli(*(str(tmp_path) if a == "DIR" else a for a in command))
    assert result.exit_code == 2
    assert f"{tmp_path} is a folder, not a file" in result.stderr  # before: "no such file" for a folder that exists
