"""The keras counting convention on the notation: Keras' own numbers, shapes as Keras prints them."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app
from cnncalc.conventions import Framework
from cnncalc.graph import Graph

runner = CliRunner()


def test_a_keras_course_lstm_gives_keras_count():
    # Keras: embedding 10,000·100 = 1,000,000; LSTM 4·(128·100 + 128·128 + 128) = 117,248 (one bias vector);
    # Dense (128 + 1)·1 = 129: model.summary() prints 1,117,377
    result = runner.invoke(
        app, ["summary", "input(50) -> embedding(10000, 100) -> lstm(128) -> fc(1)", "--convention", "keras"]
    )
    assert result.exit_code == 0, result.output
    assert "Total params: 1,117,377" in result.output


def test_batch_norm_statistics_are_non_trainable_params_under_keras():
    # BatchNormalization on 8 channels: γ, β trainable (16), moving mean and variance non-trainable (16)
    r = cnncalc.analyze("input(8,8,3) -> conv(8, f=3) -> bn", framework="keras")
    assert (r.totals.params, r.totals.trainable_params, r.totals.buffers) == (224 + 32, 224 + 16, 0)
    torch_way = cnncalc.analyze("input(8,8,3) -> conv(8, f=3) -> bn")
    assert (torch_way.totals.params, torch_way.totals.buffers) == (224 + 16, 16)


def test_keras_shapes_show_the_batch_as_none_and_the_footer_says_so():
    result = runner.invoke(app, ["summary", "input(8,8,3) -> conv(4, f=3) -> fc(2)", "--convention", "keras"])
    assert "(None, 6, 6, 4)" in result.output and "(None, 2)" in result.output
    assert "None is the batch axis" in result.output and "Counting convention: keras" in result.output
    data = json.loads(
        runner.invoke(app, ["summary", "input(8,8,3) -> conv(4, f=3)", "--convention", "keras", "-f", "json"]).output
    )
    assert data["framework"] == "keras" and data["layers"][1]["shown_shape"] == "(None, 6, 6, 4)"


def test_a_graph_names_its_own_convention_and_an_asked_one_wins():
    graph = cnncalc.api.load("input(8,8,3) -> conv(4, f=3) -> bn")
    keras_graph = Graph(graph.nodes, framework=Framework.keras)
    assert cnncalc.analyze(keras_graph).framework is Framework.keras
    assert cnncalc.analyze(keras_graph).totals.buffers == 0  # statistics as non-trainable params
    assert cnncalc.analyze(keras_graph, framework="torch").totals.buffers == 8
    assert cnncalc.analyze(graph).framework is Framework.torch
