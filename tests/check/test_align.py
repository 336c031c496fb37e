"""Which layer a row is (cnncalc.check.align): what a label says, and the best alignment over the table."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.check.align import is_role, label_kind


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("CONV1 (f=5, s=1)", "conv"),  # seed 001
        ("CONV1 (filter shape =5*5, stride=1)", "conv"),  # seed 004
        ("Input Layer:", "input"),
        ("conv2d_1 (Conv2D)", "conv"),  # Keras: the class in brackets
        ("max_pooling2d_1 (MaxPooling2D)", "maxpool"),
        ("global_average_poo… (GlobalAveragePool…", "globalavgpool"),  # rich cut it short
        ("MaxPool2d-4", "maxpool"),  # torchsummary
        ("BatchNorm2d-2", "batchnorm"),
        ("First Convolution", "conv"),  # seed 000
        ("First FC Layer", "dense"),
        ("Fully connected", "dense"),
        ("Max pool 1", "maxpool"),
        ("Average pool", "avgpool"),
        ("Batch norm", "batchnorm"),
        ("Softmax", "softmax"),
        ("Output layer", "output"),
        ("Hidden 2", None),
        ("Classifier", None),
        ("Layer 3", None),
        ("", None),
    ],
)
def test_label_kind(label, kind):
    assert label_kind(label) == kind


@pytest.mark.parametrize(
    ("label", "role"), [("Output", True), ("Output layer", True), ("Hidden 2", True), ("Logits", True), ("FC3", False)]
)
def test_role_words(label, role):
    assert is_role(label) is role


SPEC = "input(32,32,3) -> conv(8, f=5) -> relu -> pool(2) -> conv(16, f=5) -> relu -> pool(2) -> fc(120) -> fc(10)"
# (5·5·3 + 1)·8 = 608; (5·5·8 + 1)·16 = 3,216; (5·5·16 + 1)·120 = 48,120; (120 + 1)·10 = 1,210


def test_numbers_place_rows_whose_labels_say_nothing():
    table = "Layer,Params\nLayer 1,608\nLayer 2,3216\nLayer 3,48120\nLayer 4,1210\n"
    r = cnncalc.check(table, SPEC)
    assert [c.expected for c in r.cells] == [608, 3_216, 48_120, 1_210] and r.wrong == 0
    assert [s["index"] for s in r.skipped_layers] == [3, 4, 6, 7]


def test_a_wrong_number_does_not_move_its_row_onto_a_parameter_free_layer():
    # "Layer 2" writes 3,200 (not 3,216): still the second conv, not the relu or the pool beside it
    table = "Layer,Params\nLayer 1,608\nLayer 2,3200\nLayer 3,48120\nLayer 4,1210\n"
    r = cnncalc.check(table, SPEC)
    assert [(c.row, c.written, c.expected) for c in r.wrong_cells()] == [(2, "3200", 3_216)]
    assert not r.missing_rows and not r.extra_rows


def test_a_zero_written_for_a_layer_with_weights_is_graded_there():
    # a common slip: batch norm written with no parameters; its own label keeps it on its row
    r = cnncalc.check("Layer,Params\nconv,608\nbn,0\n", "input(32,32,3) -> conv(8, f=5) -> bn -> relu")
    assert [(c.row, c.expected) for c in r.wrong_cells()] == [(2, 2 * 8)]  # γ and β for 8 channels


def test_a_shape_decides_between_layers_of_the_same_kind():
    r = cnncalc.check(
        "Layer,Output shape\nconv,10x10x16\n", "input(32,32,3) -> conv(8, f=5) -> pool(2) -> conv(16, f=5)"
    )
    assert r.wrong == 0 and [m["index"] for m in r.missing_rows] == [2]  # the second conv: 14 − 5 + 1 = 10


def test_when_nothing_tells_two_layers_apart_the_row_is_the_first():
    # 14x14x8 is neither conv's shape (28x28x8, 10x10x16): read top down, a lone conv row is the first conv
    r = cnncalc.check(
        "Layer,Output shape\nconv,14x14x8\n", "input(32,32,3) -> conv(8, f=5) -> pool(2) -> conv(16, f=5)"
    )
    assert [(c.row, c.expected) for c in r.wrong_cells()] == [(1, [28, 28, 8])]  # 32 − 5 + 1 = 28
    assert [m["index"] for m in r.missing_rows] == [4]


def test_an_input_row_is_never_taken_for_a_layer():
    # 28x28x8 is the conv's shape, 32 − 5 + 1 = 28, but the row says Input: it is graded as the input
    r = cnncalc.check("Layer,Output shape\nInput,28x28x8\nconv,28x28x8\n", "input(32,32,3) -> conv(8, f=5)")
    assert [(c.row, c.expected) for c in r.wrong_cells()] == [(1, [32, 32, 3])] and r.right == 1
