"""Hostile files for the document front-ends: YAML/JSON specs, .keras archives and to_json() documents, Hugging Face
config.json, the text notation and the zoo's --set. Each is a few bytes to a few hundred kilobytes asking for
gigabytes, hours, a traceback or a wrong answer; each must be refused in one line naming the cause."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # support/, beside hostile/
from support.zips import DEFLATED, Member, archive, deflated_zeros, member  # noqa: E402

from hostile.cases import Case  # noqa: E402


def laughs(levels: int = 9, width: int = 9) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


KERAS = {
    "class_name": "Sequential",
    "config": {
        "name": "tiny",
        "layers": [
            {"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [None, 8]}},
            {"class_name": "Dense", "config": {"name": "d", "units": 2}},
        ],
    },
}
KERAS_TEXT = json.dumps(KERAS)
GOOD = member("config.json", KERAS_TEXT.encode(), DEFLATED)
BOMB = deflated_zeros(200 << 20)  # 200 MiB of zeros, about 200 KB deflated

LLAMA = {
    "model_type": "llama",
    "architectures": ["LlamaForCausalLM"],
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "vocab_size": 100,
    "max_position_embeddings": 256,
}
LLAMA_TEXT = json.dumps(LLAMA)
BERT = {
    "model_type": "bert",
    "architectures": ["BertForSequenceClassification"],
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "vocab_size": 100,
    "max_position_embeddings": 256,
}


def spec(**fields: object) -> str:
    return json.dumps({"input": [8], "layers": [{"kind": "fc", "args": [4], **fields}]})


def keras_with(**fields: object) -> str:
    doc = json.loads(KERAS_TEXT)
    doc["config"]["layers"][1]["config"].update(fields)
    return json.dumps(doc)


def llama(replace_text: tuple[str, str] | None = None, **fields: object) -> str:
    text = json.dumps({**LLAMA, **fields})
    return text.replace(*replace_text) if replace_text else text


CASES = [
    # YAML and JSON specs
    Case("yaml_billion_laughs", ("summary", "net.yaml"), {"net.yaml": laughs()}, says="yaml_nodes"),
    Case("yaml_alias_loop", ("summary", "net.yaml"), {"net.yaml": "layers: &a [fc, *a]\n"}, says="holds the alias"),
    Case("yaml_deep_flow", ("summary", "net.yaml"), {"net.yaml": "layers: " + nested(200_000)}, says="nesting"),
    Case(
        "yaml_deep_block",
        ("summary", "net.yaml"),
        {"net.yaml": "".join("  " * i + "- \n" for i in range(500))},
        says="nesting",
    ),
    Case("json_deep", ("summary", "net.json"), {"net.json": '{"layers": ' + nested(200_000) + "}"}, says="nesting"),
    Case(
        "yaml_duplicate_key",
        ("summary", "net.yaml"),
        {"net.yaml": "input: [8]\nlayers:\n  - {kind: fc, args: [4], units: 4}\ninput: [16]\n"},
        says="'input'.*twice",
    ),
    Case(
        "json_duplicate_key",
        ("summary", "net.json"),
        {"net.json": '{"input": [8], "layers": [{"kind": "fc", "args": [4], "bias": true, "bias": false}]}'},
        says="'bias'.*twice",
    ),
    Case(
        "yaml_nan",
        ("summary", "net.yaml"),
        {"net.yaml": "input: [8]\nlayers:\n  - {kind: dropout, p: .nan}\n"},
        says="'p'.*finite",
    ),
    Case("json_nan", ("summary", "net.json"), {"net.json": spec(bias=True).replace("true", "NaN")}, says="finite"),
    Case(
        "json_infinity_arg",
        ("summary", "net.json"),
        {"net.json": '{"input": [8], "layers": [{"kind": "fc", "args": [1e400]}]}'},
        says="argument 1.*finite",
    ),
    Case(
        "json_100k_digits",
        ("summary", "net.json"),
        {"net.json": '{"input": [8], "layers": [{"kind": "fc", "args": [' + "9" * 100_000 + "]}]}"},
        says="100000 digits",
    ),
    Case(
        "yaml_100k_digits",
        ("summary", "net.yaml"),
        {"net.yaml": "input: [" + "7" * 100_000 + "]\nlayers: [relu]\n"},
        says="digits",
    ),
    Case(
        "yaml_python_object",
        ("summary", "net.yaml"),
        {"net.yaml": "layers: !!python/object/apply:os.system ['echo owned']\n"},
        says="not valid YAML",
    ),
    Case("yaml_empty", ("summary", "net.yaml"), {"net.yaml": "# nothing\n"}, says="empty"),
    Case("json_not_utf8", ("summary", "net.json"), {"net.json": b'{"layers": ["\xff"]}'}, says="not a text file"),
    Case(
        "spec_over_file_limit",
        ("summary", "net.yaml"),
        {"net.yaml": "layers: [relu]\n" + "#" * 5000 + "\n"},
        env={"CNNCALC_LIMIT_FILE_BYTES": "1000"},
        says="file_bytes",
    ),
    Case(
        "spec_mapping_as_kind",
        ("summary", "net.yaml"),
        {"net.yaml": "input: [8]\nlayers:\n  - kind: {a: 1}\n"},
        says="layer kind",
    ),
    # .keras archives
    Case(
        "keras_zip_bomb",
        ("summary", "model.keras"),
        {"model.keras": archive([Member(b"config.json", BOMB, DEFLATED, 0, len(BOMB), 200 << 20)])},
        says="decompressed_bytes",
    ),
    Case(
        "keras_zip_bomb_lying_size",
        ("summary", "model.keras"),
        {"model.keras": archive([Member(b"config.json", BOMB, DEFLATED, 0, len(BOMB), 1000)])},
        says="checksum",
    ),
    Case(
        "keras_encrypted",
        ("summary", "model.keras"),
        {"model.keras": archive([replace(GOOD, flags=1)])},
        says="encrypted",
    ),
    Case(
        "keras_unknown_compression",
        ("summary", "model.keras"),
        {"model.keras": archive([replace(GOOD, method=97)])},
        says="method 97",
    ),
    Case(
        "keras_bad_crc", ("summary", "model.keras"), {"model.keras": archive([replace(GOOD, crc=1)])}, says="checksum"
    ),
    Case("keras_truncated", ("summary", "model.keras"), {"model.keras": archive([GOOD])[:50]}, says="not a zip"),
    Case("keras_not_a_zip", ("summary", "model.keras"), {"model.keras": "just text\n" * 10}, says="not a zip"),
    Case(
        "keras_no_config",
        ("summary", "model.keras"),
        {"model.keras": archive([member("a.json", b"{}")])},
        says="no config.json",
    ),
    Case(
        "keras_member_list_huge",
        ("summary", "model.keras"),
        {"model.keras": archive([member(f"{i:07}" * 20, b"") for i in range(10_000)] + [GOOD])},
        says="archive_directory_bytes",
    ),
    Case(
        "keras_member_names_decoys",
        ("summary", "model.keras"),
        {"model.keras": archive([member(".env", b"x"), member("../weights.bin", b"x"), replace(GOOD, crc=0)])},
        says="checksum",
    ),
    Case(
        "keras_deep_config",
        ("summary", "model.keras"),
        {
            "model.keras": archive(
                [
                    member(
                        "config.json", ('{"class_name": "Sequential", "x": ' + nested(100_000) + "}").encode(), DEFLATED
                    )
                ]
            )
        },
        says="nesting",
    ),
    Case(
        "keras_json_nan_units",
        ("summary", "model.json"),
        {"model.json": keras_with(units=float("nan"))},
        says="'units'",
    ),
    Case(
        "keras_json_missing_units",
        ("summary", "model.json"),
        {"model.json": KERAS_TEXT.replace('"units": 2', '"unit": 2')},
        says="'units' is missing",
    ),
    Case(
        "keras_json_layer_not_mapping",
        ("summary", "model.json"),
        {"model.json": KERAS_TEXT.replace('{"class_name": "Dense", "config": {"name": "d", "units": 2}}', '"Dense"')},
        says="Keras layer 2",
    ),
    Case(
        "keras_json_no_layers",
        ("summary", "model.json"),
        {"model.json": json.dumps({"class_name": "Sequential", "config": {"layers": []}})},
        says="no layers",
    ),
    Case(
        "keras_json_duplicate_key",
        ("summary", "model.json"),
        {"model.json": KERAS_TEXT.replace('"units": 2', '"units": 2, "units": 3')},
        says="'units'.*twice",
    ),
    # Hugging Face config.json
    Case(
        "hf_partial_rotary_nan",
        ("summary", "config.json"),
        {"config.json": llama(partial_rotary_factor=0.5).replace("0.5", "NaN")},
        says="partial_rotary_factor",
    ),
    Case(
        "hf_hidden_size_1e400",
        ("summary", "config.json"),
        {"config.json": llama(('"hidden_size": 64', '"hidden_size": 1e400'))},
        says="hidden_size",
    ),
    Case(
        "hf_negative_size",
        ("summary", "config.json"),
        {"config.json": llama(intermediate_size=-128)},
        says="intermediate_size",
    ),
    Case(
        "hf_100k_digits",
        ("summary", "config.json"),
        {"config.json": llama(('"vocab_size": 100', '"vocab_size": ' + "9" * 100_000))},
        says="vocab_size",
    ),
    Case(
        "hf_id2label_list",
        ("summary", "config.json"),
        {"config.json": json.dumps({**BERT, "id2label": ["neg", "pos", "neutral"]})},
        says="id2label",
    ),
    Case(
        "hf_id2label_empty",
        ("summary", "config.json"),
        {"config.json": json.dumps({**BERT, "id2label": {}})},
        says="id2label",
    ),
    Case(
        "hf_duplicate_key",
        ("summary", "config.json"),
        {"config.json": llama(('"hidden_size": 64', '"hidden_size": 64, "hidden_size": 128'))},
        says="hidden_size",
    ),
    Case(
        "hf_deep",
        ("summary", "config.json"),
        {"config.json": llama(("}", ', "x": ' + nested(100_000) + "}"))},
        says="nesting",
    ),
    Case(
        "hf_text_as_size",
        ("summary", "config.json"),
        {"config.json": llama(num_attention_heads="4")},
        says="num_attention_heads",
    ),
    Case(
        "hf_quantization_bits_nan",
        ("summary", "config.json"),
        {"config.json": llama(quantization_config={"quant_method": "gptq", "bits": 4}).replace(": 4}", ": NaN}")},
        says="bits",
    ),
    Case(
        "hf_kwarg_refused",
        ("summary", "config.json", "--kwarg", "use_cache=false"),
        {"config.json": LLAMA_TEXT},
        says="--kwarg",
    ),
    Case(
        "hf_named_input_refused",
        ("summary", "config.json", "--input", "pixels=1,16"),
        {"config.json": LLAMA_TEXT},
        says="input_ids",
    ),
    # the text notation
    Case("notation_int_of_infinity", ("summary", "input(8) -> fc(int(1e400))"), says="too large"),
    Case("notation_overflowing_product", ("summary", "input(8) -> fc(int(1e300*1e300))"), says="too large"),
    Case(
        "notation_long_product", ("summary", "input(8) -> fc(" + "*".join(["99999999"] * 5000) + ")"), says="too large"
    ),
    Case(
        "notation_million_digit_number",
        ("summary", "net.cnn"),
        {"net.cnn": "input(8) -> fc(" + "9" * 10**6 + ")\n"},
        says="too large",
    ),
    Case(
        "notation_million_digit_decimal",
        ("summary", "net.cnn"),
        {"net.cnn": "input(8) -> dropout(0." + "5" * 10**6 + ")\n"},
        says="digits",
    ),
    Case("notation_other_script_digit", ("summary", "input(8) -> fc(٣)"), says="0-9"),
    Case(
        "notation_doubling_blocks",
        ("summary", "net.cnn"),
        {
            "net.cnn": "def b0 = relu -> relu\n"
            + "".join(f"def b{i} = b{i - 1} -> b{i - 1}\n" for i in range(1, 45))
            + "input(8) -> b44\n"
        },
        says="layers",
    ),
    Case(
        "notation_doubling_parametric_blocks",
        ("summary", "net.cnn"),
        {
            "net.cnn": "def b0(c) { relu -> relu }\n"
            + "".join(f"def b{i}(c) {{ [b{i - 1}(c + 1)] * 2 }}\n" for i in range(1, 45))
            + "input(8) -> b44(1)\n"
        },
        says="layers",
    ),
    Case(
        "notation_nested_repetition", ("summary", "input(8) -> [[[[relu] * 1000] * 1000] * 1000] * 1000"), says="layers"
    ),
    Case(
        "notation_many_tokens",
        ("summary", "net.cnn"),
        {"net.cnn": "input(8) -> fc(" + "1," * 2_100_000 + "1)\n"},
        says="notation_tokens",
        seconds=90,
    ),
    Case(
        "notation_long_name",
        ("summary", "net.cnn"),
        {"net.cnn": "input(8) -> " + "a" * 10**6 + "\n"},
        says="unknown layer",
    ),
    Case(
        "notation_args_line_nan",
        ("summary", "net.cnn"),
        {"net.cnn": "# args: c=nan\ninput(8) -> fc(c)\n"},
        says="finite",
    ),
    # the zoo's --set
    Case("zoo_width_nan", ("zoo", "mobilenet_v2", "--set", "width=nan"), says="width"),
    Case("zoo_width_negative", ("zoo", "mobilenet_v2", "--set", "width=-1"), says="width must be positive"),
    Case("zoo_alpha_zero", ("zoo", "mobilenet_v1", "--set", "alpha=0"), says="alpha must be positive"),
    Case("zoo_vit_size", ("zoo", "vit_b_16", "--set", "size=200"), says="multiple of 16"),
    Case("zoo_classes_zero", ("zoo", "resnet18", "--set", "classes=0"), says="classes must be positive"),
    Case("zoo_size_digits", ("zoo", "resnet18", "--set", "size=" + "9" * 5000), says="digits"),
    Case("zoo_size_other_script", ("zoo", "resnet18", "--set", "size=٢٢٤"), says="0-9"),
    Case("zoo_bert_length", ("zoo", "bert_base", "--set", "length=4096"), says="at most 512"),
]
