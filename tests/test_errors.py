"""Every user mistake of issue 3 item 7 is a CnnCalcError saying where and why; the CLI prints it and exits 2.

Where: line and column with a caret for the text, the layer's index and how it
was written for a layer that cannot be applied. Why: plain words naming the
value that is wrong. Never a traceback, never a silently wrong number.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cnncalc
from cnncalc import ArgumentError, CnnCalcError, NotationSyntaxError, ShapeError, SpecError, UnknownLayerError


def raises(cls: type[CnnCalcError], text: str, **kw: object) -> CnnCalcError:
    with pytest.raises(cls) as info:
        cnncalc.analyze(text, **kw)
    assert isinstance(info.value, CnnCalcError)
    return info.value


def caret_under(err: CnnCalcError, token: str) -> None:
    """The context shows the line and a caret under the first character of ``token``."""
    assert err.context is not None
    src, mark = err.context.split("\n")
    assert mark.strip() == "^"
    col = mark.index("^")
    assert src[col:].startswith(token), (src, col)
    assert col - 2 == err.column - 1  # both lines are indented by two spaces; columns are 1-based


# ---------------------------------------------------------------- syntax


def test_syntax_error_has_line_column_and_caret():
    e = raises(NotationSyntaxError, "input(8,8,3) -> conv(4 f=3)")
    assert (e.line, e.column) == (1, 24)
    caret_under(e, "f=3")
    assert "expected ')', ','" in e.message
    assert str(e).startswith("line 1, column 24: unexpected 'f'")


def test_syntax_error_on_a_later_line():
    e = raises(NotationSyntaxError, "input(8,8,3)\n-> conv(4, f=3) -> -> relu")
    assert (e.line, e.column) == (2, 20)
    caret_under(e, "-> relu")
    assert "a layer name" in e.message


def test_syntax_error_at_the_end():
    e = raises(NotationSyntaxError, "input(8,8,3) -> conv(4, f=3) ->")
    assert e.message.startswith("the text ends too early")
    assert (e.line, e.column) == (1, 32)


def test_unexpected_character():
    e = raises(NotationSyntaxError, "input(8,8,3) -> conv(4, f=3) $ relu")
    assert e.message == "unexpected character '$'"
    caret_under(e, "$ relu")
    assert "->" in (e.hint or "")


def test_positional_after_keyword():
    e = raises(NotationSyntaxError, "input(3) -> fc(units=2, 3)")
    assert "positional argument follows a keyword" in e.message
    caret_under(e, "fc(")


# ---------------------------------------------------------------- names and keywords


def test_unknown_layer_suggests_the_nearest():
    e = raises(UnknownLayerError, "input(8,8,3) -> cnv(4, f=3)")
    assert e.message == "unknown layer 'cnv'"
    assert e.hint is not None and e.hint.startswith("did you mean conv")
    assert (e.line, e.column) == (1, 17)
    caret_under(e, "cnv(")


def test_unknown_layer_on_its_own_line_keeps_the_place():
    e = raises(UnknownLayerError, "input(8,8,3)\n  -> CONV1(4, f=3)\n  -> poo(2)")
    assert (e.line, e.column) == (3, 6)
    assert "pool" in (e.hint or "")


def test_unknown_layer_with_no_near_name_points_to_kinds():
    e = raises(UnknownLayerError, "input(3) -> zzzzqqq")
    assert "cnncalc kinds" in (e.hint or "")


def test_unknown_keyword_suggests_the_nearest():
    e = raises(ArgumentError, "input(8,8,3) -> conv(4, f=3, stirde=2)")
    assert "conv has no argument 'stirde'" in e.message
    assert "stride" in e.message  # it lists what conv takes
    assert e.hint is not None and e.hint.startswith("did you mean stride")
    assert (e.layer_index, e.layer_name) == (2, "conv(4, f=3, stirde=2)")


def test_keyword_given_twice():
    e = raises(ArgumentError, "input(3) -> fc(2, units=3)")
    assert e.message == "'units' is given twice"


# ---------------------------------------------------------------- shapes


def test_kernel_larger_than_the_padded_input_names_the_axis():
    e = raises(ShapeError, "input(4,6,3) -> conv(4, f=(3,7))")
    assert e.message == "kernel 7 is larger than the padded input 6 on axis W"
    assert (e.layer_index, e.layer_name) == (2, "conv(4, f=(3, 7))")
    assert e.hint == "try p=1 or a smaller f"
    # the padded input counts the padding: 6 + 2·1 = 8 ≥ 7 is fine
    r = cnncalc.analyze("input(4,6,3) -> conv(4, f=(3,7), p=1)")
    assert r.shown_shape(r.rows[1]) == (4, 2, 4)  # H: 4 − 3 + 2 + 1 = 4; W: 6 − 7 + 2 + 1 = 2


def test_dilated_kernel_larger_than_the_input():
    e = raises(ShapeError, "input(6, 1) -> conv(1, f=3, d=3)")  # span 3·(3 − 1) + 1 = 7 > 6
    assert "kernel 3 (dilated to 7) is larger than the padded input 6 on axis L" in e.message


def test_pool_window_larger_than_the_input():
    e = raises(ShapeError, "input(3,3,1) -> maxpool(4)")
    assert e.message == "window 4 is larger than the padded input 3 on axis H"


@pytest.mark.parametrize(
    ("text", "word", "got"),
    [
        ("input(8,8,3) -> conv(0, f=3)", "filters", "0"),
        ("input(8,8,3) -> conv(-4, f=3)", "filters", "-4"),
        ("input(8,8,3) -> conv(4, f=0)", "f", "0"),
        ("input(8,8,3) -> conv(4, f=3, s=-1)", "s", "-1"),
        ("input(8,8,3) -> conv(4, f=3, g=0)", "g", "0"),
        ("input(8,8,3) -> fc(0)", "units", "0"),
        ("input(8,8,3) -> maxpool(0)", "window", "0"),
        ("input(8,8,3) -> adaptiveavgpool(0)", "output_size", "0"),
    ],
)
def test_zero_or_negative_sizes(text: str, word: str, got: str):
    e = raises(ArgumentError, text)
    assert e.message.startswith(f"'{word}' must be")
    assert "positive" in e.message and e.message.endswith(f"(got {got})")
    assert e.layer_index == 2


@pytest.mark.parametrize("text", ["input(0,8,3) -> relu", "input(8,-8,3) -> relu"])
def test_zero_or_negative_input_sizes(text: str):
    e = raises(ArgumentError, text)
    assert "input sizes must be positive whole numbers" in e.message
    assert e.layer_index == 1


def test_negative_padding():
    e = raises(ArgumentError, "input(8,8,3) -> conv(4, f=3, p=-1)")
    assert e.message.startswith("'p' must be whole numbers ≥ 0")


def test_output_of_size_zero_from_transposed_conv():
    e = raises(ShapeError, "input(1, 1) -> deconv(1, f=1, p=1)")  # (1 − 1)·1 − 2 + 0 + 0 + 1 = −1
    assert e.message == "the output on axis L would be -1"


def test_conv_on_a_flat_vector():
    e = raises(ShapeError, "input(8,8,3) -> flatten -> conv(4, f=3)")
    assert e.message == "conv needs an input with spatial axes, but it gets a flat vector of 192"
    assert e.hint == "put it before the flatten / fc layers"
    assert (e.layer_index, e.layer_name) == (3, "conv(4, f=3)")


@pytest.mark.parametrize("what", ["gap", "adaptiveavgpool(2)"])
def test_global_and_adaptive_pools_on_a_flat_vector(what: str):
    e = raises(ShapeError, f"input(10) -> {what}")
    assert "flat vector of 10" in e.message


def test_channels_not_divisible_by_groups():
    e = raises(ShapeError, "input(8,8,6) -> conv(4, f=3, groups=4)")
    assert e.message == "channels must be divisible by groups: 6 input and 4 output channels, groups=4"
    assert e.layer_index == 2


@pytest.mark.parametrize(
    ("text", "word", "got"),
    [
        ("input(8,8,3) -> conv(2.5, f=3)", "filters", "2.5"),
        ("input(8,8,3) -> conv(4, f=2.5)", "f", "2.5"),
        ("input(8,8,3) -> fc(10.0)", "units", "10.0"),
        ("input(8,8,3) -> maxpool(1.5)", "window", "1.5"),
        ("input(8,8,3) -> conv(4, f=3, s=1.5)", "s", "1.5"),
    ],
)
def test_non_integer_sizes(text: str, word: str, got: str):
    e = raises(ArgumentError, text)
    assert e.message.startswith(f"'{word}' must be")
    assert "whole number" in e.message and e.message.endswith(f"(got {got})")


def test_non_integer_input_size():
    e = raises(ArgumentError, "input(2.5)")
    assert "input sizes must be positive whole numbers (got 2.5)" in e.message
    # a whole number written with an exponent is that number, shown as such
    assert cnncalc.analyze("input(1e3)").rows[0].output_shape == (1000,)
    e = raises(ArgumentError, "input(-1e3)")
    assert "(got -1,000)" in e.message and "1000.0" not in str(e)


def test_input_in_the_middle_of_a_chain():
    e = raises(SpecError, "input(3) -> fc(2) -> input(3)")
    assert "can only start a chain" in e.message
    assert (e.line, e.column) == (1, 22)


def test_no_input_shape():
    e = raises(SpecError, "conv(4, f=3) -> relu")
    assert e.message == "the network needs an input shape"
    assert "--input" in (e.hint or "")


def test_repetition_of_zero():
    e = raises(SpecError, "input(8,8,3) -> [relu] * 0")
    assert e.message == "a repetition needs a count of at least 1 (got 0)"
    caret_under(e, "relu")


# ---------------------------------------------------------------- --input and files


@pytest.mark.parametrize("shape", ["8,x,3", "8,,3", "a,b", "3.5", "-1,3", "0", "", "()"])
def test_bad_input_option(shape: str):
    e = raises(SpecError, "conv(4, f=3)", input=shape)
    assert "input shape" in e.message


def test_input_given_twice_differently():
    e = raises(SpecError, "input(8,8,3) -> relu", input="9,9,3")
    assert "the input is given twice" in e.message


# ---------------------------------------------------------------- through the CLI


CLI_CASES = [
    ("input(8,8,3) -> conv(4 f=3)", [], "line 1, column 24: unexpected 'f'"),
    ("input(8,8,3) -> cnv(4, f=3)", [], "unknown layer 'cnv'; did you mean conv"),
    ("input(4,6,3) -> conv(4, f=(3,7))", [], "layer 2 conv(4, f=(3, 7)): kernel 7 is larger than the padded input 6"),
    ("input(8,8,3) -> conv(0, f=3)", [], "'filters' must be a positive whole number (got 0)"),
    ("input(8,8,3) -> flatten -> conv(4, f=3)", [], "conv needs an input with spatial axes"),
    ("input(8,8,6) -> conv(4, f=3, groups=4)", [], "channels must be divisible by groups"),
    ("input(8,8,3) -> conv(4, f=3, stirde=2)", [], "did you mean stride"),
    ("input(8,8,3) -> conv(2.5, f=3)", [], "'filters' must be a whole number (got 2.5)"),
    ("conv(4, f=3)", ["--input", "8,x,3"], "the input shape must be whole numbers"),
    ("no/such/net.txt", [], "no such file: no/such/net.txt"),
    ("missing.txt", [], "no such file: missing.txt"),
]


@pytest.mark.parametrize(("spec", "options", "expected"), CLI_CASES, ids=[c[2][:30] for c in CLI_CASES])
def test_cli_exits_2_with_the_message_on_stderr(cli, spec: str, options: list[str], expected: str):
    result = cli("summary", spec, *options)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert expected in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_syntax_error_shows_the_caret(cli):
    result = cli("summary", "input(8,8,3) -> conv(4 f=3)")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1:] == ["  input(8,8,3) -> conv(4 f=3)", "                         ^"]


def test_cli_file_that_is_not_text(cli, tmp_path: Path):
    path = tmp_path / "net.txt"
    path.write_bytes(b"input(3) -> \xff\xfe fc(2)")
    result = cli("summary", str(path))
    assert result.exit_code == 2
    assert "is not a text file" in result.stderr
    assert "Traceback" not in result.output


def test_cli_errors_in_a_file_keep_their_line(cli, tmp_path: Path):
    path = tmp_path / "net.txt"
    path.write_text("# my net\ninput(8,8,3)\n  -> conv(4, f=3)\n  -> poo(2)\n", encoding="utf-8")
    result = cli("summary", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: line 4, column 6: unknown layer 'poo'")


def test_cli_stdin_errors(cli):
    result = cli("summary", "-", input="input(8,8,3) -> conv(4, f=9)\n")
    assert result.exit_code == 2
    assert "kernel 9 is larger than the padded input 8 on axis H" in result.stderr


@pytest.mark.parametrize(
    "options",
    [["--batch", "0"], ["--flops", "nope"], ["--format", "xml"], ["--layout", "whc"]],
)
def test_cli_bad_options_exit_2(cli, options: list[str]):
    result = cli("summary", "input(8,8,3) -> relu", *options)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- a Graph built by hand


def test_graph_with_an_unknown_kind():
    from cnncalc.graph import Graph, Node

    g = Graph((Node("in", "input", "input", (3,)), Node("a", "denes", "denes", (2,), (), ("in",))))
    with pytest.raises(UnknownLayerError) as info:
        cnncalc.analyze(g)
    assert (info.value.layer_index, info.value.message) == (2, "unknown layer 'denes'")
    assert info.value.hint == "did you mean dense?"


def test_graph_reading_an_undefined_node_or_a_cycle():
    from cnncalc.graph import Graph, Node

    dangling = Graph((Node("in", "input", "input", (3,)), Node("a", "relu", "relu", (), (), ("nope",))))
    with pytest.raises(SpecError, match="node 'a' reads 'nope', which is not defined"):
        cnncalc.analyze(dangling)
    cycle = Graph(
        (
            Node("in", "input", "input", (3,)),
            Node("a", "relu", "relu", (), (), ("b",)),
            Node("b", "relu", "relu", (), (), ("a",)),
        )
    )
    with pytest.raises(SpecError, match="cycle"):
        cnncalc.analyze(cycle)


def test_caret_with_windows_line_ends_and_invisible_characters():
    e = raises(NotationSyntaxError, "input(3)\r\n-> relu $\r\n-> fc(2)")
    assert (e.line, e.column) == (2, 9)
    assert e.context == "  -> relu $\n          ^"
    e = raises(NotationSyntaxError, "input(3)\u2028-> relu")
    assert e.message == "unexpected character 'U+2028'"
