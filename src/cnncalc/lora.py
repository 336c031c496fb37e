"""LoRA adapters: ``--lora r=8,alpha=16,targets=q_proj,v_proj`` adds a low-rank update to each targeted layer.

A targeted dense layer ``W`` (by its name: a Hugging Face module name, a traced
model's module path, a notation label) becomes ``W·x + (alpha/r)·B·A·x`` with
``A`` of ``r × in`` and ``B`` of ``out × r``, as PEFT builds it. The adapters
are the only trainable parameters; the base model is frozen. Their MACs
(``r·(in + out)`` per position) are counted; the scaling and the sum under
``all``. Llama-2-7B with ``r=8`` on q_proj and v_proj: ``32·2·8·(4096 + 4096)
= 4,194,304`` trainable parameters, as PEFT prints.

>>> parse_lora("r=8,alpha=16,targets=q_proj,v_proj")
Lora(r=8, alpha=16.0, targets=('q_proj', 'v_proj'))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnncalc.errors import ArgumentError
from cnncalc.graph import Node, Scope, Tensor


@dataclass(frozen=True, slots=True)
class Lora:
    """Rank ``r``, scaling ``alpha/r``, and the layer names it targets."""

    r: int
    alpha: float
    targets: tuple[str, ...]


HINT = "write --lora r=8,alpha=16,targets=q_proj,v_proj"


def parse_lora(value: Any) -> Lora | None:
    """A Lora from its text (``r=8,alpha=16,targets=q_proj,v_proj``), a dict, or a Lora; None stays None."""
    if value is None or isinstance(value, Lora):
        return value
    if isinstance(value, dict):
        items = dict(value)
    else:
        items, key = {}, None
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, v = part.partition("=")
            if sep:
                key = name.strip().lower()
                if key in items:
                    raise ArgumentError(f"--lora gives '{key}' twice", hint=HINT)
                items[key] = [v.strip()] if key == "targets" else v.strip()
            elif key == "targets":
                items["targets"].append(part)  # targets=q_proj,v_proj: the names after it
            else:
                raise ArgumentError(f"malformed --lora item {part!r}", hint=HINT)
    unknown = set(items) - {"r", "alpha", "targets"}
    if unknown:
        raise ArgumentError(f"--lora takes r, alpha and targets (got {', '.join(sorted(unknown))})", hint=HINT)
    from cnncalc.numbers import finite, whole

    try:
        r = whole(items.get("r", 8), "--lora's rank r")
        alpha = finite(items.get("alpha", 2 * r), "--lora's alpha")
    except ArgumentError as e:
        raise ArgumentError(e.message, hint=HINT) from None
    targets = items.get("targets")
    if isinstance(targets, str):
        targets = [targets]
    if r < 1:
        raise ArgumentError(f"--lora's rank r must be positive (got {r})", hint=HINT)
    if not targets or not all(isinstance(t, str) and t for t in targets):
        raise ArgumentError("--lora needs the layers it adapts, targets=q_proj,v_proj", hint=HINT)
    return Lora(r, alpha, tuple(targets))


def names_of(node: Node, scopes: tuple[Scope, ...]) -> tuple[str, ...]:
    """The names a LoRA target may use for a node: its label, its id, its module path."""
    names = [node.label, node.id, node.id.rsplit(".", 1)[-1]]
    if node.scope is not None and scopes:
        names.append(scopes[node.scope].path)
    return tuple(n for n in names if n)


def matches(target: str, names: tuple[str, ...]) -> bool:
    """PEFT's rule: a target matches a name equal to it or ending in ``.target``."""
    return any(n == target or n.endswith("." + target) for n in names)


def adapted(node: Node, lora: Lora, n_in: int, units: int, where: str) -> list[Node]:
    """The nodes that replace a targeted dense layer: the frozen base, A, B, the scaling and the sum.

    The sum keeps the layer's id, so whatever read the layer reads the adapted output.
    """
    lead = node.lead
    shapes = node.shapes
    shaped = shapes is not None and len(shapes) > 0
    base = Node(**{**_fields(node), "id": f"{node.id}.base_layer", "label": "base_layer", "trainable": False})
    a_shapes = (shapes[0],) if shaped else None  # type: ignore[index]
    b_shapes = ((*shapes[0][:lead], lora.r),) if shaped else None  # type: ignore[index]
    flatten = tuple((k, v) for k, v in node.kwargs if k == "flatten")
    common = {"scope": node.scope, "lead": lead, "trainable": True}
    a = Node(
        f"{node.id}.lora_A",
        "dense",
        "lora_A",
        (),
        (("units", lora.r), ("bias", False), *flatten),
        node.inputs[:1],
        "lora_A",
        shapes=a_shapes,
        tensors=(Tensor(f"{where}.lora_A.weight", (lora.r, n_in)),),
        **common,
    )
    b = Node(
        f"{node.id}.lora_B",
        "dense",
        "lora_B",
        (),
        (("units", units), ("bias", False), *flatten),
        (a.id,),
        "lora_B",
        shapes=b_shapes,
        tensors=(Tensor(f"{where}.lora_B.weight", (units, lora.r)),),
        **common,
    )
    scaled = Node(f"{node.id}.scaling", "elementwise", "scaling", ("mul",), (), (b.id,), "scaling", scope=node.scope)
    total = Node(node.id, "add", node.label, (), (), (base.id, scaled.id), node.source, scope=node.scope)
    return [base, a, b, scaled, total]


def _fields(node: Node) -> dict[str, Any]:
    return {name: getattr(node, name) for name in Node.__dataclass_fields__}
