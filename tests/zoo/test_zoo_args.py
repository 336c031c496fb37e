"""The zoo's arguments are checked where they enter, as the models they come from would check them."""

from __future__ import annotations

import pytest
from support.hostile import python_words

from cnncalc import zoo
from cnncalc.errors import ArgumentError, CnnCalcError


def test_every_argument_a_zoo_file_declares_has_a_rule():
    for name in zoo.names():
        for arg in zoo.model(name).defaults:
            own = zoo.MODEL_RULES.get(name, {})
            assert arg in zoo.RULES or arg in own, f"{name} declares '{arg}', which has no rule in zoo.RULES"
    for name, rules in zoo.MODEL_RULES.items():
        assert set(rules) <= set(zoo.model(name).defaults), name


def test_the_defaults_pass_their_own_rules():
    for name in zoo.names():
        m = zoo.model(name)
        assert zoo.check_args(m, dict(m.defaults)) == m.defaults


@pytest.mark.parametrize(
    ("model", "pairs", "says"),
    [
        ("mobilenet_v2", ["width=-1"], "width must be positive"),  # a normal-looking report, once
        ("mobilenet_v2", ["width=0"], "width must be positive"),
        ("mobilenet_v2", ["width=nan"], "--set width must be a finite number"),
        ("mobilenet_v2", ["width=inf"], "--set width must be a finite number"),
        ("mobilenet_v2", ["width=1e400"], "--set width must be a finite number"),
        ("mobilenet_v1", ["alpha=-0.25"], "alpha must be positive"),
        ("vit_b_16", ["size=200"], "must be a multiple of 16"),  # torchvision: image_size % patch_size == 0
        ("resnet50", ["classes=0"], "classes must be positive"),
        ("resnet50", ["classes=2.5"], "classes must be a whole number"),
        ("resnet50", ["size=٢٢٤"], "digits 0-9"),  # int('٢٢٤') is 224 in Python
        ("resnet50", ["size=" + "9" * 5000], "5000 digits"),
        ("resnet50", ["size=224", "size=160"], "given twice"),
        ("resnet50", ["width=2"], "has no argument 'width'"),
        ("bert_base", ["length=513"], "at most 512"),  # BERT's 512 learned positions
        ("gpt2", ["length=1025"], "at most 1,024"),  # GPT-2's 1,024
        ("gpt2", ["vocab=-5"], "vocab must be positive"),
        ("nb201", ["e10=conv_9x9"], "e10 must be one of none, skip_connect"),  # NAS-Bench-201's five operations
        ("nb201", ["N=0"], "N must be positive"),
    ],
)
def test_a_bad_argument_is_refused_naming_it(model, pairs, says):
    with pytest.raises(ArgumentError, match=says) as e:
        zoo.analyze(model, **zoo.parse_args(pairs))
    assert not python_words(str(e.value))


def test_the_cli_refuses_them_too(cli):
    result = cli("zoo", "mobilenet_v2", "--set", "width=-1")
    assert result.exit_code == 2 and "width must be positive" in result.output


def test_good_arguments_still_count_as_the_model_does():
    # torchvision's vit_b_16 at 384 (ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1): 86,859,496 parameters, the 224 model's
    # 86,567,656 and (577 − 197)·768 = 291,840 more position embeddings, (384/16)² + 1 = 577 positions
    assert zoo.analyze("vit_b_16", size=384).totals.params == 86_567_656 + (577 - 197) * 768 == 86_859_496
    assert zoo.analyze("resnet50", **zoo.parse_args(["classes=1e1"])).rows[-1].output_shape == (10,)


def test_arguments_given_from_python_are_checked_too():
    with pytest.raises(CnnCalcError, match="width must be positive"):
        zoo.graph("mobilenet_v2", width=-1.0)
    with pytest.raises(CnnCalcError, match="must be a finite number"):
        zoo.graph("mobilenet_v2", width=float("nan"))
    with pytest.raises(CnnCalcError, match="must be a whole number"):
        zoo.graph("resnet18", classes=True)
