"""The page's grading, exercise and window calls (web/src/bridge.py), run here by CPython."""

from __future__ import annotations

import importlib.util
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import cnncalc
from cnncalc import quiz

BRIDGE = Path(__file__).resolve().parents[2] / "web" / "src" / "bridge.py"


@pytest.fixture(scope="module")
def bridge():
    spec = importlib.util.spec_from_file_location("cnncalc_page_bridge_teach", BRIDGE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_grade_marks_every_graded_cell_in_its_place(bridge):
    spec = "input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)"
    text = (
        "| Layer | Output shape | Params |\n|---|---|---|\n| conv | (28, 28, 8) | 608 |\n| pool | (14, 14, 8) | 0 |\n"
    )
    text += "| fc | (10,) | 15,691 |\n"
    answer = json.loads(bridge.grade(json.dumps({"table": text, "spec": spec})))
    expected = cnncalc.check(text, spec)
    assert answer["ok"] and (answer["right"], answer["wrong"]) == (expected.right, expected.wrong) == (5, 1)
    marks = [[m and m["ok"] for m in row["marks"]] for row in answer["rows"]]
    assert marks == [[None, True, True], [None, True, True], [None, True, False]]  # the labels are not graded
    wrong = answer["rows"][2]["marks"][2]
    assert wrong["expected"] == "15,690"  # (14·14·8 + 1)·10
    assert wrong["why"] == "params = (1568 + 1)·10 = 15,690"  # explain's line


def test_grade_uses_the_network_an_exercise_carries(bridge):
    ex = quiz.exercise(level=1, seed=3, ask="params")
    answer = json.loads(
        bridge.grade(json.dumps({"table": quiz.render(ex, "csv", key=True), "spec": "input(4) -> fc(2)"}))
    )
    assert answer["ok"] and answer["wrong"] == 0 and answer["spec"] == ex.spec


def test_grade_says_what_is_wrong_with_the_table(bridge):
    answer = json.loads(bridge.grade(json.dumps({"table": "a,b\n1,2,3\n", "spec": "input(4) -> fc(2)"})))
    assert not answer["ok"] and "row 1 has 3 cells" in answer["error"]["text"]


def test_exercise_is_the_quiz_of_the_editors_network(bridge):
    spec = "input(8,8,3) -> conv(4, f=3)"
    answer = json.loads(bridge.exercise(json.dumps({"spec": spec, "ask": "params,macs"})))
    assert answer["text"] == quiz.render(quiz.exercise(spec, ask="params,macs"), "markdown")
    bad = json.loads(bridge.exercise(json.dumps({"spec": spec, "ask": "weights"})))
    assert not bad["ok"] and "weights" in bad["error"]["text"]


def test_window_gives_every_position_of_a_rows_window(bridge):
    bridge.analyze(json.dumps({"spec": "input(9,9,1) -> conv(1, f=3, s=2, p=1, d=2) -> relu"}))
    answer = json.loads(bridge.window(json.dumps({"index": 2, "axis": "H"})))
    assert answer["axes"] == ["H", "W"] and answer["axis"] == "H" and answer["positions"] == 4
    root = ET.fromstring(answer["svg"])
    assert root.get("data-axis") == "H" and root.get("data-out") == "4"
    assert json.loads(bridge.window(json.dumps({"index": 3})))["ok"] is False  # relu slides no window
