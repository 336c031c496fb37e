"""Hostile numbers and options on the command line (the notation and the options every command takes)."""

from __future__ import annotations

from hostile.cases import Case

NET = "input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)"
CHAIN_10K = "input(16) -> " + " -> ".join(["fc(16)"] * 10_000)
CHAIN_1M = "input(16) -> " + " -> ".join(["fc(16)"] * 1_000_000)

CASES = [
    Case("tokens_infinity", ("summary", "input(8) -> fc(4)", "--train", "--tokens", "inf"), says="tokens"),
    # numbers: every option reads them as cnncalc.numbers does (click's own int() and float() take '٣' and nan)
    Case("batch_nan", ("summary", NET, "--batch", "nan"), says="--batch"),
    Case("batch_arabic_indic_digit", ("summary", NET, "--batch", "٣"), says="digits 0-9"),
    Case("batch_5000_digits", ("summary", NET, "--batch", "9" * 5000), says="5000 digits"),
    Case("batch_negative", ("summary", NET, "--batch", "-3"), says="positive"),
    Case("width_infinity", ("summary", NET, "--width", "inf"), says="--width"),
    Case("depth_fullwidth_digit", ("summary", "x.onnx", "--depth", "３"), says="digits 0-9"),
    Case("context_empty", ("summary", NET, "--context", ""), says="--context"),
    Case("mfu_nan", ("summary", NET, "--hardware", "h100-sxm", "--mfu", "nan"), says="finite"),
    Case(
        "plot_bandwidth_infinity",
        ("plot", NET, "-o", "r.png", "--kind", "roofline", "--peak", "1", "--bandwidth", "inf"),
        says="finite",
    ),
    Case(
        "plot_peak_nan",
        ("plot", NET, "-o", "r.png", "--kind", "roofline", "--peak", "nan", "--bandwidth", "1"),
        says="finite",
    ),
    Case("port_too_large", ("web", "--port", "70000", "--no-open"), says="at most 65535"),
    Case("quiz_seed_arabic_indic", ("quiz", "--seed", "٣"), says="digits 0-9"),
    Case(
        "lora_alpha_nan",
        ("summary", "config.json", "--lora", "r=8,alpha=nan,targets=q_proj"),
        files={"config.json": "{}"},
        says="alpha",
    ),
    Case("quantize_group_digits", ("summary", NET, "--quantize", "int4:٣"), says="quantization"),
    Case("kwarg_infinity", ("summary", "m.py:Net", "--kwarg", "scale=inf"), says="finite"),
    # options that do not apply to the source: refused, with the reason
    Case("kwarg_on_the_notation", ("summary", NET, "--kwarg", "use_cache=false"), says="--kwarg goes to a PyTorch"),
    Case("input_dtype_on_the_notation", ("summary", NET, "--input-dtype", "int64"), says="--input-dtype"),
    Case(
        "named_input_on_a_config",
        ("summary", "config.json", "--input", "x=1,128"),
        files={"config.json": '{"model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 8, "vocab_size": 16}'},
        says="a config.json's model has one input, input_ids",
    ),
    Case(
        "input_dtype_on_a_config",
        ("summary", "config.json", "--input-dtype", "int64"),
        files={"config.json": '{"model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 8, "vocab_size": 16}'},
        says="a config.json takes no input dtype",
    ),
    Case(
        "input_on_a_yaml_spec",
        ("summary", "m.yaml", "--input", "8"),
        files={"m.yaml": "input: [8]\nlayers:\n  - {kind: fc, args: [2]}\n"},
        says="--input is not for a spec file",
    ),
    Case("columns_twice", ("summary", NET, "--columns", "name,params,name"), says="asked for twice"),
    Case("columns_with_json", ("summary", NET, "--columns", "name", "--format", "json"), says="--columns"),
    Case("width_with_csv", ("summary", NET, "--width", "80", "--format", "csv"), says="--width"),
    Case("context_on_a_cnn", ("summary", NET, "--context", "8192"), says="KV cache"),
    Case("quantize_on_a_cnn", ("zoo", "resnet18", "--quantize", "int4"), says="KV cache"),
    Case("scores_causal_without_causal_attention", ("summary", NET, "--scores", "causal"), says="causal attention"),
    Case(
        "log_on_a_roofline",
        ("plot", NET, "-o", "r.png", "--kind", "roofline", "--hardware", "a100-80gb", "--log"),
        says="--log",
    ),
    Case("zoo_set_without_a_name", ("zoo", "--set", "classes=10"), says="without a name"),
    Case("zoo_show_with_options", ("zoo", "resnet18", "--show", "--batch", "2"), says="--show"),
    # costs bounded before they are paid, each cap named with how to raise it
    Case(
        "plot_a_10000_layer_chain", ("plot", "net.txt", "-o", "p.png"), files={"net.txt": CHAIN_10K}, says="plot_layers"
    ),
    Case(
        "explain_beyond_its_cap",
        ("explain", "net.txt"),
        files={"net.txt": CHAIN_10K},
        env={"CNNCALC_LIMIT_EXPLAIN_LAYERS": "5000"},
        says="explain_layers",
    ),
    Case(
        "train_beyond_its_cap",
        ("summary", "net.txt", "--train", "--format", "json"),
        files={"net.txt": CHAIN_10K},
        env={"CNNCALC_LIMIT_TRAIN_LAYERS": "5000"},
        says="train_layers",
    ),
    Case(
        "a_million_layer_chain",
        ("summary", "net.txt", "--train", "--format", "json"),
        files={"net.txt": CHAIN_1M},
        says="CNNCALC_LIMIT_LAYERS",
    ),
    Case("stdin_a_million_layers", ("summary", "-"), stdin=CHAIN_1M, says="layers"),
    Case(
        "plot_2000_layers",
        ("plot", "net.txt", "-o", "p.png"),
        files={"net.txt": "input(16) -> " + " -> ".join(["fc(16)"] * 1_999)},
        named=("net.txt", "p.png"),
        answered=True,
        seconds=120,
    ),
]
