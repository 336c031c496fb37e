"""Tensor-parallel plans and pipeline splits, as the user writes them.

A plan names layers and how tensor parallelism splits each, in torch's ``parallelize_module`` words:
``colwise`` (a linear's output features, or an embedding's dimension), ``rowwise`` (a linear's input features, or
an embedding's vocabulary: its lookups all-reduced), ``replicate`` (whole on every rank), ``sequence`` (a norm or
dropout run on a shard of the sequence). transformers' plan words are read too: ``colwise_gather_output`` (a
colwise layer whose output is gathered whole, the head's logits), ``embedding_rowwise``, ``packed_colwise``.

>>> parse_tp_plan("blocks.*.up=colwise, blocks.*.down=rowwise")
(('blocks.*.up', 'colwise'), ('blocks.*.down', 'rowwise'))
>>> style_word("colwise_gather_output")
'colwise_gather'
>>> matches("layers.*.self_attn.q_proj", ["model.layers.3.self_attn.q_proj"])
True
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase

from cnncalc.errors import ArgumentError, wrong_type

STYLES = ("colwise", "rowwise", "replicate", "sequence", "colwise_gather")
# the words people and transformers write for each style
STYLE_WORDS = {
    "colwise": "colwise",
    "colwiseparallel": "colwise",
    "packed_colwise": "colwise",
    "local_colwise": "colwise",
    "rowwise": "rowwise",
    "rowwiseparallel": "rowwise",
    "packed_rowwise": "rowwise",
    "local_rowwise": "rowwise",
    "embedding_rowwise": "rowwise",
    "rowwise_split_input": "rowwise",
    "vocab": "rowwise",
    "replicate": "replicate",
    "replicated": "replicate",
    "none": "replicate",
    "sequence": "sequence",
    "sequence_parallel": "sequence",
    "sequenceparallel": "sequence",
    "colwise_gather": "colwise_gather",
    "colwise_gather_output": "colwise_gather",
    "colwise_rep": "colwise_gather",
    "gather_output": "colwise_gather",
}


# the plan by module name when neither --tp-plan nor a layer's tp= says otherwise: the names transformers' plans
# use (base_model_tp_plan and the model's own, GPT-2's Conv1D names too), with the token embedding split by
# vocabulary as Megatron does (transformers' Llama plan leaves it whole: --tp-plan "embed_tokens=replicate")
DEFAULT_PLAN: tuple[tuple[str, str], ...] = (
    *((name, "colwise") for name in ("q_proj", "k_proj", "v_proj", "qkv_proj", "gate_proj", "up_proj")),
    *((name, "colwise") for name in ("gate_up_proj", "c_attn", "c_fc", "query_key_value", "dense_h_to_4h")),
    *((name, "rowwise") for name in ("o_proj", "down_proj", "c_proj", "dense_4h_to_h")),
    *((name, "rowwise") for name in ("embed_tokens", "wte", "word_embeddings", "tok_embeddings", "embed_in")),
    *((name, "colwise_gather") for name in ("lm_head", "embed_out")),
)


def style_word(word: object, where: str = "--tp-plan") -> str:
    """A style as one of :data:`STYLES`, or an ArgumentError naming the words."""
    key = str(word).strip().lower().replace("-", "_")
    if key in STYLE_WORDS:
        return STYLE_WORDS[key]
    near = difflib.get_close_matches(key, list(STYLE_WORDS), n=2, cutoff=0.6)
    hint = f"did you mean {' or '.join(near)}? " if near else ""
    raise ArgumentError(f"{where}: unknown style {str(word)!r}", hint=f"{hint}the styles are {', '.join(STYLES)}")


def parse_tp_plan(value: object) -> tuple[tuple[str, str], ...]:
    """``"NAME=STYLE,..."`` (or a dict, or pairs) as ``((pattern, style), ...)``, each style checked."""
    if isinstance(value, str):
        pairs: list[tuple[str, object]] = []
        for raw in value.split(","):
            item = raw.strip()
            if not item:
                raise ArgumentError(f"--tp-plan has an empty item (got {value!r})")
            name, eq, style = item.partition("=")
            if not eq or not name.strip():
                raise ArgumentError(f"--tp-plan items are NAME=STYLE (got {item!r})", hint='e.g. "blocks.*.up=colwise"')
            pairs.append((name.strip(), style))
    elif isinstance(value, dict):
        pairs = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, (tuple, list)):
        pairs = []
        for item in value:
            if isinstance(item, str):
                pairs += list(parse_tp_plan(item))
            elif isinstance(item, (tuple, list)) and len(item) == 2:
                pairs.append((str(item[0]), item[1]))
            else:
                raise wrong_type("tp_plan", "NAME=STYLE text, a dict or (name, style) pairs", value)
    else:
        raise wrong_type("tp_plan", "NAME=STYLE text, a dict or (name, style) pairs", value)
    return tuple((name, style_word(style)) for name, style in pairs)


def parse_pp_split(value: object) -> tuple[str, ...] | tuple[int, ...]:
    """``--pp-split``: the blocks of each stage (``"10,12,12,6"``), or the layers each later stage begins at
    (``"layers.20,layers.40"``)."""
    from cnncalc.numbers import whole

    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, (tuple, list)):
        items = [v if isinstance(v, int) and not isinstance(v, bool) else str(v).strip() for v in value]
    else:
        raise wrong_type("pp_split", "counts of blocks or names of layers, comma separated", value)
    if not items or any(item == "" for item in items):
        raise ArgumentError(f"--pp-split has an empty item (got {value!r})")
    if all(isinstance(v, int) or (isinstance(v, str) and v.isascii() and v.isdigit()) for v in items):
        return tuple(whole(v, "--pp-split", minimum=1) for v in items)
    return tuple(str(v) for v in items)


def matches(pattern: str, names: Iterable[str]) -> bool:
    """Whether a plan's pattern names a layer: the name itself, a glob of it, or of its end after a dot
    (transformers' plans name modules below the base model: ``layers.*.mlp.up_proj``)."""
    pattern = pattern.lower()
    tail = "*." + pattern
    for name in names:
        name = name.lower()
        if fnmatchcase(name, pattern) or fnmatchcase(name, tail):
            return True
    return False


def style_for(plan: Sequence[tuple[str, str]], names: Sequence[str]) -> str | None:
    """The style the last matching item of ``plan`` gives a layer of these ``names`` (later items win)."""
    found = None
    for pattern, style in plan:
        if matches(pattern, names):
            found = style
    return found
