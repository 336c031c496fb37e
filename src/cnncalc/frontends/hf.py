"""The Hugging Face ``config.json`` front-end: a language model's architecture from its config alone.

Pure Python: no transformers, no torch, no weights. The config's ``model_type``
picks a family (:data:`FAMILIES`); the Graph has one node per block, of the
core kinds (``gqa``, ``mla``, ``gatedmlp``, ``moe``, the norms), each in a scope
named as the model's module (``model.layers.3.self_attn``), so ``--depth``,
LoRA targets and rows read as the model's own. Nothing here counts: the layer
kinds do, and :mod:`cnncalc.llm` works out the serving figures.

Config pitfalls handled: ``tie_word_embeddings`` (the head shares the embedding's
values), ``head_dim`` differing from ``hidden_size/heads``, ``attention_bias``,
``sliding_window`` with ``layer_types`` (or each family's own rule), a
``text_config`` nesting the language model, ``quantization_config`` (bits per weight).

>>> g = graph_of({"model_type": "llama", "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008,
...               "num_hidden_layers": 32, "num_attention_heads": 32})
>>> from cnncalc.analyze import analyze_graph
>>> analyze_graph(g).totals.params   # Llama-2-7B
6738415616
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnncalc.documents import MAX_SIZE, MISSING, Fields, check_nesting, kind_of_value, load_json, read_bytes, shown
from cnncalc.errors import ArgumentError, SpecError
from cnncalc.graph import Graph, Node, NodeIds, Scope
from cnncalc.layers.elementwise import ACTIVATION_WORDS
from cnncalc.numbers import whole

DEFAULT_INPUT = (1, 128)  # batch, positions, when --input is not given
COLUMNS = ("index", "name", "output_shape", "params", "macs", "flops")
DEFAULT_DEPTH = 2  # a row per decoder layer

# Hugging Face's activation names (``hidden_act``) as the core's activations
ACTS = {
    "silu": "silu",
    "swish": "silu",
    "gelu": "gelu",
    "gelu_new": "gelu",
    "gelu_fast": "gelu",
    "gelu_pytorch_tanh": "gelu",
    "gelu_python": "gelu",
    "quick_gelu": "gelu",
    "relu": "relu",
    "tanh": "tanh",
}
MAX_LAYERS = 10_000  # one node per block: a config asking for more is not a model cnncalc can build
# keys a config may spell either way (transformers 5 writes num_experts as num_local_experts)
SAME_KEYS = {
    "num_experts": ("num_local_experts",),
    "num_local_experts": ("num_experts",),
    "n_embd": ("hidden_size",),  # GPT-2's names, and transformers' attribute_map for them
    "n_layer": ("num_hidden_layers",),
    "n_head": ("num_attention_heads",),
    "n_positions": ("max_position_embeddings",),
}


class Config(Fields):
    """A config's values, read with their types checked (:class:`~cnncalc.documents.Fields`); every problem
    names the key. ``int``, ``float`` and ``bool`` read as transformers' config classes take them: a size is a
    JSON whole number (never text, never NaN), a share a finite number ≥ 0."""

    def __init__(self, data: dict[str, Any], source: str, model_type: str) -> None:
        super().__init__(data, source, aliases=SAME_KEYS, needs=f", and a {model_type} model needs it")
        self.source = source
        self.model_type = model_type

    def int(self, key: str, default: Any = MISSING, *, minimum: int = 1, maximum: int = MAX_SIZE) -> Any:
        return self.whole(key, default, minimum=minimum, maximum=maximum)

    def float(self, key: str, default: Any = MISSING) -> Any:
        return self.number(key, default, minimum=0)

    def bool(self, key: str, default: Any = MISSING) -> Any:
        return self.flag(key, default)

    def act(self, key: str, default: str) -> str:
        v = self.raw(key, default)
        if not isinstance(v, str) or (v.lower() not in ACTS and v.lower() not in ACTIVATION_WORDS):
            raise SpecError(f"{self.source}: '{key}' is not an activation cnncalc knows (got {shown(v)})")
        return ACTS.get(v.lower(), v.lower())

    def ints(self, key: str) -> list[int]:
        return self.wholes(key, [], minimum=0)

    def layer_types(self, layers: int) -> list[str] | None:
        v = self.data.get("layer_types")
        if v is None:
            return None
        if not isinstance(v, list) or len(v) != layers or not all(isinstance(x, str) for x in v):
            raise SpecError(f"{self.source}: 'layer_types' must list one attention type per layer ({layers})")
        return v

    def labels(self) -> int:
        """How many classes a classifier's head has, as transformers' config reads them: ``num_labels`` when given
        (it wins over ``id2label``), else ``id2label``'s distinct label ids (its keys as whole numbers: "0" and
        "00" are one), else 2. An ``id2label`` that is not a mapping is refused, as transformers refuses it."""
        labels = self.data.get("id2label")
        ids = set()
        if labels is not None:
            if not isinstance(labels, dict):
                raise SpecError(
                    f"{self.source}: 'id2label' must be a mapping from label ids to names, as transformers reads it"
                    f' (got {kind_of_value(labels)}); e.g. {{"0": "negative", "1": "positive"}}'
                )
            for key in labels:
                try:
                    ids.add(whole(key, "a label id"))
                except ArgumentError:
                    raise SpecError(f"{self.source}: 'id2label' has the key {shown(key)}, not a label id") from None
            if not ids:
                raise SpecError(f"{self.source}: 'id2label' is empty: a classifier needs at least one label")
        if self.has("num_labels") or not ids:
            return self.int("num_labels", 2)
        return len(ids)


# ---------------------------------------------------------------- the families


@dataclass(frozen=True)
class Family:
    """How a decoder-only family's config maps to blocks: its module names and per-layer choices."""

    prefix: str  # module class prefix: LlamaModel, LlamaDecoderLayer
    causal_lm: str  # the class `architectures` names by default
    act: str = "silu"
    tie: bool = False  # tie_word_embeddings' default in the family's config class
    qkv_bias: bool | None = None  # None: attention_bias (default false); True: q, k and v with bias, o without
    qk_norm: bool = False
    fused: bool = False  # one qkv_proj and one gate_up_proj (Phi-3)
    sandwich: bool = False  # norms after attention and MLP too (Gemma 2)
    scale_embeddings: bool = False  # embeddings times sqrt(hidden_size) (Gemma)
    window: str = "none"  # which layers slide: none, all, after (max_window_layers), alternate, types
    mlp: str = "dense"  # dense, moe (every layer), qwen_moe (sparse step), deepseek (first k dense)
    attention: str = "gqa"  # gqa, mla


FAMILIES: dict[str, Family] = {
    "llama": Family("Llama", "LlamaForCausalLM"),
    "mistral": Family("Mistral", "MistralForCausalLM", window="all"),
    "mixtral": Family("Mixtral", "MixtralForCausalLM", window="all", mlp="moe"),
    "qwen2": Family("Qwen2", "Qwen2ForCausalLM", qkv_bias=True, window="after"),
    "qwen2_moe": Family("Qwen2Moe", "Qwen2MoeForCausalLM", qkv_bias=True, window="after", mlp="qwen_moe"),
    "qwen3": Family("Qwen3", "Qwen3ForCausalLM", qk_norm=True, window="after"),
    "qwen3_moe": Family("Qwen3Moe", "Qwen3MoeForCausalLM", qk_norm=True, window="after", mlp="qwen_moe"),
    "gemma": Family("Gemma", "GemmaForCausalLM", act="gelu", tie=True, scale_embeddings=True),
    "gemma2": Family(
        "Gemma2", "Gemma2ForCausalLM", act="gelu", tie=True, scale_embeddings=True, sandwich=True, window="alternate"
    ),
    "phi3": Family("Phi3", "Phi3ForCausalLM", fused=True, window="all"),
    "deepseek_v3": Family("DeepseekV3", "DeepseekV3ForCausalLM", attention="mla", mlp="deepseek"),
}
"""The decoder-only families, by ``model_type``."""


def _windows(cfg: Config, fam: Family, layers: int) -> list[int | None]:
    """Each layer's sliding window (None: the layer attends to every position)."""
    types = cfg.layer_types(layers)
    window = cfg.int("sliding_window", None, minimum=0) or None  # 0: no window
    if types is not None:
        if any(t == "sliding_attention" for t in types) and window is None:
            raise SpecError(f"{cfg.source}: 'layer_types' has sliding layers but 'sliding_window' is missing")
        return [window if t == "sliding_attention" else None for t in types]
    if window is None or fam.window == "none":
        return [None] * layers
    if fam.window == "after":  # Qwen: sliding only with use_sliding_window, from max_window_layers on
        if not cfg.bool("use_sliding_window", False):
            return [None] * layers
        start = cfg.int("max_window_layers", layers, minimum=0)
        return [window if i >= start else None for i in range(layers)]
    if fam.window == "alternate":  # Gemma 2: even layers slide
        return [window if i % 2 == 0 else None for i in range(layers)]
    return [window] * layers


def _attention(cfg: Config, fam: Family, d: int, window: int | None) -> tuple[str, dict[str, Any]]:
    heads = cfg.int("num_attention_heads")
    if fam.attention == "mla":
        return "mla", {
            "heads": heads,
            "kv_lora_rank": cfg.int("kv_lora_rank"),
            "q_lora_rank": cfg.int("q_lora_rank", None),
            "qk_nope_dim": cfg.int("qk_nope_head_dim", minimum=0),
            "qk_rope_dim": cfg.int("qk_rope_head_dim"),
            "v_head_dim": cfg.int("v_head_dim"),
            "bias": cfg.bool("attention_bias", False),
        }
    kv = cfg.int("num_key_value_heads", heads)
    if heads % kv:
        raise SpecError(f"{cfg.source}: 'num_attention_heads' {heads} is not a multiple of 'num_key_value_heads' {kv}")
    hd = cfg.int("head_dim", None)
    if hd is None:
        if d % heads:
            raise SpecError(f"{cfg.source}: 'hidden_size' {d} does not split into {heads} heads; give 'head_dim'")
        hd = d // heads
    kw: dict[str, Any] = {"heads": heads, "kv_heads": kv, "head_dim": hd, "window": window}
    if fam.qkv_bias:
        kw.update(bias=True, out_bias=False)
    else:
        kw["bias"] = cfg.bool("attention_bias", False)
    factor = _rope_factor(cfg, 1.0)
    if factor != 1.0:
        kw["rope_dims"] = int(hd * factor)
    if fam.qk_norm:
        kw["qk_norm"] = True
    if fam.fused:
        kw["fused"] = True
    return "gqa", kw


def _rope_factor(cfg: Config, default: float) -> float:
    """The share of each head RoPE turns: ``partial_rotary_factor`` (or GPT-NeoX's ``rotary_pct``), also in
    ``rope_parameters`` as transformers 5 writes it."""
    nested = cfg.data.get("rope_parameters")
    if isinstance(nested, dict) and nested.get("partial_rotary_factor") is not None:
        cfg = Config(nested, f"{cfg.source} rope_parameters", cfg.model_type)
        return cfg.float("partial_rotary_factor")
    if cfg.data.get("rotary_pct") is not None:
        return cfg.float("rotary_pct")
    return cfg.float("partial_rotary_factor", default)


def _mlp(cfg: Config, fam: Family, i: int, act: str) -> tuple[str, dict[str, Any]]:
    dense = ("gatedmlp", {"ff": 0, "activation": act, "bias": cfg.bool("mlp_bias", False), "fused": fam.fused})
    if fam.mlp == "moe":
        return "moe", {
            "experts": cfg.int("num_local_experts"),
            "top_k": cfg.int("num_experts_per_tok"),
            "ff": cfg.int("intermediate_size"),
            "activation": act,
        }
    if fam.mlp == "qwen_moe":
        experts = cfg.int("num_experts", 0, minimum=0)
        step = cfg.int("decoder_sparse_step", 1)
        if experts and i not in cfg.ints("mlp_only_layers") and (i + 1) % step == 0:
            kw: dict[str, Any] = {
                "experts": experts,
                "top_k": cfg.int("num_experts_per_tok"),
                "ff": cfg.int("moe_intermediate_size"),
                "activation": act,
                "normalize": cfg.bool("norm_topk_prob", False),
            }
            shared = cfg.int("shared_expert_intermediate_size", 0, minimum=0)
            if shared:
                kw.update(shared_ff=shared, shared_gate=True)
            return "moe", kw
    if fam.mlp == "deepseek" and i >= cfg.int("first_k_dense_replace", 0, minimum=0):
        return "moe", {
            "experts": cfg.int("n_routed_experts"),
            "top_k": cfg.int("num_experts_per_tok"),
            "ff": cfg.int("moe_intermediate_size"),
            "activation": act,
            "normalize": cfg.bool("norm_topk_prob", True),
            "shared_ff": cfg.int("moe_intermediate_size") * cfg.int("n_shared_experts", 0, minimum=0),
            "scoring": "sigmoid",
            "correction": True,
        }
    dense[1]["ff"] = cfg.int("intermediate_size")
    return dense


# ---------------------------------------------------------------- building the graph


@dataclass
class _Builder:
    """Nodes and scopes, added as the model's modules run."""

    nodes: list[Node] = field(default_factory=list)
    scopes: list[dict[str, Any]] = field(default_factory=list)
    ids: NodeIds = field(default_factory=NodeIds)

    def scope(self, path: str, kind: str, parent: int | None, block: bool = False) -> int:
        """A module's scope; ``block``: one of the model's repeated layers (checkpointed, placed on a stage)."""
        level = 0 if parent is None else self.scopes[parent]["level"] + 1
        self.scopes.append({"path": path, "kind": kind, "parent": parent, "level": level, "out": None, "block": block})
        return len(self.scopes) - 1

    def add(self, kind: str, label: str, inputs: tuple[str, ...], scope: int, *args: Any, **kwargs: Any) -> str:
        node_id = self.ids.new(label)
        source = f"{kind}(" + ", ".join([*map(str, args), *(f"{k}={v}" for k, v in kwargs.items())]) + ")"
        self.nodes.append(Node(node_id, kind, label, args, tuple(kwargs.items()), inputs, source, scope=scope))
        at: int | None = scope
        while at is not None:  # the latest node is the output of its scope and of every scope around it
            self.scopes[at]["out"] = (node_id, None)
            at = self.scopes[at]["parent"]
        return node_id

    def tokens(self, length: int) -> tuple[int, str]:
        """The root scope and the input node: ``length`` token ids (int64)."""
        node_id = self.ids.new("input_ids")
        self.nodes.append(Node(node_id, "input", "input_ids", (length,), (), (), "input_ids", scope=0, dtype="int64"))
        return 0, node_id

    def module(self, kind: str, path: str, module: str, parent: int, inputs: tuple[str, ...], **kwargs: Any) -> str:
        """A node that is one module of the model, in a scope of its own."""
        s = self.scope(path, module, parent)
        return self.add(kind, path.rsplit(".", 1)[-1], inputs, s, **kwargs)

    def graph(self, title: str, shapes: dict[str, tuple[int, ...]], **given: Any) -> Graph:
        scopes = []
        for i, s in enumerate(self.scopes):
            out = s["out"]
            outputs, output_nodes = ((shapes[out[0]],), (out[0],)) if out and out[0] in shapes else ((), ())
            scopes.append(
                Scope(i, s["path"], s["kind"], s["parent"], s["level"], outputs, output_nodes, block=s["block"])
            )
        return Graph(
            tuple(self.nodes), title, tuple(scopes), source="config", depth=DEFAULT_DEPTH, columns=COLUMNS, **given
        )


def _decoder_only(cfg: Config, fam: Family, arch: str, length: int, **given: Any) -> Graph:
    """A Llama-like decoder: embeddings, pre-norm layers of attention and a (gated or mixture-of-experts) MLP."""
    d, layers = cfg.int("hidden_size"), cfg.int("num_hidden_layers", maximum=MAX_LAYERS)
    vocab = cfg.int("vocab_size")
    gemma = "hidden_activation" in cfg.data and fam.prefix.startswith("Gemma")  # Gemma's own key wins
    act = cfg.act("hidden_activation" if gemma else "hidden_act", fam.act)
    windows = _windows(cfg, fam, layers)
    b = _Builder()
    b.scope("", arch, None)
    root, ids = b.tokens(length)
    model = b.scope("model", f"{fam.prefix}Model", root)
    x = b.module("embedding", "model.embed_tokens", "Embedding", model, (ids,), vocab=vocab, dim=d)
    if fam.scale_embeddings:
        x = b.add("elementwise", "normalizer", (x,), model, "mul")
    norm = f"{fam.prefix}RMSNorm"
    for i in range(layers):
        path = f"model.layers.{i}"
        layer = b.scope(path, f"{fam.prefix}DecoderLayer", model, block=True)
        kind, kw = _attention(cfg, fam, d, windows[i])
        h = b.module("rmsnorm", f"{path}.input_layernorm", norm, layer, (x,))
        h = b.module(kind, f"{path}.self_attn", f"{fam.prefix}Attention", layer, (h,), **kw)
        if fam.sandwich:
            h = b.module("rmsnorm", f"{path}.post_attention_layernorm", norm, layer, (h,))
        r = b.add("add", "add", (x, h), layer)
        norm2 = "pre_feedforward_layernorm" if fam.sandwich else "post_attention_layernorm"
        h = b.module("rmsnorm", f"{path}.{norm2}", norm, layer, (r,))
        kind, kw = _mlp(cfg, fam, i, act)
        h = b.module(kind, f"{path}.mlp", "SparseMoeBlock" if kind == "moe" else f"{fam.prefix}MLP", layer, (h,), **kw)
        if fam.sandwich:
            h = b.module("rmsnorm", f"{path}.post_feedforward_layernorm", norm, layer, (h,))
        x = b.add("add", "add", (r, h), layer)
    x = b.module("rmsnorm", "model.norm", norm, model, (x,))
    _head(b, root, x, vocab, cfg.bool("tie_word_embeddings", fam.tie))
    return b.graph(arch, _shapes(b, d, length), **given)


def _positions(cfg: Config, key: str, length: int) -> int:
    """A learned position table's size; the input may not be longer."""
    n = cfg.int(key)
    if length > n:
        raise SpecError(f"{cfg.source}: the input has {length:,} positions, more than the {n:,} of '{key}'")
    return n


def _head(b: _Builder, root: int, x: str, vocab: int, tie: bool, path: str = "lm_head", bias: bool = False) -> str:
    """The output projection to the vocabulary; tied: the embedding's values, counted there."""
    head = b.scope(path, "Linear", root)
    kw: dict[str, Any] = {"units": vocab, "bias": bias, "flatten": False}
    if tie:
        kw["tied"] = True
    return b.add("dense", path.rsplit(".", 1)[-1], (x,), head, **kw)


def _sizes(
    cfg: Config, width: str = "hidden_size", depth: str = "num_hidden_layers", heads: str = "num_attention_heads"
) -> tuple[int, int, int]:
    """Width, layers and heads, under the family's key names; the width must split into the heads."""
    d, layers, h = cfg.int(width), cfg.int(depth, maximum=MAX_LAYERS), cfg.int(heads)
    if d % h:
        raise SpecError(f"{cfg.source}: '{width}' {d} does not split into {h} heads")
    return d, layers, h


def _gpt2(cfg: Config, arch: str, length: int, **given: Any) -> Graph:
    """GPT-2: learned positions, pre-norm blocks of layer norms, fused ``c_attn``, a tied head."""
    d, layers, heads = _sizes(cfg, "n_embd", "n_layer", "n_head")
    vocab, ff = cfg.int("vocab_size"), cfg.int("n_inner", None) or 4 * d
    act = cfg.act("activation_function", "gelu_new")
    b = _Builder()
    b.scope("", arch, None)
    root, ids = b.tokens(length)
    model = b.scope("transformer", "GPT2Model", root)
    tokens = b.module("embedding", "transformer.wte", "Embedding", model, (ids,), vocab=vocab, dim=d)
    where = b.module(
        "embedding", "transformer.wpe", "Embedding", model, (ids,), vocab=_positions(cfg, "n_positions", length), dim=d
    )
    x = b.add("add", "add", (tokens, where), model)
    for i in range(layers):
        path = f"transformer.h.{i}"
        layer = b.scope(path, "GPT2Block", model, block=True)
        h = b.module("layernorm", f"{path}.ln_1", "LayerNorm", layer, (x,))
        attn = {"heads": heads, "bias": True, "fused": True, "rotary": False, "names": "c_attn,c_proj"}
        h = b.module("gqa", f"{path}.attn", "GPT2Attention", layer, (h,), **attn)
        r = b.add("add", "add", (x, h), layer)
        h = b.module("layernorm", f"{path}.ln_2", "LayerNorm", layer, (r,))
        h = b.module("feedforward", f"{path}.mlp", "GPT2MLP", layer, (h,), ff=ff, activation=act, names="c_fc,c_proj")
        x = b.add("add", "add", (r, h), layer)
    x = b.module("layernorm", "transformer.ln_f", "LayerNorm", model, (x,))
    _head(b, root, x, vocab, cfg.bool("tie_word_embeddings", True))
    return b.graph(arch, _shapes(b, d, length), **given)


def _gpt_neox(cfg: Config, arch: str, length: int, **given: Any) -> Graph:
    """GPT-NeoX (Pythia): fused ``query_key_value``, RoPE on a share of each head, parallel residuals."""
    d, layers, heads = _sizes(cfg)
    vocab, ff = cfg.int("vocab_size"), cfg.int("intermediate_size")
    hd = d // heads
    act = cfg.act("hidden_act", "gelu")
    bias = cfg.bool("attention_bias", True)
    parallel = cfg.bool("use_parallel_residual", True)
    b = _Builder()
    b.scope("", arch, None)
    root, ids = b.tokens(length)
    model = b.scope("gpt_neox", "GPTNeoXModel", root)
    x = b.module("embedding", "gpt_neox.embed_in", "Embedding", model, (ids,), vocab=vocab, dim=d)
    attn = {"heads": heads, "bias": bias, "fused": True, "names": "query_key_value,dense"}
    attn["rope_dims"] = int(hd * _rope_factor(cfg, 0.25))
    for i in range(layers):
        path = f"gpt_neox.layers.{i}"
        layer = b.scope(path, "GPTNeoXLayer", model, block=True)
        h = b.module("layernorm", f"{path}.input_layernorm", "LayerNorm", layer, (x,))
        a = b.module("gqa", f"{path}.attention", "GPTNeoXAttention", layer, (h,), **attn)
        mlp = {"ff": ff, "activation": act, "names": "dense_h_to_4h,dense_4h_to_h"}
        h = b.module("layernorm", f"{path}.post_attention_layernorm", "LayerNorm", layer, (x,)) if parallel else None
        x = _residuals(b, path, layer, x, a, h, "GPTNeoXMLP", mlp)  # parallel: x + attn(ln1(x)) + mlp(ln2(x))
    x = b.module("layernorm", "gpt_neox.final_layer_norm", "LayerNorm", model, (x,))
    _head(b, root, x, vocab, cfg.bool("tie_word_embeddings", False), "embed_out")
    return b.graph(arch, _shapes(b, d, length), **given)


def _residuals(
    b: _Builder, path: str, layer: int, x: str, a: str, parallel: str | None, module: str, mlp: dict[str, Any]
) -> str:
    """A layer's two residuals: ``(mlp(parallel) + a) + x`` when the MLP runs beside the attention, else
    ``mlp(post_attention_layernorm(a + x)) + (a + x)``."""
    if parallel is not None:
        m = b.module("feedforward", f"{path}.mlp", module, layer, (parallel,), **mlp)
        return b.add("add", "add", (b.add("add", "add", (m, a), layer), x), layer)
    r = b.add("add", "add", (a, x), layer)
    h = b.module("layernorm", f"{path}.post_attention_layernorm", "LayerNorm", layer, (r,))
    m = b.module("feedforward", f"{path}.mlp", module, layer, (h,), **mlp)
    return b.add("add", "add", (m, r), layer)


def _falcon(cfg: Config, arch: str, length: int, **given: Any) -> Graph:
    """Falcon: one fused ``query_key_value`` (multi-query: one key/value head), parallel attention and MLP."""
    d, layers, heads = _sizes(cfg)
    vocab = cfg.int("vocab_size")
    new = cfg.bool("new_decoder_architecture", False)
    kv = cfg.int("num_kv_heads", heads) if new else 1 if cfg.bool("multi_query", True) else heads
    parallel = cfg.bool("parallel_attn", True)
    norms = cfg.int("num_ln_in_parallel_attn", 2 if new else 1)
    bias = cfg.bool("bias", False)
    ff = cfg.int("ffn_hidden_size", None) or 4 * d
    rotary = not cfg.bool("alibi", False)
    b = _Builder()
    b.scope("", arch, None)
    root, ids = b.tokens(length)
    model = b.scope("transformer", "FalconModel", root)
    x = b.module("embedding", "transformer.word_embeddings", "Embedding", model, (ids,), vocab=vocab, dim=d)
    attn = {
        "heads": heads,
        "kv_heads": kv,
        "bias": bias,
        "fused": True,
        "rotary": rotary,
        "names": "query_key_value,dense",
    }
    mlp = {"ff": ff, "activation": "gelu", "bias": bias, "names": "dense_h_to_4h,dense_4h_to_h"}
    for i in range(layers):
        path = f"transformer.h.{i}"
        layer = b.scope(path, "FalconDecoderLayer", model, block=True)
        if new and norms == 2:
            h = b.module("layernorm", f"{path}.ln_attn", "LayerNorm", layer, (x,))
            g = b.module("layernorm", f"{path}.ln_mlp", "LayerNorm", layer, (x,))
        else:
            h = g = b.module("layernorm", f"{path}.input_layernorm", "LayerNorm", layer, (x,))
        a = b.module("gqa", f"{path}.self_attention", "FalconAttention", layer, (h,), **attn)
        x = _residuals(b, path, layer, x, a, g if new or parallel else None, "FalconMLP", mlp)
    x = b.module("layernorm", "transformer.ln_f", "LayerNorm", model, (x,))
    _head(b, root, x, vocab, cfg.bool("tie_word_embeddings", True))
    return b.graph(arch, _shapes(b, d, length), **given)


BERT_HEADS = ("BertForMaskedLM", "BertModel", "BertForSequenceClassification")


def _bert(cfg: Config, arch: str, length: int, **given: Any) -> Graph:
    """BERT: three embeddings, post-norm encoder layers, and the head its ``architectures`` names."""
    if arch not in BERT_HEADS:
        raise SpecError(
            f"{cfg.source}: BERT with the {arch} head is not supported", hint=f"supported: {', '.join(BERT_HEADS)}"
        )
    d, layers, heads = _sizes(cfg)
    vocab, ff = cfg.int("vocab_size"), cfg.int("intermediate_size")
    act = cfg.act("hidden_act", "gelu")
    b = _Builder()
    b.scope("", arch, None)
    root, ids = b.tokens(length)
    top = "bert" if arch != "BertModel" else ""
    pre = f"{top}." if top else ""
    model = b.scope(top, "BertModel", root) if top else root
    emb = b.scope(f"{pre}embeddings", "BertEmbeddings", model)
    parts = []
    for name, n in (
        ("word_embeddings", vocab),
        ("position_embeddings", _positions(cfg, "max_position_embeddings", length)),
        ("token_type_embeddings", cfg.int("type_vocab_size", 2)),
    ):
        parts.append(b.module("embedding", f"{pre}embeddings.{name}", "Embedding", emb, (ids,), vocab=n, dim=d))
    x = b.add("add", "add", tuple(parts), emb)
    x = b.module("layernorm", f"{pre}embeddings.LayerNorm", "LayerNorm", emb, (x,))
    attn = {"heads": heads, "bias": True, "rotary": False, "causal": False}
    attn["names"] = "self.query,self.key,self.value,output.dense"
    for i in range(layers):
        path = f"{pre}encoder.layer.{i}"
        layer = b.scope(path, "BertLayer", model, block=True)
        a = b.module("gqa", f"{path}.attention", "BertAttention", layer, (x,), **attn)
        x = b.module(
            "layernorm", f"{path}.attention.output.LayerNorm", "LayerNorm", layer, (b.add("add", "add", (a, x), layer),)
        )
        m = b.module(
            "feedforward",
            f"{path}.mlp",
            "BertMLP",
            layer,
            (x,),
            ff=ff,
            activation=act,
            names="intermediate.dense,output.dense",
        )
        x = b.module("layernorm", f"{path}.output.LayerNorm", "LayerNorm", layer, (b.add("add", "add", (m, x), layer),))
    if arch == "BertForMaskedLM":
        head = b.scope("cls.predictions", "BertLMPredictionHead", root)
        h = b.module("dense", "cls.predictions.transform.dense", "Linear", head, (x,), units=d, flatten=False)
        h = b.add(act, "transform_act_fn", (h,), head)
        h = b.module("layernorm", "cls.predictions.transform.LayerNorm", "LayerNorm", head, (h,))
        _head(b, head, h, vocab, cfg.bool("tie_word_embeddings", True), "cls.predictions.decoder", bias=True)
    else:
        pool = b.scope(f"{pre}pooler", "BertPooler", model)
        h = b.add("select", "first_token", (x,), pool, 0)
        h = b.module("dense", f"{pre}pooler.dense", "Linear", pool, (h,), units=d)
        h = b.add("tanh", "activation", (h,), pool)
        if arch == "BertForSequenceClassification":
            n = cfg.labels()
            b.module("dense", "classifier", "Linear", root, (h,), units=n)
    return b.graph(arch, _shapes(b, d, length), **given)


def _t5_attention(
    b: _Builder, path: str, parent: int, x: str, source: str, bias: str, *, heads: int, dkv: int, causal: bool
) -> str:
    """T5's attention: q, k, v, o without bias, no scaling, a position bias added to the scores.

    Self-attention reads ``x`` for keys and values (and caches them in the decoder); cross-attention
    reads the encoder's output ``source``.
    """
    scope = b.scope(path, "T5Attention", parent)
    q = b.module("dense", f"{path}.q", "Linear", scope, (x,), units=heads * dkv, bias=False, flatten=False)
    k = b.module("dense", f"{path}.k", "Linear", scope, (source,), units=heads * dkv, bias=False, flatten=False)
    v = b.module("dense", f"{path}.v", "Linear", scope, (source,), units=heads * dkv, bias=False, flatten=False)
    if causal:
        k, v = b.add("cache", "k_cache", (k,), scope), b.add("cache", "v_cache", (v,), scope)
    return b.add("sdpa", "attention", (q, k, v, bias), scope, heads=heads, causal=causal)


def _t5(cfg: Config, arch: str, length: int, **given: Any) -> Graph:
    """T5: an encoder and a decoder of RMS-normed blocks, relative position biases, the head tied to the embedding."""
    d, heads, dkv = cfg.int("d_model"), cfg.int("num_heads"), cfg.int("d_kv")
    layers = cfg.int("num_layers", maximum=MAX_LAYERS)
    dec_layers = cfg.int("num_decoder_layers", layers, maximum=MAX_LAYERS)
    vocab, ff, buckets = cfg.int("vocab_size"), cfg.int("d_ff"), cfg.int("relative_attention_num_buckets", 32)
    proj = cfg.raw("feed_forward_proj", "relu")
    if not isinstance(proj, str) or proj.removeprefix("gated-") not in ACTS:
        raise SpecError(f"{cfg.source}: 'feed_forward_proj' must be like relu or gated-gelu (got {shown(proj)})")
    gated, act = proj.startswith("gated-"), ACTS[proj.removeprefix("gated-")]
    # transformers ties T5's head to the shared embedding always; tie_word_embeddings=false (T5 v1.1) only
    # turns off the 1/√d scaling of the decoder's output
    scale = cfg.bool("tie_word_embeddings", True)
    b = _Builder()
    b.scope("", arch, None)
    root, ids = b.tokens(length)
    dec_ids = b.ids.new("decoder_input_ids")
    b.nodes.append(
        Node(dec_ids, "input", "decoder_input_ids", (length,), (), (), "decoder_input_ids", scope=0, dtype="int64")
    )

    def stack(name: str, n: int, tokens: str, encoded: str | None) -> str:
        top = b.scope(name, "T5Stack", root)
        x = b.module("embedding", f"{name}.embed_tokens", "Embedding", top, (tokens,), vocab=vocab, dim=d)
        if encoded is not None:  # the decoder's embedding is the encoder's (shared.weight): counted once
            b.nodes[-1] = Node(**{**_node_fields(b.nodes[-1]), "tensors": (), "notes": ("shares shared.weight",)})
        attn = f"{name}.block.0.layer.0.SelfAttention"
        where = b.add("constant", "buckets", (), top, shape=(length * length,), op="relative_position_bucket")
        bias = b.module(
            "embedding", f"{attn}.relative_attention_bias", "Embedding", top, (where,), vocab=buckets, dim=heads
        )
        zeros = b.add("constant", "zeros", (), top, shape=(heads * length * length,), op="zeros") if encoded else None
        for i in range(n):
            path = f"{name}.block.{i}"
            block = b.scope(path, "T5Block", top, block=True)
            parts = [("SelfAttention", x, bias, encoded is not None)]
            if encoded is not None:
                parts.append(("EncDecAttention", encoded, zeros, False))
            for j, (what, source, pos, causal) in enumerate(parts):
                layer = b.scope(f"{path}.layer.{j}", f"T5Layer{what}", block)
                h = b.module("rmsnorm", f"{path}.layer.{j}.layer_norm", "T5LayerNorm", layer, (x,))
                a = _t5_attention(
                    b,
                    f"{path}.layer.{j}.{what}",
                    layer,
                    h,
                    h if what == "SelfAttention" else source,
                    pos,  # type: ignore[arg-type]
                    heads=heads,
                    dkv=dkv,
                    causal=causal,
                )
                a = b.module(
                    "dense", f"{path}.layer.{j}.{what}.o", "Linear", layer, (a,), units=d, bias=False, flatten=False
                )
                x = b.add("add", "add", (x, a), layer)
            j = len(parts)
            layer = b.scope(f"{path}.layer.{j}", "T5LayerFF", block)
            h = b.module("rmsnorm", f"{path}.layer.{j}.layer_norm", "T5LayerNorm", layer, (x,))
            mlp = f"{path}.layer.{j}.DenseReluDense"
            if gated:
                h = b.module("gatedmlp", mlp, "T5DenseGatedActDense", layer, (h,), ff=ff, activation=act)
            else:
                h = b.module(
                    "feedforward", mlp, "T5DenseActDense", layer, (h,), ff=ff, activation=act, bias=False, names="wi,wo"
                )
            x = b.add("add", "add", (x, h), layer)
        return b.module("rmsnorm", f"{name}.final_layer_norm", "T5LayerNorm", top, (x,))

    encoded = stack("encoder", layers, ids, None)
    x = stack("decoder", dec_layers, dec_ids, encoded)
    if scale:  # the decoder's output scaled by 1/√d before the tied head
        x = b.add("elementwise", "rescale", (x,), root, "mul")
    _head(b, root, x, vocab, True)
    notes = (
        *given.pop("notes", ()),
        "An encoder and a decoder, both at the input's positions; the cross-attention's keys and values (cached "
        "once per sequence in generation) are not in the KV cache figures, and decode FLOPs are not counted",
    )
    return b.graph(arch, _shapes(b, d, length), notes=notes, **given)


def _node_fields(node: Node) -> dict[str, Any]:
    return {name: getattr(node, name) for name in Node.__dataclass_fields__}


def _shapes(b: _Builder, d: int, length: int) -> dict[str, tuple[int, ...]]:
    """Each node's output as the front-end knows it, for the scopes' rows: ``(units or d, L)``; flat after a select."""
    shapes: dict[str, tuple[int, ...]] = {}
    flat: set[str] = set()
    for n in b.nodes:
        if n.kind == "select" or any(i in flat for i in n.inputs):
            flat.add(n.id)
        width = dict(n.kwargs).get("units", d)
        shapes[n.id] = (length,) if n.kind == "input" else (width,) if n.id in flat else (width, length)
    return shapes


OTHERS: dict[str, tuple[Callable[..., Graph], str]] = {
    "gpt2": (_gpt2, "GPT2LMHeadModel"),
    "gpt_neox": (_gpt_neox, "GPTNeoXForCausalLM"),
    "falcon": (_falcon, "FalconForCausalLM"),
    "bert": (_bert, "BertForMaskedLM"),
    "t5": (_t5, "T5ForConditionalGeneration"),
}
"""The families whose blocks are not Llama's, by ``model_type``: a builder each, and the class by default."""


LOSS_STYLES = {"bert": "masked_lm", "t5": "seq2seq_lm"}
"""How each family's model computes its loss from labels (cnncalc.loss.STYLES), when not as a causal model."""


# ---------------------------------------------------------------- entry points


def _read(config: Any, source: str | None = None) -> tuple[dict[str, Any], str]:
    """A config as data, and how messages name it: a dict (checked as a file's would be), or a path, read whole."""
    if isinstance(config, dict):
        source = source or "the config"
        check_nesting(config, source)
        return config, source
    if not isinstance(config, (str, Path)):
        raise SpecError(f"a Hugging Face config is a path to config.json or its dict (got {kind_of_value(config)})")
    source = source or str(config)
    data = load_json(read_bytes(config, source), source)
    if not isinstance(data, dict):
        raise SpecError(f"{source} must hold a JSON object with 'model_type' (got {kind_of_value(data)})")
    return data, source


def _input(input: Any) -> tuple[int, int]:  # noqa: A002
    """``--input`` as (batch, positions): ``1,4096``, ``4096``, or one InputSpec of those."""
    from cnncalc.api import parse_shape
    from cnncalc.inputs import InputSpec

    if input is None or input == () or input == []:
        return DEFAULT_INPUT
    if isinstance(input, tuple) and input and isinstance(input[0], InputSpec):
        if len(input) > 1:
            raise SpecError("a language model takes one input, its token ids", hint="e.g. --input 1,4096")
        if input[0].name not in (None, "input_ids"):
            raise SpecError(
                f"a config.json's model has one input, input_ids (got --input {input[0].name}=...)",
                hint="e.g. --input 1,4096 or --input input_ids=1,4096",
            )
        if input[0].dtype not in (None, "int64"):
            raise SpecError(f"a config.json's input is token ids, int64 (got :{input[0].dtype})")
        input = input[0].shape
    shape = parse_shape(input)
    if len(shape) == 1:
        return 1, shape[0]
    if len(shape) != 2:
        raise SpecError(f"a language model's input is batch,positions (got {shown(input)})", hint="e.g. --input 1,4096")
    return shape[0], shape[1]


def graph_of(config: Any, input: Any = None, *, source: str | None = None) -> Graph:  # noqa: A002
    """The Graph of a Hugging Face config (a path to ``config.json``, or its dict) on ``input`` (batch, positions).

    ``source`` names the config in messages (default: its path, or 'the config').
    """
    data, source = _read(config, source)
    if not data:
        raise SpecError(f"{source} is empty: a config names its 'model_type' and sizes")
    if isinstance(data.get("text_config"), dict):  # a multimodal config: its language model
        data = {**{k: v for k, v in data.items() if k != "text_config"}, **data["text_config"]}
        source = f"{source} (text_config)"
    model_type = data.get("model_type")
    if not isinstance(model_type, str) or (model_type not in FAMILIES and model_type not in OTHERS):
        known = ", ".join(sorted([*FAMILIES, *OTHERS]))
        raise SpecError(f"{source}: unknown model_type {shown(model_type)}", hint=f"supported: {known}")
    cfg = Config(data, source, model_type)
    archs = data.get("architectures")
    default = FAMILIES[model_type].causal_lm if model_type in FAMILIES else OTHERS[model_type][1]
    arch = archs[0] if isinstance(archs, list) and archs and isinstance(archs[0], str) else default
    batch, length = _input(input)
    notes = [f"Hugging Face {model_type} config, {arch}: built from the config alone (no weights, nothing computed)"]
    quantization = None
    q = data.get("quantization_config")
    if q is not None:
        fields = Fields(q, f"{source} 'quantization_config'")
        fields.word("quant_method", "")
        fields.whole("bits", None)
        fields.whole("group_size", None, minimum=-1)  # -1: one scale per output channel (GPTQ)
        fields.whole("bnb_4bit_blocksize", None)
        fields.flag("load_in_4bit", False)
        fields.flag("load_in_8bit", False)
        from cnncalc.quantize import from_config

        found, note = from_config(q)
        notes.append(f"quantization_config: {note}")
        quantization = found.name if found is not None else None
    dtype = data.get("torch_dtype", data.get("dtype"))
    given = {
        "notes": tuple(notes),
        "dtype": dtype if dtype in ("float32", "float16", "bfloat16") else None,
        "quantization": quantization,
        "positions": cfg.int("max_position_embeddings", None),
        "samples": batch,
    }
    given["loss"] = LOSS_STYLES.get(model_type, "causal_lm")
    if model_type in OTHERS:
        return OTHERS[model_type][0](cfg, arch, length, **given)
    return _decoder_only(cfg, FAMILIES[model_type], arch, length, **given)


def fields(config: dict[str, Any]) -> dict[str, Any]:
    """Every field of a config with its value, a nested one by its dotted path (``rope_scaling.factor``).

    >>> fields({"hidden_size": 64, "rope_scaling": {"factor": 8.0}})
    {'hidden_size': 64, 'rope_scaling.factor': 8.0}
    """
    out: dict[str, Any] = {}

    def walk(d: dict[str, Any], prefix: str) -> None:
        for k, v in d.items():
            if isinstance(v, dict) and v:
                walk(v, f"{prefix}{k}.")
            else:
                out[f"{prefix}{k}"] = v

    walk(config, "")
    return out


def with_fields(config: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``config`` with the fields ``values`` names set (a nested one by its dotted path); a field the
    config does not have is an error naming the nearest ones (a misspelt field would be silently unused).

    >>> with_fields({"hidden_size": 64, "rope_scaling": {"factor": 8.0}}, {"rope_scaling.factor": 4.0})
    {'hidden_size': 64, 'rope_scaling': {'factor': 4.0}}
    """
    import copy
    import difflib

    known = fields(config)
    out = copy.deepcopy(config)
    for name, value in values.items():
        if name not in known:
            near = difflib.get_close_matches(name, list(known), n=3)
            raise ArgumentError(
                f"the config has no field '{name}'", hint=f"did you mean {' or '.join(near)}?" if near else None
            )
        where = out
        *path, last = name.split(".")
        for part in path:
            where = where[part]
        where[last] = value
    return out


def load(path: str, *, input: Any = None, dtypes: Any = None, kwargs: Any = None) -> Graph:  # noqa: A002
    """The Graph of a ``config.json`` file."""
    _no_model_inputs(dtypes, kwargs)
    return graph_of(path, input)


def from_document(
    doc: dict[str, Any],
    *,
    source: str,
    input: Any = None,  # noqa: A002
    dtypes: Any = None,
    kwargs: Any = None,
) -> Graph:
    """The Graph of a ``config.json`` already read (``cnncalc.frontends.JSON_FORMS``: an object with ``model_type``)."""
    _no_model_inputs(dtypes, kwargs)
    return graph_of(doc, input, source=source)


def _no_model_inputs(dtypes: Any, kwargs: Any) -> None:
    """A config has no forward to give keywords or input dtypes to: said, rather than ignored."""
    if kwargs:
        raise SpecError("a config.json takes no --kwarg: no model runs, its blocks are built from the config")
    if dtypes:
        raise SpecError("a config.json takes no input dtype: its one input is token ids (int64)")


def from_hf_config(config: Any, input: Any = None, **options: Any) -> Any:  # noqa: A002
    """The Report of a Hugging Face config (a path or a dict) on ``input`` = (batch, positions), default (1, 128).

    ``options`` are :class:`~cnncalc.options.Options`: ``dtype`` (default: the config's
    ``torch_dtype``), ``flops``, ``context``, ``scores``, ``quantization``, ``lora``, ``depth``.
    """
    from cnncalc.analyze import analyze_graph

    return analyze_graph(graph_of(config, input), **options)


__all__: tuple[str, ...] = ("FAMILIES", "OTHERS", "from_hf_config", "graph_of", "load")
