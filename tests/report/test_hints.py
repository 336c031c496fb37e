"""Newcomer hints: what cnncalc read when an input looks written another way, and what to write instead."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.errors import ArgumentError, ShapeError, SpecError


def test_channels_first_image_suggests_layout_chw():
    with pytest.raises(ShapeError) as info:
        cnncalc.analyze("input(3,32,32) -> conv(8, f=5)")
    text = str(info.value)
    assert "is read channels last (H=3, W=32, 32 channels)" in text
    assert "input(3, 32, 32, layout=chw) or input(32, 32, 3)" in text
    # and what it suggests works: 3 channels of 32x32, conv 5x5 -> 28x28x8, (5·5·3 + 1)·8 = 608 params
    for fixed in ("input(3, 32, 32, layout=chw)", "input(32, 32, 3)"):
        conv = cnncalc.analyze(f"{fixed} -> conv(8, f=5)").rows[1]
        assert (conv.output_shape, conv.params) == ((8, 28, 28), 608)


def test_no_hint_where_the_input_is_not_channels_first():
    for spec in ("input(32,32,3) -> conv(8, f=50)", "input(3,32,32, layout=chw) -> conv(8, f=50)"):
        with pytest.raises(ShapeError) as info:
            cnncalc.analyze(spec)
        assert "layout=chw" not in str(info.value) and "read channels last" not in str(info.value)


def test_a_batch_in_input_on_the_notation_is_named(cli):
    result = cli("summary", "conv(8, f=5) -> fc(10)", "--input", "1,3,32,32")
    assert result.exit_code == 2
    assert "--input 1,3,32,32 is read as one sample with three spatial axes (1x3x32) and 32 channels" in result.stderr
    assert "give --input 32,32,3" in result.stderr
    # when it runs (a 3-D convolution over 8x32x32), a note says so, and what to give for a batch of 8
    ran = cli("summary", "conv(8, f=5) -> fc(10)", "--input", "8,32,32,3")
    assert ran.exit_code == 0
    assert "note: --input 8,32,32,3 is read as one sample" in ran.stderr and "--input 32,32,3 --batch 8" in ran.stderr
    assert "note:" not in cli("summary", "conv(8, f=5) -> fc(10)", "--input", "32,32,3").stderr


def test_a_python_file_without_its_class_names_its_modules(tmp_path, cli):
    path = tmp_path / "model.py"
    path.write_text(
        "import torch\nfrom torch import nn\n\n\nclass Block(nn.Module):\n    pass\n\n\n"
        "class Net(torch.nn.Module):\n    pass\n\n\nclass Settings:\n    pass\n",
        encoding="utf-8",
    )
    result = cli("summary", str(path))
    assert result.exit_code == 2
    assert f"{path} is a Python file: name the nn.Module class to trace after a colon" in result.stderr
    assert f"for example {path}:Block (its classes: Block, Net)" in result.stderr
    assert "unexpected" not in result.stderr  # not read as the notation
    with pytest.raises(SpecError, match="its classes: Block, Net"):
        cnncalc.analyze(str(path))


def test_a_python_file_is_never_imported_to_name_its_classes(tmp_path, cli):
    path = tmp_path / "boom.py"
    path.write_text("raise SystemExit('imported!')\nclass Net(nn.Module):\n    pass\n", encoding="utf-8")
    result = cli("summary", str(path))
    assert result.exit_code == 2 and "imported!" not in result.output and f"{path}:Net" in result.stderr


def test_sizes_written_with_an_exponent_are_whole_numbers():
    report = cnncalc.analyze("input(1e3, 1e3, 3) -> conv(8, f=3)")
    assert report.rows[0].output_shape == (3, 1000, 1000) and report.rows[0].source == "input(1000, 1000, 3)"
    with pytest.raises(ArgumentError) as info:
        cnncalc.analyze("input(-1e9, 3, 3)")
    assert "input(-1000000000, 3, 3)" in str(info.value) and "(got -1,000,000,000)" in str(info.value)
    assert ".0" not in str(info.value)
    with pytest.raises(ArgumentError, match=r"whole numbers \(got 2.5\)"):
        cnncalc.analyze("input(2.5, 3, 3)")
