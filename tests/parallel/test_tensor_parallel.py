"""Tensor and sequence parallelism on a traced model, against what torch's parallelize_module does on gloo.

The model and the expected bytes are those the distributed harness measures (world 2, torch 2.13, float32): an
MLP of 8 pre-norm blocks (LayerNorm(32), up 32→64 colwise, down 64→32 rowwise, a residual), a final LayerNorm
and a head 32→10 colwise with its output gathered, on a batch of 8 × 8 positions.
"""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.errors import ArgumentError

torch = pytest.importorskip("torch")
nn = torch.nn

PLAN = "blocks.*.up=colwise,blocks.*.down=rowwise,head=colwise_gather"


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.norm, self.up, self.down = nn.LayerNorm(32), nn.Linear(32, 64), nn.Linear(64, 32)

    def forward(self, x):
        return x + self.down(torch.relu(self.up(self.norm(x))))


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(Block() for _ in range(8))
        self.norm, self.head = nn.LayerNorm(32), nn.Linear(32, 10)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


def spread(layout: str, **given):
    return cnncalc.from_torch(MLP(), (8, 8, 32), train=True, flops="matmul", parallel=layout, tp_plan=PLAN, **given)


ACTIVATION = 8 * 8 * 32 * 4  # one block's output, 8,192 B


def test_each_rank_holds_its_shards():
    report = spread("tp=2")
    r = report.parallel.rank(0)
    # up (w, b) and the head (w, b) split by rows, down's weight by columns (its bias whole), the norms whole
    per_block = (32 * 64 + 64) // 2 + 64 * 32 // 2 + 32 + 64
    params = 8 * per_block + 64 + (32 * 10 + 10) // 2
    assert r.param_bytes == r.gradient_bytes == params * 4 == 70_548
    assert r.optimizer_bytes == 2 * params * 4 + 4 * (8 * 6 + 4)  # Adam's moments, a step per tensor
    assert len(report.parallel.ranks) == 1 and r.ranks == (0, 1)
    assert r.flops * 2 == report.training.flops  # the products split in two; the norms are not products


def test_tensor_parallel_traffic():
    c = spread("tp=2").parallel.rank(0).communication
    # forward: each down's output summed; backward: each up's and the head's input gradients summed
    assert c.all_reduce == 8 * ACTIVATION + 8 * ACTIVATION + ACTIVATION == 139_264
    assert c.all_gather == 8 * 8 * 10 * 4 == 2_560  # the head's output gathered
    assert (c.reduce_scatter, c.send, c.broadcast) == (0, 0, 0)


def test_sequence_parallel_traffic():
    c = spread("tp=2,sp").parallel.rank(0).communication
    # forward: each block's norm output gathered before up, the final norm's before the head, the head's output;
    # backward: each down's output gradient gathered
    assert c.all_gather == 8 * ACTIVATION + ACTIVATION + 2_560 + 8 * ACTIVATION == 141_824
    # forward: each down's output scattered over the sequence; backward: up's and the head's input gradients
    assert c.reduce_scatter == 8 * ACTIVATION + 8 * ACTIVATION + ACTIVATION == 139_264
    # the norms' gradients are partial: all-reduced each time Adam reads them (three times), 9 norms of 2·32
    assert c.all_reduce == 9 * 2 * 32 * 4 * 3 == 6_912


def test_data_and_tensor_parallel_together():
    p = spread("dp=2,tp=2").parallel
    assert p.world_size == 4
    r = p.rank(3)
    assert r.param_bytes == 70_548
    # the gradients of a rank's shards all-reduced over its data-parallel pair, in DDP's buckets
    assert r.communication.all_reduce == 70_548 + 139_264 // 2  # and tensor parallelism's, on half the batch
    assert sorted(n for c in p.ranks for n in c.ranks) == [0, 1, 2, 3]


def test_plan_errors_name_the_layer():
    with pytest.raises(ArgumentError, match="matches no layer"):
        cnncalc.from_torch(MLP(), (8, 8, 32), train=True, parallel="tp=2", tp_plan="blocks.*.gate=colwise")
    with pytest.raises(ArgumentError, match="reads a whole tensor"):
        cnncalc.from_torch(MLP(), (8, 8, 32), train=True, parallel="tp=2", tp_plan="blocks.*.down=rowwise")
    with pytest.raises(ArgumentError, match="do not split over tp=3"):
        cnncalc.from_torch(MLP(), (6, 8, 32), train=True, parallel="tp=3", tp_plan=PLAN)
    config = {"model_type": "llama", "vocab_size": 1001, "hidden_size": 64, "intermediate_size": 128,
              "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2}  # fmt: skip
    with pytest.raises(ArgumentError, match=r"embed_tokens: its vocabulary of 1,001 tokens \(weight 1001×64\) does "
                       r"not split over tp=2"):  # fmt: skip
        cnncalc.from_hf_config(config, (2, 16), train=True, parallel="tp=2")


SMALL_LLAMA = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                   num_key_value_heads=2, max_position_embeddings=64)  # fmt: skip


@pytest.mark.parametrize(("layout", "buffers"), [("tp=2", 0), ("dp=2,tp=2", 32), ("dp=2,zero=3,tp=2", 0)])
def test_a_configs_plan_is_transformers_model_traced(layout, buffers):
    """A config.json's layers are split by the plan transformers declares for the family (q/k/v/gate/up colwise,
    o/down rowwise, the embedding over its vocabulary, the head's logits gathered): each rank holds, computes and
    sends what the same model built by transformers and traced does (tests/gloo holds that to torch.distributed's
    own run), but for DDP's broadcast of the rotary embedding's two frequency buffers (2 × 4 floats: ``buffers``),
    which a traced model holds and a config's rotary tables, computed, do not."""
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(transformers.LlamaConfig(**SMALL_LLAMA, attn_implementation="eager"))
    settings = dict(train=True, flops="matmul", parallel=layout)
    ours = cnncalc.from_hf_config({"model_type": "llama", **SMALL_LLAMA}, (8, 8), **settings).parallel
    traced = cnncalc.from_torch(
        model, {"input_ids": (8, 8), "labels": (8, 8)}, kwargs={"use_cache": False}, **settings
    ).parallel
    assert [c.ranks for c in ours.ranks] == [c.ranks for c in traced.ranks]
    exact = ("param_bytes", "gradient_bytes", "optimizer_bytes", "flops")
    for a, b in zip(ours.ranks, traced.ranks):
        assert [getattr(a, f) for f in exact] == [getattr(b, f) for f in exact]
        theirs = b.communication.as_dict()
        assert a.communication.as_dict() == theirs | {"broadcast": theirs["broadcast"] - buffers}


def test_a_plan_can_leave_the_embedding_whole():
    """``--tp-plan "embed_tokens=replicate"`` (transformers' own Llama plan) against the default vocabulary split,
    by hand: each rank holds the other half of the 128 × 32 float32 table too (and Adam's two moments of it), and
    the lookups' all-reduce (8 × 8 positions × 32 floats) goes."""
    config = {"model_type": "llama", **SMALL_LLAMA}
    split, whole = (
        cnncalc.from_hf_config(config, (8, 8), train=True, parallel="tp=2", tp_plan=plan).parallel.rank(0)
        for plan in (None, "embed_tokens=replicate")
    )
    half = 128 * 32 * 4 // 2
    assert whole.param_bytes == split.param_bytes + half
    assert whole.gradient_bytes == split.gradient_bytes == whole.param_bytes  # a vocabulary split's gradient is whole
    assert whole.optimizer_bytes == split.optimizer_bytes + 2 * half
    assert whole.communication.all_reduce == split.communication.all_reduce - 8 * 8 * 32 * 4
