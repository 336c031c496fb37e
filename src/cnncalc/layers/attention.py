"""Sequence-model layers: embeddings, multi-head self-attention, the transformer encoder block, and
squeeze-and-excitation (attention over channels).

A sequence ``(L, d)`` as written is core ``(d, L)``; token ids ``input(L)`` are core ``(L,)``.
"""

from __future__ import annotations

from cnncalc.errors import ShapeError
from cnncalc.layers.binding import Args, Param
from cnncalc.layers.calc import Calc, Shape, fmt, prod, times
from cnncalc.layers.elementwise import ACTIVATION_FLOPS, activation_name
from cnncalc.layers.registry import Expansion, composite, register


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
        Param("tp", ("parallel",), default=None),
    ),
    aliases=("embed", "wordembedding"),
    example="embedding(30522, 768)",
)
def embedding(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """A lookup table: token ids ``(L,)`` to ``(L, dim)``; params ``vocab·dim`` (BERT: 30,522·768); no MACs.

    ``tp=rowwise`` splits its vocabulary over tensor-parallel ranks (the lookups all-reduced), ``tp=colwise``
    its dimension.
    """
    from cnncalc.layers.dense import tp_style

    tp_style(a)
    (x,) = inputs
    if len(x) > 1:
        raise ShapeError(
            f"embedding reads token ids input(L), but it gets a shape of {len(x)} axes",
            hint="write input(128) -> embedding(30522, 768)",
        )
    vocab, dim = a.int("vocab"), a.int("dim")
    c.params(vocab * dim, f"{vocab}·{dim}")
    c.out((dim, *x))  # one id (a traced model's positions are leading axes) gives one vector
    c.note(f"looks up {prod(x)} row(s) of a {fmt(vocab)}×{dim} table: no arithmetic")


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


def sdpa_cost(
    c: Calc, lead: tuple[int, ...], length: int, keys: int, e: int, ev: int, *, masked: bool, pairs: int | None = None
) -> None:
    """Scaled dot-product attention: the one formula for the notation's attention and a traced SDPA.

    ``lead`` are the leading axes of the queries (batch and heads): ``b = ∏lead``
    score matrices of ``length × keys`` (``pairs`` query-key pairs each, when
    fewer are computed). MACs ``b·L·S·E`` (QKᵀ) + ``b·L·S·Ev`` (AV); under ``all``
    the scaling (1 per score), the mask when there is one (1 per score) and
    softmax (3 per score). NB: a causal mask is not discounted, as
    FlopCounterMode does not; a kernel that skips the masked half does about
    half the work (``pairs``: the causal half, :func:`causal_pairs`).
    """
    b = prod(lead)
    scores = b * (length * keys if pairs is None else pairs)
    lt = times([*lead, length, keys]) if pairs is None else times([*lead, pairs])
    c.macs(scores * e, f"{lt}·{e}")
    c.macs(scores * ev, f"{lt}·{ev}")
    c.elementwise(scores, f"scaling {lt}")
    if masked:
        c.elementwise(scores, f"mask {lt}")
    c.elementwise(ACTIVATION_FLOPS["softmax"] * scores, f"softmax {ACTIVATION_FLOPS['softmax']}·{lt}")


def causal_pairs(length: int, keys: int, window: int | None) -> int:
    """Query-key pairs a causal mask keeps: query ``i`` (of the last ``length`` of ``keys``) sees ``min(S − L + i, w)``.

    ``causal_pairs(4, 4, None)`` = 1 + 2 + 3 + 4 = 10; ``causal_pairs(4, 4, 2)`` = 1 + 2 + 2 + 2 = 7.
    """
    offset, w = keys - length, keys if window is None else window
    t = max(0, min(w - offset, length))  # queries whose view is not cut by the window
    return t * offset + t * (t + 1) // 2 + (length - t) * w


@register(
    "sdpa",
    params=(
        Param("heads", ("num_heads", "h"), default=1),
        Param("causal", ("is_causal",), default=False),
        Param("masked", ("mask", "attn_mask"), default=False),
        Param("scale", (), default=None),
        Param("dropout", ("dropout_p",), default=0.0),
        Param("copies_v", (), default=False),  # a traced model's v lies so that PyTorch's kernel copies it
        Param("kv_heads", ("num_key_value_heads", "groups"), default=None),
        Param("window", ("sliding_window",), default=None),
    ),
    aliases=("scaleddotproductattention", "scaled_dot_product_attention", "dotproductattention"),
    inputs=None,
    example="sdpa(b, b, b, heads=4)",
)
def sdpa(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Scaled dot-product attention of queries, keys and values (and a mask): ``softmax(QKᵀ/√E)·V``, no params.

    Each is a sequence ``(L, E)`` (``(S, E)``, ``(S, Ev)``; every spatial position
    of an image is a token) and gives ``(L, Ev)``; ``heads=h`` splits the
    features into h heads. ``sdpa(q, k, v)`` on ``(10, 64)`` each: MACs
    ``10·10·64 + 10·10·64 = 12,800``. Grouped-query attention: ``kv_heads=g``
    splits the keys and values into g heads, each shared by ``h/g`` query heads
    (a traced model's batch and heads are leading axes, and its keys and values
    may have fewer of them). ``window=w`` (a causal sliding window) changes
    nothing at prefill, where the full score matrix is computed; a decode step's
    keys are its cache's positions (see ``cache``).
    """
    if len(inputs) not in (3, 4):
        raise ShapeError(f"sdpa takes queries, keys and values (and a mask), got {len(inputs)} inputs")
    q, k, v = inputs[:3]
    if min(len(q), len(k), len(v)) < 2:
        raise ShapeError("sdpa needs sequences (L, E) for its queries, keys and values", hint="e.g. input(10, 64)")
    (e, length), (e2, keys), (ev, keys2) = ((x[0], prod(x[1:])) for x in (q, k, v))
    heads = a.int("heads")
    groups = heads if a.raw("kv_heads") is None else a.int("kv_heads")
    if heads % groups:
        raise ShapeError(f"sdpa: {heads} query heads do not share {groups} key/value heads evenly")
    if e % heads or e2 % groups or ev % groups:
        raise ShapeError(f"sdpa: {e} features do not split into {heads} heads", hint="heads must divide E")
    if e // heads != e2 // groups or keys != keys2:
        raise ShapeError(
            f"sdpa: queries of {e} features and {length} positions, keys of {e2} and {keys}, values of "
            f"{ev} and {keys2} do not fit (E per head and S must agree)"
        )
    window = a.optional_int("window")
    causal = a.bool("causal")
    pairs = causal_pairs(length, keys, window) if causal and c.causal_half else None
    if heads > 1:
        c.note(f"{heads} heads of {e // heads}" + (f", {groups} key/value heads" if groups != heads else ""))
        sdpa_cost(c, (heads,), length, keys, e // heads, ev // groups, masked=_masked(a, inputs), pairs=pairs)
    else:
        sdpa_cost(c, (), length, keys, e, ev, masked=_masked(a, inputs), pairs=pairs)
    if causal and pairs is not None:
        c.note("causal half: only the query-key pairs the mask keeps are counted")
    elif causal:
        c.note("causal mask (is_causal): the masked half of the scores is counted in full, as FlopCounterMode does")
    c.out((ev * heads // groups, *q[1:]))


def _masked(a: Args, inputs: tuple[Shape, ...]) -> bool:
    return a.bool("causal") or a.bool("masked") or len(inputs) == 4


@register(
    "rotary",
    params=(
        Param("heads", ("num_heads", "h"), positional=True, default=1),
        Param("dims", ("rotary_dim", "rope_dims"), default=None),
    ),
    aliases=("rope", "rotaryembedding", "rotarypositionembedding"),
    example="rotary(4)",
)
def rotary(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Rotary position embedding (RoPE) of queries or keys: each head's first ``dims`` features turned by position.

    ``x·cos + rotate_half(x)·sin``: 3 FLOPs per rotated element, under ``all``
    only (no MACs, no params). ``input(128, 4096) -> rotary(32)``: ``3·4096·128 =
    1,572,864``. ``dims`` defaults to the whole head (GPT-NeoX rotates a quarter).
    The cos and sin tables of the positions are left out.
    """
    (x,) = inputs
    e, length = tokens_of(x, "rotary")
    heads = a.int("heads")
    if e % heads:
        raise ShapeError(f"rotary: {e} features do not split into {heads} heads")
    dims = e // heads if a.raw("dims") is None else a.int("dims")
    if dims > e // heads or dims % 2:
        raise ShapeError(f"rotary: {dims} rotated features per head must be even and at most {e // heads}")
    c.out(x)
    n = heads * dims * length
    c.elementwise(3 * n, f"3·{heads}·{dims}·{fmt(length)}")


@register(
    "cache",
    params=(Param("window", ("sliding_window",), default=None),),
    aliases=("kvcache",),
    zero_cost=True,
    view=True,
    example="cache(window=4096)",
)
def cache(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """A tensor a decoder keeps for the positions after it (a KV cache): no arithmetic, its input's storage.

    ``(L, E)`` keeps ``E`` elements per position (``window=w``: at most the last
    ``w`` positions); the serving figures add them up: Llama-2-7B keeps keys and
    values of 4,096 each in 32 layers, ``32·2·4096 = 262,144`` elements per token.
    In a decode step at a context of C positions (``--context``) its output is the
    whole cache, ``min(C, w)`` positions, so what reads it works on all of them.
    """
    (x,) = inputs
    e, _ = tokens_of(x, "cache")
    window = a.optional_int("window")
    c.cache(e, window, f"{e}")
    if window is not None:
        c.note(f"keeps at most the last {window:,} positions (a sliding window)")
    if c.context is None:
        c.out(x)
        return
    held = min(c.context, window) if window is not None else c.context
    c.out((e, held))  # a decode step: what is read is the cache, the new positions included
    c.note(f"decode step: holds {held:,} positions")


def attention_block(e: Expansion, a: Args, d: int, source: str) -> str:
    """Multi-head self-attention on ``source`` (``d`` features), as ``nn.MultiheadAttention`` runs it: one
    packed projection to queries, keys and values (``3·d``), three views of it, SDPA, the output projection."""
    heads = a.int("heads")
    if d % heads:
        raise ShapeError(f"attention: {d} features do not split into {heads} heads", hint="heads must divide d")
    bias = a.bool("bias")
    packed = e.add("in_proj", "dense", source, units=3 * d, bias=bias, flatten=False, tp="colwise")
    for i, name in enumerate(("q", "k", "v")):
        e.add(name, "split", packed, size=d, start=i * d)
    e.add("sdpa", "sdpa", "q", "k", "v", heads=heads, causal=a.bool("causal"), dropout=a.raw("dropout"))
    e.note(f"{heads} heads of {d // heads}")
    return e.add("out", "dense", "sdpa", units=d, bias=bias, flatten=False, tp="rowwise")


@composite(
    "attention",
    params=ATTENTION,
    aliases=("mha", "selfattention", "multiheadattention"),
    example="attention(8)",
)
def attention(a: Args, inputs: tuple[Shape, ...], e: Expansion) -> None:
    """Multi-head self-attention (``nn.MultiheadAttention``): params ``4·(d² + d)``, MACs ``4·L·d² + 2·L²·d``.

    Made of the Q, K, V projections (dense), scaled dot-product attention and the
    output projection. Example ``input(10, 64) -> attention(4)``: params
    ``4·(64·64 + 64) = 16,640``, MACs ``4·10·64·64 + 2·10·10·64 = 176,640``. A
    causal mask does not change the count (FlopCounterMode counts the full L×L
    products too). Softmax, scaling and bias adds are counted under ``all`` only.
    """
    (x,) = inputs
    d, _ = tokens_of(x, "attention")
    attention_block(e, a, d, "in")


@composite(
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
    block=True,
)
def transformer(a: Args, inputs: tuple[Shape, ...], e: Expansion) -> None:
    """A transformer encoder block (``nn.TransformerEncoderLayer``): attention, 2 layer norms, a 2-layer MLP.

    Params ``4·(d² + d) + (d·ff + ff) + (ff·d + d) + 2·2d`` (``bias=false``: ``4·d² + 2·d·ff + 2·d``); MACs
    ``4·L·d² + 2·L²·d + 2·L·d·ff``. ``ff`` defaults to ``4·d`` (ViT, BERT, GPT-2;
    PyTorch's own default is 2048). Pre-norm (``norm_first``) or post-norm, in
    PyTorch's order. The two residual adds, the norms, softmax and the activation
    are counted under ``all`` only.
    """
    (x,) = inputs
    d, _ = tokens_of(x, "transformer")
    ff = 4 * d if a.raw("ff") is None else a.int("ff")
    bias = a.bool("bias")
    act = activation_name(a.raw("activation"))

    def mlp(source: str) -> str:
        h = e.add("mlp_in", "dense", source, units=ff, bias=bias, flatten=False, tp="colwise")
        if act != "linear":
            h = e.add(act, act, h)
        return e.add("mlp_out", "dense", h, units=d, bias=bias, flatten=False, tp="rowwise")

    if a.bool("norm_first"):
        h = attention_block(e, a, d, e.add("ln1", "layernorm", bias=bias))
        r = e.add("add1", "add", "in", h)
        h = mlp(e.add("ln2", "layernorm", r, bias=bias))
        e.add("add2", "add", r, h)
    else:  # PyTorch's default: x = norm1(x + attention(x)); x = norm2(x + mlp(x))
        h = attention_block(e, a, d, "in")
        r = e.add("ln1", "layernorm", e.add("add1", "add", "in", h), bias=bias)
        e.add("ln2", "layernorm", e.add("add2", "add", r, mlp(r)), bias=bias)


@composite(
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
def se(a: Args, inputs: tuple[Shape, ...], e: Expansion) -> None:
    """Squeeze-and-excitation: global average pool, ``C → S → C`` (1×1 convs with bias), gate, rescale.

    ``se(S)`` gives the squeeze width (torchvision's ``squeeze_channels``),
    ``se(reduction=16)`` takes ``S = C/16``. Params ``(C + 1)·S + (S + 1)·C``;
    MACs ``2·C·S``. The pooling sum and the final rescale (``C·H·W`` products)
    are counted under ``all`` (the pooling also under ``seed``), as torchvision runs it.
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
        e.note(f"squeeze = {ch}/{r} = {s}")
    else:
        raise ShapeError("se needs its squeeze width, se(16), or a reduction, se(reduction=16)")
    act, gate = activation_name(a.raw("activation")), activation_name(a.raw("gate"))
    h = e.add("fc1", "conv", e.add("pool", "adaptiveavgpool", output_size=1), filters=s, kernel=1)
    if act != "linear":
        h = e.add(act, act, h)
    h = e.add("fc2", "conv", h, filters=ch, kernel=1)
    if gate != "linear":
        h = e.add(gate, gate, h)
    e.add("scale", "mul", h, "in")
