"""Data parallelism and ZeRO: what each rank holds, against the one-device step, torch's own sharding rules and the
ZeRO paper's figures."""

from __future__ import annotations

import json

import pytest

import cnncalc
from cnncalc import zoo
from cnncalc.errors import ArgumentError

CNN = "input(16,16,3) -> conv(8, f=3) -> bn -> relu -> maxpool(2) -> conv(16, f=3) -> relu -> fc(10)"
MLP = "input(64) -> fc(128) -> dropout(0.1) -> gelu -> fc(128) -> relu -> fc(10)"
LLAMA = {
    "model_type": "llama",
    "vocab_size": 512,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
}


def one_rank(report):
    (only,) = report.parallel.ranks
    return only


@pytest.mark.parametrize(
    ("spec", "options"),
    [
        (CNN, {"batch": 4}),
        (MLP, {"batch": 2, "optimizer": "momentum"}),
        (MLP, {"dtype": "bfloat16", "master_weights": True}),
        ("input(16, 32) -> transformer(4, 64) -> transformer(4, 64)", {"recompute": "blocks", "batch": 2}),
    ],
)
def test_one_rank_is_the_one_device_step(spec, options):
    """dp=1 divides nothing: the rank holds what the training step holds, byte for byte."""
    report = cnncalc.analyze(spec, train=True, parallel="dp=1", **options)
    t, r = report.training, one_rank(report)
    assert (r.param_bytes, r.gradient_bytes, r.optimizer_bytes) == (t.param_bytes, t.gradient_bytes, t.optimizer_bytes)
    assert r.buffer_bytes == t.buffer_bytes
    assert r.peak_bytes == t.peak_bytes
    assert r.flops == t.flops
    if options.get("recompute") != "blocks":
        assert r.activation_bytes == t.saved_activation_bytes
    assert r.communication.total == 0


def test_one_rank_of_a_config_and_a_zoo_model():
    for report in (
        cnncalc.from_hf_config(LLAMA, input=(2, 16), train=True, parallel="dp=1"),
        zoo.analyze("resnet18", size=64, train=True, parallel="dp=1"),
    ):
        t, r = report.training, one_rank(report)
        assert (r.activation_bytes, r.peak_bytes) == (t.saved_activation_bytes, t.peak_bytes)


@pytest.mark.parametrize("zero", [0, 1, 2, 3])
def test_a_replica_computes_and_keeps_its_share_of_the_batch(zero):
    """Data parallelism splits the global batch: each replica keeps what one device keeps at batch / dp."""
    whole = cnncalc.analyze(MLP, batch=8, train=True, parallel=f"dp=4,zero={zero}")
    quarter = cnncalc.analyze(MLP, batch=2, train=True).training
    for r in whole.parallel.ranks:
        assert r.activation_bytes == quarter.saved_activation_bytes
        assert r.flops == quarter.flops
    assert whole.parallel.world_size == 4
    assert sorted(n for r in whole.parallel.ranks for n in r.ranks) == [0, 1, 2, 3]


def test_ddp_holds_everything_and_all_reduces_the_gradients():
    report = cnncalc.analyze(CNN, batch=4, train=True, parallel="dp=2")
    t, r = report.training, one_rank(report)
    assert (r.param_bytes, r.gradient_bytes, r.optimizer_bytes) == (t.param_bytes, t.gradient_bytes, t.optimizer_bytes)
    assert r.ranks == (0, 1)
    assert r.communication.all_reduce == t.gradient_bytes
    # DDP broadcasts the buffers (batch norm's running mean and variance, 8 each) from rank 0 before each forward
    assert r.communication.broadcast == 16 * 4


def test_zero_one_partitions_the_optimizer_as_zero_redundancy_optimizer_does():
    """Largest tensor first, each to the rank holding least so far: torch's own partitioning, run on the same
    tensors, gives each rank's optimizer state."""
    torch = pytest.importorskip("torch")
    from torch.distributed.optim import ZeroRedundancyOptimizer

    model = torch.nn.Sequential(torch.nn.Linear(10, 7), torch.nn.ReLU(), torch.nn.Linear(7, 30), torch.nn.Linear(30, 3))
    world = 3

    class Partitioner:  # ZeroRedundancyOptimizer's partitioning, without a process group
        def __init__(self):
            self.world_size = world
            self.param_groups = [{"params": list(model.parameters())}]
            self._partition_parameters_cache = []

        _get_min_index = ZeroRedundancyOptimizer._get_min_index
        _partition_param_group = ZeroRedundancyOptimizer._partition_param_group

    parts = ZeroRedundancyOptimizer._partition_parameters(Partitioner())
    owned = [sum(p.numel() for group in parts[rank] for p in group["params"]) for rank in range(world)]
    tensors = [sum(len(group["params"]) for group in parts[rank]) for rank in range(world)]
    report = cnncalc.from_torch(model, (6, 10), train=True, parallel=f"dp={world},zero=1")
    for rank in range(world):
        r = report.parallel.rank(rank)
        assert r.optimizer_bytes == 2 * owned[rank] * 4 + 4 * tensors[rank]  # Adam's moments, a step per tensor
        assert r.param_bytes == sum(p.numel() for p in model.parameters()) * 4
        assert r.communication.broadcast == r.param_bytes  # every shard broadcast after the step, to every rank


def test_fsdp_shards_each_tensor_as_torch_chunk_cuts_it():
    """FSDP2 cuts each parameter on its first axis as torch.chunk does; a rank's shard is padded to the first
    rank's rows (params and gradients), the optimizer's state is of the rows it really holds."""
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Linear(10, 7), torch.nn.ReLU(), torch.nn.Linear(7, 30), torch.nn.Linear(30, 5))
    world = 4
    report = cnncalc.from_torch(model, (8, 10), train=True, parallel=f"dp={world},zero=3")
    params = list(model.parameters())
    padded = sum(torch.chunk(p.detach(), world)[0].numel() for p in params)

    def held(p, rank):
        chunks = torch.chunk(p.detach(), world)
        return chunks[rank].numel() if rank < len(chunks) else 0

    for rank in range(world):
        r = report.parallel.rank(rank)
        assert r.param_bytes == padded * 4
        assert r.gradient_bytes == padded * 4
        assert r.optimizer_bytes == 2 * sum(held(p, rank) for p in params) * 4 + 4 * len(params)
    assert len(report.parallel.ranks) > 1  # the last rank holds fewer rows of the 7-row and 5-row tensors
    # one unit (no repeated blocks): gathered once for forward (the root keeps it), its gradients reduce-scattered
    comm = report.parallel.rank(0).communication
    assert comm.all_gather == padded * world * 4
    assert comm.reduce_scatter == padded * world * 4
    assert comm.all_reduce == 0


def test_the_zero_paper_model_states():
    """Rajbhandari et al. 2020, Figure 1: Ψ = 7.5B parameters, K = 12 (mixed-precision Adam: float32 master
    weights, momentum and variance), 64 devices: 120 GB without sharding, 31.4 GB with the optimizer state
    sharded, 16.6 GB with the gradients too, 1.9 GB with the parameters too.

    ZeroRedundancyOptimizer partitions whole tensors, so its model has 128 tensors of equal size (two a rank);
    FSDP cuts every tensor's rows, so one tensor of 7.5B rows does (64 divides them: no padding)."""
    psi = 7_500_000_000
    settings = dict(train=True, dtype="bfloat16", master_weights=True, batch=64)

    def states(net, zero):
        r = cnncalc.analyze(net, **settings, parallel=f"dp=64,zero={zero}").parallel.rank(0)
        steps = r.optimizer_bytes % 8  # Adam's float32 step counts, one a tensor: not in the paper's K
        return r.param_bytes + r.gradient_bytes + r.optimizer_bytes - steps, r

    one = f"input(1) -> fc({psi}, bias=false)"
    many = "input(6250) -> [fc(9375, bias=false) -> fc(6250, bias=false)] * 64"  # 128 tensors of 58,593,750
    assert cnncalc.analyze(many).totals.params == psi
    gb = 1e9
    assert round(states(one, 0)[0] / gb, 1) == 120.0
    assert round(states(many, 1)[0] / gb, 1) == 31.4
    # ZeRO-2 keeps the 16-bit parameters whole; FSDP2 without resharding after forward holds them gathered from
    # forward to backward, beside its own shard of them (0.23 GB the paper's ZeRO-2 does not hold)
    two, r = states(one, 2)
    held = dict(r.transient)["gathered parameters"]
    assert held == 2 * psi
    assert round((two - 2 * psi // 64 + held) / gb, 1) == 16.6
    assert round(states(one, 3)[0] / gb, 1) == 1.9
    assert round(states(many, 0)[0] / gb, 1) == 120.0


def test_the_global_batch_must_split():
    with pytest.raises(ArgumentError, match="global batch of 6 does not split into dp=4"):
        cnncalc.analyze(MLP, batch=6, train=True, parallel="dp=4")


def test_json_carries_the_contract(cli):
    result = cli("summary", MLP, "--batch", "8", "--train", "--parallel", "dp=4,zero=1", "--format", "json")
    assert result.exit_code == 0, result.output
    p = json.loads(result.stdout)["totals"]["parallel"]
    assert set(p) >= {"layout", "world_size", "ranks", "bubble_fraction", "time"}
    assert p["layout"] == {
        "dp": 4, "zero": 1, "tp": 1, "sp": False, "pp": 1, "microbatches": 1, "schedule": "1f1b", "vpp": 1,
        "ep": 1, "cp": 1,
    }  # fmt: skip
    assert p["world_size"] == 4
    keys = {"ranks", "stage", "param_bytes", "gradient_bytes", "optimizer_bytes", "activation_bytes"}
    keys |= {"transient_bytes", "peak_bytes", "flops", "communication"}
    for r in p["ranks"]:
        assert set(r) >= keys
        assert set(r["communication"]) == {
            "all_reduce", "all_gather", "reduce_scatter", "send", "recv", "all_to_all", "broadcast"
        }  # fmt: skip
    assert json.loads(cli("summary", MLP, "--format", "json").stdout)["totals"]["parallel"] is None


def test_the_table_shows_a_row_per_rank_class_and_explain_the_arithmetic(cli):
    out = cli("summary", MLP, "--batch", "8", "--train", "--parallel", "dp=4,zero=1").stdout
    assert "Parallel dp=4,zero=1 on 4 ranks (training step): global batch 8, 2 per micro-batch" in out
    assert "every rank moves per step: all_reduce" in out
    md = cli("summary", MLP, "--batch", "8", "--train", "--parallel", "dp=4,zero=3", "--format", "markdown").stdout
    assert "| Ranks | Stage | Params |" in md
    text = cli("explain", MLP, "--batch", "8", "--train", "--parallel", "dp=4,zero=3").stdout
    assert "(stage 0) of --parallel dp=4,zero=3" in text
    assert "param_bytes = " in text and "optimizer_bytes = 2·" in text


def test_a_bad_layout_is_one_error_line(cli):
    result = cli("summary", MLP, "--parallel", "dp=nan")
    assert result.exit_code == 2
    assert result.output.strip() == "error: --parallel dp must be a whole number (got 'nan')"
