"""JSON: the machine-readable contract. Later versions add keys, never rename these."""

from __future__ import annotations

import json
from typing import Any

from cnncalc.render import shape_text
from cnncalc.report import Report


def as_dict(report: Report) -> dict[str, Any]:
    t = report.totals
    return {
        "convention": report.convention.value,
        "layout": report.layout.value,
        "batch": report.batch,
        "layers": [
            {
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
                "shown_shape": shape_text(report, r),
            }
            for r in report.rows
        ],
        "totals": {
            "params": t.params,
            "trainable_params": t.trainable_params,
            "non_trainable_params": t.non_trainable_params,
            "buffers": t.buffers,
            "macs": t.macs,
            "flops": t.flops,
            "activation_size": t.activation_size,
        },
        "uncounted_ops": [
            {"name": op.name, "calls": op.calls, "modules": list(op.modules)} for op in report.uncounted_ops
        ],
    }


def render(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
