"""A YAML/JSON spec and the Python API: numbers checked where they enter, every mistake named in the user's words."""

from __future__ import annotations

import pytest
from support.hostile import python_words

import cnncalc
from cnncalc.errors import CnnCalcError, SpecError
from cnncalc.frontends.spec import from_dict, loads


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("input: [8]\nlayers:\n  - {kind: dropout, p: .nan}\n", "layer 1 \\(dropout\\): 'p' must be a finite number"),
        ("input: [8]\nlayers:\n  - {kind: fc, args: [.inf]}\n", "layer 1 \\(fc\\): argument 1 must be a finite number"),
        ("input: [8]\nlayers:\n  - {kind: fc, args: [" + "9" * 5000 + "]}\n", "argument 1 has 5000 digits"),
        ("input: [8, .nan]\nlayers: [relu]\n", "'input' must be a finite number"),
        ("input: [8]\nlayers:\n  - {kind: fc, args: [4], name: a, name: b}\n", "'name' is given twice"),
        ("input: [8]\nlayers: [relu]\nlayers: [tanh]\n", "'layers' is given twice"),
        ("", "is empty"),
        ("- relu\n- tanh\n", "must be a mapping with 'layers' \\(got a list\\)"),
        ("layers: relu\n", "'layers' must be a non-empty list of layers \\(got text\\)"),
        ("input: [8]\nlayers:\n  - {kind: fc, args: [4], when: 2020-01-01}\n", "a value is a number, text"),
        ("input: [8]\nlayers:\n  - [fc, 4]\n", "a layer is a mapping with 'kind'"),
    ],
)
def test_a_spec_mistake_is_named(text, says):
    with pytest.raises(CnnCalcError, match=says) as e:
        loads(text)
    assert not python_words(str(e.value))


def test_json_specs_are_held_to_the_same():
    with pytest.raises(SpecError, match="'units' is given twice"):
        loads('{"input": [8], "layers": [{"kind": "fc", "units": 4, "units": 5}]}', fmt="json")
    with pytest.raises(CnnCalcError, match="argument 1 must be a finite number \\(got NaN\\)"):
        loads('{"input": [8], "layers": [{"kind": "fc", "args": [NaN]}]}', fmt="json")


@pytest.mark.parametrize(
    ("build", "says"),
    [
        (lambda n: n.fc(float("nan")), "fc: argument 1 must be a finite number"),
        (lambda n: n.dropout(p=float("inf")), "dropout: 'p' must be a finite number"),
        (lambda n: n.fc(10**40), "fc: argument 1 has 41 digits"),
        (lambda n: n.conv(8, f=(3, float("nan"))), "conv: 'f' must be a finite number"),
    ],
)
def test_python_values_are_checked_where_they_enter(build, says):
    net = cnncalc.Net(input=(8, 8, 3))
    with pytest.raises(CnnCalcError, match=says):
        build(net)


@pytest.mark.parametrize("shape", ["٣,3", "nan", (8.5, 3), (True,), 10**40])
def test_an_input_shape_is_whole_numbers_written_with_0_to_9(shape):
    with pytest.raises(SpecError) as e:
        cnncalc.Net(input=shape)
    assert not python_words(str(e.value))


def test_a_spec_given_as_python_data_is_checked_as_a_file_is():
    deep: dict = {"layers": ["relu"], "name": "x"}
    loop: list = []
    loop.append(loop)
    deep["input"] = loop
    with pytest.raises(CnnCalcError, match="nesting"):
        from_dict(deep)
    with pytest.raises(SpecError, match="is empty"):
        from_dict(None)
