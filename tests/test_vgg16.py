"""VGG-16 written with repetition gives its published figures (torchvision: 138,357,544 params, 15.47 GFLOPS).

torchvision's "GFLOPS" column for VGG-16 counts multiply-accumulates, so 15.47 is compared with MACs.
"""

from __future__ import annotations

import cnncalc

VGG16 = """
# VGG-16, configuration D (Simonyan & Zisserman), on a 224x224 RGB image
input(224,224,3)
  -> [conv(64, f=3, p=1) -> relu] * 2 -> maxpool(2)
  -> [conv(128, f=3, p=1) -> relu] * 2 -> maxpool(2)
  -> [conv(256, f=3, p=1) -> relu] * 3 -> maxpool(2)
  -> [conv(512, f=3, p=1) -> relu] * 3 -> maxpool(2)
  -> [conv(512, f=3, p=1) -> relu] * 3 -> maxpool(2)
  -> fc(4096) -> relu -> dropout(0.5)
  -> fc(4096) -> relu -> dropout(0.5)
  -> fc(1000)
"""

# (input channels, output channels, spatial size) of the 13 convolutions, by hand
CONVS = [
    (3, 64, 224), (64, 64, 224),
    (64, 128, 112), (128, 128, 112),
    (128, 256, 56), (256, 256, 56), (256, 256, 56),
    (256, 512, 28), (512, 512, 28), (512, 512, 28),
    (512, 512, 14), (512, 512, 14), (512, 512, 14),
]  # fmt: skip
FCS = [(7 * 7 * 512, 4096), (4096, 4096), (4096, 1000)]


def test_vgg16_published_parameters():
    r = cnncalc.analyze(VGG16)
    assert r.totals.params == 138_357_544
    # by hand: conv (3·3·C_in + 1)·C_out, fc (in + 1)·out
    conv_params = sum((9 * cin + 1) * cout for cin, cout, _ in CONVS)
    fc_params = sum((n_in + 1) * n_out for n_in, n_out in FCS)
    assert conv_params == 14_714_688 and fc_params == 123_642_856
    assert [row.params for row in r.rows if row.params] == [(9 * ci + 1) * co for ci, co, _ in CONVS] + [
        (n_in + 1) * n_out for n_in, n_out in FCS
    ]


def test_vgg16_published_macs():
    r = cnncalc.analyze(VGG16)
    # by hand: conv 3·3·C_in·C_out·H·W (p=1 keeps the size), fc in·out
    macs = sum(9 * cin * cout * n * n for cin, cout, n in CONVS) + sum(a * b for a, b in FCS)
    assert macs == 15_470_264_320
    assert r.totals.macs == macs
    assert round(r.totals.macs / 1e9, 2) == 15.47


def test_vgg16_shapes_and_layer_count():
    r = cnncalc.analyze(VGG16)
    # input, 13 convs and 13 relus, 5 pools, 3 fc with 2 relus and 2 dropouts
    assert len(r.rows) == 1 + 26 + 5 + 3 + 4
    pools = [r.shown_shape(row) for row in r.rows if row.kind == "maxpool"]
    assert pools == [(112, 112, 64), (56, 56, 128), (28, 28, 256), (14, 14, 512), (7, 7, 512)]
    assert r.shown_shape(r.rows[-1]) == (1000,)
    # flatten before the first fc: 7·7·512 = 25,088 inputs
    first_fc = next(row for row in r.rows if row.kind == "dense")
    assert first_fc.params == (25_088 + 1) * 4096


def test_vgg16_through_the_cli(cli):
    result = cli("summary", VGG16, "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"params": 138357544' in result.stdout
    assert '"macs": 15470264320' in result.stdout
