"""Reading JSON and YAML documents within the limits: every cost counted before it is paid, every mistake named."""

from __future__ import annotations

import json
import math

import pytest
from support.hostile import python_words

from cnncalc import limits
from cnncalc.documents import Fields, check_nesting, checked, load_json, load_yaml, read_bytes, read_text, shown
from cnncalc.errors import LimitError, SpecError
from cnncalc.numbers import Digits


def laughs(levels: int, width: int = 9) -> str:
    """A billion-laughs YAML: each level an anchored list of ``width`` aliases of the level below."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def sizes(levels: int, width: int = 9) -> list[int]:
    """The values of each level of :func:`laughs` once every alias is expanded, counted by hand.

    Level 0 is a list of ``width`` scalars: 1 + width values. Level i is a list of ``width`` copies of level i−1:
    1 + width·size(i−1).
    """
    out = [1 + width]
    for _ in range(levels):
        out.append(1 + width * out[-1])
    return out


def expanded(levels: int, width: int = 9) -> int:
    """The whole document: a mapping (1) of ``levels + 1`` keys (1 each) and their lists."""
    return 1 + (levels + 1) + sum(sizes(levels, width))


def test_a_billion_laughs_is_counted_before_it_is_expanded():
    text = laughs(9)  # 9^10 ≈ 3.5 billion 'lol's from 540 bytes
    assert len(text) < 600
    first = next(n for n in sizes(9) if n > 1_000_000)  # the first list past the limit is where it stops: 5,380,840
    with pytest.raises(LimitError, match=f"expand to {first:,} values, over the limit of 1,000,000") as e:
        load_yaml(text, "spec.yaml")
    assert e.value.limit == "yaml_nodes" and "CNNCALC_LIMIT_YAML_NODES" in str(e.value)
    assert e.value.line == 7  # l6, the first level that holds more than a million values


def test_aliases_within_the_limit_are_read_as_written():
    data = load_yaml(laughs(2, 3), "spec.yaml")
    assert data["l2"] == [[["lol"] * 3] * 3] * 3
    with limits.raised(yaml_nodes=expanded(2, 3)):  # the count is exact: at the limit, accepted
        load_yaml(laughs(2, 3), "spec.yaml")
    with limits.raised(yaml_nodes=expanded(2, 3) - 1), pytest.raises(LimitError):
        load_yaml(laughs(2, 3), "spec.yaml")


def test_an_alias_that_holds_itself_is_refused():
    with pytest.raises(SpecError, match="holds the alias itself"):
        load_yaml("a: &a [1, *a]\n", "spec.yaml")


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # flow style
        "".join("  " * i + "- \n" for i in range(150)),  # block style
        "a: &a " + "[" * 90 + "1" + "]" * 90 + "\nb: " + "[" * 50 + "*a" + "]" * 50 + "\n",  # through an alias
    ],
    ids=["flow", "block", "alias"],
)
def test_deep_yaml_is_refused_at_the_nesting_limit(text):
    with pytest.raises(LimitError, match=r"levels deep, over the limit of 100 \(nesting\)"):
        load_yaml(text, "spec.yaml")


def test_deep_json_is_refused_with_its_depth():
    with pytest.raises(LimitError, match=r"nests values 100,000 levels deep, over the limit of 100 \(nesting\)"):
        load_json("[" * 100_000 + "]" * 100_000, "config.json")
    with pytest.raises(LimitError, match="101 levels deep"):
        load_json("[" * 101 + "]" * 101, "config.json")
    assert load_json("[" * 100 + "]" * 100, "config.json")  # at the limit: read
    with pytest.raises(LimitError, match="levels deep"):  # Python data that holds itself is infinitely deep
        loop: list = []
        loop.append(loop)
        check_nesting(loop, "the data")


@pytest.mark.parametrize(
    ("load", "text", "line"),
    [
        (load_yaml, "name: a\nlayers: []\nname: b\n", 3),
        (load_yaml, "layers:\n  - {kind: fc, units: 4, units: 5}\n", 2),
        (load_json, '{"name": "a", "layers": [], "name": "b"}', None),
        (load_json, '{"layers": [{"kind": "fc", "units": 4, "units": 5}]}', None),
    ],
)
def test_a_key_given_twice_is_named_never_silently_replaced(load, text, line):
    with pytest.raises(SpecError, match="given twice in one mapping") as e:
        load(text, "spec")
    key = "name" if "name: b" in text or '"b"' in text else "units"
    assert f"'{key}'" in str(e.value)
    assert e.value.line == line


def test_a_yaml_merge_key_may_be_overridden():
    data = load_yaml("base: &b {f: 3, s: 1}\nconv:\n  <<: *b\n  s: 2\n", "spec.yaml")
    assert data["conv"] == {"f": 3, "s": 2}


@pytest.mark.parametrize("load", [load_json, load_yaml])
def test_a_number_too_long_to_convert_is_kept_for_its_field_to_refuse(load):
    data = load('{"units": ' + "9" * 100_000 + "}", "spec")  # Python's int() refuses past 4,300 digits
    assert isinstance(data["units"], Digits)
    with pytest.raises(SpecError, match="'units' has 100000 digits, more than the 30 a number may have"):
        Fields(data, "layer 1 (fc)").whole("units")


def test_json_nan_and_infinity_reach_the_field_and_are_refused_there():
    data = load_json('{"rate": NaN, "units": 1e400, "size": -Infinity}', "config.json")
    f = Fields(data, "config.json")
    with pytest.raises(SpecError, match="'rate' must be a finite number \\(got NaN\\)"):
        f.number("rate")
    with pytest.raises(SpecError, match="'units' must be a whole number \\(got Infinity\\)"):
        f.whole("units")
    with pytest.raises(SpecError, match="'size' must be a finite number"):
        checked(data["size"], "'size'")
    assert math.isinf(data["units"])


def test_fields_name_what_is_wrong():
    f = Fields({"units": "10", "bias": 1, "kernel": [3, "x"], "hidden": -4, "act": 5}, "Keras layer d (Dense)")
    cases = {
        lambda: f.whole("units"): "'units' must be a whole number (got '10')",
        lambda: f.flag("bias"): "'bias' must be true or false (got 1)",
        lambda: f.wholes("kernel"): "'kernel' must be a whole number (got 'x')",
        lambda: f.whole("hidden"): "'hidden' must be positive (got -4)",
        lambda: f.word("act"): "'act' must be text (got 5)",
        lambda: f.whole("filters"): "'filters' is missing",
        lambda: f.fields("units"): "'units' must be a mapping",
    }
    for read, says in cases.items():
        with pytest.raises(SpecError) as e:
            read()
        assert str(e.value).startswith("Keras layer d (Dense): ") and says in str(e.value), str(e.value)
        assert not python_words(str(e.value))
    with pytest.raises(SpecError, match="must be a mapping of fields \\(got a list"):
        Fields([1, 2], "config.json")


def test_shown_values_stay_short_whatever_their_size():
    assert shown("x" * 1000).endswith("...") and len(shown("x" * 1000)) <= 40
    assert shown(Digits("9" * 5000)) == "a number of 5,000 digits"
    assert shown(10**5000).startswith("a number of about 5,001 digits")  # str() of it would raise
    assert shown([[[[1]]]]) == "[[[...]]]"


def test_a_file_is_measured_before_it_is_read(tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2000)
    with limits.raised(file_bytes=1000), pytest.raises(LimitError, match="is 2,000 bytes, over the limit of 1,000"):
        read_bytes(big)
    with pytest.raises(SpecError, match="no such file"):
        read_bytes(tmp_path / "missing.json")
    with pytest.raises(SpecError, match="is a folder"):
        read_bytes(tmp_path)
    with pytest.raises(SpecError, match="no such file"):
        read_bytes(str(tmp_path / "a\x00b"))
    (tmp_path / "bin.yaml").write_bytes(b"layers: \xff\xfe")
    with pytest.raises(SpecError, match="is not a text file \\(a byte that is not UTF-8 at byte 8\\)"):
        read_text(tmp_path / "bin.yaml")
    (tmp_path / "bom.json").write_bytes("\ufeff".encode() + json.dumps({"a": 1}).encode())
    assert load_json(read_bytes(tmp_path / "bom.json"), "bom.json") == {"a": 1}
