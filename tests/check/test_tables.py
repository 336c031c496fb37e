"""check on tables as students really write and paste them: each golden file under tests/data/ is graded
with exactly the cells expected wrong. The right values are worked by hand in each file's comments (or are
the figures the printing framework itself published), and repeated in the comments here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cnncalc

DATA = Path(__file__).parent.parent / "data"
SEED_001 = "input(32,32,3) -> conv(8, f=5) -> pool(2) -> conv(16, f=5) -> pool(2) -> fc(120) -> fc(84) -> fc(10)"


def run(table: str, spec: str, **kw) -> cnncalc.CheckResult:
    return cnncalc.check(DATA / table, (DATA / spec).read_text(), **kw)


def flagged(result: cnncalc.CheckResult) -> dict[tuple[int | None, str], tuple[str, object]]:
    return {(c.row, c.column): (c.written, c.expected) for c in result.wrong_cells()}


def layers(entries: tuple[dict, ...]) -> list[int]:
    return [e["index"] for e in entries]


# ---------------------------------------------------------------- pasted printouts


@pytest.mark.parametrize(
    "table", ["keras3_mnist_convnet.txt", "keras2_mnist_convnet.txt", "keras2_old_mnist_convnet.txt"]
)
def test_a_keras_summary_of_the_mnist_convnet_checks_clean(table):
    # keras.io's mnist_convnet prints 320, 18,496 and 16,010 parameters, 34,826 in all:
    # (3·3·1 + 1)·32 = 320; (3·3·32 + 1)·64 = 18,496; (5·5·64 + 1)·10 = 16,010
    r = run(table, "keras_mnist_convnet.spec")
    assert r.wrong == 0 and r.right == 7 * 2 + 3  # seven rows of shape and Param #, three Total lines
    assert not r.missing_rows and not r.extra_rows
    assert layers(r.skipped_layers) == [3, 6, 11]  # the notation's relu, relu and softmax: Keras fuses them
    assert r.framework == "keras" and r.table_format == "Keras summary"
    params = [c.expected for c in r.cells if c.column == "Param #"]
    assert params == [320, 0, 18_496, 0, 0, 0, 16_010]


def test_a_keras_summary_written_by_hand_is_graded_at_its_two_slips():
    r = run("keras3_mnist_convnet_predicted.txt", "keras_mnist_convnet.spec")
    assert flagged(r) == {
        (3, "Output Shape"): ("(None, 12, 12, 64)", [11, 11, 64]),  # 13 − 3 + 1 = 11
        (7, "Param #"): ("16,000", 16_010),  # (1,600 + 1)·10: the bias forgotten
    }
    assert r.right == 15
    text = r.to_text()
    assert "written (None, 12, 12, 64), right (None, 11, 11, 64)" in text
    assert text.startswith("read as a Keras summary: graded under the keras convention")


def test_a_keras_functional_summary_with_wrapped_cells_checks_clean():
    # Keras 3 wraps "(None, 32, 32, 16)" over two lines and cuts long names with "…" at a narrow width;
    # (3·3·3 + 1)·16 = 448, (3·3·16 + 1)·16 = 2,320, (16 + 1)·10 = 170, 2,938 in all
    r = run("keras3_functional_residual.txt", "keras_residual.spec")
    assert r.wrong == 0 and r.right == 6 * 2 + 3
    assert [c.written for c in r.cells if c.column == "Output Shape"][1] == "(None, 32, 32, 16)"
    assert r.ignored_columns == ("Connected to",)
    assert not r.missing_rows and not r.extra_rows and not r.skipped_layers


def test_a_torchsummary_printout_checks_clean():
    # PyTorch's CIFAR-10 tutorial network: (5·5·3 + 1)·6 = 456, (5·5·6 + 1)·16 = 2,416, (400 + 1)·120 = 48,120,
    # (120 + 1)·84 = 10,164, (84 + 1)·10 = 850; 62,006 in all. F.relu is a function: no ReLU rows.
    r = run("torchsummary_cifar_net.txt", "cifar_net.spec")
    assert r.wrong == 0 and r.right == 7 * 2 + 3
    assert [c.written for c in r.cells][:2] == ["[-1, 6, 28, 28]", "456"]
    assert layers(r.skipped_layers) == [3, 6, 9, 11]  # the four relu
    assert r.framework == "torch" and r.table_format == "torchsummary"


# ---------------------------------------------------------------- tables written by hand


def test_markdown_without_outer_pipes_listing_only_the_layers_with_weights():
    r = run("seed001_no_pools.md", "seed001.spec")
    assert flagged(r) == {(2, "Output shape"): ("11x11x16", [10, 10, 16])}  # floor((14 − 5)/1) + 1 = 10
    assert r.right == 10  # five shapes and params but one, and the total 62,958
    assert layers(r.skipped_layers) == [3, 5] and not r.missing_rows and not r.extra_rows
    assert r.table_format == "Markdown"


def test_semicolon_csv_with_a_byte_order_mark_and_dotted_thousands():
    r = run("seed002_q3_semicolon.csv", "seed002_q3.spec")
    assert flagged(r) == {(4, "Params"): ("18.469", 18_496)}  # (3·3·32 + 1)·64
    total = next(c for c in r.cells if c.layer == "Total")
    assert total.ok and total.expected == 1_197_476
    assert r.right == 9 * 2 + 1 - 1 and r.table_format == "semicolon CSV"


def test_tabs_typed_to_line_columns_up():
    r = run("seed001_tab_aligned.tsv", "seed001.spec")
    assert flagged(r) == {(6, "Params"): ("10084", 10_164)}  # (120 + 1)·84
    assert r.right == 7 * 2 - 1


def test_a_short_row_is_read_and_noted_never_dropped():
    r = run("seed001_short_row.csv", "seed001.spec")
    assert flagged(r) == {(5, "Params"): ("48000", 48_120)}  # (5·5·16 + 1)·120
    assert r.notes == ("row 4 has 2 cells where the header names 3: 'Params' left empty",)
    pool2 = [c for c in r.cells if c.row == 4]
    assert [(c.column, c.ok) for c in pool2] == [("Output shape", True)]  # its shape is still graded
    assert "note: row 4 has 2 cells" in r.to_text()


def test_a_long_row_is_an_error_naming_the_row_and_the_cell():
    with pytest.raises(cnncalc.SpecError, match=r"^row 2 has 4 cells but the header names 3.*cell 4, '0'"):
        run("seed001_long_row.csv", "seed001.spec")


# ---------------------------------------------------------------- rows matched as a person would


def test_a_last_row_labelled_output_is_graded():
    table = (
        "| Layer | Output shape | Params |\n|---|---|---|\n"
        "| Input | (32, 32, 3) | 0 |\n| Conv 1 | (28, 28, 8) | 608 |\n| Pool 1 | (14, 14, 8) | 0 |\n"
        "| Conv 2 | (10, 10, 16) | 3,216 |\n| Pool 2 | (5, 5, 16) | 0 |\n| FC 1 | (120,) | 48,120 |\n"
        "| FC 2 | (84,) | 10,164 |\n| Output | (10,) | 860 |\n"
    )
    r = cnncalc.check(table, SEED_001)
    assert flagged(r) == {(8, "Params"): ("860", 850)}  # (84 + 1)·10
    assert not r.missing_rows and not r.extra_rows
    for label in ("Output layer", "Classifier", "Softmax", "Logits"):
        r = cnncalc.check(table.replace("| Output |", f"| {label} |"), SEED_001)
        assert flagged(r) == {(8, "Params"): ("860", 850)}, label
        assert not r.missing_rows and not r.extra_rows, label


def test_an_mlp_table_without_relu_rows_pairs_each_row_with_its_dense_layer():
    table = 'Layer,Params\nInput,0\nHidden 1,"200,960"\nHidden 2,"32,768"\nOutput,"1,290"\nTotal,"235,018"\n'
    r = cnncalc.check(table, "input(784) -> fc(256) -> relu -> fc(128) -> relu -> fc(10) -> softmax")
    assert flagged(r) == {
        (3, "Params"): ("32,768", 32_896),  # (256 + 1)·128: the bias forgotten
        (5, "Params"): ("235,018", 235_146),  # 200,960 + 32,896 + 1,290
    }
    hidden_1 = next(c for c in r.cells if c.row == 2)
    assert hidden_1.ok and hidden_1.expected == 784 * 256 + 256  # 200,960, paired with fc(256), not with a relu
    assert layers(r.skipped_layers) == [3, 5, 7] and not r.missing_rows and not r.extra_rows


def test_seed_001_labels_with_a_softmax_row_on_a_separate_dense_layer():
    # the table writes "Softmax 850" where the spec has fc(10) -> softmax: the row is the dense layer
    table = "Layer\tParams\nCONV1\t608\nCONV2\t3216\nFC3\t48120\nFC4\t10164\nSoftmax\t850\n"
    r = cnncalc.check(table, SEED_001 + " -> softmax")
    assert r.wrong == 0 and r.right == 5 and not r.missing_rows and not r.extra_rows


def test_a_row_left_over_where_a_layer_is_left_over_is_paired_not_missing_and_extra():
    # row 2 names no kind the network has at that place; a person matches it with the conv there
    table = "Layer,Params\nconv,608\nweird thing,3000\nfc,48120\n"
    r = cnncalc.check(table, "input(32,32,3) -> conv(8, f=5) -> pool(2) -> conv(16, f=5) -> pool(2) -> fc(120)")
    assert flagged(r) == {(2, "Params"): ("3000", 3_216)}  # (5·5·8 + 1)·16
    assert not r.missing_rows and not r.extra_rows


def test_a_row_naming_another_kind_is_not_forced_onto_a_skipped_parameter_free_layer():
    # "Flatten" is not the relu the table skipped (the input is flat: nothing flattens): it stays an extra row
    table = "Layer,Params\nfc,136\nflatten,0\nfc,9\n"  # (16 + 1)·8 = 136; (8 + 1)·1 = 9
    r = cnncalc.check(table, "input(16) -> fc(8) -> relu -> fc(1)")
    assert [x["layer"] for x in r.extra_rows] == ["flatten"] and layers(r.skipped_layers) == [3]
    assert r.wrong == 0 and r.right == 2 and not r.ok


def test_a_flatten_row_is_the_flatten_the_notations_fc_does_itself():
    # fc(1) after (2, 2, 8) flattens it first: the table's Flatten row is that step, 2·2·8 = 32 values
    table = "Layer,Output shape,Params\nconv,2x2x8,80\nflatten,32,0\nfc,1,33\n"  # (2·2·8 + 1)·1 = 33
    r = cnncalc.check(table, "input(4,4,1) -> conv(8, f=3) -> relu -> fc(1)")
    assert r.ok and r.right == 6 and not r.extra_rows and layers(r.skipped_layers) == [3]
    wrong = table.replace("flatten,32", "flatten,30")
    r = cnncalc.check(wrong, "input(4,4,1) -> conv(8, f=3) -> relu -> fc(1)")
    assert [(c.row, c.expected) for c in r.wrong_cells()] == [(2, [32])] and "flattens its input" in r.cells[3].why


# ---------------------------------------------------------------- the CLI on these tables


@pytest.mark.parametrize(
    ("table", "spec", "code", "line"),
    [
        ("keras2_mnist_convnet.txt", "keras_mnist_convnet.spec", 0, "17 cells right, 0 wrong"),
        ("torchsummary_cifar_net.txt", "cifar_net.spec", 0, "17 cells right, 0 wrong"),
        ("seed002_q3_semicolon.csv", "seed002_q3.spec", 1, "✗ row 4 Conv 2, Params: written 18.469, right 18,496"),
        ("seed001_no_pools.md", "seed001.spec", 1, "not in the table, and without parameters: 3 POOL1, 5 POOL2"),
    ],
)
def test_cli_grades_pasted_tables(cli, table, spec, code, line):
    result = cli("check", str(DATA / table), "--spec", str(DATA / spec))
    assert result.exit_code == code, result.stderr
    assert line in result.stdout.splitlines()


def test_cli_a_long_row_exits_2_naming_the_row(cli):
    result = cli("check", str(DATA / "seed001_long_row.csv"), "--spec", str(DATA / "seed001.spec"))
    assert result.exit_code == 2 and "row 2 has 4 cells" in result.stderr


def test_cli_convention_option_overrides_the_detected_framework(cli):
    args = ["check", str(DATA / "keras2_mnist_convnet.txt"), "--spec", str(DATA / "keras_mnist_convnet.spec")]
    assert json.loads(cli(*args, "--format", "json").stdout)["framework"] == "keras"
    assert json.loads(cli(*args, "--format", "json", "--convention", "torch").stdout)["framework"] == "torch"
    bad = cli(*args, "--convention", "tf")
    assert bad.exit_code == 2 and "'tf' is not one of torch, keras" in bad.stderr


def test_cli_check_without_spec_on_a_table_of_labels_suggests_spec(cli):
    result = cli("check", str(DATA / "seed001_table.tsv"))
    assert result.exit_code == 2
    assert "--spec" in result.stderr and "Traceback" not in result.stderr
