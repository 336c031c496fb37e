"""The user's own code (a model file, its class, its forward) runs as the user's: its prints go to standard error,
its exits, interrupts and odd exceptions become one clear UserCodeError naming what ran and the line, and the
messages keep the user's words without Python's exception names."""

from __future__ import annotations

import json
import os
import signal
import sys

import pytest

torch = pytest.importorskip("torch")
from support.hostile import python_words, run_guarded  # noqa: E402
from torch import nn  # noqa: E402

import cnncalc  # noqa: E402
from cnncalc.errors import CnnCalcError, SpecError, UserCodeError  # noqa: E402
from cnncalc.frontends.torch import load_model  # noqa: E402

CHATTY = """\
import torch
print("import says hi")


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        print("init says hi")
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, x):
        print("forward says hi")
        return self.fc(x)
"""


def test_a_models_prints_go_to_stderr_and_json_stays_valid(tmp_path):
    (tmp_path / "model.py").write_text(CHATTY, encoding="utf-8")
    args = ("summary", "model.py:Net", "--input", "2,4", "--format", "json")
    outcome = run_guarded(args, cwd=tmp_path, named=["model.py"])
    assert outcome.code == 0, str(outcome)
    data = json.loads(outcome.stdout)  # standard output is the report alone
    assert data["totals"]["params"] == 4 * 3 + 3
    assert all(f"{where} says hi" in outcome.stderr for where in ("import", "init", "forward"))


class Exits(nn.Module):
    def __init__(self, code=3):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.code = code
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        sys.exit(self.code)


@pytest.mark.parametrize("code", [0, 3])
def test_sys_exit_in_a_forward_is_a_user_code_error_naming_the_line_and_runs_once(code):
    model = Exits(code)
    with pytest.raises(UserCodeError) as info:
        cnncalc.from_torch(model, (1, 4))
    text = str(info.value)
    assert text.startswith("the forward of Exits stopped at test_torch_user_code.py:")
    assert text.endswith(f"(sys.exit(self.code)): it called sys.exit({code})")
    assert isinstance(info.value, CnnCalcError) and isinstance(info.value, RuntimeError)
    assert model.calls == 1  # not tried again another way: the same code would exit the same way


def test_an_interrupt_in_a_forward_says_it_was_interrupted():
    class Interrupted(nn.Module):
        def forward(self, x):
            os.kill(os.getpid(), signal.SIGINT)
            return x

    with pytest.raises(UserCodeError, match=r"the forward of Interrupted was interrupted at test_torch_user_code\.py"):
        cnncalc.from_torch(Interrupted(), (1, 4))


def test_a_base_exception_of_the_users_is_named_with_its_message():
    class Halt(BaseException):
        pass

    class Halts(nn.Module):
        def forward(self, x):
            raise Halt("the model halts")

    with pytest.raises(UserCodeError, match=r"stopped at .*: Halt: the model halts$"):
        cnncalc.from_torch(Halts(), (1, 4))


def test_a_forward_error_keeps_the_users_message_without_pythons_names():
    class Divides(nn.Module):
        def forward(self, x):
            return x / (1 // 0)

    with pytest.raises(CnnCalcError) as info:
        cnncalc.from_torch(Divides(), (1, 4))
    text = str(info.value)
    assert "integer division or modulo by zero" in text and "Divides" in text
    assert not python_words(text), text


def test_cnncalcs_own_error_raised_in_a_forward_passes_through():
    class Refuses(nn.Module):
        def forward(self, x):
            raise SpecError("the model refuses this input")

    with pytest.raises(SpecError, match="^the model refuses this input$"):
        cnncalc.from_torch(Refuses(), (1, 4))


def test_a_forwards_prints_go_to_stderr_in_python_too(capsys):
    class Chatty(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            print("shape", tuple(x.shape))
            return self.fc(x)

    cnncalc.from_torch(Chatty(), (1, 4))
    out, err = capsys.readouterr()
    assert out == "" and "shape (1, 4)" in err


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("import torch\nx = 1 / 0\n", r"importing .*m\.py failed at m\.py:2 \(x = 1 / 0\): division by zero$"),
        (
            "import sys\nsys.exit(4)\n",
            r"importing .*m\.py stopped at m\.py:2 \(sys\.exit\(4\)\): it called sys\.exit\(4\)",
        ),
        ("class Broken(:\n", r"m\.py is not valid Python: invalid syntax"),
        (
            "import torch\nclass Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            "        self.width = [][3]\n",
            r"building Net\(\) failed at m\.py:5 \(self\.width = \[\]\[3\]\): list index out of range$",
        ),
    ],
    ids=["error", "exit", "syntax", "init"],
)
def test_a_model_file_that_fails_says_where_in_words(tmp_path, text, says):
    path = tmp_path / "m.py"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CnnCalcError, match=says) as info:
        load_model(f"{path}:Net")
    assert not python_words(str(info.value)), str(info.value)


def test_a_model_file_leaves_no_cached_bytecode_beside_it(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(
        "import torch\nclass Net(torch.nn.Linear):\n    def __init__(self):\n        super().__init__(2, 2)\n"
    )
    assert isinstance(load_model(f"{path}:Net"), nn.Linear)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py"]
