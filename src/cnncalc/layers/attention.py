"""Sequence-model layers: embeddings, multi-head self-attention, the transformer encoder block, and
squeeze-and-excitation (attention over channels).

A sequence ``(L, d)`` as written is core ``(d, L)``; token ids ``input(L)`` are core ``(L,)``.
"""

from __future__ import annotations

from cnncalc.conventions import Convention
from cnncalc.errors import ShapeError
from cnncalc.layers.base import Args, Calc, Param, Shape, fmt, prod, register
from cnncalc.layers.elementwise import ACTIVATION_FLOPS, activation_name


def tokens_of(x: Shape, what: str) -> tuple[int, int]:
    """``(d, L)``: features and number of positions (every spatial position is a token)."""
    if len(x) < 2:
        raise ShapeError(
            f"{what} needs a sequence (L, d), but it gets a flat vector of {x[0]:,}",
            hint="write input(L, d), or put an embedding after input(L)",
        )
    return x[0], prod(x[1:])


@register(
    "embedding",
    params=(
        Param("vocab", ("num_embeddings", "input_dim", "vocab_size"), positional=True, required=True),
        Param("dim", ("embedding_dim", "output_dim", "d"), positional=True, required=True),
    ),
    aliases=("embed", "wordembedding"),
    example="embedding(30522, 768)",
)
def embedding(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """A lookup table: token ids ``(L,)`` to ``(L, dim)``; params ``vocab·dim`` (BERT: 30,522·768); no MACs."""
    (x,) = inputs
    if len(x) != 1:
        raise ShapeError(
            f"embedding reads token ids input(L), but it gets a shape of {len(x)} axes",
            hint="write input(128) -> embedding(30522, 768)",
        )
    vocab, dim = a.int("vocab"), a.int("dim")
    c.params(vocab * dim, f"{vocab}·{dim}")
    c.out((dim, x[0]))
    c.note(f"looks up {x[0]} rows of a {fmt(vocab)}×{dim} table: no arithmetic")


@register(
    "posembedding",
    params=(Param("positions", ("num_positions", "max_len", "n"), positional=True, default=None),),
    aliases=("positionembedding", "positional", "posembed"),
    example="posembedding",
)
def posembedding(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """A learned position embedding added to a sequence: params ``positions·d`` (ViT-B/16: 197·768).

    ``positions`` defaults to the sequence length. The add is counted under ``all`` only.
    """
    (x,) = inputs
    d, length = tokens_of(x, "posembedding")
    n = length if a.raw("positions") is None else a.int("positions")
    if n < length:
        raise ShapeError(f"posembedding has {n} positions but the sequence is {length} long")
    c.params(n * d, f"{n}·{d}")
    c.out(x)
    c.elementwise(d * length, f"{fmt(d * length)} additions")


@register("classtoken", aliases=("clstoken", "cls"), example="classtoken")
def classtoken(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Prepends a learned class token to a sequence: ``(L, d)`` to ``(L + 1, d)``; params ``d``."""
    (x,) = inputs
    d, length = tokens_of(x, "classtoken")
    c.params(d, f"{d}")
    c.out((d, length + 1))
    c.step("length", f"{length} + 1", length + 1)


ATTENTION = (
    Param("heads", ("num_heads", "nhead", "n_heads"), positional=True, required=True),
    Param("bias", (), default=True),
    Param("dropout", (), default=0.0),
    Param("causal", ("mask",), default=False),
)


def attention_arith(a: Args, d: int, length: int, c: Calc, prefix: str = "") -> None:
    """Multi-head self-attention over ``length`` tokens of ``d`` features: 4 projections + QKᵀ and AV."""
    heads = a.int("heads")
    if d % heads:
        raise ShapeError(f"attention: {d} features do not split into {heads} heads", hint="heads must divide d")
    bias = a.bool("bias")
    if bias:
        c.params(4 * (d * d + d), f"4·({d}·{d} + {d}) ({prefix}Q, K, V and output projections)")
    else:
        c.params(4 * d * d, f"4·{d}·{d} ({prefix}Q, K, V and output projections)")
    c.macs(4 * length * d * d, f"4·{length}·{d}·{d}")
    c.macs(2 * length * length * d, f"2·{length}·{length}·{d}")
    c.note(f"{heads} heads of {d // heads}; scores QKᵀ and weighted sum AV are {length}×{length} per head")
    c.elementwise(heads * length * length, f"scaling {heads}·{length}·{length}")
    c.elementwise(3 * heads * length * length, f"softmax 3·{heads}·{length}·{length}")
    if bias:
        c.elementwise(4 * length * d, f"bias 4·{length}·{d}")


@register(
    "attention",
    params=ATTENTION,
    aliases=("mha", "selfattention", "multiheadattention"),
    example="attention(8)",
)
def attention(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Multi-head self-attention (``nn.MultiheadAttention``): params ``4·(d² + d)``, MACs ``4·L·d² + 2·L²·d``.

    Example ``input(10, 64) -> attention(4)``: params ``4·(64·64 + 64) = 16,640``,
    MACs ``4·10·64·64 + 2·10·10·64 = 176,640``. A causal mask does not change the
    count (FlopCounterMode counts the full L×L products too). Softmax, scaling and
    bias adds are counted under ``all`` only.
    """
    (x,) = inputs
    d, length = tokens_of(x, "attention")
    attention_arith(a, d, length, c)
    c.out(x)


@register(
    "transformer",
    params=(
        *ATTENTION[:2],
        Param("ff", ("dim_feedforward", "mlp", "ffn", "intermediate"), positional=True, default=None),
        Param("activation", ("act",), default="relu"),
        Param("norm_first", ("prenorm", "pre_norm"), default=False),
        *ATTENTION[2:],
    ),
    aliases=("encoder", "transformerencoderlayer", "encoderblock", "transformerblock"),
    example="transformer(12, 3072)",
)
def transformer(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """A transformer encoder block (``nn.TransformerEncoderLayer``): attention, 2 layer norms, a 2-layer MLP.

    Params ``4·(d² + d) + (d·ff + ff) + (ff·d + d) + 2·2d`` (``bias=false``: ``4·d² + 2·d·ff + 2·d``); MACs
    ``4·L·d² + 2·L²·d + 2·L·d·ff``. ``ff`` defaults to ``4·d`` (ViT, BERT, GPT-2;
    PyTorch's own default is 2048). Pre- or post-norm counts the same. The two
    residual adds, the norms, softmax and the activation are counted under ``all`` only.
    """
    (x,) = inputs
    d, length = tokens_of(x, "transformer")
    ff = 4 * d if a.raw("ff") is None else a.int("ff")
    attention_arith(a, d, length, c, "attention: ")
    bias = a.bool("bias")
    if bias:
        c.params(2 * d * ff + ff + d, f"({d} + 1)·{ff} + ({ff} + 1)·{d} (the MLP)")
    else:
        c.params(2 * d * ff, f"2·{d}·{ff} (the MLP)")
    if bias:  # PyTorch's `bias` reaches the layer norms too: bias=False leaves them γ alone
        c.params(4 * d, f"2·2·{d} (two layer norms)")
    else:
        c.params(2 * d, f"2·{d} (two layer norms, γ only)")
    c.macs(2 * length * d * ff, f"2·{length}·{d}·{ff}")
    act = activation_name(a.raw("activation"))
    n = length * d
    per = ACTIVATION_FLOPS[act]
    c.elementwise(2 * n, f"residual adds 2·{fmt(n)}")
    c.elementwise(14 * n, f"layer norms 2·7·{fmt(n)}")
    c.elementwise(per * length * ff, f"{act} {per}·{length}·{ff}" if per != 1 else f"{act} {length}·{ff}")
    if bias:
        c.elementwise(length * (ff + d), f"MLP bias {length}·({ff} + {d})")
    c.out(x)


@register(
    "se",
    params=(
        Param("squeeze", ("squeeze_channels", "channels", "hidden"), positional=True, default=None),
        Param("reduction", ("ratio", "r"), default=None),
        Param("activation", ("act",), default="relu"),
        Param("gate", ("scale_activation",), default="sigmoid"),
    ),
    aliases=("squeezeexcitation", "squeezeexcite", "seblock"),
    example="se(16)",
)
def se(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Squeeze-and-excitation: global average pool, ``C → S → C`` (1×1 convs with bias), gate, rescale.

    ``se(S)`` gives the squeeze width (torchvision's ``squeeze_channels``),
    ``se(reduction=16)`` takes ``S = C/16``. Params ``(C + 1)·S + (S + 1)·C``;
    MACs ``2·C·S``. Leaves out the pooling sum and the final rescale (``C·H·W``
    products), counted under ``all`` (the pooling also under ``seed``).
    """
    (x,) = inputs
    if len(x) < 2:
        raise ShapeError(f"se needs spatial axes, but it gets a flat vector of {x[0]:,}")
    ch = x[0]
    if a.raw("squeeze") is not None:
        s = a.int("squeeze")
    elif a.raw("reduction") is not None:
        r = a.int("reduction")
        s = max(1, ch // r)
        c.step("squeeze", f"{ch}/{r}", s)
    else:
        raise ShapeError("se needs its squeeze width, se(16), or a reduction, se(reduction=16)")
    c.params((ch + 1) * s + (s + 1) * ch, f"({ch} + 1)·{s} + ({s} + 1)·{ch}")
    c.macs(2 * ch * s, f"2·{ch}·{s}")
    c.out(x)
    n = prod(x)
    c.flops_extra(ch, f"pooling {ch} outputs", (Convention.seed,))
    act, gate = activation_name(a.raw("activation")), activation_name(a.raw("gate"))
    c.elementwise(n, f"pool sums {fmt(n)}")
    c.elementwise(ACTIVATION_FLOPS[act] * s + ACTIVATION_FLOPS[gate] * ch, f"{act} {s} + {gate} {ch}")
    c.elementwise(s + ch, f"biases {s} + {ch}")
    c.elementwise(n, f"rescale {fmt(n)}")
