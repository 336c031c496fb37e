"""Keras' own model.summary(), printed by a real Keras model built here, graded against the notation.

The notation's fc flattens a multi-axis input itself, so a spec has no flatten where Keras has a Flatten
row: that row is the fc's own step, and the parameter-free rows between (a Dropout Keras writes after its
Flatten) may be written flat. A fully correct printout checks all right, whichever side of the Flatten
the Dropout stands.
"""

from __future__ import annotations

import pytest
from support.keras_models import L, keras, lenet

import cnncalc
from cnncalc.cli import app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def printed(model) -> str:
    lines: list[str] = []
    model.summary(print_fn=lambda line, **_: lines.append(line))
    return "\n".join(lines) + "\n"


def mnist_convnet(dropout_first: bool):
    """keras.io's MNIST convnet (Flatten, then Dropout), or the same with the Dropout before the Flatten."""
    tail = [L.Dropout(0.5), L.Flatten()] if dropout_first else [L.Flatten(), L.Dropout(0.5)]
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            L.Conv2D(32, 3, activation="relu"),
            L.MaxPooling2D(2),
            L.Conv2D(64, 3, activation="relu"),
            L.MaxPooling2D(2),
            *tail,
            L.Dense(10, activation="softmax"),
        ]
    )


MNIST = "input(28,28,1) -> conv(32, f=3) -> relu -> maxpool(2) -> conv(64, f=3) -> relu -> maxpool(2)"
LENET = "input(32,32,3) -> conv(8, f=5) -> relu -> maxpool(2) -> conv(16, f=5) -> relu -> maxpool(2)"
CASES = {
    "flatten then dropout": (lambda: mnist_convnet(False), MNIST + " -> dropout(0.5) -> fc(10) -> softmax"),
    "dropout then flatten": (lambda: mnist_convnet(True), MNIST + " -> dropout(0.5) -> fc(10) -> softmax"),
    "lenet": (lenet, LENET + " -> fc(120) -> relu -> fc(84) -> relu -> fc(10) -> softmax"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_correct_keras_printout_checks_all_right_when_the_spec_flattens_in_its_fc(case, tmp_path):
    build, spec = CASES[case]
    model = build()
    text = printed(model)
    assert "Flatten" in text and "flatten" not in spec
    r = cnncalc.check(text, spec)
    assert r.ok, r.to_text()
    assert r.framework == "keras" and not r.extra_rows and not r.missing_rows
    # every layer row's shape and params, and Keras' three footer lines, were graded
    rows = len(model.layers)
    assert r.right == 2 * rows + 3 and r.wrong == 0
    total = next(c for c in r.cells if c.layer == "Total params")
    assert total.expected == model.count_params()  # Keras' own count: 34,826 for the convnet, 62,006 for LeNet
    (tmp_path / "summary.txt").write_text(text, encoding="utf-8")
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["check", str(tmp_path / "summary.txt"), "--spec", spec])
    assert result.exit_code == 0, result.output


def test_the_flatten_row_is_still_graded():
    # the same printout with the Flatten's size mistyped: the Flatten row is graded wrong at 1,600 (5·5·64)
    text = printed(mnist_convnet(False)).replace("(None, 1600)", "(None, 1500)", 1)
    r = cnncalc.check(text, CASES["flatten then dropout"][1])
    assert [(c.layer.endswith("(Flatten)"), c.expected) for c in r.wrong_cells()] == [(True, [1600])]
    assert "flattens its input itself" in r.wrong_cells()[0].why
