"""The Python API given the wrong types, options that do not apply, and inputs past their caps.

Every public name of ``cnncalc`` and every method of a Report is called with arguments of the wrong type: each
raises a CnnCalcError that is also a TypeError (a wrong type) or a ValueError (a wrong value), in the caller's
words (never "NoneType", "object has no attribute", a KeyError). Options that change nothing for the network
(a language model's --context on a CNN) are refused with the reason. The caps of cnncalc.limits are checked
before the cost is paid: the layers of an analysis, of a training analysis, of explain and of a plot.
"""

from __future__ import annotations

import json

import pytest
from support.hostile import python_words

import cnncalc
from cnncalc.errors import CnnCalcError, LimitError, WrongTypeError
from cnncalc.limits import raised

ARGS = "# args: w=4\ninput(8,8,3) -> conv(w, f=3) -> fc(10)"  # a network with an argument to sweep
SEED_001 = "input(32,32,3) -> conv(8, f=5) -> pool(2) -> conv(16, f=5) -> pool(2) -> fc(120) -> fc(84) -> softmax(10)"


@pytest.fixture(scope="module")
def report() -> cnncalc.Report:
    return cnncalc.analyze(SEED_001)


def refused(call, kind: type[Exception]) -> CnnCalcError:
    with pytest.raises(kind) as caught:
        call()
    assert isinstance(caught.value, CnnCalcError), repr(caught.value)
    assert not python_words(str(caught.value)), str(caught.value)
    return caught.value


WRONG_TYPES = {
    "analyze(None)": lambda: cnncalc.analyze(None),
    "analyze(5)": lambda: cnncalc.analyze(5),
    "analyze(b'...')": lambda: cnncalc.analyze(b"input(8) -> fc(2)"),
    "analyze(options='x')": lambda: cnncalc.analyze(SEED_001, options="x"),
    "analyze(batch='2')": lambda: cnncalc.analyze(SEED_001, batch="2"),
    "analyze(batch=2.0)": lambda: cnncalc.analyze(SEED_001, batch=2.0),
    "analyze(title=5)": lambda: cnncalc.analyze(SEED_001, title=5),
    "analyze(input=3.5)": lambda: cnncalc.analyze("input -> fc(2)", input=3.5),
    "analyze(freeze=5)": lambda: cnncalc.analyze(SEED_001, freeze=5),
    "parse(None)": lambda: cnncalc.parse(None),
    "parse_shape(None)": lambda: cnncalc.parse_shape(None),
    "parse_shape(True)": lambda: cnncalc.parse_shape(True),
    "parse_shape({})": lambda: cnncalc.parse_shape({"a": 1}),
    "check(None)": lambda: cnncalc.check(None, SEED_001),
    "check(3)": lambda: cnncalc.check(3, SEED_001),
    "check(input=3.5)": lambda: cnncalc.check("Layer,Params\nconv,608\n", SEED_001, input=3.5),
    "check(convention=5)": lambda: cnncalc.check("Layer,Params\nconv,608\n", SEED_001, convention=5),
    "sweep(None)": lambda: cnncalc.sweep(None, {"w": "1,2"}),
    "sweep(vary=3)": lambda: cnncalc.sweep(ARGS, 3),
    "sweep(set=['w=2'])": lambda: cnncalc.sweep(ARGS, {"w": "1,2"}, set=["w=2"]),
}


@pytest.mark.parametrize("call", WRONG_TYPES, ids=list(WRONG_TYPES))
def test_public_functions_refuse_wrong_types_as_type_errors(call):
    err = refused(WRONG_TYPES[call], TypeError)
    assert isinstance(err, WrongTypeError) and isinstance(err, ValueError)  # `except ValueError` catches it too


REPORT_CALLS = {
    "render(columns=('bogus',))": (lambda r: r.render(columns=("bogus",)), ValueError, "unknown column 'bogus'"),
    "render(columns=('name', 'name'))": (lambda r: r.render(columns=("name", "name")), ValueError, "twice"),
    "render(columns=3)": (lambda r: r.render(columns=3), TypeError, "'columns' must be"),
    "render('nope')": (lambda r: r.render("nope"), ValueError, "unknown format 'nope'"),
    "render(5)": (lambda r: r.render(5), TypeError, "'format' must be"),
    "render('json', columns=...)": (lambda r: r.render("json", columns=("name",)), ValueError, "takes no option"),
    "render(width=5)": (lambda r: r.render(width=5), ValueError, "at least 20"),
    "render(width='wide')": (lambda r: r.render(width="wide"), TypeError, "'width' must be"),
    "render(box=1)": (lambda r: r.render(box=1), TypeError, "'box' must be"),
    "render(bogus=1)": (lambda r: r.render(bogus=1), ValueError, "takes no option bogus"),
    "table(width=nan)": (lambda r: r.table(width=float("nan")), TypeError, "'width' must be"),
    "to_csv(columns=[1])": (lambda r: r.to_csv(columns=[1]), TypeError, "'columns' must be"),
    "to_markdown(columns=('x',))": (lambda r: r.to_markdown(columns=("x",)), ValueError, "unknown column"),
    "explain('pdf')": (lambda r: r.explain("pdf"), ValueError, "unknown explain format"),
    "plot(5)": (lambda r: r.plot(5), ValueError, "unknown plot kind"),
    "plot('layers', 5)": (lambda r: r.plot("layers", 5), TypeError, "'path' must be"),
    "plot('layers', log='yes')": (lambda r: r.plot("layers", log="yes"), TypeError, "'log' must be"),
    "plot('roofline', hardware=5)": (lambda r: r.plot("roofline", hardware=5), TypeError, "'hardware' must be"),
    "plot(peak=inf)": (
        lambda r: r.plot("roofline", peak_tflops=float("inf"), bandwidth_gbs=1),
        ValueError,
        "the peak must be a finite number",
    ),
    "plot(bandwidth='nan')": (
        lambda r: r.plot("roofline", peak_tflops=1, bandwidth_gbs="nan"),
        ValueError,
        "the bandwidth must be a finite number",
    ),
    "shown_shape(3)": (lambda r: r.shown_shape(3), TypeError, "'row' must be"),
}


@pytest.mark.parametrize("call", REPORT_CALLS, ids=list(REPORT_CALLS))
def test_report_methods_refuse_wrong_arguments(report, call):
    fn, kind, says = REPORT_CALLS[call]
    pytest.importorskip("matplotlib") if "plot" in call else None
    assert says in str(refused(lambda: fn(report), kind))


def test_net_methods():
    net = cnncalc.Net(input=(8, 8, 3))
    refused(lambda: net.layer(5), ValueError)
    refused(lambda: net.conv(4, 3, name=5), ValueError)
    refused(lambda: net.conv(4, 3, after=5), ValueError)
    refused(lambda: net.analyze(batch="2"), TypeError)
    refused(lambda: cnncalc.Net(input=None).analyze(), ValueError)
    refused(lambda: cnncalc.Net(input="nan,3"), ValueError)
    err = refused(lambda: net.cnov(3), AttributeError)  # a layer method no kind has: hasattr() stays False
    assert "did you mean conv" in str(err) and not hasattr(net, "cnov")


def test_input_shapes_read_as_numbers_are_read():
    assert cnncalc.parse_shape("32x32x3") == (32, 32, 3) == cnncalc.parse_shape((32.0, 32, 3))
    for bad in ("٣,3", "nan,3", "inf", "8.5,3", "8,,3", "9" * 5000, [10**40]):
        refused(lambda bad=bad: cnncalc.parse_shape(bad), ValueError)


# ---------------------------------------------------------------- options that do not apply


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"context": 8192}, "--context applies to a language model's serving figures"),
        ({"quantization": "int4"}, "--quantize applies to a language model's serving figures"),
        ({"scores": "causal"}, "--scores causal halves a causal attention's scores"),
    ],
)
def test_language_model_options_on_a_cnn_are_refused(given, says):
    assert says in str(refused(lambda: cnncalc.analyze(SEED_001, **given), ValueError))


def test_language_model_options_on_a_decoder_apply():
    r = cnncalc.analyze(
        "input(16) -> embedding(100, 32) -> decoder(4, 64, causal=true) -> fc(100)", context=64, quantization="int4"
    )
    assert r.llm is not None and r.llm.context == 64 and r.llm.quantization == "int4"


@pytest.mark.parametrize(
    ("source", "given", "says"),
    [
        (SEED_001, {"kwargs": {"use_cache": False}}, "--kwarg goes to a PyTorch model's forward"),
        (SEED_001, {"dtypes": "int64"}, "--input-dtype sets a PyTorch model's input dtype"),
        ({"input": [8], "layers": [{"kind": "fc", "args": [2]}]}, {"input": (8,)}, "--input is not for a spec"),
    ],
)
def test_model_options_on_the_notation_or_a_spec_are_refused(source, given, says):
    from cnncalc.api import load

    assert says in str(refused(lambda: load(source, **given), ValueError))


def test_lora_alpha_and_rank_are_numbers():
    from cnncalc.lora import parse_lora

    for text, says in (("r=8,alpha=nan,targets=q", "alpha must be a finite number"), ("r=٣,targets=q", "0-9")):
        assert says in str(refused(lambda text=text: parse_lora(text), ValueError))


# ---------------------------------------------------------------- caps, before the cost is paid


def chain(n: int) -> str:
    return "input(16) -> " + " -> ".join(["fc(16)"] * (n - 1))


def test_every_analysis_is_capped_in_layers_before_any_is_parsed(monkeypatch):
    import cnncalc.api

    real, parsed = cnncalc.api._parse_notation, []
    monkeypatch.setattr(cnncalc.api, "_parse_notation", lambda *a, **k: parsed.append(1) or real(*a, **k))
    with raised(layers=100):
        err = refused(lambda: cnncalc.analyze(chain(150)), LimitError)
        assert "the text joins 150 layers or more, over the limit of 100 (layers)" in str(err) and not parsed
    graph = cnncalc.parse(chain(150))
    assert parsed
    with raised(layers=100):
        err = refused(lambda: cnncalc.analyze(graph), LimitError)
        assert "the network has 150 layers, over the limit of 100 (layers)" in str(err)


def test_training_and_explain_have_caps_of_their_own():
    with raised(train_layers=10):
        err = refused(lambda: cnncalc.analyze(chain(12), train=True), LimitError)
        assert "over the limit of 10 (train_layers); raise it with CNNCALC_LIMIT_TRAIN_LAYERS=N" in str(err)
        assert cnncalc.analyze(chain(12)).totals.params == 11 * (16 * 16 + 16)  # without --train: no cap
    with raised(explain_layers=10):
        r = cnncalc.analyze(chain(12))
        assert "(explain_layers)" in str(refused(lambda: r.explain(), LimitError))


def test_a_plot_is_capped_and_its_cost_grows_with_its_layers_not_their_square():
    pytest.importorskip("matplotlib")
    from cnncalc.render.plot import LABELLED

    with raised(plot_layers=50):
        assert "(plot_layers)" in str(refused(lambda: cnncalc.analyze(chain(60)).plot("layers"), LimitError))
    fig = cnncalc.analyze(chain(1_000)).plot("layers")
    # a thousand layers: one collection of bars per series, at most LABELLED names on the axis, a bounded height
    assert len(fig.axes[0].get_yticklabels()) <= LABELLED and not fig.axes[0].patches
    assert fig.get_size_inches()[1] <= 1.6 + 0.24 * LABELLED
    assert len(fig.axes[0].collections) == 1 and len(fig.axes[1].collections) == 2


def test_the_json_of_a_long_network_is_written_a_layer_at_a_time():
    from cnncalc.render.json import as_dict, chunks

    r = cnncalc.analyze(chain(50), train=True)
    pieces = list(chunks(r))
    assert len(pieces) == len(r.rows) + 2  # the head, a piece per layer, the tail
    assert "".join(pieces) == json.dumps(as_dict(r), indent=2, ensure_ascii=False) + "\n" == r.to_json()


@pytest.mark.parametrize(
    ("source", "given", "says"),
    [
        (ARGS, ["--kwarg", "use_cache=false"], "--kwarg goes to a PyTorch model's forward"),
        (ARGS, ["--input-dtype", "int64"], "--input-dtype sets a PyTorch model's input dtype"),
        (ARGS, ["--input", "x=8,8,3"], "the notation takes one input shape"),
        ("config.json", ["--kwarg", "use_cache=false"], "a config.json takes no --kwarg"),
        ("config.json", ["--input-dtype", "int32"], "a config.json takes no input dtype"),
        ("config.json", ["--input", "x=1,8"], "a config.json's model has one input, input_ids"),
    ],
)
def test_model_options_with_set_are_refused_as_without_it(cli, tmp_path, monkeypatch, source, given, says):
    # `--set NAME=VALUE` reads the spec as a sweep's point: the options that do nothing for it are refused there too
    import shutil
    from pathlib import Path

    monkeypatch.chdir(tmp_path)
    shutil.copy(Path(__file__).parent / "data" / "hf" / "llama3_8b.json", "config.json")
    fixed = "w=8" if source == ARGS else "num_hidden_layers=2"
    for setting in ([], ["--set", fixed]):
        out = cli("summary", source, *setting, *given)
        assert out.exit_code == 2 and says in out.stderr, (setting, out.stderr)


def test_a_sweep_refuses_model_options_that_do_nothing(cli, tmp_path):
    pytest.importorskip("pandas")
    said = str(refused(lambda: cnncalc.sweep("zoo:resnet18", {"classes": "2,3"}, input="1,3,64,64"), ValueError))
    assert said.startswith("--input is not for a zoo model (zoo:resnet18): it gives its own input")
    for given, says in (
        (["zoo:resnet18", "--kwarg", "use_cache=false"], "--kwarg goes to a PyTorch model's forward"),
        ([ARGS, "--input-dtype", "int64"], "--input-dtype sets a PyTorch model's input dtype"),
    ):
        out = cli("sweep", *given, "--vary", "classes=2,3" if "zoo" in given[0] else "w=2,3", "-o", str(tmp_path / "r"))
        assert out.exit_code == 2 and says in out.stderr, out.stderr
        assert not (tmp_path / "r").exists()
