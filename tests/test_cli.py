"""The command line's basics: version, help, width, pipes, messages that say what was meant."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app

GOLDEN = Path(__file__).parent / "golden"
SEED_001 = (
    "input(32,32,3) -> CONV1(8, f=5, s=1) -> POOL1(2) -> CONV2(16, f=5, s=1) -> POOL2(2)"
    " -> FC3(120) -> FC4(84) -> softmax(10)"
)


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(cli, flag):
    result = cli(flag)
    assert result.exit_code == 0
    assert result.stdout == f"cnncalc {importlib.metadata.version('cnncalc')}\n"
    assert cnncalc.__version__ == importlib.metadata.version("cnncalc")


@pytest.mark.parametrize("args", [["-h"], ["summary", "-h"], ["check", "-h"], ["kinds", "-h"]])
def test_short_help(cli, args):
    result = cli(*args)
    assert result.exit_code == 0 and result.stdout.startswith("Usage: cnncalc")
    assert result.stdout == cli(*args[:-1], "--help").stdout


def test_the_table_follows_columns():
    # $COLUMNS is what a terminal exports; at 60 the shapes wrap after their commas, numbers stay whole
    result = CliRunner().invoke(app, ["summary", SEED_001, "--box"], env={"COLUMNS": "60"})
    assert result.exit_code == 0
    assert result.stdout == (GOLDEN / "seed_001.table60.txt").read_text(encoding="utf-8")
    assert "│ 1 │ input   │ (32,   │" in result.stdout


def test_a_narrow_plain_table_wraps_shapes_at_commas():
    result = CliRunner().invoke(app, ["summary", SEED_001], env={"COLUMNS": "50"})
    lines = result.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(" 1 "))
    assert lines[first].split()[:3] == ["1", "input", "(32,"] and lines[first + 1].split() == ["32,", "3)"]
    assert "┃" not in result.stdout and "│" not in result.stdout  # plain in a pipe
    assert "1,700,608" in result.stdout  # the FLOPs total, never cut


def test_zoo_descriptions_are_whole():
    text = " ".join(cli_line.strip() for cli_line in CliRunner().invoke(app, ["zoo"]).stdout.splitlines())
    # googlenet's description runs over two comment lines of its file; the list showed only the first
    assert 'no auxiliary classifiers at inference, and (like torchvision) a 3x3 conv in the "5x5" branch.' in text
    assert "so it adds no parameters and is left out here)." in text  # gpt2's


def test_a_short_repr():
    r = cnncalc.analyze(SEED_001)
    # params 608 + 3,216 + 48,120 + 10,164 + 850; MACs and FLOPs as seed 001's table
    assert repr(r) == "<Report 8 layers: params 62,958, MACs 849,320, FLOPs 1,700,608 (seed), hwc, batch 1>"


@pytest.mark.parametrize(
    ("option", "value", "choices"),
    [
        ("--flops", "fast", "seed, matmul, all"),
        ("--format", "yaml", "table, markdown, csv, json"),
        ("--layout", "whc", "hwc, chw"),
        ("--dtype", "float8", "float32, float16, bfloat16, int8"),
    ],
)
def test_a_wrong_choice_names_the_choices(cli, option, value, choices):
    result = cli("summary", "input(4) -> fc(2)", option, value)
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.stderr
    assert f"'{value}' is not one of {choices}\n" in result.stderr
    assert "Value error" not in result.stderr


def test_choices_take_any_case(cli):
    assert cli("summary", "input(4) -> fc(2)", "--flops", "MatMul", "--format", "JSON").exit_code == 0


def test_a_two_number_input_before_a_conv_says_it_read_a_sequence(cli):
    result = cli("summary", "conv(8, f=3)", "--input", "32,32")
    assert result.exit_code == 0
    assert (
        "note: --input 32,32 has two numbers, read as a sequence of 32 positions of 32 features (L, d), "
        "so conv works on one axis; for a 32x32 image with one channel give --input 32,32,1"
    ) in result.stderr
    assert "note" not in cli("summary", "conv(8, f=3)", "--input", "32,32,1").stderr
    assert "note" not in cli("summary", "lstm(8)", "--input", "10,32").stderr  # a sequence meant as one


def test_a_zero_stride_says_stride(cli):
    result = cli("summary", "input(32,32,3) -> conv(8, f=3, s=0)")
    assert result.exit_code == 2
    assert "'s' must be positive whole numbers (got 0); 's' is the stride" in result.stderr


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("net.cnn", "input(4) -> fc(2)\n"),
        ("net.yaml", "input: [4]\nlayers:\n  - {kind: fc, args: 2}\n"),
        ("net.json", '{"input": [4], "layers": [{"kind": "fc", "args": 2}]}'),
    ],
)
def test_a_spec_file_with_a_byte_order_mark(cli, tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())  # as Notepad saves UTF-8
    result = cli("summary", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert '"params": 10' in result.stdout  # (4 + 1)·2


# What a summary of the notation, printed to a pipe, needs none of (benchmarks/startup.py times its start-up):
# the other commands, the other front-ends, training, LoRA, quantization, language-model and run figures,
# rich's console and table (the plain table is drawn without them), pydantic (typer 0.29's option parsing),
# importlib.resources.
NOT_FOR_A_SUMMARY = (
    "cnncalc.check",
    "cnncalc.explain",
    "cnncalc.zoo",
    "cnncalc.written",
    "cnncalc.kinds",
    "cnncalc.web",
    "cnncalc.frontends.net",
    "cnncalc.frontends.spec",
    "cnncalc.frontends.torch",
    "cnncalc.training",
    "cnncalc.budget",
    "cnncalc.hardware",
    "cnncalc.llm",
    "cnncalc.lora",
    "cnncalc.quantize",
    "cnncalc.inputs",
    "cnncalc.render.json",
    "cnncalc.report_extras",
    "rich.console",
    "rich.table",
    "pydantic",
    "yaml",
    "json",
    "importlib.resources",  # the grammar is read beside notation/parser.py
    "lark",  # a well-formed text is read by hand; lark reads only a text with a mistake, to say what it is
    "cnncalc.notation.parser",
    "torch",
    "numpy",
)


def summary_in_a_pipe(tmp_path: Path, text: str, then: str) -> subprocess.CompletedProcess:
    """``cnncalc summary`` of ``text`` in a fresh process, its output to a pipe; ``then`` runs after it, in the
    same process, with ``code`` (its exit code) and ``sys`` at hand."""
    spec = tmp_path / "net.cnn"
    spec.write_text(text, encoding="utf-8")
    code = (
        "import sys\n"
        f"sys.argv = ['cnncalc', 'summary', {str(spec)!r}]\n"
        "import cnncalc.cli\n"
        "try:\n    cnncalc.cli.main()\n    code = 0\nexcept SystemExit as e:\n    code = e.code\n" + then
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_a_summary_in_a_pipe_imports_only_what_it_uses(tmp_path):
    text = "input(32,32,3) -> CONV1(8, f=5) -> POOL1(2) -> FC3(120) -> softmax(10)\n"
    then = f"loaded = [m for m in {NOT_FOR_A_SUMMARY!r} if m in sys.modules]\nprint('loaded:', loaded)\n"
    done = summary_in_a_pipe(tmp_path, text, then)
    assert done.returncode == 0, done.stderr
    assert "Total params: " in done.stdout and "━" not in done.stdout  # the plain table
    assert done.stdout.endswith("loaded: []\n")


def test_a_text_with_a_mistake_is_read_by_lark_and_the_mistake_placed(tmp_path):
    text = "input(32,32,3) -> conv(8, f=5 -> pool(2)\n"
    done = summary_in_a_pipe(tmp_path, text, "print('exit', code, 'lark' in sys.modules)\n")
    assert done.stdout.split() == ["exit", "2", "True"]
    assert "line 1, column 31: unexpected '->'" in done.stderr and "^" in done.stderr


def test_import_cnncalc_imports_nothing_until_a_name_is_used():
    code = "import sys, cnncalc\nprint(sorted(m for m in sys.modules if m.startswith('cnncalc')))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout == "['cnncalc']\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["summary", "input(4) -> fc(2)"],
        ["summary", "--help"],
        ["summary"],
        ["summary", "input(4) -> fc(2)", "--flops", "fast"],
        ["kinds", "lstm"],
        ["summry", "input(4) -> fc(2)"],
        ["--version"],
        [],
    ],
)
def test_the_console_script_answers_as_the_whole_app(monkeypatch, capsys, argv):
    # main() builds only the command it runs; what it prints and its exit code are the whole app's
    from cnncalc import cli

    def run(entry) -> tuple[object, str, str]:
        monkeypatch.setattr(sys, "argv", ["cnncalc", *argv])
        with pytest.raises(SystemExit) as done:
            entry()
        out, err = capsys.readouterr()
        return done.value.code, out, err

    assert run(cli.main) == run(cli.app)


def test_a_table_in_a_pipe_is_drawn_whole_and_fits_a_terminal_when_told_its_width():
    # a pipe or a file has no width to fit: each layer stays on one line (for grep, awk, diff); $COLUMNS wraps it
    whole = CliRunner().invoke(app, ["zoo", "resnet50"], env={"COLUMNS": None})
    rows = json.loads(CliRunner().invoke(app, ["zoo", "resnet50", "--format", "json"]).stdout)["layers"]
    lines = whole.stdout.splitlines()
    numbered = [line for line in lines if line.split() and line.split()[0].isdigit()]
    assert [int(line.split()[0]) for line in numbered] == [r["index"] for r in rows]
    width = max(len(line) for line in numbered)
    assert width > 120  # wider than any default would allow
    narrow = CliRunner().invoke(app, ["zoo", "resnet50"], env={"COLUMNS": "100"}).stdout.splitlines()
    assert max(len(line) for line in narrow) < width and len(narrow) > len(lines)  # names and shapes wrap
