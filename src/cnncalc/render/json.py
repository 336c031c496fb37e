"""JSON: the machine-readable contract. Later versions add keys, never rename these."""

from __future__ import annotations

import json
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


def as_dict(report: Report, by: str | None = None) -> dict[str, Any]:
    """The JSON contract as a dict; ``by`` (kind or block) adds a ``breakdown`` object (:mod:`cnncalc.breakdown`)."""
    t = report.totals
    extra: dict[str, Any] = {}
    if by is not None:
        from cnncalc.breakdown import records

        extra["breakdown"] = records(report, by)
    return {
        "convention": report.convention.value,
        "layout": report.layout.value,
        "framework": report.framework.value,
        "batch": report.batch,
        "layers": [layer_record(report, r) for r in report.rows],
        "totals": {
            "params": t.params,
            "trainable_params": t.trainable_params,
            "non_trainable_params": t.non_trainable_params,
            "buffers": t.buffers,
            "macs": t.macs,
            "flops": t.flops,
            "activation_size": t.activation_size,
            "memory": _memory(report),
            "training": _training(report),
            "llm": _llm(report),
            "budget": _budget(report),
            "parallel": None if report.parallel is None else report.parallel.as_dict(),
        },
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
    return {
        "param_bytes": m.param_bytes,
        "buffer_bytes": m.buffer_bytes,
        "activation_bytes": m.activation_bytes,
        "peak_activation_bytes": m.peak_activation_bytes,
        **(
            {"weight_bytes": report.llm.weight_bytes, "inference_bytes": report.llm.inference_bytes}
            if report.llm is not None
            else {}
        ),
    }


def _budget(report: Report) -> dict[str, Any] | None:
    """A run's FLOPs and time (docs/training.md), or None when neither tokens nor hardware were given."""
    b = report.budget
    if b is None:
        return None
    keys = ("what", "flops", "tokens", "tokens_per_step", "steps", "six_nd_flops", "hardware", "peak_flops", "mfu")
    return {**{k: getattr(b, k) for k in keys}, "seconds": b.seconds}


def _llm(report: Report) -> dict[str, Any] | None:
    """A language model's serving figures (docs/llm.md), or None for a network with no KV cache."""
    f = report.llm
    if f is None:
        return None
    return {
        "active_params": f.active_params,
        "kv_cache_bytes_per_token": f.kv_cache_bytes_per_token,
        "kv_cache_bytes": f.kv_cache_bytes,
        "prefill_flops": f.prefill_flops,
        "decode_flops_per_token": f.decode_flops_per_token,
    }


def _training(report: Report) -> dict[str, int | str] | None:
    """One training step's figures, with exactly the contract's keys, and the loss it computes."""
    t = report.training
    if t is None:
        return None
    keys = ("forward_flops", "backward_flops", "flops", "saved_activation_bytes", "param_bytes", "gradient_bytes")
    return {k: getattr(t, k) for k in (*keys, "optimizer_bytes", "peak_bytes", "loss")}


def render(report: Report, by: str | None = None) -> str:
    return json.dumps(as_dict(report, by), indent=2, ensure_ascii=False) + "\n"
