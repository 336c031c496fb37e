"""A language model's serving figures, from the analysed nodes: active params, KV cache, prefill and decode FLOPs.

Computed for any graph with a KV cache (``cache`` nodes, which the attention
kinds add), whatever the front-end (docs/llm.md):

- ``active_params``: the params less those a position does not use (the experts
  its router did not pick: ``(E − k)/E`` of every expert layer);
- ``kv_cache_bytes_per_token``: every ``cache`` node's elements per position, at
  the dtype; ``kv_cache_bytes``: the batch × each cache's positions, ``min(context,
  window)`` for a sliding-window layer;
- ``prefill_flops``: the forward at the input, as counted (the full score matrix,
  or the causal half with ``scores=causal``);
- ``decode_flops_per_token``: the same graph run for one new position whose caches
  hold ``context`` positions, per sequence;
- weight bytes at the dtype or a quantization (:mod:`cnncalc.quantize`), and
  inference memory = weights + buffers + KV cache + peak activations.

>>> from cnncalc import analyze
>>> f = analyze("input(8, 64) -> gqa(8, kv_heads=2)", dtype="bfloat16").llm
>>> f.kv_cache_bytes_per_token, f.kv_cache_bytes       # 2·(2·8)·2 bytes; · 8 positions
(64, 512)
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import TYPE_CHECKING

from cnncalc.graph import Graph, Node
from cnncalc.layers.calc import prod
from cnncalc.report import Memory, Row, Totals
from cnncalc.report_extras import LlmFigures

if TYPE_CHECKING:
    from cnncalc.options import Options

HEAD = "lm_head"  # the output head stays at the dtype when the weights are quantized


def figures(
    graph: Graph, nodes: list[Row], totals: Totals, memory: Memory, options: Options, batch: int
) -> LlmFigures | None:
    """The serving figures of an analysed graph, or None when it keeps no KV cache (not a decoder)."""
    caches = [r for r in nodes if r.serving is not None and r.serving.cache_per_token]
    if not caches:
        return None
    b = memory.bytes_per_element
    length = prod(caches[0].output_shape[1:]) if len(caches[0].output_shape) > 1 else 1
    if graph.batch is not None:  # a traced model: the batch is an axis of the shapes
        length //= max(graph.batch, 1)
    context = options.context or length
    notes = []
    if graph.positions is not None and context > graph.positions:
        text = f"context {context:,} is beyond the {graph.positions:,} positions the model was trained for"
        warnings.warn(text, stacklevel=3)
        notes.append(f"warning: {text}")
    per_token = sum(r.serving.cache_per_token for r in caches)  # type: ignore[union-attr]
    held = sum(
        r.serving.cache_per_token * (min(context, r.serving.window) if r.serving.window else context)  # type: ignore[union-attr]
        for r in caches
    )
    inactive = sum(r.serving.inactive_params for r in nodes if r.serving is not None)
    quant_name = options.quantization or graph.quantization
    weight_bytes = memory.param_bytes
    if quant_name is not None:
        from cnncalc.quantize import parse_quantization

        q = parse_quantization(quant_name)
        weights = sum(r.serving.quantizable_params for r in nodes if r.serving is not None and r.name != HEAD)
        weight_bytes = q.weight_bytes(weights) + (totals.params - weights) * b
    kv_bytes = batch * held * b
    return LlmFigures(
        active_params=totals.params - inactive,
        kv_cache_bytes_per_token=per_token * b,
        kv_cache_bytes=kv_bytes,
        prefill_flops=totals.flops,
        decode_flops_per_token=decode_flops(graph, options, context, batch),
        context=context,
        weight_bytes=weight_bytes,
        inference_bytes=weight_bytes + memory.buffer_bytes + kv_bytes + memory.peak_activation_bytes,
        quantization=quant_name,
        notes=tuple(notes),
        causal_half=options.scores == "causal",
    )


def decode_flops(graph: Graph, options: Options, context: int, batch: int) -> int | None:
    """FLOPs of one decode step per sequence: the graph on one new position, its caches holding ``context``.

    None for a traced model, whose shapes were fixed by the trace, and for a graph of several inputs
    (an encoder-decoder, whose encoder runs once per sequence, not per token).
    """
    from cnncalc.analyze import step_flops

    if graph.batch is not None or sum(n.kind == "input" for n in graph.nodes) != 1:
        return None
    nodes = tuple(_one_position(n) for n in graph.nodes)
    return step_flops(replace(graph, nodes=nodes, scopes=()), replace(options, context=context, batch=1))


def _one_position(node: Node) -> Node:
    """An input of token ids ``input(L)`` (or a sequence ``input(L, d)``) at one position."""
    if node.kind != "input" or not node.args:
        return node
    first = node.args[0]
    if isinstance(first, tuple):  # input((L, d))
        return replace(node, args=((1, *first[1:]), *node.args[1:]))
    return replace(node, args=(1, *node.args[1:]))
