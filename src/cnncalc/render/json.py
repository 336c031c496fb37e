"""JSON: the machine-readable contract. Later versions add keys, never rename these."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from cnncalc.render import shape_text
from cnncalc.report import Report, Row


def layer_record(report: Report, r: Row) -> dict[str, Any]:
    """One row as the JSON contract writes it: raw numbers, the shape as shown."""
    return {
        "index": r.index,
        "name": r.name,
        "kind": r.kind,
        "output_shape": list(report.shown_shape(r)),
        "activation_size": r.activation_size,
        "params": r.params,
        "trainable_params": r.trainable_params,
        "buffers": r.buffers,
        "macs": r.macs,
        "flops": r.flops,
        "inputs": list(r.inputs),
        "notes": list(r.notes),
        "receptive_field": _field(r),
        "bytes_read": r.bytes_read,
        "bytes_written": r.bytes_written,
        "intensity": r.intensity,
        "shown_shape": shape_text(report, r),
        **({"backward_flops": r.backward_flops, "saved_bytes": r.saved_bytes} if report.training else {}),
        **({"level": r.level} if any(row.level for row in report.rows) else {}),  # a tree's rows (tree=True)
    }


# The keys of the totals' parts, in the contract's order (a sweep's columns are these, dotted)
TOTALS_KEYS = ("params", "trainable_params", "non_trainable_params", "buffers", "macs", "flops", "activation_size")
MEMORY_KEYS = ("param_bytes", "buffer_bytes", "activation_bytes", "peak_activation_bytes")
MEMORY_LLM_KEYS = ("weight_bytes", "inference_bytes")
TRAINING_KEYS = (
    "forward_flops",
    "backward_flops",
    "flops",
    "saved_activation_bytes",
    "param_bytes",
    "gradient_bytes",
    "optimizer_bytes",
    "peak_bytes",
    "loss",
)
LLM_KEYS = ("active_params", "kv_cache_bytes_per_token", "kv_cache_bytes", "prefill_flops", "decode_flops_per_token")
BUDGET_KEYS = (
    "what",
    "flops",
    "tokens",
    "tokens_per_step",
    "steps",
    "six_nd_flops",
    "hardware",
    "peak_flops",
    "mfu",
    "seconds",
)


def totals_record(report: Report) -> dict[str, Any]:
    """The report's totals as the JSON contract writes them (``"totals"``): a sweep's row holds the same."""
    t = report.totals
    return {
        **{k: getattr(t, k) for k in TOTALS_KEYS},
        "memory": _memory(report),
        "training": _training(report),
        "llm": _llm(report),
        "budget": _budget(report),
        "parallel": None if report.parallel is None else report.parallel.as_dict(),
    }


def as_dict(report: Report, by: str | None = None, *, layers: bool = True) -> dict[str, Any]:
    """The JSON contract as a dict; ``by`` (kind or block) adds a ``breakdown`` object (:mod:`cnncalc.breakdown`);
    ``layers=False`` leaves the list of layers empty (:func:`chunks` writes them one at a time)."""
    extra: dict[str, Any] = {}
    if by is not None:
        from cnncalc.breakdown import records

        extra["breakdown"] = records(report, by)
    return {
        "convention": report.convention.value,
        "layout": report.layout.value,
        "framework": report.framework.value,
        "batch": report.batch,
        "layers": [layer_record(report, r) for r in report.rows] if layers else [],
        "totals": totals_record(report),
        "uncounted_ops": [
            {"name": op.name, "calls": op.calls, "modules": list(op.modules)} for op in report.uncounted_ops
        ],
        "dtype": report.dtype,
        **extra,
    }


def _axes(values: tuple) -> Any:
    """One number when every axis agrees, else a list per axis."""
    return values[0] if len(set(values)) == 1 else list(values)


def _field(r: Any) -> dict[str, Any] | None:
    f = r.receptive_field
    if f is None:
        return None
    return {"size": _axes(f.size), "jump": _axes(f.jump), "start": _axes(f.start)}


def _memory(report: Report) -> dict[str, Any] | None:
    m = report.memory
    if m is None:
        return None
    llm = report.llm
    return {
        **{k: getattr(m, k) for k in MEMORY_KEYS},
        **({k: getattr(llm, k) for k in MEMORY_LLM_KEYS} if llm is not None else {}),
    }


def _budget(report: Report) -> dict[str, Any] | None:
    """A run's FLOPs and time (docs/training.md), or None when neither tokens nor hardware were given."""
    b = report.budget
    if b is None:
        return None
    return {k: getattr(b, k) for k in BUDGET_KEYS}


def _llm(report: Report) -> dict[str, Any] | None:
    """A language model's serving figures (docs/llm.md), or None for a network with no KV cache."""
    f = report.llm
    if f is None:
        return None
    return {k: getattr(f, k) for k in LLM_KEYS}


def _training(report: Report) -> dict[str, int | str] | None:
    """One training step's figures, with exactly the contract's keys, and the loss it computes."""
    t = report.training
    if t is None:
        return None
    return {k: getattr(t, k) for k in TRAINING_KEYS}


def chunks(report: Report, by: str | None = None) -> Iterator[str]:
    """The JSON text in pieces, a layer at a time: the same text as ``json.dumps(as_dict(report, by), indent=2)``,
    without holding every layer's record at once (a network of 100,000 layers is some 50 MB of JSON)."""
    head = as_dict(report, by, layers=False)
    before, marker, after = json.dumps(head, indent=2, ensure_ascii=False).partition('"layers": []')
    assert marker, "the layers' place in the JSON"
    if not report.rows:
        yield before + marker + after + "\n"
        return
    yield before + '"layers": [\n'
    last = len(report.rows) - 1
    for i, r in enumerate(report.rows):
        text = json.dumps(layer_record(report, r), indent=2, ensure_ascii=False)
        yield "    " + text.replace("\n", "\n    ") + (",\n" if i < last else "\n")
    yield "  ]" + after + "\n"


def render(report: Report, by: str | None = None) -> str:
    """The JSON text (see :func:`chunks`)."""
    out = io.StringIO()
    for piece in chunks(report, by):
        out.write(piece)
    return out.getvalue()
