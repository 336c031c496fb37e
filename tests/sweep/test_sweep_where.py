"""``--where``: a condition over a row's columns, read without eval; anything else is refused before a point runs."""

from __future__ import annotations

import pytest

from cnncalc.errors import ArgumentError
from cnncalc.sweep.where import Condition

COLUMNS = {"params", "flops", "width", "act", "memory.peak_activation_bytes", "training.flops"}
ROW = {
    "params": 4_000_000,
    "flops": 3e9,
    "width": 64,
    "act": "relu",
    "memory.peak_activation_bytes": 2**20,
    "training.flops": 9e9,
}


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("params < 5e6 and flops < 4e9", True),
        ("params < 5e6 and flops < 1e9", False),
        ("params > 5e6 or width == 64", True),
        ("not params < 5e6", False),
        ("1e6 < params <= 4_000_000", True),
        ("act == 'relu'", True),
        ("act in ('gelu', 'silu')", False),
        ("width not in [16, 32]", True),
        ("memory.peak_activation_bytes < 2**21", True),
        ("training.flops / flops == 3", True),
        ("max(params, flops) >= 3e9", True),
        ("abs(width - 100) < 40", True),
        ("params % 2 == 0 and params // 1000 == 4000", True),
        ("-width < 0", True),
    ],
)
def test_conditions(text, kept):
    assert Condition.read(text, COLUMNS)(ROW) is kept


def test_a_point_without_a_value_is_left_out():
    failed = {"width": 64, "act": "relu", "params": None, "flops": None}
    assert Condition.read("params < 5e6", COLUMNS)(failed) is False
    assert Condition.read("width == 64 or params < 5e6", COLUMNS)(failed) is True


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("__import__('os').system('true')", "call of __import__"),
        ("open('x')", "call of open"),
        ("params.__class__", "unknown column 'params.__class__'"),
        ("(lambda: 1)()", "not allowed"),
        ("[p for p in params]", "not allowed"),
        ("parms < 5", "unknown column 'parms'.*did you mean params"),
        ("params is None", "not 'is'"),
        ("params < ", "not a condition"),
        ("(" * 300 + "1" + ")" * 300, "not a condition|nests"),
        ("params " + "+ 1 " * 100 + "> 0", "nests"),
        ("x" * 3000, "characters long"),
        ("params @ flops", "operator"),
        ("f'{params}'", "not allowed"),
        ("params < 1e999", "not finite"),
        ("", "empty"),
    ],
)
def test_anything_else_is_refused(text, says):
    with pytest.raises(ArgumentError, match=says):
        Condition.read(text, COLUMNS)


def test_a_power_too_large_is_refused_not_computed():
    cond = Condition.read("params < 10**10**10", COLUMNS)
    with pytest.raises(ArgumentError, match="too large"):
        cond(ROW)
    assert Condition.read("params < 2**64", COLUMNS)(ROW) is True


def test_a_value_is_not_a_condition():
    with pytest.raises(ArgumentError, match="a condition"):
        Condition.read("params + 1", COLUMNS)(ROW)


def test_it_travels_as_its_text():
    import pickle

    cond = Condition.read("params < 5e6", COLUMNS)
    again = pickle.loads(pickle.dumps(cond))
    assert again(ROW) is True and again.text == cond.text
