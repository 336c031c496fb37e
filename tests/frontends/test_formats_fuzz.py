"""Fuzz targets for the document front-ends: YAML/JSON specs, .keras archives, Keras JSON and config.json.

Each target takes a generated input, runs the front-end, and allows one outcome besides a Report: a CnnCalcError
whose message is in the user's words (no Python exception names, no ``NoneType``). The inputs are real documents
mutated (a field given another type, NaN, infinity, a 5,000-digit number, deep nesting, dropped; keys doubled;
an archive's compression, flags, sizes, checksum and names changed) and documents built from scratch.

More examples for a deeper search: ``CNNCALC_FUZZ_EXAMPLES=2000 pytest tests/frontends/test_formats_fuzz.py``.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.hf_configs import config, names
from support.hostile import python_words, watching_opens
from support.zips import DEFLATED, STORED, archive, member

import cnncalc
from cnncalc.errors import CnnCalcError
from cnncalc.frontends.keras import graph_of_config
from cnncalc.frontends.spec import loads
from cnncalc.layers import ALIASES
from cnncalc.numbers import Digits

EXAMPLES = int(os.environ.get("CNNCALC_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FOLDER = Path(tempfile.mkdtemp(prefix="cnncalc-formats-fuzz-"))


def refused_or_counted(run) -> None:  # noqa: ANN001
    """The property: a Report, or a CnnCalcError in the user's words."""
    try:
        report = run()
    except CnnCalcError as e:
        assert str(e) and not python_words(str(e)), str(e)
        return
    assert report.totals.params >= 0 and report.totals.macs >= 0
    report.to_json()


# ---------------------------------------------------------------- values a careless or hostile file holds

hostile = st.one_of(
    st.sampled_from(
        [0, -1, 1, 3, 7.5, -0.0, 10**6, 2**63, 10**40, None, True, False, "", "x", "4096", "same", "relu", "٣"]
    ),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), Digits("9" * 5000), [], {}, [None, 3], [3, 3]]),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
)
nested_values = st.recursive(hostile, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=5), inner, max_size=3), max_leaves=6)  # fmt: skip


def paths(v, at=()):  # noqa: ANN001, ANN201
    """Every place in a document, as a path of keys and indices."""
    yield at
    if isinstance(v, dict):
        for k, x in v.items():
            yield from paths(x, (*at, k))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from paths(x, (*at, i))


@st.composite
def mutation(draw: st.DrawFn, doc: object) -> object:
    """``doc`` with one to three places dropped, given a hostile value, or nested deeper."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        places = list(paths(doc))[1:]
        if not places:
            break
        at = draw(st.sampled_from(places))
        parent = doc
        for k in at[:-1]:
            parent = parent[k]  # type: ignore[index]
        how = draw(st.sampled_from(["drop", "value", "value", "deeper"]))
        if how == "drop":
            del parent[at[-1]]  # type: ignore[union-attr]
        elif how == "value":
            parent[at[-1]] = copy.deepcopy(draw(nested_values))  # type: ignore[index]  # never a shared list
        else:
            parent[at[-1]] = [parent[at[-1]]] * draw(st.integers(1, 2))  # type: ignore[index]
    return doc


def with_duplicate_key(text: str, key: str) -> str:
    """JSON text with the first ``"key":`` given a twin before it."""
    return text.replace(f'"{key}":', f'"{key}": 0, "{key}":', 1)


# ---------------------------------------------------------------- YAML and JSON specs

SPEC = {
    "name": "small",
    "input": [16, 16, 3],
    "layers": [
        {"kind": "conv", "args": [8], "f": 3, "p": 1, "name": "stem"},
        "bn",
        {"kind": "relu"},
        {"kind": "conv", "args": [8], "f": 3, "p": 1},
        {"kind": "add", "inputs": ["stem"]},
        {"kind": "maxpool", "args": [2]},
        "gap",
        {"kind": "fc", "args": [10]},
    ],
}
spec_layers = st.lists(
    st.one_of(
        st.sampled_from(sorted(ALIASES)),
        st.fixed_dictionaries(
            {"kind": st.sampled_from(sorted(ALIASES))},
            optional={"args": st.lists(hostile, max_size=3), "name": hostile, "inputs": hostile, "f": hostile},
        ).map(copy.deepcopy),
    ),
    max_size=5,
)


@FUZZ
@given(st.one_of(mutation(SPEC), st.fixed_dictionaries({"input": nested_values, "layers": spec_layers})),
       st.sampled_from(["json", "yaml"]), st.sampled_from(["", "name", "kind", "args", "layers"]))  # fmt: skip
def test_a_mutated_spec(doc, fmt, twin):
    text = json.dumps(doc, default=str) if fmt == "json" else yaml.safe_dump(json.loads(json.dumps(doc, default=str)))
    if twin and fmt == "json":
        text = with_duplicate_key(text, twin)
    refused_or_counted(lambda: cnncalc.analyze(loads(text, fmt=fmt)))


yaml_pieces = st.sampled_from(
    ["layers:", "  - ", "relu", "{kind: fc, args: [4]}", "&a ", "*a", "[", "]", "{", "}", ": ", "\n", "<<: *a",
     "!!python/object:os.system", ".nan", ".inf", "9" * 5000, "input: [8]", "- - - -", "? ", "!!binary AAAA", "'"]
)  # fmt: skip


@FUZZ
@given(st.lists(yaml_pieces, max_size=30).map("".join))
def test_yaml_made_of_pieces(text):
    refused_or_counted(lambda: cnncalc.analyze(loads(text)))


# ---------------------------------------------------------------- .keras archives

KERAS_DOC = {
    "class_name": "Sequential",
    "config": {
        "name": "tiny",
        "layers": [
            {"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [None, 8, 8, 3]}},
            {"class_name": "Conv2D", "config": {"name": "c", "filters": 4, "kernel_size": [3, 3], "padding": "same"}},
            {"class_name": "Flatten", "config": {"name": "f"}},
            {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "softmax"}},
        ],
    },
}


@st.composite
def archives(draw: st.DrawFn) -> bytes:
    """A .keras file whose zip structure is changed field by field, or cut, or has a byte changed."""
    data = json.dumps(draw(st.one_of(st.just(KERAS_DOC), mutation(KERAS_DOC))), default=str).encode()
    good = member("config.json", data, draw(st.sampled_from([STORED, DEFLATED])))
    changes = draw(
        st.dictionaries(
            st.sampled_from(["method", "flags", "crc", "size", "compressed_size", "name", "local_name", "payload"]),
            st.integers(0, 2**32 - 1),
            max_size=3,
        )
    )
    fields: dict = {}
    for key, n in changes.items():
        if key == "method":
            fields[key] = draw(st.sampled_from([0, 8, 12, 14, 9, 99, n & 0xFFFF]))
        elif key == "flags":
            fields[key] = n & 0xFFFF
        elif key in ("name", "local_name"):
            fields[key] = draw(st.sampled_from([b"CONFIG.JSON", b"config.json\x00x", b"../config.json", b"", b"\xff"]))
        elif key == "payload":
            fields[key] = draw(st.binary(max_size=64))
        else:
            fields[key] = n
    members = [member("metadata.json", b"{}"), replace(good, **fields)]
    if draw(st.booleans()):
        members.append(good)  # config.json twice
    out = archive(members, entries=draw(st.sampled_from([None, 0, 65535])))
    how = draw(st.sampled_from(["keep", "keep", "cut", "flip"]))
    if how == "cut":
        out = out[: draw(st.integers(0, len(out)))]
    elif how == "flip" and out:
        i = draw(st.integers(0, len(out) - 1))
        out = out[:i] + bytes([out[i] ^ draw(st.integers(1, 255))]) + out[i + 1 :]
    return out


@FUZZ
@given(archives())
def test_a_mutated_keras_archive(data):
    folder = FOLDER / "archives"
    folder.mkdir(exist_ok=True)
    path = folder / "model.keras"
    path.write_bytes(data)
    with watching_opens(folder, named=[path]) as stray:
        refused_or_counted(lambda: cnncalc.analyze(str(path)))
    assert not stray


# ---------------------------------------------------------------- Keras JSON


@FUZZ
@given(mutation(KERAS_DOC), st.sampled_from(["", "units", "filters", "class_name", "layers"]))
def test_a_mutated_keras_document(doc, twin):
    text = with_duplicate_key(json.dumps(doc, default=str), twin) if twin else json.dumps(doc, default=str)
    path = FOLDER / "model.json"
    path.write_text(text)
    refused_or_counted(lambda: cnncalc.analyze(str(path)))


def keras_documents() -> list[dict]:
    """Real models' to_json(), when Keras is installed (tests/support/keras_models.py); else the small one above."""
    try:
        from support.keras_models import MODELS
    except Exception:  # noqa: BLE001 - Keras (or its backend) missing: the hand-written document serves
        return [KERAS_DOC]
    return [json.loads(factory().to_json()) for factory in MODELS.values()]


REAL = keras_documents()


@FUZZ
@given(st.sampled_from(range(len(REAL))).flatmap(lambda i: mutation(REAL[i])))
def test_a_mutated_real_keras_model(doc):
    refused_or_counted(lambda: cnncalc.analyze(graph_of_config(doc)))


# ---------------------------------------------------------------- config.json

CONFIG_KEYS = ["id2label", "partial_rotary_factor", "rope_parameters", "text_config", "quantization_config",
               "layer_types", "sliding_window", "head_dim", "num_labels", "architectures", "n_inner"]  # fmt: skip


@st.composite
def configs(draw: st.DrawFn) -> dict:
    data = draw(mutation(config(draw(st.sampled_from(names())))))
    if isinstance(data, dict) and draw(st.booleans()):
        data[draw(st.sampled_from(CONFIG_KEYS))] = copy.deepcopy(draw(nested_values))
    return data


@FUZZ
@given(configs(), st.sampled_from(["", "hidden_size", "model_type", "num_hidden_layers"]))
def test_a_mutated_config(data, twin):
    text = json.dumps(data, default=str)
    if twin:
        text = with_duplicate_key(text, twin)
    path = FOLDER / "config.json"
    path.write_text(text)
    refused_or_counted(lambda: cnncalc.analyze(str(path), input=(1, 16)))
