"""Every zoo model against its published figures.

Sources: torchvision's weight metadata (``num_params`` and ``_ops``, the GMACs
behind the "GFLOPS" column of its model table, given there to 3 decimals) for
the models torchvision has; Hugging Face's configs for BERT-base
(bert-base-uncased, ``BertModel``: 109,482,240) and GPT-2 (``GPT2Model``:
124,439,808); the MobileNet paper (Howard et al. 2017, Table 1: 569 million
mult-adds) and Keras' MobileNet (alpha 1.0: 4,231,976 trainable parameters).
"""

from __future__ import annotations

import json

import pytest

from cnncalc import zoo
from cnncalc.errors import ArgumentError, SpecError

# name: (params, GMACs as published, decimals published)
TORCHVISION = {
    "alexnet": (61_100_840, 0.714, 3),
    "vgg11": (132_863_336, 7.609, 3),
    "vgg11_bn": (132_868_840, 7.609, 3),
    "vgg16": (138_357_544, 15.47, 2),
    "vgg16_bn": (138_365_992, 15.47, 2),
    "vgg19": (143_667_240, 19.632, 3),
    "vgg19_bn": (143_678_248, 19.632, 3),
    "resnet18": (11_689_512, 1.814, 3),
    "resnet34": (21_797_672, 3.664, 3),
    "resnet50": (25_557_032, 4.089, 3),
    "resnet101": (44_549_160, 7.801, 3),
    "resnet152": (60_192_808, 11.514, 3),
    "mobilenet_v2": (3_504_872, 0.301, 3),
    "squeezenet1_0": (1_248_424, 0.819, 3),
    "squeezenet1_1": (1_235_496, 0.349, 3),
    "googlenet": (6_624_904, 1.498, 3),
    "densenet121": (7_978_856, 2.834, 3),
    "efficientnet_b0": (5_288_548, 0.386, 3),
    "vit_b_16": (86_567_656, 17.564, 3),
}


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_torchvision_models_match_published_params_and_gmacs(name):
    params, gmacs, decimals = TORCHVISION[name]
    r = zoo.analyze(name)
    assert r.totals.params == params
    assert round(r.totals.macs / 1e9, decimals) == gmacs


def test_mobilenet_v1_matches_keras_params_and_paper_mult_adds():
    r = zoo.analyze("mobilenet_v1")
    # Keras counts BN's γ and β as trainable and its moving statistics (21,888) apart, as cnncalc's buffers
    assert r.totals.params == 4_231_976
    assert r.totals.buffers == 21_888
    assert round(r.totals.macs / 1e6) == 569


def test_bert_base_params_and_hand_counted_macs():
    r = zoo.analyze("bert_base")
    assert r.totals.params == 109_482_240
    # Hugging Face publishes no MAC count; the hand count for 128 tokens: per layer
    # 4·128·768² (projections) + 2·128²·768 (scores, weighted sum) + 2·128·768·3072 (MLP), 12 layers,
    # plus the pooler 768·768 on one token.
    per_layer = 4 * 128 * 768**2 + 2 * 128**2 * 768 + 2 * 128 * 768 * 3072
    assert r.totals.macs == 12 * per_layer + 768 * 768


def test_gpt2_params_and_hand_counted_macs():
    r = zoo.analyze("gpt2")
    assert r.totals.params == 124_439_808
    L = 1024
    assert r.totals.macs == 12 * (4 * L * 768**2 + 2 * L * L * 768 + 2 * L * 768 * 3072)


def test_lenet5_hand_count():
    r = zoo.analyze("lenet5")
    # (5·5·1+1)·6 + (5·5·6+1)·16 + (5·5·16+1)·120 + (120+1)·84 + (84+1)·10
    assert r.totals.params == 156 + 2_416 + 48_120 + 10_164 + 850 == 61_706
    # 6·25·28·28 + 16·150·10·10 + 120·400 + 120·84 + 84·10
    assert r.totals.macs == 117_600 + 240_000 + 48_000 + 10_080 + 840


def test_model_arguments_classes_and_size():
    r = zoo.analyze("resnet18", classes=10)
    # only the last layer changes: fc 512·1000 + 1000 becomes 512·10 + 10
    assert r.totals.params == 11_689_512 - (512 * 1000 + 1000) + (512 * 10 + 10)
    r = zoo.analyze("resnet50", size=448)
    assert r.shown_shape(r.rows[-2]) == (2048,)
    # conv work scales with the area (4x); the fc layer (2048·1000) does not
    conv = 4_089_184_256 - 2048 * 1000
    assert r.totals.macs == 4 * conv + 2048 * 1000


def test_unknown_model_and_argument_errors():
    with pytest.raises(SpecError, match="did you mean resnet50"):
        zoo.graph("resnet05")
    with pytest.raises(ArgumentError, match="no argument 'clases'"):
        zoo.graph("resnet18", clases=3)


def test_cli_lists_and_summarises(cli):
    listing = cli("zoo")
    assert listing.exit_code == 0
    for name in [*TORCHVISION, "lenet5", "mobilenet_v1", "bert_base", "gpt2"]:
        assert name in listing.stdout
    out = cli("zoo", "resnet50", "--format", "json", "--flops", "matmul")
    assert out.exit_code == 0
    totals = json.loads(out.stdout)["totals"]
    assert totals["params"] == 25_557_032 and totals["flops"] == 2 * totals["macs"]
    bad = cli("zoo", "resnet50", "--set", "classes")
    assert bad.exit_code == 2 and "name=value" in bad.stderr


def test_every_zoo_file_is_packaged_and_documented():
    llms = {"llama2_7b", "llama3_8b", "mistral_7b", "mixtral_8x7b", "qwen2_7b", "gemma_7b"}
    assert set(zoo.names()) == {*TORCHVISION, "lenet5", "mobilenet_v1", "bert_base", "gpt2", "nb201", *llms}
    for name in zoo.names():
        m = zoo.model(name)
        assert m.description and m.defaults


@pytest.mark.parametrize(
    ("alpha", "trainable", "with_statistics"),
    # osmr/imgclsmob's tables give trainable counts (x0.75: 2,585,560; x0.5: 1,331,592); MXNet Gluon's
    # model zoo counts batch norm's running statistics too (0.25: 475,544; 0.5: 1,342,536; 1.0: 4,253,864).
    [(1.0, 4_231_976, 4_253_864), (0.75, 2_585_560, None), (0.5, 1_331_592, 1_342_536), (0.25, None, 475_544)],
)
def test_mobilenet_v1_width_multiplier(alpha, trainable, with_statistics):
    r = zoo.analyze("mobilenet_v1", alpha=alpha)
    if trainable is not None:
        assert r.totals.params == trainable
    if with_statistics is not None:
        assert r.totals.params + r.totals.buffers == with_statistics
