"""YAML, JSON, the notation and the Python API describe the same network and give identical Reports."""

from __future__ import annotations

import json

import pytest
import yaml

import cnncalc
from cnncalc.errors import CnnCalcError, ShapeError, SpecError, UnknownLayerError
from cnncalc.frontends.spec import from_dict, load, loads

NOTATION = """
x = input(16, 16, 3)
stem = x -> conv(8, f=3, p=1, bias=false) -> bn -> relu
a = stem -> conv(8, f=1)
b = stem -> conv(4, f=3, p=1) -> relu
m = concat(a, b)
c = m -> conv(8, f=1)
add(c, stem) -> gap -> fc(10)
"""

YAML = """
name: branchy
layers:
  - {kind: input, args: [16, 16, 3], name: x}
  - {kind: conv, args: [8], f: 3, p: 1, bias: false}
  - bn
  - {kind: relu, name: stem}
  - {kind: conv, args: [8], f: 1, inputs: stem, name: a}
  - {kind: conv, args: [4], f: 3, p: 1, inputs: [stem]}
  - {kind: relu, name: b}
  - {kind: concat, inputs: [a, b], name: m}
  - {kind: conv, args: [8], f: 1, name: c}
  - {kind: add, inputs: [c, stem]}
  - gap
  - {kind: fc, args: [10]}
"""


def python_api() -> cnncalc.Net:
    net = cnncalc.Net()
    net.input(16, 16, 3, name="x")
    net.conv(8, f=3, p=1, bias=False)
    net.bn()
    stem = net.relu(name="stem")
    a = net.conv(8, f=1, after=stem, name="a")
    net.conv(4, f=3, p=1, after=stem)
    b = net.relu(name="b")
    m = net.concat(a, b, name="m")
    c = net.conv(8, f=1, after=m, name="c")
    net.add(c, stem)
    net.gap()
    net.fc(10)
    return net


def test_four_forms_give_identical_reports():
    reports = {
        "notation": cnncalc.analyze(NOTATION),
        "yaml": cnncalc.analyze(loads(YAML)),
        "json": cnncalc.analyze(loads(json.dumps(yaml.safe_load(YAML)), fmt="json")),
        "python": python_api().analyze(),
    }
    first = reports["notation"]
    for form, r in reports.items():
        assert r.to_dict() == first.to_dict(), form
        assert r.rows == first.rows, form  # every field, worked steps and sources included
    # hand counts: stem conv 3·3·3·8 = 216, bn 2·8 = 16, a (8+1)·8 = 72, b (3·3·8+1)·4 = 292,
    # c (12+1)·8 = 104, fc (8+1)·10 = 90
    assert first.totals.params == 216 + 16 + 72 + 292 + 104 + 90
    rows = {row.node_id: row for row in first.rows}
    assert rows["m"].inputs == ("a", "b") and first.shown_shape(rows["m"]) == (16, 16, 12)
    assert rows["add"].inputs == ("c", "stem")


def test_cli_reads_yaml_and_json(cli, tmp_path):
    y = tmp_path / "net.yaml"
    y.write_text(YAML)
    j = tmp_path / "net.json"
    j.write_text(json.dumps(yaml.safe_load(YAML)))
    ry, rj = cli("summary", str(y), "--format", "json"), cli("summary", str(j), "--format", "json")
    assert ry.exit_code == 0 and rj.exit_code == 0
    assert json.loads(ry.stdout) == json.loads(rj.stdout)
    assert json.loads(ry.stdout)["totals"]["params"] == 790


@pytest.mark.parametrize(
    ("spec", "error", "words"),
    [
        ({"layers": [{"kind": "conv"}], "inptu": [3]}, SpecError, "unknown field 'inptu'"),
        ({"input": [4, 4, 3]}, SpecError, "'layers'"),
        ({"input": [4, 4, 3], "layers": [{"args": [3]}]}, SpecError, "layer 1: missing 'kind'"),
        (
            {"input": [4, 4, 3], "layers": [{"kind": "conv", "args": [3], "f": 1, "inputs": ["nope"]}]},
            SpecError,
            "reads 'nope'",
        ),
        ({"input": [4, 4, 3], "layers": [{"kind": "convv", "args": [3]}]}, UnknownLayerError, "did you mean conv"),
        ({"input": "big", "layers": ["relu"]}, SpecError, "'input' must be a list"),
        ({"input": [4, 4, 3], "layers": [{"kind": "relu", "name": "relu"}]}, SpecError, "is a layer name"),
        (
            {"input": [4, 4, 3], "layers": [{"kind": "conv", "args": [3], "f": {"a": 1}}]},
            SpecError,
            "layer 1 (conv) 'f'",
        ),
        ({"input": [4, 4, 3], "layers": [42]}, SpecError, "layer 1: a layer is a mapping"),
    ],
)
def test_spec_errors_name_the_field_or_node(spec, error, words):
    with pytest.raises(error) as e:
        from_dict(spec)
    assert words in str(e.value)


def test_spec_shape_and_argument_errors_name_the_layer():
    spec = {
        "input": [4, 4, 3],
        "layers": [{"kind": "conv", "args": [5], "f": 1, "name": "y"}, {"kind": "add", "inputs": ["input", "y"]}],
    }
    with pytest.raises(ShapeError) as e:
        cnncalc.analyze(from_dict(spec))
    assert e.value.layer_index == 3 and "(4, 4, 3)" in str(e.value) and "(4, 4, 5)" in str(e.value)
    spec = {"input": [4, 4, 3], "layers": [{"kind": "conv", "args": [5], "fx": 1}]}
    with pytest.raises(CnnCalcError) as e:
        cnncalc.analyze(from_dict(spec))
    assert e.value.layer_index == 2 and "'fx'" in str(e.value)


def test_bad_yaml_text_is_a_spec_error_with_a_line():
    with pytest.raises(SpecError) as e:
        loads("layers:\n  - {kind: conv\n")
    assert e.value.line is not None


def test_net_api_example_from_the_issue():
    net = cnncalc.Net(input=(224, 224, 3))
    x = net.conv(64, 7, s=2, p=3)
    z = net.conv(64, 1, after=x)
    net.add(x, z)
    r = net.analyze()
    assert r.shown_shape(r.rows[1]) == (112, 112, 64)  # floor((224 + 6 − 7)/2) + 1
    assert r.rows[-1].inputs == ("conv", "conv_2")
    with pytest.raises(AttributeError):
        net.convolutionz  # noqa: B018


def test_cli_spec_errors_exit_2_with_the_field(cli, tmp_path):
    y = tmp_path / "bad.yaml"
    y.write_text("input: [8, 8, 3]\nlayers:\n  - {kind: conv, args: [4], f: 3}\n  - {kind: add, inputs: [nope]}\n")
    out = cli("summary", str(y))
    assert out.exit_code == 2
    assert "layer 2 (add)" in out.stderr and "'nope'" in out.stderr


def test_net_errors_name_the_node():
    net = cnncalc.Net(input=(8, 8, 3))
    with pytest.raises(SpecError, match="reads 'ghost'"):
        net.conv(4, f=1, after="ghost")
    with pytest.raises(UnknownLayerError, match="did you mean"):
        net.layer("convolutoin", 4)
    net.conv(5, f=1, name="a")
    net.add("a", "input")
    with pytest.raises(ShapeError) as e:
        net.analyze()
    assert "(8, 8, 5)" in str(e.value) and "(8, 8, 3)" in str(e.value) and "add(a, input)" in str(e.value)


def test_a_spec_title_names_the_report(tmp_path, cli):
    """docs/spec.md: a spec's ``name:`` (or ``title:``) is the report's title, above the table."""
    path = tmp_path / "tiny.yaml"
    path.write_text("name: tiny net\ninput: [8, 8, 3]\nlayers:\n  - {kind: conv, args: [4], f: 3}\n", encoding="utf-8")
    assert cnncalc.analyze(load(path)).title == "tiny net"
    result = cli("summary", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.lstrip().startswith("tiny net")
