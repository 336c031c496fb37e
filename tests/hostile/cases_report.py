"""Hostile values for the report's options: units, tree, breakdowns, columns, other tools' conventions."""

from __future__ import annotations

from hostile.cases import Case

NET = "input(8,8,3) -> conv(4, f=3) -> fc(2)"

CASES = [
    Case("units_nan", ("summary", NET, "--units", "nan"), says="units"),
    Case("units_fullwidth", ("summary", NET, "--units", "\uff2d"), says="units"),
    Case("units_number", ("summary", NET, "--units", "1e9"), says="units"),
    Case("units_long", ("summary", NET, "--units", "k" * 100_000), says="units"),
    Case("units_on_csv", ("summary", NET, "--units", "M", "--format", "csv"), says="exact integers"),
    Case("units_on_json", ("zoo", "lenet5", "--units", "auto", "--format", "json"), says="exact integers"),
    # a Python file named without its class: read as text for its class names, never imported
    Case(
        "python_file_without_class",
        ("summary", "model.py"),
        files={"model.py": "import os\nos.system('touch pwned')\nclass Net(nn.Module):\n    pass\n"},
        says="model.py:Net",
    ),
    Case("python_file_binary", ("summary", "model.py"), files={"model.py": b"\xff\xfe\x00class" * 1000}, says="Python"),
    Case("input_exponent_negative", ("summary", "input(-1e300, 3, 3) -> fc(2)"), says="whole numbers"),
    Case("by_unknown", ("summary", NET, "--by", "../../etc/passwd"), says="unknown breakdown"),
    Case("by_block_without_blocks", ("summary", NET, "--by", "block"), says="no blocks"),
    Case("tree_without_modules", ("summary", NET, "--tree"), says="--tree"),
    Case("expand_on_json", ("summary", NET, "--expand", "--format", "json"), says="every block"),
    Case("flops_as_unknown_tool", ("summary", NET, "--flops", "as=" + "x" * 10_000), says="unknown tool"),
    Case("flops_as_on_a_decoder", ("zoo", "llama2_7b", "--flops", "as=thop"), says="modules"),
    Case("functional_on_a_composite", ("summary", "input(10, 64) -> attention(4, functional=true)"), says="single"),
    Case("functional_not_a_flag", ("summary", "input(8, 8, 3) -> gap(functional=maybe)"), says="true or false"),
    Case("flops_as_with_train", ("summary", NET, "--flops", "as=fvcore", "--train"), says="--train"),
    Case("time_without_hardware", ("summary", NET, "--columns", "name,time"), says="--hardware"),
    Case("backward_without_train", ("summary", NET, "--columns", "backward_flops"), says="--train"),
    Case("compare_bad_spec", ("compare", "input(nan, 3, 3) -> fc(2)"), says="number|whole|input"),
    Case("input_batch_as_axis", ("summary", "conv(8, f=5) -> fc(2)", "--input", "1,3,32,32"), says="--batch|batch"),
]
