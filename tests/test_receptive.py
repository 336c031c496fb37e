"""Receptive field against published figures, and its json and columns."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

import cnncalc

# AlexNet (Krizhevsky et al. 2012; the one-tower torchvision layout): conv5 sees 163×163, pool5 195×195
ALEXNET = (
    "input(227,227,3) -> conv(96, f=11, s=4) -> relu -> maxpool(3, s=2) -> conv(256, f=5, p=2) -> relu"
    " -> maxpool(3, s=2) -> conv(384, f=3, p=1) -> relu -> conv(384, f=3, p=1) -> relu"
    " -> CONV5(256, f=3, p=1) -> relu -> POOL5(3, s=2) -> flatten -> fc(4096)"
)
# VGG-16 (Simonyan & Zisserman 2014): conv5_3 sees 196×196, pool5 212×212
VGG16 = (
    "input(224,224,3) -> [conv(64, f=3, p=1) -> relu] * 2 -> maxpool(2) -> [conv(128, f=3, p=1) -> relu] * 2"
    " -> maxpool(2) -> [conv(256, f=3, p=1) -> relu] * 3 -> maxpool(2) -> [conv(512, f=3, p=1) -> relu] * 3"
    " -> maxpool(2) -> [conv(512, f=3, p=1) -> relu] * 2 -> CONV53(512, f=3, p=1) -> relu -> POOL5(2)"
    " -> fc(4096)"
)


def by_name(r: cnncalc.Report, name: str) -> cnncalc.Row:
    return next(row for row in r.rows if row.name == name)


def test_alexnet_published_figures():
    r = cnncalc.analyze(ALEXNET)
    # 11 → +2·4 = 19 → +4·8 = 51 → +2·8 = 67 → +2·16 = 99 → 131 → 163 → +2·16 = 195
    assert by_name(r, "CONV5").receptive_field.size == (163, 163)
    assert by_name(r, "POOL5").receptive_field.size == (195, 195)
    assert by_name(r, "POOL5").receptive_field.jump == (32, 32)  # 4·2·2·2
    assert by_name(r, "fc").receptive_field is None


def test_vgg16_published_figures():
    r = cnncalc.analyze(VGG16)
    assert by_name(r, "CONV53").receptive_field.size == (196, 196)
    assert by_name(r, "POOL5").receptive_field.size == (212, 212)
    assert by_name(r, "POOL5").receptive_field.jump == (32, 32)


def test_start_with_padding_by_hand():
    # conv f=3 p=1: start 0 + (1 − 1)·1 = 0; pool 2: 0 + (0.5 − 0)·1 = 0.5; conv f=3 s=2: 0.5 + (1 − 0)·2 = 2.5
    r = cnncalc.analyze("input(16,16,1) -> conv(2, f=3, p=1) -> maxpool(2) -> conv(2, f=3, s=2)")
    assert [row.receptive_field.start for row in r.rows] == [(0, 0), (0, 0), (0.5, 0.5), (2.5, 2.5)]
    assert r.rows[-1].receptive_field.size == (8, 8)  # 3 → 4 → 4 + 2·2 = 8


def test_json_per_axis_and_null(cli):
    out = cli("summary", "input(16,16,1) -> conv(2, f=(3,5), s=(1,2)) -> fc(3)", "--format", "json")
    layers = json.loads(out.stdout)["layers"]
    assert layers[1]["receptive_field"] == {"size": [3, 5], "jump": [1, 2], "start": [1, 2]}
    assert layers[0]["receptive_field"] == {"size": 1, "jump": 1, "start": 0}
    assert layers[2]["receptive_field"] is None


def test_columns_option(cli):
    out = cli("summary", ALEXNET, "--columns", "name,rf,rf_jump", "--format", "csv")
    lines = out.stdout.splitlines()
    assert lines[0] == "name,rf,rf_jump"
    assert "CONV5,163,16" in lines and "POOL5,195,32" in lines
    bad = cli("summary", ALEXNET, "--columns", "name,colour")
    assert bad.exit_code == 2 and "unknown column 'colour'" in bad.stderr
    default = cli("summary", "input(4) -> fc(2)")
    assert "Output shape" in default.stdout and "RF" not in default.stdout


def _reach(layers: list[tuple[int, int, int, int]], position: int) -> tuple[int, int]:
    """The first and last input positions (padding included) an output position reads through ``layers``
    (kernel, stride, padding, dilation), by following the indices back one layer at a time."""
    low = high = position
    for k, s, p, d in reversed(layers):
        low, high = low * s - p, high * s - p + d * (k - 1)
    return low, high


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2)), min_size=1, max_size=5
    )
)
def test_the_field_is_where_the_outputs_read_the_input(layers):
    n, text, used = 64, "input(64, 64, 1)", []
    for k, s, p, d in layers:
        span = d * (k - 1) + 1
        if p >= span or (n + 2 * p - span) // s + 1 < 2:  # a valid layer with two outputs or more
            continue
        n = (n + 2 * p - span) // s + 1
        text += f" -> conv(1, f={k}, s={s}, p={p}, d={d})"
        used.append((k, s, p, d))
    row = cnncalc.analyze(text).rows[-1]
    (first, last), (second, _) = _reach(used, 0), _reach(used, 1)
    if not used:
        assert row.receptive_field.size == (1, 1)
        return
    assert row.receptive_field.size == (last - first + 1,) * 2
    assert row.receptive_field.jump == (second - first,) * 2
    assert row.receptive_field.start == ((first + last) / 2,) * 2
