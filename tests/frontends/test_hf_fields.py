"""A config.json's fields are read as transformers reads them, or refused naming the field: never a wrong head, a
NaN in the arithmetic or a key whose last copy silently wins."""

from __future__ import annotations

import json

import pytest
from support.hf_configs import config
from support.hostile import python_words

import cnncalc
from cnncalc.errors import CnnCalcError
from cnncalc.frontends.hf import graph_of


def bert(**fields: object) -> dict:
    return {**config("bert_base_uncased"), "architectures": ["BertForSequenceClassification"], **fields}


@pytest.mark.parametrize(
    "fields",
    [
        {"id2label": {"0": "neg", "1": "pos", "2": "neutral"}},  # 3 labels
        {"id2label": {"0": "a", "00": "b", "1": "c"}},  # transformers makes its keys ints: "0" and "00" are one
        {"id2label": {"0": "a", "1": "b", "2": "c"}, "num_labels": 2},  # num_labels, when given, wins
        {"num_labels": 7},
        {},  # 2 by default
    ],
    ids=["three", "equal-keys", "num_labels-wins", "num_labels", "default"],
)
def test_the_classifier_has_as_many_classes_as_transformers_builds(fields):
    hf_models = pytest.importorskip("support.hf_models")
    data = bert(**fields)
    model = hf_models.build(data)
    assert cnncalc.from_hf_config(data).totals.params == sum(p.numel() for p in model.parameters())
    assert cnncalc.from_hf_config(data).rows[-1].output_shape[-1] == model.classifier.out_features


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"id2label": ["neg", "pos", "neutral"]}, "'id2label' must be a mapping from label ids to names"),
        ({"id2label": {}}, "'id2label' is empty"),
        ({"id2label": {"first": "a"}}, "'id2label' has the key 'first', not a label id"),
        ({"num_labels": 0}, "'num_labels' must be positive"),
    ],
)
def test_labels_transformers_would_refuse_are_refused(fields, says):
    with pytest.raises(CnnCalcError, match=says):
        cnncalc.from_hf_config(bert(**fields))


def llama(text_replace: tuple[str, str] | None = None, **fields: object) -> str:
    text = json.dumps({**config("llama2_7b"), **fields})
    return text.replace(*text_replace) if text_replace else text


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (llama(partial_rotary_factor=0.5).replace("0.5", "NaN"), "'partial_rotary_factor' must be a finite number"),
        (llama(rope_parameters={"partial_rotary_factor": 0.5}).replace("0.5", "Infinity"), "'partial_rotary_factor'"),
        (llama(('"hidden_size": 4096', '"hidden_size": 1e400')), "'hidden_size' must be a whole number"),
        (llama(('"hidden_size": 4096', '"hidden_size": ' + "9" * 100_000)), "'hidden_size' has 100000 digits"),
        (llama(('"hidden_size": 4096', '"hidden_size": 4096, "hidden_size": 2048')), "'hidden_size' is given twice"),
        (llama(intermediate_size=-11008), "'intermediate_size' must be positive"),
        (llama(num_attention_heads="32"), "'num_attention_heads' must be a whole number \\(got '32'\\)"),
        (llama(vocab_size=[32000]), "'vocab_size' must be a whole number"),
        (llama(tie_word_embeddings="yes"), "'tie_word_embeddings' must be true or false"),
        (llama(quantization_config={"quant_method": "gptq", "bits": 4}).replace(": 4}", ": NaN}"), "'bits'"),
        (llama(quantization_config=[4]), "'quantization_config' must be a mapping"),
        ("{}", "empty"),
        ("[]", "a JSON object"),
    ],
)
def test_a_field_that_is_not_a_number_it_can_be_is_named(tmp_path, text, says):
    path = tmp_path / "config.json"
    path.write_text(text)
    with pytest.raises(CnnCalcError, match=says) as e:
        graph_of(str(path)) if text.strip() != "{}" else cnncalc.from_hf_config(json.loads(text))
    assert not python_words(str(e.value))


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--kwarg", "use_cache=false"], "takes no --kwarg"),
        (["--input-dtype", "float16"], "takes no input dtype"),
        (["--input", "pixel_values=1,16"], "one input, input_ids"),
        (["--input", "input_ids=1,16:float32"], "int64"),
    ],
)
def test_options_that_do_nothing_on_a_config_are_refused(cli, tmp_path, args, says):
    path = tmp_path / "config.json"
    path.write_text(llama())
    result = cli("summary", str(path), *args)
    assert result.exit_code == 2 and says in result.output, result.output
    assert cli("summary", str(path), "--input", "input_ids=1,16").exit_code == 0
