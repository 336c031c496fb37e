"""Reading tables as they are pasted (cnncalc.check.read): each format to headers and rows of cell text."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.check.read import read_table

SEED_001 = "input(32,32,3) -> conv(8, f=5) -> pool(2) -> conv(16, f=5) -> pool(2) -> fc(120) -> fc(84) -> softmax(10)"


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("Layer,Params\nconv,608\n", "CSV"),
        ("Layer;Params\nconv;608\n", "semicolon CSV"),
        ("Layer\tParams\nconv\t608\n", "TSV"),
        ("| Layer | Params |\n|---|---|\n| conv | 608 |\n", "Markdown"),
        ("Layer | Params\n--- | ---:\nconv | 608\n", "Markdown"),
        ("Layer | Params\nconv | 608\n", "pipe-separated"),
    ],
)
def test_each_format_reads_the_same_cells(text, source):
    for prefix in ("", "\ufeff"):  # a byte order mark before any of them changes nothing
        t = read_table(prefix + text)
        assert (t.source, t.headers, t.rows) == (source, ["Layer", "Params"], [["conv", "608"]])


def test_a_semicolon_table_reads_numbers_grouped_with_dots():
    r = cnncalc.check("Layer;Params\nfc3;48.120\nTotal;48.120\n", "input(400) -> fc(120)")  # (400 + 1)·120
    assert r.right == 2 and r.wrong == 0
    r = cnncalc.check("Layer;Params\nfc3;48,120\n", "input(400) -> fc(120)")  # commas still group thousands
    assert r.right == 1


def test_a_comma_csv_with_notation_cells_is_not_taken_for_semicolons():
    t = read_table('Layer,Output shape,Params\n"conv(8, f=5)",(28; 28; 8),608\n')
    assert t.source == "CSV" and t.rows == [["conv(8, f=5)", "(28; 28; 8)", "608"]]


def test_markdown_reads_the_first_table_and_says_so_of_the_next():
    t = read_table("| Layer | Params |\n|---|---|\n| conv | 608 |\n\nLater:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert t.rows == [["conv", "608"]]
    assert t.notes == ["only the first table is graded; another starts at line 7"]


def test_markdown_without_outer_pipes_keeps_an_empty_first_cell():
    t = read_table("Layer | Params\n--- | ---\n | 608\nfc | 10\n")
    assert t.rows == [["", "608"], ["fc", "10"]]


def test_total_lines_drop_what_follows_the_number():
    t = read_table(
        "Layer,Params\nconv,608\n"
        " Total params: 34,826 (136.04 KB)\n"  # Keras 3
        "Trainable params: 62,958 (trainable 62,958, non-trainable 0); buffers: 0\n"  # cnncalc's footer
    )
    assert t.total_lines == [("total", "34,826"), ("trainable", "62,958")]


def test_keras_is_told_by_its_shapes_or_its_model_line():
    assert read_table('Layer,Output shape\nconv,"(None, 26, 26, 32)"\n').keras
    assert read_table('Model: "sequential"\nLayer,Params\nconv,320\n').keras
    assert not read_table('Layer,Output shape\nconv,"[-1, 32, 26, 26]"\n').keras


def test_a_keras_2_field_cut_short_is_split_where_the_next_title_starts():
    # before Keras 2.13 a field filled its column and only one space stood before the next
    text = (
        "Layer (type)                 Output Shape              Param #   \n"
        "=================================================================\n"
        "max_pooling2d (MaxPooling2D) (None, 13, 13, 32)        0         \n"
        "_________________________________________________________________\n"
        "max_pooling2d_1 (MaxPooling2 (None, 5, 5, 64)          0         \n"
        "=================================================================\n"
    )
    assert read_table(text).rows == [
        ["max_pooling2d (MaxPooling2D)", "(None, 13, 13, 32)", "0"],
        ["max_pooling2d_1 (MaxPooling2", "(None, 5, 5, 64)", "0"],
    ]


def test_a_keras_2_13_field_wrapped_mid_word_is_joined_without_a_space():
    text = (
        " Layer (type)                Output Shape              Param #   \n"
        "=================================================================\n"
        " max_pooling2d (MaxPooling2  (None, 13, 13, 32)        0         \n"
        " D)                                                              \n"
        "                                                                 \n"
        " flatten (Flatten)           (None, 5408)              0         \n"
        "                                                                 \n"
        "=================================================================\n"
    )
    assert read_table(text).rows == [
        ["max_pooling2d (MaxPooling2D)", "(None, 13, 13, 32)", "0"],
        ["flatten (Flatten)", "(None, 5408)", "0"],
    ]


def test_a_torchsummary_line_pushed_right_by_a_long_name_is_read_field_by_field():
    text = (
        "        Layer (type)               Output Shape         Param #\n"
        "================================================================\n"
        "TransformerEncoderLayer-12              [-1, 197, 768]       7,087,872\n"
        "            Linear-13                  [-1, 1000]         769,000\n"
        "================================================================\n"
    )
    assert read_table(text).rows == [
        ["TransformerEncoderLayer-12", "[-1, 197, 768]", "7,087,872"],
        ["Linear-13", "[-1, 1000]", "769,000"],
    ]


@pytest.mark.parametrize("width", [100, 50])
@pytest.mark.parametrize("box", [True, False])
def test_cnncalc_own_table_checks_clean_boxed_or_plain_wide_or_narrow(box, width):
    from cnncalc.render.table import render

    report = cnncalc.analyze(SEED_001)
    r = cnncalc.check(render(report, width=width, box=box), SEED_001)
    # 8 rows of shape, activation size, params, MACs and FLOPs; the Total row's four sums; the Total params line
    assert (r.right, r.wrong) == (8 * 5 + 4 + 1, 0)
    assert not r.missing_rows and not r.extra_rows and not r.ignored_columns
    shapes = [c.written for c in r.cells if c.column == "Output shape"]
    assert shapes[0] == "(32, 32, 3)" and shapes[3] == "(10, 10, 16)"  # joined again where the narrow table wrapped


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Layer,Params\nconv,608\npool,0\nconv,3200\n", "3200"),
        ("| Layer | Params |\n|---|---|\n| conv | 608 |\n| pool | 0 |\n| conv | 3,200 |\n", "3,200"),
        ("# a comment\nLayer\tParams\n\nconv\t608\npool\t0\nconv\t3200\n", "3200"),  # comments, blank lines
    ],
)
def test_rows_are_numbered_as_the_student_counts_them(text, written):
    r = cnncalc.check(text, SEED_001)  # the second conv: (5·5·8 + 1)·16 = 3,216
    assert [(c.row, c.written, c.expected) for c in r.wrong_cells()] == [(3, written, 3_216)]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PIECES = st.sampled_from(
    [
        "Layer (type)",
        "Output Shape",
        "Param #",
        "Params",
        "conv2d (Conv2D)",
        "Conv2d-1",
        "(None, 6, 6, 4)",
        "[-1, 4, 6, 6]",
        "(6, 6, 4)",
        "112",
        "1.234",
        "Total params: 112",
        'Model: "m"',
        "|",
        "│",
        "┃",
        "├──┼──┤",
        "┏━━┳━━┓",
        "┡━━╇━━┩",
        "└──┴──┘",
        "---",
        "=" * 20,
        "_" * 20,
        ",",
        ";",
        "\t",
        "  ",
        " ",
        "\n",
        "\ufeff",
        '"',
        "",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=40))
def test_any_pasted_text_gives_a_result_or_a_cnncalc_error(pieces):
    try:
        r = cnncalc.check("".join(pieces) + "\n", "input(6,6,3) -> conv(4, f=3, p=1) -> fc(2)")
    except cnncalc.CnnCalcError:
        return
    assert r.right + r.wrong == len(r.cells)
