"""The cases measured on gloo worlds of 2 and 4 ranks, each with the layout cnncalc is asked for to match it.

A case is a model of :mod:`gloo.setups` under a setup (``mlp:fsdp_reshard``); :func:`layout` gives the
``--parallel`` words for it at a world size, and :data:`TP_PLANS` the ``--tp-plan`` of a traced model.
"""

from __future__ import annotations

from gloo.setups import BATCH, BLOCKS, IMAGE, LENGTH, WIDTH

WORLD_2 = [
    *(f"mlp:{s}" for s in ("ddp", "zero1", "fsdp_keep", "fsdp_reshard", "tp", "tp_sp", "gpipe", "1f1b", "interleaved")),
    "cnn:ddp",
    "cnn:zero1",
    "cnn:fsdp_reshard",
    "llama:ddp",
    "llama:fsdp_reshard",
    "llama:tp",
    "mixtral:ddp",
    "mixtral:fsdp_reshard",
]
WORLD_4 = [
    *(f"mlp:{s}" for s in ("ddp", "zero1", "fsdp_keep", "fsdp_reshard", "tp", "tp_sp", "dp_tp", "gpipe", "1f1b")),
    "mlp:interleaved",
    "cnn:fsdp_reshard",
    "cnn:zero1",
    "llama:dp_tp",
]
CASES = {2: WORLD_2, 4: WORLD_4}


def layout(setup: str, world: int) -> str:
    """The ``--parallel`` words for a setup at a world size (the step's global batch is the harness's)."""
    return {
        "ddp": f"dp={world}",
        "zero1": f"dp={world},zero=1",
        "fsdp_keep": f"dp={world},zero=2",
        "fsdp_reshard": f"dp={world},zero=3",
        "tp": f"tp={world}",
        "tp_sp": f"tp={world},sp",
        "dp_tp": f"dp=2,zero=3,tp={world // 2}",
        "gpipe": f"pp={world},microbatches={2 * world},schedule=gpipe",
        "1f1b": f"pp={world},microbatches={2 * world},schedule=1f1b",
        "interleaved": f"pp={world},microbatches={2 * world},schedule=interleaved,vpp=2",
    }[setup]


TP_PLANS = {  # a traced model's plan, in parallelize_module's words (the head's scores gathered)
    "mlp": "blocks.*.up=colwise,blocks.*.down=rowwise,head=colwise_gather",
    "llama": "model.embed_tokens=rowwise,model.layers.*.self_attn.q_proj=colwise,"
    "model.layers.*.self_attn.k_proj=colwise,model.layers.*.self_attn.v_proj=colwise,"
    "model.layers.*.self_attn.o_proj=rowwise,model.layers.*.mlp.gate_proj=colwise,"
    "model.layers.*.mlp.up_proj=colwise,model.layers.*.mlp.down_proj=rowwise,lm_head=colwise_gather",
}
INPUTS = {  # the step's global batch, as cnncalc is given it
    "mlp": (BATCH, LENGTH, WIDTH),
    "cnn": (BATCH, *IMAGE),
    "llama": {"input_ids": (BATCH, LENGTH), "labels": (BATCH, LENGTH)},
    "mixtral": {"input_ids": (BATCH, LENGTH), "labels": (BATCH, LENGTH)},
}
assert BLOCKS % 8 == 0  # the interleaved schedule's 8 stages at a world of 4 take a block each
