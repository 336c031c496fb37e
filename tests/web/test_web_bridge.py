"""The page's bridge into cnncalc (web/src/bridge.py), run here by CPython: it packs cnncalc's own answers."""

from __future__ import annotations

import doctest
import gc
import importlib.util
import json
from pathlib import Path

import pytest

import cnncalc
from cnncalc import zoo
from cnncalc.render import cell
from cnncalc.render.plot import layer_bars

BRIDGE = Path(__file__).resolve().parents[2] / "web" / "src" / "bridge.py"
SEED_001 = (
    "input(32,32,3) -> CONV1(8, f=5, s=1) -> POOL1(2) -> CONV2(16, f=5, s=1) -> POOL2(2)"
    " -> FC3(120) -> FC4(84) -> softmax(10)"
)


@pytest.fixture(scope="module")
def bridge():
    spec = importlib.util.spec_from_file_location("cnncalc_page_bridge", BRIDGE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def call(bridge, name: str, **request) -> dict:
    return json.loads(getattr(bridge, name)(json.dumps(request)))


def column(answer: dict, title: str) -> list[str]:
    i = answer["headers"].index(title)
    return [row["cells"][i] for row in answer["rows"]]


def test_its_examples_hold(bridge):
    assert doctest.testmod(bridge).failed == 0


def test_seed_001_as_the_page_shows_it(bridge):
    answer = call(bridge, "analyze", spec=SEED_001)
    assert answer["ok"]
    assert column(answer, "Params") == ["0", "608", "0", "3,216", "0", "48,120", "10,164", "850"]  # seed 001
    assert answer["totals"][answer["headers"].index("Params")] == "62,958"
    report = cnncalc.analyze(SEED_001)
    for row, shown in zip(report.rows, answer["rows"]):
        assert shown["cells"] == [cell(report, row, c) for c in answer["columns"]]
    bars = layer_bars(report)
    assert answer["chart"]["flops"] == list(bars.flops)
    assert answer["chart"]["activation_bytes"] == list(bars.activation_bytes)


def test_the_options_reach_cnncalc(bridge):
    matmul = call(bridge, "analyze", spec=SEED_001, flops="matmul")
    assert matmul["totals"][matmul["headers"].index("FLOPs")] == "1,698,640"  # 2·849,320 MACs
    chw = call(bridge, "analyze", spec=SEED_001, layout="chw", batch="2")
    assert column(chw, "Output shape")[1] == "(8, 28, 28)"
    assert column(chw, "MACs")[1] == "940,800"  # 470,400 per image, batch 2
    fp16 = call(bridge, "analyze", spec=SEED_001, dtype="float16")
    assert fp16["chart"]["activation_bytes"][1] == 6272 * 2


def test_a_graphs_node_columns_come_after_the_numbers(bridge):
    answer = call(bridge, "analyze", spec="x = input(8,8,3)\ny = x -> conv(3, f=3, p=1)\nadd(x, y) -> gap -> fc(2)")
    assert answer["columns"][-2:] == ["node_id", "inputs"]
    assert answer["columns"][:3] == ["index", "name", "output_shape"]


def test_a_zoo_file_runs_with_its_declared_arguments(bridge):
    answer = call(bridge, "analyze", spec=zoo.model("resnet50").text)
    assert answer["totals"][answer["headers"].index("Params")] == "25,557,032"  # torchvision's resnet50
    ten = call(bridge, "analyze", spec=zoo.model("resnet50").text.replace("classes=1000", "classes=10"))
    assert ten["totals"][ten["headers"].index("Params")] == f"{25_557_032 - 2048 * 990 - 990:,}"


def test_errors_are_located_with_a_caret(bridge):
    typo = call(bridge, "analyze", spec="input(32,32,3) -> cnov(8, f=5)")
    assert not typo["ok"]
    assert typo["error"]["text"].startswith("line 1, column 19: unknown layer 'cnov'; did you mean conv")
    assert typo["error"]["context"].splitlines()[1].index("^") == 2 + 18
    shape = call(bridge, "analyze", spec="x = input(32,32,3)\ny = x -> conv(16, f=50)\ny -> fc(2)")
    assert shape["error"]["text"].startswith("layer 2 conv(16, f=50): kernel 50 is larger than the padded input 32")
    assert (shape["error"]["line"], shape["error"]["column"]) == (2, 10)
    assert shape["error"]["context"] == "  y = x -> conv(16, f=50)\n           ^"
    assert not call(bridge, "analyze", spec="")["ok"]
    assert "whole number" in call(bridge, "analyze", spec=SEED_001, batch="x")["error"]["text"]
    assert "positive" in call(bridge, "analyze", spec=SEED_001, batch="0")["error"]["text"]


def test_explain_and_downloads_follow_the_last_table(bridge):
    call(bridge, "analyze", spec=SEED_001, flops="all")
    worked = call(bridge, "explain", index=2)
    assert worked["title"] == "2. CONV1 (conv) — CONV1(8, f=5, s=1)"
    assert "params = (5·5·3 + 1)·8 = 608" in worked["steps"]
    report = cnncalc.analyze(SEED_001, flops="all")
    assert call(bridge, "download", format="csv")["text"] == report.to_csv()
    assert call(bridge, "download", format="json")["text"] == report.to_json()
    assert call(bridge, "download", format="markdown")["text"] == report.to_markdown()
    assert call(bridge, "download", format="pdf")["error"]["text"].startswith("the download format must be one of")
    assert call(bridge, "explain", index=99)["error"]["text"] == "the table has no row 99"


def test_the_presets_are_the_zoo(bridge):
    presets = json.loads(bridge.presets())
    assert [p["name"] for p in presets] == zoo.names()
    for p in presets:
        model = zoo.model(p["name"])
        if "length" not in model.defaults:
            assert p["text"] == model.text and p["dtype"] is None
            continue
        # a language model as it is served: 4,096 positions in bfloat16, the zoo's text otherwise
        assert p["dtype"] == "bfloat16"
        length = f"length={model.defaults['length']}"
        assert p["text"] == model.text.replace(length, "length=4096", 1)
        report = cnncalc.analyze(p["text"], dtype="bfloat16")
        assert report.rows[0].output_shape == (4096,)


def test_training_and_units_are_the_clis(bridge):
    answer = call(bridge, "analyze", spec=SEED_001, train="1", optimizer="sgd", freeze="CONV1", units="auto")
    expected = cnncalc.analyze(SEED_001, train=True, optimizer="sgd", freeze=("CONV1",))
    assert answer["training"] == json.loads(expected.to_json())["totals"]["training"]
    from cnncalc.render import short

    assert column(answer, "Backward FLOPs") == [short(r.backward_flops) for r in expected.rows]  # in auto units
    assert answer["totals"][answer["headers"].index("FLOPs")] == "1.70 M"  # 1,700,608


def test_warming_up_runs_resnet50_and_forgets_it(bridge):
    try:
        assert json.loads(bridge.warm(json.dumps({"times": 1}))) == {"times": 1}
    finally:
        gc.unfreeze()  # warm() freezes what the page keeps; give this test process its collector back
    answer = call(bridge, "download", format="csv")  # no table until the page asks for one
    assert not answer["ok"] and answer["error"]["text"] == "there is no table yet: write a network first"


# ---------------------------------------------------------------- every error reaches the page as one message


@pytest.mark.parametrize(
    ("request_", "says"),
    [
        ({"spec": SEED_001, "batch": "nan"}, "the batch must be a whole number (got 'nan')"),
        ({"spec": SEED_001, "batch": "inf"}, "the batch must be a whole number (got 'inf')"),
        ({"spec": SEED_001, "batch": "٣"}, "the batch must be a whole number written with the digits 0-9"),
        ({"spec": SEED_001, "batch": "2.5"}, "the batch must be a whole number (got '2.5')"),
        ({"spec": SEED_001, "batch": "9" * 40}, "the batch has 40 digits, more than the 30"),
        ({"spec": SEED_001, "flops": "fast"}, "unknown flops convention 'fast' (choose seed, matmul, all)"),
        ({"spec": SEED_001, "dtype": 7}, "the dtype must be one of the menu's choices (got '7')"),
        ({"spec": 5}, "the spec must be text"),
        # a mistake in the spec is the spec's message, never the batch's (it said "the batch must be a whole
        # number (got '1')" before) and never a traceback
        ({"spec": "input(8) -> fc(nan)", "batch": "1"}, "fc(nan)"),
        ({"spec": "input(8) -> fc(1e400)", "batch": "1"}, "the number 1e400 is too large"),
    ],
)
def test_every_mistake_is_one_message_in_the_users_words(bridge, request_, says):
    from support.hostile import python_words

    answer = call(bridge, "analyze", **request_)
    assert not answer["ok"] and says in answer["error"]["text"], answer
    assert "\n" not in answer["error"]["text"] and not python_words(json.dumps(answer))


def test_the_page_counts_layers_before_it_analyses(bridge, monkeypatch):
    chain = "input(8) -> " + " -> ".join(["fc(8)"] * 12)  # 13 layers
    monkeypatch.setenv("CNNCALC_LIMIT_PAGE_LAYERS", "10")
    answer = call(bridge, "analyze", spec=chain)
    assert answer["error"]["text"].startswith("this network has 13 layers or more, over the limit of 10 (page_layers)")
    assert "the command line up to 250,000: cnncalc summary" in answer["error"]["text"]
    repeated = call(bridge, "analyze", spec="input(8) -> [fc(8)] * 12")  # two arrows, thirteen layers once parsed
    assert repeated["error"]["text"].startswith("this network has 13 layers, over the limit of 10 (page_layers)")
    monkeypatch.setenv("CNNCALC_LIMIT_PAGE_LAYERS", "13")
    assert call(bridge, "analyze", spec=chain)["ok"]


def test_anything_else_is_one_short_line(bridge, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("units")

    monkeypatch.setattr(bridge.cnncalc, "analyze", broken)
    answer = call(bridge, "analyze", spec=SEED_001)
    assert answer == {
        "ok": False,
        "error": {
            "text": "internal error: cnncalc could not answer this; please report it with the spec that caused it",
            "context": "",
        },
    }
