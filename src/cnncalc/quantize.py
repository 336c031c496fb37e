"""Weight quantization: the bytes a language model's weights take at ``int8`` or ``int4`` with group scales.

Weight matrices (dense layers and experts) are stored at ``bits`` per weight
plus one float16 scale per group of ``group`` weights; everything else
(embeddings, norms, biases, and the output head ``lm_head``, as bitsandbytes,
GPTQ and AWQ keep it) stays at the report's dtype.

>>> q = parse_quantization("int4")
>>> q.bits, q.group, q.weight_bytes(4096 * 4096)   # 4096·4096/2 + 2·4096·4096/128
(4, 128, 8650752)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from cnncalc.errors import ArgumentError

SCALE_BYTES = 2  # one float16 scale per group
FORM = re.compile(r"^int(?P<bits>[248])(?::(?P<group>[0-9]{1,9}))?$")  # ASCII digits: int() reads others too


@dataclass(frozen=True, slots=True)
class Quantization:
    """``bits`` per weight and one float16 scale per ``group`` weights (0: scales not counted)."""

    bits: int
    group: int = 128

    @property
    def name(self) -> str:
        return f"int{self.bits}" if self.group == 128 else f"int{self.bits}:{self.group}"

    def weight_bytes(self, weights: int) -> int:
        """Bytes of ``weights`` quantized: ``ceil(n·bits/8)`` plus ``2·ceil(n/group)`` for the scales."""
        scales = math.ceil(weights / self.group) * SCALE_BYTES if self.group else 0
        return math.ceil(weights * self.bits / 8) + scales


def parse_quantization(text: Any) -> Quantization:
    """``int8``, ``int4`` or ``int4:64`` (groups of 64 weights per scale) as a Quantization, or an ArgumentError."""
    if isinstance(text, Quantization):
        return text
    m = FORM.match(str(text).strip().lower())
    if m is None or (m["group"] is not None and int(m["group"]) < 1):
        raise ArgumentError(
            f"unknown quantization '{text}'", hint="choose int8 or int4, with a group size as int4:64 (default 128)"
        )
    return Quantization(int(m["bits"]), int(m["group"]) if m["group"] else 128)


def from_config(config: dict[str, Any]) -> tuple[Quantization | None, str]:
    """A Hugging Face ``quantization_config`` as a Quantization and a note saying what was read."""
    bits = config.get("bits")
    if bits is None:
        bits = 4 if config.get("load_in_4bit") else 8 if config.get("load_in_8bit") else None
    method = config.get("quant_method", "quantization")
    if not isinstance(bits, int) or isinstance(bits, bool) or bits not in (2, 4, 8):
        return None, f"{method} quantization_config without 2, 4 or 8 bits per weight: weights at the dtype"
    group = config.get("group_size", config.get("bnb_4bit_blocksize", 64 if config.get("load_in_4bit") else 128))
    if not isinstance(group, int) or isinstance(group, bool) or group < 1:
        return Quantization(bits, 0), f"{method}, {bits} bits per weight; per-channel scales not counted"
    return Quantization(bits, group), f"{method}, {bits} bits per weight, a float16 scale per {group} weights"
