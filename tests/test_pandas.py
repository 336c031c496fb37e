"""Report.to_pandas(): one row per layer, the JSON keys as columns, the same raw numbers as the JSON rows."""

from __future__ import annotations

import json
import math
import sys

import pytest

import cnncalc
from cnncalc import zoo
from cnncalc.errors import SpecError

pd = pytest.importorskip("pandas")

SEED_001 = (
    "input(32,32,3) -> CONV1(8, f=5, s=1) -> POOL1(2) -> CONV2(16, f=5, s=1) -> POOL2(2)"
    " -> FC3(120) -> FC4(84) -> softmax(10)"
)
RESIDUAL = """
x = input(32, 32, 3)
y = x -> conv(3, f=3, p=1) -> bn -> relu
add(x, y) -> gap -> fc(10)
"""


def same_as_json(df, report: cnncalc.Report) -> None:
    rows = json.loads(report.to_json())["layers"]
    assert list(df.columns) == list(rows[0])
    assert len(df) == len(rows)
    for got, want in zip(df.to_dict("records"), rows):
        for key, value in want.items():
            if value is None and isinstance(got[key], float):
                assert math.isnan(got[key]), key  # a missing intensity is NaN in the frame, null in JSON
            else:
                assert got[key] == value, (key, got[key], value)


@pytest.mark.parametrize("spec", [SEED_001, RESIDUAL], ids=["seed001", "residual"])
def test_the_frame_equals_the_json_rows(spec: str):
    report = cnncalc.analyze(spec, flops="all", batch=2)
    same_as_json(report.to_pandas(), report)


def test_resnet50_frame_equals_its_json_rows():
    report = zoo.analyze("resnet50")
    df = report.to_pandas()
    same_as_json(df, report)
    assert df["params"].sum() == 25_557_032  # torchvision's resnet50


def test_numbers_stay_exact_integers():
    df = cnncalc.analyze(SEED_001).to_pandas()
    for column in ("index", "activation_size", "params", "trainable_params", "buffers", "macs", "flops"):
        assert str(df[column].dtype) == "int64", column
    assert df["params"].tolist() == [0, 608, 0, 3216, 0, 48120, 10164, 850]  # seed 001's table
    assert df["intensity"].dtype == "float64"


def test_totals_and_conventions_ride_in_attrs():
    report = cnncalc.analyze(SEED_001, dtype="float16")
    df = report.to_pandas()
    data = json.loads(report.to_json())
    assert df.attrs["totals"] == data["totals"]
    assert df.attrs["totals"]["params"] == 62_958  # seed 001
    assert (df.attrs["convention"], df.attrs["layout"], df.attrs["batch"], df.attrs["dtype"]) == (
        "seed",
        "hwc",
        1,
        "float16",
    )


def test_without_pandas_it_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(SpecError, match=r"cnncalc\[pandas\]"):
        cnncalc.analyze(SEED_001).to_pandas()
