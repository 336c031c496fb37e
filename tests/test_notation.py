"""The text notation of issue 3 item 3, feature by feature, with the expected figures worked by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

import cnncalc
from cnncalc import ArgumentError

# Seed 001's network: every figure below is worked by hand in the comments.
SEED_001 = "input(32,32,3) -> CONV1(8, f=5, s=1) -> POOL1(2) -> CONV2(16, f=5, s=1) -> POOL2(2) -> FC3(120) -> FC4(84) -> softmax(10)"  # noqa: E501
SEED_001_SHAPES = [(32, 32, 3), (28, 28, 8), (14, 14, 8), (10, 10, 16), (5, 5, 16), (120,), (84,), (10,)]
SEED_001_PARAMS = [
    0,
    (5 * 5 * 3 + 1) * 8,  # 608
    0,
    (5 * 5 * 8 + 1) * 16,  # 3,216
    0,
    (5 * 5 * 16 + 1) * 120,  # 48,120: the 400 inputs of POOL2 flattened
    (120 + 1) * 84,  # 10,164
    (84 + 1) * 10,  # 850
]


def shapes(r: cnncalc.Report) -> list[tuple[int, ...]]:
    return [r.shown_shape(row) for row in r.rows]


def names(r: cnncalc.Report) -> list[str]:
    return [row.name for row in r.rows]


def kinds(r: cnncalc.Report) -> list[str]:
    return [row.kind for row in r.rows]


# ---------------------------------------------------------------- arrows, names, labels


def test_both_arrows_give_the_same_network():
    ascii_ = cnncalc.analyze(SEED_001)
    unicode_ = cnncalc.analyze(SEED_001.replace("->", "→"))
    mixed = cnncalc.analyze(SEED_001.replace("->", "→", 3))
    for r in (ascii_, unicode_, mixed):
        assert shapes(r) == SEED_001_SHAPES
        assert [row.params for row in r.rows] == SEED_001_PARAMS
        assert r.totals.params == 62_958  # 608 + 3,216 + 48,120 + 10,164 + 850


@pytest.mark.parametrize(
    ("words", "kind"),
    [
        (["conv", "CONV", "Conv", "conv2d", "Conv2D", "CONV2D", "convolution"], "conv"),
        (["pool", "POOL", "maxpool", "MaxPool", "MaxPool2d", "MaxPooling2D"], "maxpool"),
        (["avgpool", "AvgPool", "AveragePooling2D"], "avgpool"),
        (["fc", "FC", "dense", "Dense", "linear", "Linear", "FullyConnected"], "dense"),
    ],
)
def test_names_are_case_insensitive_with_aliases(words: list[str], kind: str):
    arg = {"conv": "(8, f=5)", "maxpool": "(2)", "avgpool": "(2)", "dense": "(10)"}[kind]
    expected = {
        "conv": ((28, 28, 8), (5 * 5 * 3 + 1) * 8),  # 32 − 5 + 1 = 28
        "maxpool": ((16, 16, 3), 0),  # 32 / 2
        "avgpool": ((16, 16, 3), 0),
        "dense": ((10,), (32 * 32 * 3 + 1) * 10),  # 3,072 inputs flattened: 30,730
    }[kind]
    for word in words:
        r = cnncalc.analyze(f"input(32,32,3) -> {word}{arg}")
        assert r.rows[1].kind == kind, word
        assert (r.shown_shape(r.rows[1]), r.rows[1].params) == expected, word


@pytest.mark.parametrize("word", ["bn", "BN", "batchnorm", "BatchNorm2d", "BatchNormalization"])
def test_batchnorm_names(word: str):
    r = cnncalc.analyze(f"input(8,8,16) -> {word}")
    assert r.rows[1].kind == "batchnorm"
    assert (r.rows[1].params, r.rows[1].buffers) == (2 * 16, 2 * 16)  # γ, β trainable; mean, variance buffers


def test_labels_keep_their_label_and_resolve_to_their_kind():
    r = cnncalc.analyze(SEED_001)
    assert names(r) == ["input", "CONV1", "POOL1", "CONV2", "POOL2", "FC3", "FC4", "softmax"]
    assert kinds(r) == ["input", "conv", "maxpool", "conv", "maxpool", "dense", "dense", "softmax"]


def test_labels_with_separators_and_repeated_labels_stay_distinct():
    # the second conv gets the id conv_2 inside; a layer labelled conv_2 must not clash with it
    r = cnncalc.analyze("input(8,8,3) -> conv(4, f=3) -> conv(4, f=3) -> conv_2(4, f=1) -> FC_3(2)")
    assert names(r)[1:] == ["conv", "conv", "conv_2", "FC_3"]
    assert kinds(r)[1:] == ["conv", "conv", "conv", "dense"]
    assert len({row.node_id for row in r.rows}) == len(r.rows)


def test_a_label_number_is_not_a_size():
    # POOL2(2): the 2 of the name is a label; the window is the argument 2 → 14 / 2 = 7
    r = cnncalc.analyze("input(14,14,1) -> POOL2(2) -> FC3(5)")
    assert shapes(r)[1:] == [(7, 7, 1), (5,)]
    assert r.rows[2].params == (7 * 7 * 1 + 1) * 5  # 250


# ---------------------------------------------------------------- keywords


@pytest.mark.parametrize("kernel", ["f=5", "k=5", "kernel_size=5", "kernel=5", "filter=5"])
@pytest.mark.parametrize("stride", ["s=2", "stride=2", "strides=2"])
@pytest.mark.parametrize("padding", ["p=2", "padding=2", "pad=2"])
def test_keyword_letters_and_framework_words(kernel: str, stride: str, padding: str):
    r = cnncalc.analyze(f"input(32,32,3) -> conv(8, {kernel}, {stride}, {padding})")
    # floor((32 − 5 + 2·2)/2) + 1 = floor(31/2) + 1 = 16
    assert r.shown_shape(r.rows[1]) == (16, 16, 8)
    assert r.rows[1].macs == 8 * (5 * 5 * 3) * (16 * 16)  # 153,600


@pytest.mark.parametrize("size", ["5", "5x5", "(5,5)", "(5, 5)", "5×5", "5 x 5"])
def test_sizes_written_three_ways(size: str):
    r = cnncalc.analyze(f"input(32,32,3) -> conv(8, f={size})")
    assert r.shown_shape(r.rows[1]) == (28, 28, 8)
    assert r.rows[1].params == 608


def test_non_square_sizes_go_h_then_w():
    r = cnncalc.analyze("input(32,20,3) -> conv(8, f=5x3, s=(2,1))")
    # H: floor((32 − 5)/2) + 1 = 14; W: 20 − 3 + 1 = 18
    assert r.shown_shape(r.rows[1]) == (14, 18, 8)
    assert r.rows[1].params == (5 * 3 * 3 + 1) * 8  # 368


@pytest.mark.parametrize("word", ["same", "SAME", "'same'", '"same"'])
def test_padding_same(word: str):
    r = cnncalc.analyze(f"input(32,32,3) -> conv(8, f=5, p={word}) -> conv(8, f=4, s=3, padding={word})")
    # stride 1: out = 32; stride 3: out = ceil(32/3) = 11 (TensorFlow's rule)
    assert shapes(r)[1:] == [(32, 32, 8), (11, 11, 8)]


def test_padding_same_pads_the_extra_at_the_end():
    r = cnncalc.analyze("input(32,32,3) -> conv(8, f=4, s=3, p=same)")
    # out 11 needs (11 − 1)·3 + 4 = 34 rows: 2 of padding, 1 before and 1 after;
    # f=4 s=1 would need 3: 1 before, 2 after
    assert "'same' padding on H: 2 in all (1 before, 1 after)" in r.rows[1].notes
    r = cnncalc.analyze("input(32,32,3) -> conv(8, f=4, p=same)")
    assert "'same' padding on H: 3 in all (1 before, 2 after)" in r.rows[1].notes


def test_padding_valid_is_no_padding():
    r = cnncalc.analyze("input(32,32,3) -> conv(8, f=5, p=valid) -> conv(8, f=5, padding=VALID)")
    assert shapes(r)[1:] == [(28, 28, 8), (24, 24, 8)]


def test_padding_per_axis_and_per_side():
    r = cnncalc.analyze("input(10,10,1) -> conv(1, f=3, p=(1,2)) -> conv(1, f=3, p=((1,0),(2,1)))")
    # p=(1,2): H 10 − 3 + 2 + 1 = 10, W 10 − 3 + 4 + 1 = 12
    # p=((1,0),(2,1)): H 10 + 1 + 0 − 3 + 1 = 9, W 12 + 2 + 1 − 3 + 1 = 13
    assert shapes(r)[1:] == [(10, 12, 1), (9, 13, 1)]


# ---------------------------------------------------------------- layout of the text


def test_comments_and_newlines():
    text = """
    # seed 001, one layer a line
    input(32,32,3)          # the image
      -> CONV1(8, f=5, s=1)
      -> POOL1(2)
      -> CONV2(16, f=5, s=1) -> POOL2(2)   # two on a line
      -> FC3(120)
      ->
      FC4(84)
      -> softmax(10)
    """
    r = cnncalc.analyze(text)
    assert shapes(r) == SEED_001_SHAPES
    assert r.totals.params == 62_958


def test_statements_on_new_lines_continue_the_chain():
    r = cnncalc.analyze("input(1024)\nfc(3)\nrelu")
    assert names(r) == ["input", "fc", "relu"]
    assert r.rows[1].params == (1024 + 1) * 3  # 3,075
    r2 = cnncalc.analyze("input(1024); fc(3); relu")
    assert [row.params for row in r2.rows] == [row.params for row in r.rows]


def test_repetition():
    r = cnncalc.analyze("input(32,32,3) -> [conv(8, f=3, p=1) -> relu] * 3 -> [maxpool(2)] × 2")
    assert kinds(r) == ["input"] + ["conv", "relu"] * 3 + ["maxpool"] * 2
    # first conv (3·3·3 + 1)·8 = 224, then (3·3·8 + 1)·8 = 584 twice
    assert [row.params for row in r.rows if row.kind == "conv"] == [224, 584, 584]
    assert shapes(r)[-2:] == [(16, 16, 8), (8, 8, 8)]


def test_nested_repetition():
    r = cnncalc.analyze("input(4) -> [[fc(4) -> relu] * 2 -> dropout] * 3")
    assert len(r.rows) == 1 + 3 * (2 * 2 + 1)
    assert r.totals.params == 6 * (4 + 1) * 4  # six fc(4) on 4 inputs: 120


# ---------------------------------------------------------------- definitions


def test_alias_definition_binds_default_keywords():
    text = "FC = dense(bias=false)\ninput(1024) -> FCwB(256) -> FC(128) -> FC(10, bias=true)"
    r = cnncalc.analyze(text)
    assert names(r) == ["input", "FCwB", "FC", "FC"]
    # FCwB: 1024·256 + 256 = 262,400; FC: 256·128 = 32,768 (no bias); FC(10, bias=true): 128·10 + 10 = 1,290
    assert [row.params for row in r.rows[1:]] == [262_400, 32_768, 1_290]


def test_seed_003_own_notation_with_one_alias_line():
    text = (
        "FC = dense(bias=false)\ninput(1024) → FCwB(256) → Dropout(0.1) → FC(128) → tanh → Maxpool(3) → FC(3) → output"
    )
    r = cnncalc.analyze(text)
    # 262,400 + 32,768 + (128 / 3 → 42 by the flat pool)·3 = 126: 295,294
    assert r.totals.params == 262_400 + 32_768 + 42 * 3 == 295_294


def test_builtin_fc_dense_linear_have_a_bias():
    for word in ("fc", "dense", "linear", "FC", "FCwB"):
        r = cnncalc.analyze(f"input(100) -> {word}(10)")
        assert r.rows[1].params == 100 * 10 + 10, word


def test_fcwb_always_has_a_bias():
    # even after FC is redefined without one
    r = cnncalc.analyze("FC = dense(bias=false)\ninput(100) -> FCwB(10) -> FC(5)")
    assert [row.params for row in r.rows[1:]] == [100 * 10 + 10, 10 * 5]
    with pytest.raises(ArgumentError, match="FCwB always has bias=true"):
        cnncalc.analyze("input(100) -> FCwB(10, bias=false)")


def test_block_definition():
    r = cnncalc.analyze("block = conv(4, f=3, p=1) -> relu\ninput(8,8,3) -> block -> [block] * 2")
    assert kinds(r) == ["input"] + ["conv", "relu"] * 3
    # (3·3·3 + 1)·4 = 112, then (3·3·4 + 1)·4 = 148 twice
    assert [row.params for row in r.rows if row.params] == [112, 148, 148]


# ---------------------------------------------------------------- activations with a size


def test_softmax_with_a_size_is_a_dense_layer_and_softmax_in_one_row():
    r = cnncalc.analyze("input(84) -> softmax(10)")
    assert len(r.rows) == 2
    row = r.rows[1]
    assert (row.name, row.kind, r.shown_shape(row)) == ("softmax", "softmax", (10,))
    assert row.params == (84 + 1) * 10 == 850
    assert row.macs == 84 * 10
    assert cnncalc.analyze("input(84) -> softmax").rows[1].params == 0


def test_seed_001_last_row():
    r = cnncalc.analyze(SEED_001)
    assert (r.rows[-1].name, r.rows[-1].params, r.rows[-1].activation_size) == ("softmax", 850, 10)


# ---------------------------------------------------------------- the input


def test_input_flat_and_channels_last():
    r = cnncalc.analyze("input(1024) -> fc(10)")
    assert (r.shown_shape(r.rows[0]), r.rows[0].activation_size, r.rows[1].params) == ((1024,), 1024, 10_250)
    r = cnncalc.analyze("input(32,32,3) -> conv(8, f=5)")
    assert r.rows[0].output_shape == (3, 32, 32)  # channels first inside
    assert r.shown_shape(r.rows[0]) == (32, 32, 3)
    assert r.rows[0].activation_size == 3072
    assert cnncalc.analyze("input(32,32,3) -> conv(8, f=5)", layout="chw").shown_shape(r.rows[1]) == (8, 28, 28)


def test_input_written_channels_first():
    r = cnncalc.analyze("input(3, 32, 32, layout=chw) -> conv(8, f=5)")
    assert shapes(r) == [(32, 32, 3), (28, 28, 8)]


@pytest.mark.parametrize("shape", ["32,32,3", "32x32x3", "(32, 32, 3)", "32 32 3"])
def test_bare_input_with_the_input_option(shape: str):
    r = cnncalc.analyze("input -> conv(8, f=5)", input=shape)
    assert shapes(r) == [(32, 32, 3), (28, 28, 8)]
    r = cnncalc.analyze("conv(8, f=5)", input=shape)  # a chain without input starts from it
    assert shapes(r) == [(32, 32, 3), (28, 28, 8)]


def test_seed_003_bare_input_with_the_input_option():
    text = "FC = dense(bias=false)\ninput→FCwB(256)→Dropout(0.1)→FC(128)→tanh→Maxpool(3)→FC(3)→output"
    assert cnncalc.analyze(text, input="1024").totals.params == 295_294


# ---------------------------------------------------------------- SPEC through the CLI


def seed_001_totals(stdout: str) -> None:
    totals = "Total params: 62,958 (63.0 k, 245.9 KiB at float32); trainable 62,958, non-trainable 0; buffers: 0"
    assert totals in stdout


def test_cli_spec_as_text(cli):
    result = cli("summary", SEED_001)
    assert result.exit_code == 0, result.output
    seed_001_totals(result.stdout)


def test_cli_spec_as_a_file(cli, tmp_path: Path):
    path = tmp_path / "lenet.txt"
    path.write_text("# seed 001\n" + SEED_001.replace(" -> ", "\n  -> ") + "\n", encoding="utf-8")
    result = cli("summary", str(path))
    assert result.exit_code == 0, result.output
    seed_001_totals(result.stdout)
    no_suffix = tmp_path / "lenet"
    no_suffix.write_text(SEED_001, encoding="utf-8")
    result = cli("summary", str(no_suffix))
    assert result.exit_code == 0, result.output
    seed_001_totals(result.stdout)


def test_cli_spec_from_stdin(cli):
    result = cli("summary", "-", input=SEED_001 + "\n")
    assert result.exit_code == 0, result.output
    seed_001_totals(result.stdout)


def test_cli_bare_input_with_the_input_option(cli):
    result = cli("summary", "conv(8, f=5) -> pool(2)", "--input", "32,32,3", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [
        "1,input,input,32x32x3,3072,0,0,0,0,0",
        # (5·5·3 + 1)·8 = 608; MACs 8·75·28·28 = 470,400; FLOPs 2·MACs
        "2,conv,conv,28x28x8,6272,608,608,0,470400,940800",
        # 14·14·8 = 1,568 outputs, 1 FLOP each under seed
        "3,pool,maxpool,14x14x8,1568,0,0,0,0,1568",
    ]


def test_input_shape_as_a_keyword():
    """input(shape=...) is input(...): (8 − 3)/1 + 1 = 6 on each axis; fc(10) on 32 inputs has (32 + 1)·10 = 330."""
    r = cnncalc.analyze("input(shape=(8, 8, 3)) -> conv(4, f=3)")
    assert r.shown_shape(r.rows[1]) == (6, 6, 4)
    assert cnncalc.analyze("input(shape=32) -> fc(10)").totals.params == 330
