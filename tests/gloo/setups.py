"""The models and the parallel setups the runtime is measured on, each a recipe any rank can build.

Models (small, float32, seeded alike on every rank):

- :class:`MLP`: blocks of ``x + down(relu(up(norm(x))))`` over a sequence of feature vectors, a final norm and a
  head; its loss is the sum of the outputs;
- :class:`CNN`: two conv–batch-norm–ReLU blocks, pooling and a classifier; the sum of the outputs;
- Llama and Mixtral built by transformers from small configs (eager attention, batched experts), stepped on their
  own ``labels=`` loss.

A setup is what a user of torch.distributed writes for a layout (``cnncalc``'s words in brackets): DDP (``dp=N``),
DDP with ``ZeroRedundancyOptimizer`` (``zero=1``), FSDP2 ``fully_shard`` on each block and the root without and
with resharding after forward (``zero=2``, ``zero=3``), ``parallelize_module`` with colwise and rowwise linears
and sequence parallelism (``tp=N``, ``sp``), ``torch.distributed.pipelining``'s GPipe, 1F1B and interleaved 1F1B
schedules (``pp=N``), and FSDP2 over tensor parallelism on a 2-D mesh (``dp=2,zero=3,tp=2``). The step's global
batch is :data:`BATCH` sequences: data parallelism splits it over the replicas, a pipeline into micro-batches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

BATCH, LENGTH, WIDTH, FF, BLOCKS, CLASSES = 8, 8, 32, 64, 8, 12
IMAGE = (3, 16, 16)
VOCAB = 128
LM = dict(  # transformers' config keywords, shared by Llama and Mixtral
    vocab_size=VOCAB,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=64,
    attn_implementation="eager",
)


class Block(nn.Module):
    """``x + down(relu(up(norm(x))))``: a pre-norm MLP block with a residual."""

    def __init__(self, d: int = WIDTH, ff: int = FF) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.up = nn.Linear(d, ff)
        self.down = nn.Linear(ff, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.down(torch.relu(self.up(self.norm(x))))


class MLP(nn.Module):
    """Repeated blocks over a sequence of feature vectors, a final norm and a head to ``CLASSES`` scores."""

    def __init__(self, blocks: int = BLOCKS) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(Block() for _ in range(blocks))
        self.norm = nn.LayerNorm(WIDTH)
        self.head = nn.Linear(WIDTH, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


class CNN(nn.Module):
    """Two conv–batch-norm–ReLU blocks, max pooling, a classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())
            for c_in, c_out in ((3, 8), (8, 16))
        )
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(16 * 8 * 8, 10)  # 10 scores: over 4 ranks an uneven dim 0 (3, 3, 3, 1 rows)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.head(self.pool(x).flatten(1))


def transformers_lm(family: str) -> nn.Module:
    """transformers' Llama or Mixtral (``ForCausalLM``) from :data:`LM`, random init, on the CPU."""
    import transformers

    if family == "llama":
        return transformers.LlamaForCausalLM(transformers.LlamaConfig(**LM))
    config = transformers.MixtralConfig(
        **LM, num_local_experts=4, num_experts_per_tok=2, experts_implementation="batched_mm"
    )
    return transformers.MixtralForCausalLM(config)


@dataclass(frozen=True)
class Model:
    """A model: how to build it, its global batch, the blocks FSDP2 wraps, and its loss."""

    name: str
    build: Callable[[], nn.Module]
    batch: Callable[[int], dict[str, torch.Tensor]]  # the step's global batch, seeded (by step)
    blocks: Callable[[nn.Module], list[nn.Module]]
    loss: Callable[[Any, dict[str, torch.Tensor]], torch.Tensor]
    kind: str = "plain"  # plain (its own input and output), or lm (transformers: labels in, loss out)


def _sum(out: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return out.sum()


def _own(out: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return out.loss


def _tokens(step: int) -> dict[str, torch.Tensor]:
    ids = torch.randint(0, VOCAB, (BATCH, LENGTH), generator=torch.Generator().manual_seed(step))
    return {"input_ids": ids, "labels": ids}


MODELS = {
    "mlp": Model(
        "mlp",
        MLP,
        lambda step: {"x": torch.randn(BATCH, LENGTH, WIDTH, generator=torch.Generator().manual_seed(step))},
        lambda m: list(m.blocks),
        _sum,
    ),
    "cnn": Model(
        "cnn",
        CNN,
        lambda step: {"x": torch.randn(BATCH, *IMAGE, generator=torch.Generator().manual_seed(step))},
        lambda m: list(m.blocks),
        _sum,
    ),
    "llama": Model("llama", lambda: transformers_lm("llama"), _tokens, lambda m: list(m.model.layers), _own, "lm"),
    "mixtral": Model(
        "mixtral", lambda: transformers_lm("mixtral"), _tokens, lambda m: list(m.model.layers), _own, "lm"
    ),
}


def share(batch: dict[str, torch.Tensor], index: int, parts: int) -> dict[str, torch.Tensor]:
    """A data-parallel replica's share of the global batch: rows ``index·B/parts`` to ``(index+1)·B/parts``, in a
    tensor of its own (as each rank's data loader gives it)."""
    return {k: v.chunk(parts)[index].clone() for k, v in batch.items()}  # its own tensor, as a loader gives it


def forward_loss(model: Model, module: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The step's loss: a plain model's sum of outputs, a language model's own loss from its labels."""
    if model.kind == "lm":
        return model.loss(module(**batch, use_cache=False), batch)
    return model.loss(module(batch["x"]), batch)


# ---------------------------------------------------------------- a rank's part of a setup


@dataclass
class Part:
    """What one rank runs: its modules, the parameters it holds, its optimizer, one step's forward and backward."""

    modules: list[nn.Module]
    optimizer: Any
    run: Callable[[int], None]  # the forward and backward of step ``n``
    stage: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> list[torch.Tensor]:
        seen: dict[int, torch.Tensor] = {}
        for m in self.modules:
            for p in m.parameters():
                seen.setdefault(id(p), p)
        return list(seen.values())


def _adam(params: Any) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)


OPTIMIZERS = {  # another optimizer for a case (``mlp:tp_sp:sgd``), over the part's parameters
    "adam": _adam,
    "adamw": lambda params: torch.optim.AdamW(params, lr=1e-3),
    "sgd": lambda params: torch.optim.SGD(params, lr=1e-3),
    "momentum": lambda params: torch.optim.SGD(params, lr=1e-3, momentum=0.9),
}


def _seeded(model: Model) -> nn.Module:
    torch.manual_seed(0)
    return model.build()


def _ddp(model: Model) -> tuple[nn.Module, list[int]]:
    """The model under DDP, with a communication hook that all-reduces each bucket as DDP does by default and
    notes its bytes (a second observer of DDP's all-reduce)."""
    from torch.nn.parallel import DistributedDataParallel

    from gloo.runtime import ddp_bucket_hook

    module = DistributedDataParallel(_seeded(model))
    buckets: list[int] = []
    module.register_comm_hook(None, ddp_bucket_hook(buckets))
    return module, buckets


def ddp(model: Model, rank: int, world: int) -> Part:
    """``dp=N``: DDP replicas, gradients all-reduced in buckets, buffers broadcast from rank 0 each forward."""
    module, buckets = _ddp(model)
    opt = _adam(module.parameters())
    run = lambda n: forward_loss(model, module, share(model.batch(n), rank, world)).backward()  # noqa: E731
    return Part([module], opt, run, extra={"buckets": buckets})


def zero1(model: Model, rank: int, world: int) -> Part:
    """``dp=N,zero=1``: DDP with ``ZeroRedundancyOptimizer`` (each rank steps its partition, then broadcasts it)."""
    from torch.distributed.optim import ZeroRedundancyOptimizer

    module, buckets = _ddp(model)
    opt = ZeroRedundancyOptimizer(module.parameters(), optimizer_class=torch.optim.Adam, lr=1e-3)
    run = lambda n: forward_loss(model, module, share(model.batch(n), rank, world)).backward()  # noqa: E731
    return Part([module], opt, run, extra={"buckets": buckets})


def fsdp(reshard: bool | None) -> Callable[[Model, int, int], Part]:
    """``dp=N,zero=3`` (``reshard`` None: FSDP2's default, the blocks reshard after forward and the root does not)
    or ``zero=2`` (False: nothing reshards): ``fully_shard`` on each block, then the root."""

    def setup(model: Model, rank: int, world: int) -> Part:
        from torch.distributed.fsdp import fully_shard

        module = _seeded(model)
        for block in model.blocks(module):
            fully_shard(block, reshard_after_forward=reshard)
        fully_shard(module, reshard_after_forward=reshard)
        opt = _adam(module.parameters())
        return Part([module], opt, lambda n: forward_loss(model, module, share(model.batch(n), rank, world)).backward())

    return setup


# ---------------------------------------------------------------- tensor parallelism


def mlp_plan(sp: bool) -> dict[str, Any]:
    """The MLP's tensor-parallel plan: each block's up colwise and down rowwise, the head colwise with its scores
    gathered; with ``sp`` the norms sequence-parallel and the linears reading and writing sequence shards."""
    from torch.distributed.tensor import Replicate, Shard
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, SequenceParallel

    plan: dict[str, Any] = {}
    for i in range(BLOCKS):
        if sp:
            plan[f"blocks.{i}.norm"] = SequenceParallel()
            plan[f"blocks.{i}.up"] = ColwiseParallel(input_layouts=Shard(1))
            plan[f"blocks.{i}.down"] = RowwiseParallel(output_layouts=Shard(1))
        else:
            plan[f"blocks.{i}.up"] = ColwiseParallel()
            plan[f"blocks.{i}.down"] = RowwiseParallel()
    if sp:
        plan["norm"] = SequenceParallel()
        plan["head"] = ColwiseParallel(input_layouts=Shard(1), output_layouts=Replicate())
    else:
        plan["head"] = ColwiseParallel(output_layouts=Replicate())
    return plan


def llama_plan(config: Any) -> dict[str, Any]:
    """transformers' plan for Llama as torch's styles: q, k, v, gate, up colwise; o, down rowwise; the embedding
    row-wise over the vocabulary (its lookups all-reduced); the head colwise with its logits gathered."""
    from torch.distributed.tensor import Replicate
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel

    plan: dict[str, Any] = {
        "model.embed_tokens": RowwiseParallel(input_layouts=Replicate()),
        "lm_head": ColwiseParallel(output_layouts=Replicate()),
    }
    for i in range(config.num_hidden_layers):
        for name in ("q_proj", "k_proj", "v_proj"):
            plan[f"model.layers.{i}.self_attn.{name}"] = ColwiseParallel()
        plan[f"model.layers.{i}.self_attn.o_proj"] = RowwiseParallel()
        for name in ("gate_proj", "up_proj"):
            plan[f"model.layers.{i}.mlp.{name}"] = ColwiseParallel()
        plan[f"model.layers.{i}.mlp.down_proj"] = RowwiseParallel()
    return plan


def tp(sp: bool | str = False) -> Callable[[Model, int, int], Part]:
    """``tp=N`` (``sp``): every rank one tensor-parallel shard of the whole batch, on a 1-D mesh."""

    def setup(model: Model, rank: int, world: int) -> Part:
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.tensor.parallel import parallelize_module

        mesh = init_device_mesh("cpu", (world,))
        module = _seeded(model)
        if model.name == "mlp":
            plan = mlp_plan(sp)
        else:
            plan = llama_sp_plan(module.config, sp == "prepared") if sp else llama_plan(module.config)
        parallelize_module(module, mesh, plan)
        opt = _adam(module.parameters())

        def run(n: int) -> None:
            batch = model.batch(n)
            if sp and model.name == "mlp":  # the first norm reads this rank's shard of the sequence
                batch = {k: v.chunk(world, dim=1)[rank].clone() for k, v in batch.items()}
            forward_loss(model, module, batch).backward()

        return Part([module], opt, run)

    return setup


def dp_tp(model: Model, rank: int, world: int) -> Part:
    """``dp=2,zero=3,tp=2`` on a 2-D mesh: tensor parallelism within each pair, FSDP2 over the pairs."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    from torch.distributed.tensor.parallel import parallelize_module

    mesh = init_device_mesh("cpu", (2, world // 2), mesh_dim_names=("dp", "tp"))
    module = _seeded(model)
    plan = mlp_plan(False) if model.name == "mlp" else llama_plan(module.config)
    parallelize_module(module, mesh["tp"], plan)
    for block in model.blocks(module):
        fully_shard(block, mesh=mesh["dp"])
    fully_shard(module, mesh=mesh["dp"])
    opt = _adam(module.parameters())
    replica = mesh["dp"].get_local_rank()
    return Part([module], opt, lambda n: forward_loss(model, module, share(model.batch(n), replica, 2)).backward())


# ---------------------------------------------------------------- pipelines


class MLPStage(nn.Module):
    """The MLP's blocks ``first`` to ``last`` (and the final norm and head on the last stage)."""

    def __init__(self, full: MLP, first: int, last: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(full.blocks[first:last])
        self.tail = nn.ModuleList([full.norm, full.head]) if last == len(full.blocks) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        if self.tail is not None:
            x = self.tail[1](self.tail[0](x))
        return x


def llama_sp_plan(config: Any, prepared: bool) -> dict[str, Any]:
    """Llama with sequence parallelism: the norms sequence-parallel, the embedding's output and each rowwise
    output sequence-sharded; q, k, v, gate and up read a gathered input, each its own (transformers' way), or
    the attention and the MLP gather theirs once (``prepared``: PrepareModuleInput, torchtitan's way)."""
    from torch.distributed.tensor import Replicate, Shard
    from torch.distributed.tensor.parallel import (
        ColwiseParallel,
        PrepareModuleInput,
        RowwiseParallel,
        SequenceParallel,
    )

    colwise = ColwiseParallel() if prepared else ColwiseParallel(input_layouts=Shard(1))
    plan: dict[str, Any] = {
        "model.embed_tokens": RowwiseParallel(input_layouts=Replicate(), output_layouts=Shard(1)),
        "model.norm": SequenceParallel(),
        "lm_head": ColwiseParallel(input_layouts=Shard(1), output_layouts=Replicate()),
    }
    for i in range(config.num_hidden_layers):
        layer = f"model.layers.{i}"
        plan[f"{layer}.input_layernorm"] = SequenceParallel()
        plan[f"{layer}.post_attention_layernorm"] = SequenceParallel()
        for name in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.gate_proj", "mlp.up_proj"):
            plan[f"{layer}.{name}"] = colwise
        plan[f"{layer}.self_attn.o_proj"] = RowwiseParallel(output_layouts=Shard(1))
        plan[f"{layer}.mlp.down_proj"] = RowwiseParallel(output_layouts=Shard(1))
        if prepared:
            plan[f"{layer}.self_attn"] = PrepareModuleInput(
                input_kwarg_layouts={"hidden_states": Shard(1)},
                desired_input_kwarg_layouts={"hidden_states": Replicate()},
            )
            plan[f"{layer}.mlp"] = PrepareModuleInput(input_layouts=(Shard(1),), desired_input_layouts=(Replicate(),))
    return plan


SCHEDULES = {"gpipe": "ScheduleGPipe", "1f1b": "Schedule1F1B", "interleaved": "ScheduleInterleaved1F1B"}


def pipeline(schedule: str, virtual: int = 1) -> Callable[[Model, int, int], Part]:
    """``pp=N,microbatches=2N,schedule=...``: the MLP's blocks split evenly in order over ``N·virtual`` stages,
    stage ``s`` on rank ``s mod N`` (the interleaved schedule's loop), fed ``2N`` micro-batches of the batch."""

    def setup(model: Model, rank: int, world: int) -> Part:
        from torch.distributed import pipelining

        microbatches = 2 * world
        full = _seeded(model)
        stages_n = world * virtual
        per = BLOCKS // stages_n
        indices = [s for s in range(stages_n) if s % world == rank]
        modules = [MLPStage(full, s * per, (s + 1) * per) for s in indices]
        stages = [pipelining.PipelineStage(m, s, stages_n, torch.device("cpu")) for m, s in zip(modules, indices)]
        loss = lambda out, target: out.sum()  # noqa: E731
        cls = getattr(pipelining, SCHEDULES[schedule])
        sched = cls(stages if virtual > 1 else stages[0], n_microbatches=microbatches, loss_fn=loss)
        opt = _adam([p for m in modules for p in m.parameters()])

        def run(n: int) -> None:
            x = model.batch(n)["x"]
            if rank == 0 and stages_n - 1 in indices:
                sched.step(x, target=torch.zeros(()))
            elif rank == 0:
                sched.step(x)
            elif stages_n - 1 in indices:
                sched.step(target=torch.zeros(BATCH))
            else:
                sched.step()

        return Part(modules, opt, run, stage=indices[0])

    return setup


SETUPS: dict[str, Callable[[Model, int, int], Part]] = {
    "ddp": ddp,
    "zero1": zero1,
    "fsdp_keep": fsdp(False),
    "fsdp_reshard": fsdp(None),
    "tp": tp(False),
    "tp_sp": tp(True),
    "tp_sp_prepared": tp("prepared"),
    "dp_tp": dp_tp,
    "gpipe": pipeline("gpipe"),
    "1f1b": pipeline("1f1b"),
    "interleaved": pipeline("interleaved", virtual=2),
}
"""Each setup, by name, as a recipe: (model, rank, world size) -> the rank's part."""


def barrier() -> None:
    dist.barrier()
