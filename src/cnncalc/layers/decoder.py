"""Language-model blocks: grouped-query attention, gated MLPs, mixtures of experts, multi-head latent
attention and the pre-norm decoder block, each a composite of the core kinds.

Each part is named as Hugging Face names the module (``q_proj``, ``gate_proj``,
``kv_b_proj``), so LoRA targets and rows read the same as the model's. A
sequence ``(L, d)`` is core ``(d, L)``.

>>> from cnncalc import analyze
>>> analyze("input(16, 64) -> gqa(8, kv_heads=2)").rows[-1].params   # 64·64 + 2·(64·16) + 64·64
10240
"""

from __future__ import annotations

from cnncalc.errors import ShapeError
from cnncalc.layers.attention import tokens_of
from cnncalc.layers.binding import Args, Param
from cnncalc.layers.elementwise import activation_name
from cnncalc.layers.registry import Alias, Expansion, composite

GQA = (
    Param("heads", ("num_heads", "num_attention_heads", "n_heads"), positional=True, required=True),
    Param("kv_heads", ("num_key_value_heads", "kv", "groups"), default=None),
    Param("head_dim", ("hd",), default=None),
    Param("bias", ("attention_bias", "qkv_bias"), default=False),
    Param("out_bias", ("o_bias",), default=None),
    Param("rotary", ("rope",), default=True),
    Param("rope_dims", ("rotary_dim",), default=None),
    Param("window", ("sliding_window",), default=None),
    Param("qk_norm", (), default=False),
    Param("causal", (), default=True),
    Param("fused", (), default=False),
    Param("names", ("modules",), default=None),
)


def width(inputs: tuple[tuple[int, ...], ...], what: str) -> int:
    """The features of a block's one input, a sequence ``(L, d)``."""
    return tokens_of(inputs[0], what)[0]


def _names(a: Args, default: tuple[str, ...]) -> tuple[str, ...]:
    """The parts' module names: ``names="c_attn,c_proj"`` (GPT-2's) instead of the defaults, one per part."""
    given = a.raw("names")
    if given is None:
        return default
    names = tuple(n.strip() for n in str(given).split(",") if n.strip())
    if len(names) != len(default):
        raise ShapeError(f"names= gives {len(names)} module names; this block has {len(default)}: {', '.join(default)}")
    return names


def _heads(a: Args, d: int) -> tuple[int, int, int]:
    """Query heads, key/value heads and the head size, checked."""
    heads = a.int("heads")
    kv = heads if a.raw("kv_heads") is None else a.int("kv_heads")
    if heads % kv:
        raise ShapeError(
            f"{heads} query heads do not share {kv} key/value heads evenly", hint="kv_heads must divide heads"
        )
    if a.raw("head_dim") is None and d % heads:
        raise ShapeError(f"{d} features do not split into {heads} heads", hint="give head_dim=")
    hd = d // heads if a.raw("head_dim") is None else a.int("head_dim")
    return heads, kv, hd


def gqa_block(e: Expansion, a: Args, d: int, source: str = "in") -> str:
    """Grouped-query attention on ``source``: q/k/v projections, optional q/k norms, RoPE, the cache, SDPA, o_proj."""
    heads, kv, hd = _heads(a, d)
    bias = a.bool("bias")
    out_bias = bias if a.raw("out_bias") is None else a.bool("out_bias")
    window = a.optional_int("window")
    causal = a.bool("causal")
    if a.bool("fused"):  # one projection split in three (Phi-3's qkv_proj)
        qkv_name, out_name = _names(a, ("qkv_proj", "o_proj"))
        qkv = e.add(qkv_name, "dense", source, units=(heads + 2 * kv) * hd, bias=bias, flatten=False, tp="colwise")
        q = e.add("q", "split", qkv, size=heads * hd)
        k = e.add("k", "split", qkv, size=kv * hd, start=heads * hd)
        v = e.add("v", "split", qkv, size=kv * hd, start=(heads + kv) * hd)
    else:
        q_name, k_name, v_name, out_name = _names(a, ("q_proj", "k_proj", "v_proj", "o_proj"))
        q = e.add(q_name, "dense", source, units=heads * hd, bias=bias, flatten=False, tp="colwise")
        k = e.add(k_name, "dense", source, units=kv * hd, bias=bias, flatten=False, tp="colwise")
        v = e.add(v_name, "dense", source, units=kv * hd, bias=bias, flatten=False, tp="colwise")
    if a.bool("qk_norm"):
        q = e.add("q_norm", "rmsnorm", q, heads=heads)
        k = e.add("k_norm", "rmsnorm", k, heads=kv)
    if a.bool("rotary"):
        dims = a.raw("rope_dims")
        q = e.add("rotary_q", "rotary", q, heads=heads, dims=dims)
        k = e.add("rotary_k", "rotary", k, heads=kv, dims=dims)
    if causal:
        k = e.add("k_cache", "cache", k, window=window)
        v = e.add("v_cache", "cache", v, window=window)
    e.add("sdpa", "sdpa", q, k, v, heads=heads, kv_heads=kv, causal=causal, window=window)
    if kv != heads:
        e.note(f"{heads} query heads share {kv} key/value heads of {hd}")
    return e.add(out_name, "dense", "sdpa", units=d, bias=out_bias, flatten=False, tp="rowwise")


@composite("gqa", params=GQA, aliases=("groupedqueryattention", "gqattention"), example="gqa(4, kv_heads=2)")
def gqa(a: Args, inputs: tuple[tuple[int, ...], ...], e: Expansion) -> None:
    """Grouped-query self-attention (Llama, Mistral, Qwen): ``h`` query heads share ``g`` key/value heads.

    Params ``d·h·hd + 2·d·g·hd + h·hd·d`` (+ biases); MACs per position the same,
    plus ``2·h·L·hd`` per position for the scores and the weighted sum (the full
    ``L×L`` matrix, as eager attention computes it). Llama-3-8B, ``d = 4096``,
    ``h = 32``, ``g = 8``, ``hd = 128``: ``2·4096·4096 + 2·4096·1024 = 41,943,040``.
    ``rotary`` (RoPE on q and k, ``rope_dims`` of each head), ``qk_norm``
    (Qwen3's per-head RMS norms), ``window`` (a sliding window: the cache keeps
    at most that many positions), ``fused`` (one ``qkv_proj``, Phi-3), ``causal=false``
    (an encoder's: no cache), ``names`` (the parts' module names, ``c_attn,c_proj`` for
    GPT-2). Keys and values pass through ``cache`` nodes: the KV cache, ``2·g·hd``
    elements per position.
    """
    gqa_block(e, a, width(inputs, "gqa"))


MLP = (
    Param("ff", ("intermediate_size", "intermediate", "ffn"), positional=True, required=True),
    Param("activation", ("act", "hidden_act"), default="silu"),
    Param("bias", ("mlp_bias",), default=False),
    Param("fused", (), default=False),
)


def gated_mlp(e: Expansion, a: Args, d: int, source: str = "in", ff: int | None = None) -> str:
    """``down(act(gate(x)) · up(x))`` on ``source``; fused: one ``gate_up_proj`` split in two (Phi-3)."""
    ff = a.int("ff") if ff is None else ff
    bias = a.bool("bias")
    act = activation_name(a.raw("activation"))
    if a.bool("fused"):
        both = e.add("gate_up_proj", "dense", source, units=2 * ff, bias=bias, flatten=False, tp="colwise")
        gate = e.add("gate", "split", both, size=ff)
        up = e.add("up", "split", both, size=ff, start=ff)
    else:
        gate = e.add("gate_proj", "dense", source, units=ff, bias=bias, flatten=False, tp="colwise")
        up = e.add("up_proj", "dense", source, units=ff, bias=bias, flatten=False, tp="colwise")
    if act != "linear":
        gate = e.add("act_fn", act, gate)
    h = e.add("mul", "mul", gate, up)
    return e.add("down_proj", "dense", h, units=d, bias=bias, flatten=False, tp="rowwise")


@composite(
    "gatedmlp",
    params=MLP,
    aliases=(
        "glu",
        Alias("swiglu", "gatedmlp", (("activation", "silu"),)),
        Alias("geglu", "gatedmlp", (("activation", "gelu"),)),
    ),
    example="swiglu(11008)",
)
def gatedmlp(a: Args, inputs: tuple[tuple[int, ...], ...], e: Expansion) -> None:
    """A gated MLP (SwiGLU, GeGLU): ``down(act(gate(x)) · up(x))``; params ``3·d·ff``, MACs ``3·d·ff`` per position.

    Llama-2-7B, ``d = 4096``, ``ff = 11008``: ``3·4096·11008 = 135,266,304`` params.
    ``swiglu`` uses silu, ``geglu`` gelu; ``fused=true`` computes gate and up in one
    projection (Phi-3's ``gate_up_proj``). The activation and the product are counted
    under ``all`` only.
    """
    gated_mlp(e, a, width(inputs, "gatedmlp"))


@composite(
    "feedforward",
    params=(
        Param("ff", ("intermediate_size", "intermediate", "n_inner"), positional=True, required=True),
        Param("activation", ("act", "hidden_act"), default="gelu"),
        Param("bias", ("mlp_bias",), default=True),
        Param("names", ("modules",), default=None),
    ),
    aliases=("ffn", "positionwiseffn"),
    example="feedforward(3072)",
)
def feedforward(a: Args, inputs: tuple[tuple[int, ...], ...], e: Expansion) -> None:
    """The two-layer MLP of GPT-2, GPT-NeoX, Falcon and BERT: ``fc2(act(fc1(x)))``; params ``2·d·ff + ff + d``.

    GPT-2 small, ``d = 768``, ``ff = 3072``: ``(768 + 1)·3072 + (3072 + 1)·768 = 4,722,432``.
    ``names`` gives the two layers' module names (``c_fc,c_proj``); ``bias=false`` drops the biases.
    """
    (x,) = inputs
    d, _ = tokens_of(x, "feedforward")
    first, second = _names(a, ("fc1", "fc2"))
    bias = a.bool("bias")
    h = e.add(first, "dense", units=a.int("ff"), bias=bias, flatten=False, tp="colwise")
    act = activation_name(a.raw("activation"))
    if act != "linear":
        h = e.add("act", act, h)
    e.add(second, "dense", h, units=d, bias=bias, flatten=False, tp="rowwise")


MOE = (
    Param("experts", ("num_experts", "num_local_experts", "n_routed_experts"), positional=True, required=True),
    Param("top_k", ("k", "num_experts_per_tok"), positional=True, required=True),
    Param("ff", ("moe_intermediate_size", "intermediate_size"), positional=True, required=True),
    Param("activation", ("act", "hidden_act"), default="silu"),
    Param("normalize", ("norm_topk_prob",), default=True),
    Param("shared_ff", ("shared", "shared_expert_intermediate_size"), default=0),
    Param("shared_gate", (), default=False),
    Param("scoring", ("router",), default="softmax"),
    Param("correction", (), default=False),
)


def moe_block(e: Expansion, a: Args, d: int, source: str = "in") -> str:
    """Router, top-k, dispatch, the experts' gated MLPs, the weighted sum, and the shared expert if any."""
    n, k, ff = a.int("experts"), a.int("top_k"), a.int("ff")
    if k > n:
        raise ShapeError(f"moe: the router picks {k} of {n} experts", hint=f"top_k must be at most {n}")
    act = activation_name(a.raw("activation"))
    scoring = a.choice("scoring", ("softmax", "sigmoid"))
    g = e.add("gate", "dense", source, units=n, bias=False, flatten=False)
    g = e.add(scoring, scoring, g)
    w = e.add("topk", "topk", g, k=k, normalize=a.bool("normalize"), correction=a.bool("correction"))
    r = e.add("dispatch", "dispatch", source, k=k)
    h = e.add("gate_up_proj", "expertdense", r, units=2 * ff, experts=n, top_k=k, tp="colwise")
    gate = e.add("gate", "split", h, size=ff)
    up = e.add("up", "split", h, size=ff, start=ff)
    if act != "linear":
        gate = e.add("act_fn", act, gate)
    h = e.add("down_proj", "expertdense", e.add("mul", "mul", gate, up), units=d, experts=n, top_k=k, tp="rowwise")
    y = e.add("combine", "combine", h, w)
    e.note(f"{k} of {n} experts per position, each a gated MLP of {ff}")
    shared = a.int("shared_ff", minimum=0)
    if shared:
        s = e.add("shared_expert", "gatedmlp", source, ff=shared, activation=act)
        if a.bool("shared_gate"):
            sg = e.add("sigmoid", "sigmoid", e.add("shared_expert_gate", "dense", source, units=1, bias=False))
            s = e.add("gated", "mul", s, sg)
        y = e.add("add", "add", y, s)
    return y


@composite("moe", params=MOE, aliases=("mixtureofexperts", "sparsemoe"), example="moe(8, 2, 14336)")
def moe(a: Args, inputs: tuple[tuple[int, ...], ...], e: Expansion) -> None:
    """A mixture of experts: a router picks ``top_k`` of ``experts`` gated MLPs per position (Mixtral, Qwen-MoE).

    Params ``d·E`` (router) ``+ E·3·d·ff`` (+ the shared expert ``3·d·shared_ff`` and
    its gate ``d``); MACs per position ``d·E + k·3·d·ff`` (+ the shared expert's), as
    Hugging Face's batched experts compute. Mixtral-8x7B's layer, ``moe(8, 2, 14336)``
    on ``d = 4096``: ``4096·8 + 8·3·4096·14336 = 1,409,318,912`` params, of which
    ``6·3·4096·14336 = 1,056,964,608`` idle for each token (the active params).
    ``scoring=sigmoid`` and ``correction=true``: DeepSeek-V3's router.
    """
    moe_block(e, a, width(inputs, "moe"))


MLA = (
    Param("heads", ("num_heads", "num_attention_heads"), positional=True, required=True),
    Param("kv_lora_rank", ("kv_rank",), required=True),
    Param("q_lora_rank", ("q_rank",), default=None),
    Param("qk_nope_dim", ("qk_nope_head_dim",), default=128),
    Param("qk_rope_dim", ("qk_rope_head_dim",), default=64),
    Param("v_head_dim", ("v_dim",), default=128),
    Param("bias", ("attention_bias",), default=False),
)


def mla_block(e: Expansion, a: Args, d: int, source: str = "in") -> str:
    """Multi-head latent attention as DeepSeek-V3 runs it in Hugging Face: the latent is cached and expanded."""
    heads, rank = a.int("heads"), a.int("kv_lora_rank")
    nope, rope, vd = a.int("qk_nope_dim", minimum=0), a.int("qk_rope_dim"), a.int("v_head_dim")
    bias = a.bool("bias")
    qd = nope + rope
    if a.raw("q_lora_rank") is None:
        q = e.add("q_proj", "dense", source, units=heads * qd, bias=False, flatten=False, tp="colwise")
    else:
        q = e.add("q_a_proj", "dense", source, units=a.int("q_lora_rank"), bias=bias, flatten=False)
        q = e.add("q_a_layernorm", "rmsnorm", q)
        q = e.add("q_b_proj", "dense", q, units=heads * qd, bias=False, flatten=False, tp="colwise")
    q = e.add("rotary_q", "rotary", q, heads=heads, dims=rope)
    kv = e.add("kv_a_proj_with_mqa", "dense", source, units=rank + rope, bias=bias, flatten=False)
    latent = e.add("kv_a_layernorm", "rmsnorm", e.add("latent", "split", kv, size=rank))
    k_rot = e.add("rotary_k", "rotary", e.add("k_rot", "split", kv, size=rope, start=rank))
    latent = e.add("latent_cache", "cache", latent)
    k_rot = e.add("rope_cache", "cache", k_rot)
    kvb = e.add("kv_b_proj", "dense", latent, units=heads * (nope + vd), bias=False, flatten=False, tp="colwise")
    keys = e.add(
        "keys",
        "concat",
        e.add("k_nope", "split", kvb, size=heads * nope),
        e.add("k_shared", "expand", k_rot, times=heads),
    )
    values = e.add("values", "split", kvb, size=heads * vd, start=heads * nope)
    e.add("sdpa", "sdpa", q, keys, values, heads=heads, causal=True)
    e.note(f"caches the latent of {rank} and the rotary key of {rope} per position; expands them for every step")
    return e.add("o_proj", "dense", "sdpa", units=d, bias=bias, flatten=False, tp="rowwise")


@composite(
    "mla", params=MLA, aliases=("latentattention", "multiheadlatentattention"), example="mla(128, kv_lora_rank=512)"
)
def mla(a: Args, inputs: tuple[tuple[int, ...], ...], e: Expansion) -> None:
    """Multi-head latent attention (DeepSeek-V2/V3): keys and values come from a cached latent of ``kv_lora_rank``.

    Queries through ``q_a_proj → rmsnorm → q_b_proj`` (``q_lora_rank``), or one
    ``q_proj``; ``kv_a_proj_with_mqa`` gives the latent and a rotary key of
    ``qk_rope_dim`` shared by every head; ``kv_b_proj`` expands the latent into each
    head's keys (``qk_nope_dim``) and values (``v_head_dim``). The cache holds
    ``kv_lora_rank + qk_rope_dim`` per position (DeepSeek-V3: ``512 + 64 = 576``);
    a decode step expands the whole cache again, as Hugging Face runs it.
    """
    mla_block(e, a, width(inputs, "mla"))


@composite(
    "decoder",
    params=(
        *GQA[:1],
        Param("ff", ("intermediate_size", "intermediate"), positional=True, required=True),
        *GQA[1:],
        Param("activation", ("act", "hidden_act"), default="silu"),
        Param("mlp_bias", (), default=False),
        Param("norm", (), default="rmsnorm"),
        Param("experts", ("num_experts", "num_local_experts"), default=0),
        Param("top_k", ("num_experts_per_tok",), default=2),
        Param("shared_ff", ("shared",), default=0),
        Param("normalize", ("norm_topk_prob",), default=True),
    ),
    aliases=("decoderblock", "llamablock", "decoderlayer"),
    example="decoder(4, 64)",
    block=True,
)
def decoder(a: Args, inputs: tuple[tuple[int, ...], ...], e: Expansion) -> None:
    """A pre-norm decoder block (Llama): ``x + attn(norm(x))``, then ``h + mlp(norm(h))``.

    The attention is :func:`gqa` (its arguments: ``kv_heads``, ``head_dim``,
    ``rotary``, ``window``, ``qk_norm``, ``bias``); the MLP a SwiGLU of ``ff``
    (``activation=``), or with ``experts=E`` a mixture of ``top_k`` of E experts of
    ``ff`` each. Norms are RMS norms (``norm=layernorm`` for layer norms).
    Llama-2-7B's block, ``decoder(32, 11008)`` on ``d = 4096``: ``4·4096² +
    3·4096·11008 + 2·4096 = 202,383,360`` params.
    """
    (x,) = inputs
    d, _ = tokens_of(x, "decoder")
    norm = a.choice("norm", ("rmsnorm", "layernorm"))
    h = gqa_block(e, a, d, e.add("input_layernorm", norm))
    r = e.add("add1", "add", "in", h)
    n = e.add("post_attention_layernorm", norm, r)
    act = activation_name(a.raw("activation"))
    if a.int("experts", minimum=0):
        m = e.add(
            "mlp",
            "moe",
            n,
            experts=a.int("experts"),
            top_k=a.int("top_k"),
            ff=a.int("ff"),
            activation=act,
            normalize=a.bool("normalize"),
            shared_ff=a.int("shared_ff", minimum=0),
        )
    else:
        m = e.add("mlp", "gatedmlp", n, ff=a.int("ff"), activation=act, bias=a.bool("mlp_bias"))
    e.add("add2", "add", r, m)
