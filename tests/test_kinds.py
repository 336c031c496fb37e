"""Every kind documented from its registry entry: `cnncalc kinds NAME` and docs/kinds.md, kept in sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnncalc.kinds import describe, markdown, worked
from cnncalc.layers import REGISTRY

DOCS = Path(__file__).parent.parent / "docs" / "kinds.md"


def test_docs_kinds_md_is_the_registry_as_generated():
    # regenerate with: python -m cnncalc.kinds > docs/kinds.md
    assert DOCS.read_text(encoding="utf-8") == markdown()


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_kind_has_formulas_and_a_worked_example(name):
    kind = REGISTRY[name]
    assert kind.doc.strip(), f"{name} has no docstring"
    assert worked(kind) is not None, f"{name}'s example runs on none of the example inputs"
    assert f"### `{name}`" in DOCS.read_text(encoding="utf-8")


def test_kinds_lstm_shows_its_arguments_defaults_aliases_and_arithmetic(cli):
    result = cli("kinds", "lstm")
    assert result.exit_code == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "hidden (hidden_size, units, h)  required, positional" in lines
    assert "return_sequences                default true" in lines
    assert "bidirectional (bi)              default false" in lines
    assert "example: input(10,32) -> lstm(128, num_layers=2, bidirectional=true)" in lines
    # layer 1, both directions: 2·(4·128·32 + 4·128·128 + 2·4·128) = 2·(16,384 + 65,536 + 1,024) = 165,888
    assert "params = 2·(4·128·32 + 4·128·128 + 2·4·128) (layer 1) = 165,888" in lines


def test_kinds_of_an_alias_says_what_it_presets(cli):
    assert cli("kinds", "FCwB").stdout.startswith("fcwb is dense(bias=true): fully connected\n")
    assert cli("kinds", "CONV1").stdout.startswith("conv1 is conv (its trailing number is a label): convolutions\n")


def test_kinds_of_an_unknown_name_suggests_the_nearest(cli):
    result = cli("kinds", "cnov")
    assert result.exit_code == 2
    assert result.stderr == "error: unknown layer 'cnov'; did you mean conv or upconv or dwconv?\n"


def test_describe_is_what_the_cli_prints(cli):
    assert cli("kinds", "maxpool").stdout == describe("maxpool")
