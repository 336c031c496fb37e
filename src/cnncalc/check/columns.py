"""Which figure a table's column holds, from its header as people write it.

>>> [classify(h) for h in ("# Parameters", "Output Shape", "Mult-Adds", "Layer (type)", "Kernel size")]
['params', 'output_shape', 'macs', 'layer', None]
"""

from __future__ import annotations

import re

# The columns graded (besides the layer's name), and each one's name in explain's steps; its attribute on
# Row and Totals is the column's own name.
QUANTITY = {
    "activation_size": "activation size",
    "params": "params",
    "trainable_params": "trainable params",
    "flops": "FLOPs",
    "macs": "MACs",
}
COLUMNS = ("layer", "kind", "output_shape", *QUANTITY)
NUMERIC = tuple(QUANTITY)


def classify(header: str) -> str | None:
    """The column a header names, or None: ``# Parameters`` → params, ``Activation Shape`` → output_shape."""
    h = re.sub(r"[^a-z#/ -]+", " ", header.lower()).replace("-", " ").strip()
    h = re.sub(r"\s+", " ", h)
    if not h:
        return None
    if re.search(r"input|kernel|filter|window|stride|padding|channels|no of k|connected|buffer", h):
        return None
    if "flop" in h:
        return "flops"
    if re.search(r"\bmacs?\b|mult adds|multiply", h):
        return "macs"
    if re.search(r"\bnon trainable\b", h):
        return None
    if "param" in h or h == "weights":
        return "trainable_params" if re.search(r"\btrainable\b", h) else "params"
    if h == "trainable":  # Keras' show_trainable column says Y or N
        return None
    if "shape" in h or h in ("output size", "output", "outputs", "os", "out"):
        return "output_shape"
    if h in ("activation size", "activations size", "activation", "activations", "size", "act size", "numel"):
        return "activation_size"
    if h in ("kind", "class", "layer kind", "op", "operation"):
        return "kind"
    if h in ("layer", "layers", "name", "layer name", "layer type", "type", "module") or h.startswith("layer"):
        return "layer"
    return None
