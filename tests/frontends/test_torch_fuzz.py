"""The torch front-end fuzzed with hypothesis: small generated models (random stacks of layers with random sizes,
valid or not) either give PyTorch's own figures or a CnnCalcError in the user's words, never anything else.

When PyTorch's real forward runs, cnncalc must run too, with parameters equal to ``numel`` and ``--flops matmul``
equal to ``FlopCounterMode``; when it fails, cnncalc must say so as a CnnCalcError with no Python words.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from support.hostile import python_words  # noqa: E402
from support.oracles import real_flops  # noqa: E402

import cnncalc  # noqa: E402
from cnncalc.errors import CnnCalcError  # noqa: E402

nn = torch.nn
pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SPATIAL = ("conv", "convt", "maxpool", "avgpool", "bn", "adaptive", "upsample")
ANY = ("relu", "gelu", "dropout", "identity", "tanh", "softmax")
FLAT = ("linear", "layernorm")
sizes = st.integers(1, 6)


@st.composite
def layer(draw, channels: int):
    """One layer spec and the channels it outputs; its input channels are right most of the time, not always."""
    kind = draw(st.sampled_from(SPATIAL + ANY + FLAT + ("flatten",)))
    cin = channels if draw(st.integers(0, 9)) else draw(sizes)  # now and then a size that does not fit
    cout = draw(sizes)
    k, s, p = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(0, 2))
    build = {
        "conv": lambda: nn.Conv2d(cin, cout, k, s, p, groups=draw(st.sampled_from([1, cin if cout % cin == 0 else 1]))),
        "convt": lambda: nn.ConvTranspose2d(cin, cout, k, s, min(p, k - 1)),
        "maxpool": lambda: nn.MaxPool2d(k, s, min(p, k // 2), ceil_mode=draw(st.booleans())),
        "avgpool": lambda: nn.AvgPool2d(k, s, min(p, k // 2)),
        "bn": lambda: nn.BatchNorm2d(cin),
        "adaptive": lambda: nn.AdaptiveAvgPool2d(draw(st.integers(1, 3))),
        "upsample": lambda: nn.Upsample(scale_factor=draw(st.integers(1, 2))),
        "relu": nn.ReLU,
        "gelu": nn.GELU,
        "tanh": nn.Tanh,
        "dropout": lambda: nn.Dropout(0.5),
        "identity": nn.Identity,
        "softmax": lambda: nn.Softmax(dim=-1),
        "linear": lambda: nn.Linear(cin, cout, bias=draw(st.booleans())),
        "layernorm": lambda: nn.LayerNorm(cin),
        "flatten": nn.Flatten,
    }[kind]
    out = cout if kind in ("conv", "convt", "linear") else channels
    return build(), out


@st.composite
def models(draw):
    """A Sequential of 1 to 5 layers and an input size (batch, channels, height, width) for it."""
    channels = draw(sizes)
    shape = (draw(st.integers(1, 2)), channels, draw(st.integers(1, 12)), draw(st.integers(1, 12)))
    layers = []
    for _ in range(draw(st.integers(1, 5))):
        module, channels = draw(layer(channels))
        layers.append(module)
    return nn.Sequential(*layers), shape


def runs_a_2d_layer_without_its_axes(model: nn.Module, x: torch.Tensor) -> bool:
    """Whether PyTorch ran a 2-D layer on fewer than (batch, channels, height, width): an adaptive pool after a
    Flatten pools a (batch, features) tensor as if it were an image's (height, width), the batch axis included.
    cnncalc counts per sample, with the batch first, so it refuses such a layer in words rather than count it."""
    seen = []
    hooks = [
        m.register_forward_pre_hook(lambda m, args: seen.append(args[0].dim() < 4))
        for m in model.modules()
        if isinstance(m, nn.AdaptiveAvgPool2d)
    ]
    try:
        model(x)
    finally:
        for h in hooks:
            h.remove()
    return any(seen)


@FUZZ
@given(models())
def test_generated_models_give_pytorchs_figures_or_say_why_in_words(model_and_shape):
    model, shape = model_and_shape
    torch.manual_seed(0)
    try:
        flops = real_flops(model, torch.randn(*shape))
    except (RuntimeError, ValueError, IndexError):  # PyTorch refuses the model on this input
        flops = None
    try:
        report = cnncalc.from_torch(model, shape, flops="matmul")
    except CnnCalcError as e:
        if flops is not None:
            assert runs_a_2d_layer_without_its_axes(model, torch.randn(*shape)), (
                f"PyTorch runs it, cnncalc refused: {e}"
            )
            assert "needs spatial axes" in str(e), str(e)
        assert str(e) and not python_words(str(e)), str(e)
        return
    assert flops is not None, "cnncalc counted a model PyTorch refuses"
    assert report.totals.params == sum(p.numel() for p in model.parameters())
    assert report.totals.flops == flops


def test_an_adaptive_pool_over_the_batch_axis_is_refused_in_words():
    # found by the target above: PyTorch pools a (batch, features) tensor as an image's (height, width)
    model = nn.Sequential(nn.Flatten(), nn.AdaptiveAvgPool2d(1))
    assert model(torch.zeros(3, 1, 1, 5)).shape == (1, 1)  # the 3 samples pooled together
    with pytest.raises(CnnCalcError, match="an adaptive pool needs spatial axes, but it gets a flat vector of 5"):
        cnncalc.from_torch(model, (3, 1, 1, 5))
