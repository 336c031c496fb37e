"""The module tree: rows indented under their parents, each holding its whole subtree's figures; identical
consecutive blocks as one row × N unless expanded.

Oracles: PyTorch itself (a module's parameters are ``numel`` over ``module.parameters()``, its FLOPs
FlopCounterMode's per-module count, which includes everything run inside it), and the golden tables.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import cnncalc
from cnncalc import zoo
from cnncalc.errors import ArgumentError
from cnncalc.render import shown_rows

GOLDEN = Path(__file__).parent.parent / "golden"


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CNNCALC_REGEN_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_llama_config_collapses_its_32_decoder_layers():
    report = cnncalc.analyze(str(Path(__file__).parent.parent / "data/hf/llama2_7b.json"), depth=3, tree="auto")
    shown = shown_rows(report)
    layers = [(row, n) for row, n in shown if row.kind == "LlamaDecoderLayer"]
    assert [n for _, n in layers] == [32]
    row = layers[0][0]
    # Llama-2-7B, one decoder layer: attention 4·4096² = 67,108,864, MLP 3·4096·11008 = 135,266,304, two norms 2·4096
    assert row.params == 32 * (67_108_864 + 135_266_304 + 2 * 4096)
    assert row.source == "model.layers.0–31"
    assert len(shown_rows(report, expand=True)) == len(report.rows)
    text = report.table(width=200)
    assert "LlamaDecoderLayer-4 × 32" in text and "A row marked × N stands for N identical" in text
    assert "× 32" not in report.table(width=200, expand=True)


def test_the_command_line_draws_a_model_file_as_a_tree_and_keeps_json_flat(cli):
    config = str(Path(__file__).parent.parent / "data/hf/llama2_7b.json")
    table = cli("summary", config, "--depth", "3")
    assert table.exit_code == 0 and "│ ├─LlamaDecoderLayer-4 × 32" in table.stdout
    flat = cli("summary", config, "--depth", "3", "--flat")
    assert "× 32" not in flat.stdout and "├─" not in flat.stdout
    import json

    layers = json.loads(cli("summary", config, "--depth", "3", "-f", "json").stdout)["layers"]
    assert sum(layer["params"] for layer in layers) == 6_738_415_616  # flat rows partition the total
    tree = json.loads(cli("summary", config, "--depth", "3", "--tree", "-f", "json").stdout)["layers"]
    assert tree[0]["level"] == 0 and tree[0]["params"] == 6_738_415_616 and tree[1]["level"] == 1


def test_zoo_llama_decoders_collapse_in_a_flat_table():
    text = zoo.analyze("llama2_7b").table(width=200)
    assert "decoder × 32" in text and text.count("decoder") == 1 + text.count("decoder(")


def test_single_layers_never_collapse():
    report = cnncalc.analyze("input(8) -> fc(8) -> fc(8) -> fc(8)")
    assert [n for _, n in shown_rows(report)] == [1, 1, 1, 1]


def test_tree_asked_where_there_is_nothing_to_nest_is_refused(cli):
    with pytest.raises(ArgumentError, match="--tree nests module calls and blocks"):
        cnncalc.analyze("input(8) -> fc(8)", tree=True)
    result = cli("summary", "input(8) -> fc(8)", "--tree")
    assert result.exit_code == 2 and "this network has none" in result.stderr
    for fmt in ("csv", "json"):
        refused = cli("zoo", "resnet18", "--expand", "--format", fmt)
        assert refused.exit_code == 2 and "has a row for every block" in refused.stderr


def test_golden_zoo_resnet50_tree_collapsed():
    golden("resnet50_tree.txt", zoo.analyze("resnet50", tree=True).table(width=120))


def test_golden_zoo_resnet18_tree_expanded_in_units():
    report = zoo.analyze("resnet18", tree=True)
    golden("resnet18_tree_expanded_auto.txt", report.table(width=120, units="auto", expand=True))


def test_golden_zoo_llama2_flat_collapsed_in_units():
    golden("llama2_7b_units_g.md", zoo.analyze("llama2_7b").to_markdown(units="G"))


torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def traced_resnet():
    from support.torch_models import resnet50

    torch.manual_seed(0)
    model = resnet50()
    report = cnncalc.from_torch(model, (1, 3, 64, 64), flops="matmul", depth=2, tree="auto")
    return model, report


def test_a_traced_model_is_a_tree_at_depth_2_with_its_modules_whole_figures(traced_resnet):
    from torch.utils.flop_counter import FlopCounterMode

    model, report = traced_resnet
    assert any(r.level for r in report.rows)  # the command line's default for a model file at depth 2
    counter = FlopCounterMode(display=False)
    with counter, torch.backends.mkldnn.flags(enabled=False):
        model.eval()(torch.zeros(1, 3, 64, 64))
    per_module = {k: sum(v.values()) for k, v in counter.get_flop_counts().items()}
    for row in report.rows:
        module = model.get_submodule(row.source) if row.source != type(model).__name__ else model
        assert row.params == sum(p.numel() for p in module.parameters()), row.source
        key = "Global" if module is model else f"{type(model).__name__}.{row.source}"
        assert row.flops == per_module.get(key, 0), row.source
    assert report.rows[0].params == report.totals.params  # the root's row is the whole model


def test_a_flat_model_table_on_request(traced_resnet):
    model, _ = traced_resnet
    flat = cnncalc.from_torch(model, (1, 3, 64, 64), depth=2)  # the library's default: flat rows
    assert not any(r.level for r in flat.rows)
    assert sum(r.params for r in flat.rows) == flat.totals.params  # flat rows partition the model


def test_golden_traced_resnet_tree(traced_resnet):
    _, report = traced_resnet
    golden("torch_resnet50_depth2_tree.txt", report.table(width=160, units="auto"))


def test_golden_zoo_gpt2_by_kind():
    golden("gpt2_by_kind.txt", zoo.analyze("gpt2").render("table", by="kind", width=120, box=False))


def test_golden_seed_001_new_columns():
    report = cnncalc.analyze(
        "input(32,32,3) -> CONV1(8, f=5, s=1) -> POOL1(2) -> CONV2(16, f=5, s=1) -> POOL2(2)"
        " -> FC3(120) -> FC4(84) -> softmax(10)",
        train=True,
        freeze=("CONV1",),
        hardware="a100-80gb",
    )
    columns = (
        "name",
        "input_shape",
        "kernel_shape",
        "output_shape",
        "trainable",
        "params",
        "params_percent",
        "flops",
        "flops_percent",
        "backward_flops",
        "saved_bytes",
        "time",
    )
    golden("seed_001_columns.txt", report.table(width=160, columns=columns))


def test_golden_traced_hugging_face_llama_tree():
    transformers = pytest.importorskip("transformers")
    from support.hf_cases import DECODER

    config = transformers.LlamaConfig(**{**DECODER, "num_hidden_layers": 4})
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config)  # random init from a config: nothing downloaded
    report = cnncalc.from_torch(model, {"input_ids": (1, 16)}, kwargs={"use_cache": False}, depth=3, tree="auto")
    text = report.table(width=160, units="auto")
    assert "LlamaDecoderLayer-5 × 4" in text
    # one decoder layer: q, o 64·64, k, v 64·32 (2 of 4 heads' width), MLP 3·64·128, two norms 2·64
    layer = next(r for r, n in shown_rows(report) if n == 4)
    assert layer.params == 4 * (2 * 64 * 64 + 2 * 64 * 32 + 3 * 64 * 128 + 2 * 64)
    golden("hf_llama_tiny_tree.txt", text)
