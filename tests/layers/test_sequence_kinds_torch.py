"""The issue-5 kinds against PyTorch itself: output shape from a forward, params from ``numel``,
FLOPs from ``FlopCounterMode`` (= cnncalc's FLOPs under ``--flops matmul``).

FlopCounterMode on CPU skips the fused attention kernel, MultiheadAttention's
inference fast path and oneDNN's LSTM/GRU; the oracle runs with the math SDPA
backend, autograd on and oneDNN off, where it counts every product.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import cnncalc  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

B = 2  # a batch, divided out of FlopCounterMode's count


def oracle(module: nn.Module, *xs: torch.Tensor) -> tuple[tuple[int, ...], int, int]:
    """(output shape without batch, params, FLOPs per sample) of ``module`` on ``xs``."""
    torch.manual_seed(0)
    counter = FlopCounterMode(display=False)
    with torch.backends.mkldnn.flags(enabled=False), sdpa_kernel(SDPBackend.MATH), torch.enable_grad(), counter:
        out = module(*xs)
    if isinstance(out, tuple):
        out = out[0]
    params = sum(p.numel() for p in module.parameters())
    flops = counter.get_total_flops()
    assert flops % B == 0
    return tuple(out.shape[1:]), params, flops // B


def ours(text: str) -> cnncalc.Row:
    return cnncalc.analyze(text, flops="matmul").rows[-1]


def check(text: str, module: nn.Module, *xs: torch.Tensor) -> None:
    shape, params, flops = oracle(module, *xs)
    r = cnncalc.analyze(text, flops="matmul")
    row = r.rows[-1]
    # images compare channels first (the core's layout, PyTorch's); sequences as written, (L, d)
    assert (row.output_shape if len(shape) > 2 else r.shown_shape(row)) == shape, text
    assert row.params == params, text
    assert row.flops == flops, text
    assert row.macs * 2 == flops


@pytest.mark.parametrize(
    ("layers", "bi", "bias", "proj", "d", "h", "L"),
    [
        (1, False, True, 0, 32, 64, 10),
        (2, True, True, 0, 16, 24, 7),
        (3, False, False, 0, 5, 9, 3),
        (2, True, True, 6, 12, 20, 5),
    ],
)
def test_lstm(layers, bi, bias, proj, d, h, L):
    m = nn.LSTM(d, h, num_layers=layers, bidirectional=bi, bias=bias, proj_size=proj, batch_first=True)
    text = f"input({L}, {d}) -> lstm({h}, num_layers={layers}, bidirectional={bi}, bias={bias}, proj_size={proj})"
    check(text, m, torch.randn(B, L, d))


@pytest.mark.parametrize(("layers", "bi", "bias"), [(1, False, True), (2, True, False), (3, True, True)])
def test_gru_and_rnn(layers, bi, bias):
    x = torch.randn(B, 6, 11)
    check(
        f"input(6, 11) -> gru(13, num_layers={layers}, bidirectional={bi}, bias={bias})",
        nn.GRU(11, 13, num_layers=layers, bidirectional=bi, bias=bias, batch_first=True),
        x,
    )
    check(
        f"input(6, 11) -> rnn(13, num_layers={layers}, bidirectional={bi}, bias={bias})",
        nn.RNN(11, 13, num_layers=layers, bidirectional=bi, bias=bias, batch_first=True),
        x,
    )


@pytest.mark.parametrize(("d", "heads", "L", "bias"), [(64, 4, 10, True), (48, 6, 17, False), (8, 1, 3, True)])
def test_attention(d, heads, L, bias):
    m = nn.MultiheadAttention(d, heads, bias=bias, batch_first=True)
    x = torch.randn(B, L, d)

    class Self(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m(x, x, x)[0]

    check(f"input({L}, {d}) -> attention({heads}, bias={bias})", Self(), x)


@pytest.mark.parametrize(("d", "heads", "ff", "L", "first"), [(32, 4, 64, 9, False), (48, 3, 200, 5, True)])
def test_transformer_encoder_block(d, heads, ff, L, first):
    m = nn.TransformerEncoderLayer(d, heads, dim_feedforward=ff, dropout=0.0, batch_first=True, norm_first=first)
    check(f"input({L}, {d}) -> transformer({heads}, {ff}, norm_first={first})", m, torch.randn(B, L, d))


def test_embedding_and_layernorm():
    check("input(7) -> embedding(50, 12)", nn.Embedding(50, 12), torch.randint(0, 50, (B, 7)))
    check("input(7, 12) -> layernorm", nn.LayerNorm(12), torch.randn(B, 7, 12))
    check("input(7, 12) -> layernorm(bias=false)", nn.LayerNorm(12, bias=False), torch.randn(B, 7, 12))


def test_group_and_instance_norm():
    x = torch.randn(B, 6, 5, 5)
    check("input(5, 5, 6) -> groupnorm(3)", nn.GroupNorm(3, 6), x)
    check("input(5, 5, 6) -> instancenorm", nn.InstanceNorm2d(6), x)
    check("input(5, 5, 6) -> instancenorm(affine=true)", nn.InstanceNorm2d(6, affine=True), x)


class SE(nn.Module):
    """torchvision's SqueezeExcitation, written out."""

    def __init__(self, c: int, s: int) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Conv2d(c, s, 1), nn.Conv2d(s, c, 1)

    def forward(self, x):
        w = torch.sigmoid(self.fc2(torch.relu(self.fc1(x.mean((2, 3), keepdim=True)))))
        return x * w


def test_squeeze_excitation():
    check("input(7, 7, 32) -> se(8)", SE(32, 8), torch.randn(B, 32, 7, 7))
    check("input(7, 7, 32) -> se(reduction=16)", SE(32, 2), torch.randn(B, 32, 7, 7))


def test_rearranging_kinds():
    x = torch.randn(B, 8, 6, 6)
    check("input(6, 6, 8) -> pixelshuffle(2)", nn.PixelShuffle(2), x)
    check("input(6, 6, 8) -> channelshuffle(2)", nn.ChannelShuffle(2), x)
    check("input(6, 6, 8) -> upsample(2)", nn.Upsample(scale_factor=2), x)
    check("input(6, 6, 8) -> upsample(2, mode=bilinear)", nn.Upsample(scale_factor=2, mode="bilinear"), x)
    check("input(6, 6, 8) -> zeropad(((1, 2), (0, 3)))", nn.ZeroPad2d((0, 3, 1, 2)), x)
    seq = torch.randn(B, 5, 12)
    check("input(5, 12) -> transpose(0, 1)", _Lambda(lambda t: t.transpose(1, 2)), seq)
    check("input(5, 12) -> reshape(10, 6)", _Lambda(lambda t: t.reshape(B, 10, 6)), seq)


def test_matmul_and_mul():
    a, b = torch.randn(B, 5, 12), torch.randn(B, 12, 7)
    text = "a = input(5, 12)\nb = input(12, 7)\nmatmul(a, b)"
    shape, params, flops = oracle(_Lambda(lambda x: torch.matmul(a, b)), a)
    row = ours(text)
    assert (row.output_shape, row.flops) == ((7, 5), flops) and shape == (5, 7)
    _, _, mflops = oracle(_Lambda(lambda x: a * a), a)
    assert ours("a = input(5, 12)\nb = a -> relu\nmul(a, b)").flops == mflops == 0


class _Lambda(nn.Module):
    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class ClassTokenAndPositions(nn.Module):
    """ViT's class token and learned position embedding, written out."""

    def __init__(self, length: int, d: int) -> None:
        super().__init__()
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.zeros(1, length + 1, d))

    def forward(self, x):
        return torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos


def test_class_token_position_embedding_select_and_permute():
    seq = torch.randn(B, 9, 16)
    shape, params, flops = oracle(ClassTokenAndPositions(9, 16), seq)
    r = cnncalc.analyze("input(9, 16) -> classtoken -> posembedding", flops="matmul")
    assert r.shown_shape(r.rows[-1]) == shape == (10, 16)
    assert r.totals.params == params == 16 + 10 * 16 and r.totals.flops == flops == 0
    check("input(9, 16) -> select(0)", _Lambda(lambda t: t[:, 0]), seq)
    check("input(9, 16) -> permute(1, 0)", _Lambda(lambda t: t.permute(0, 2, 1)), seq)
