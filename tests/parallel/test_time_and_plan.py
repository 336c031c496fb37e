"""A parallel step in time (devices with links from their datasheets, ring and tree collectives, the bubble,
overlap), serving a language model over tensor-parallel ranks, and cnncalc plan."""

from __future__ import annotations

import json
import math

import pytest

import cnncalc
from cnncalc.errors import ArgumentError
from cnncalc.hardware import lookup
from cnncalc.parallel.timing import collective_seconds

LLAMA = {
    "model_type": "llama",
    "vocab_size": 1024,
    "hidden_size": 256,
    "intermediate_size": 512,
    "num_hidden_layers": 4,
    "num_attention_heads": 8,
    "num_key_value_heads": 4,
}


def test_links_are_the_datasheets():
    h100 = lookup("h100-sxm")
    assert h100.link("nvlink").value == 450  # 900 GB/s both directions
    assert h100.link("network").value == 50  # a 400 Gb/s adapter per GPU (DGX H100)
    assert h100.link("pcie").value == 64  # PCIe Gen5, 128 GB/s both directions
    assert lookup("a100-80gb").link("network").value == 25  # 200 Gb/s HDR per GPU (DGX A100)
    with pytest.raises(ArgumentError, match="no published network bandwidth"):
        lookup("l40").link("network")


def test_ring_and_tree_by_hand():
    size, n = 2**30, 8
    ring, algo = collective_seconds("all_reduce", size, n, 1, 450e9, 50e9)
    assert algo == "ring"
    assert ring == pytest.approx(8.4e-6 + 14 * 3.4e-6 + 2 * 7 / 8 * size / 450e9)
    gather, _ = collective_seconds("all_gather", size, n, 1, 450e9, 50e9)
    assert gather == pytest.approx(8.4e-6 + 7 * 3.4e-6 + 7 / 8 * size / 450e9)
    # across 64 nodes a small all-reduce takes the tree: log2(64) network hops instead of 126 ring steps
    small, algo = collective_seconds("all_reduce", 4096, 64, 64, 450e9, 50e9)
    assert algo == "tree"
    assert small == pytest.approx(2 * (6 * 50e-6) + 2 * 4096 / 50e9)
    assert collective_seconds("send", 1000, 2, 2, 450e9, 50e9)[0] == pytest.approx(9.6e-6 + 1000 / 50e9)


def timed(layout: str, devices: str, **given):
    return cnncalc.from_hf_config(
        LLAMA, input=(16, 256), train=True, dtype="bfloat16", parallel=layout, devices=devices, **given
    )


def test_the_step_is_its_parts():
    report = timed("dp=8,zero=3,tp=2", "16xh100-sxm")
    t = report.parallel.time
    assert t.seconds == pytest.approx(t.compute_seconds + t.bubble_seconds + t.communication_seconds)
    peak = 989.5e12  # H100 SXM bfloat16 dense
    assert t.mfu == pytest.approx(report.training.flops / (16 * peak * t.seconds))
    assert t.tokens_per_second == pytest.approx(16 * 256 / t.seconds)
    links = {(c.axis, c.link) for c in t.collectives}
    assert ("tp", "nvlink") in links and ("dp", "network") in links  # tp inside a node, dp across two
    fast = timed("dp=8,zero=3,tp=2", "16xh100-sxm", gpus_per_node=16).parallel.time
    assert {c.link for c in fast.collectives} == {"nvlink"} and fast.seconds < t.seconds


def test_mfu_and_overlap():
    report = timed("dp=4", "4xh100-sxm", mfu=0.5)
    t, r = report.parallel.time, report.parallel.rank(0)
    assert t.compute_seconds == pytest.approx(r.flops / (989.5e12 * 0.5))
    hidden = timed("dp=4", "4xh100-sxm", mfu=0.5, overlap=True).parallel.time
    assert hidden.communication_seconds < t.communication_seconds
    assert hidden.overlapped_seconds > 0


def test_compute_at_the_roofline_layer_by_layer():
    """Without --mfu each layer runs at the roofline, by hand: the 4096×4096 matrix product at the H100's bfloat16
    dense peak (its forward and its weight gradient; the network's input needs no gradient), the ReLU at its
    memory bandwidth (it reads and writes its tensor forward, twice that backward)."""
    b, n = 4096, 4096
    report = cnncalc.analyze(
        f"input({n}) -> fc({n}, bias=false) -> relu",
        batch=b,
        train=True,
        dtype="bfloat16",
        flops="matmul",
        loss="none",
        parallel="dp=1",
        devices="1xh100-sxm",
    )
    peak, bandwidth = 989.5e12, 3.35e12  # H100 SXM: bfloat16 dense, HBM3
    product = 2 * (2 * b * n * n) / peak  # forward + weight gradient, 2 FLOPs a multiply-add
    relu = 3 * (2 * b * n * 2) / bandwidth  # read + write at 2 B, forward once and backward twice
    assert report.parallel.time.compute_seconds == pytest.approx(product + relu, rel=1e-12)


def test_the_pipeline_bubble():
    t = timed("pp=2,microbatches=4", "2xh100-sxm").parallel.time
    assert t.bubble_seconds == pytest.approx(t.compute_seconds * (2 - 1) / 4)


def test_devices_must_match_the_layout():
    with pytest.raises(ArgumentError, match=r"is 4 ranks \(dp=2 × tp=2\), but --devices gives 8"):
        timed("dp=2,tp=2", "8xh100-sxm")
    with pytest.raises(ArgumentError, match="--devices goes with --parallel"):
        cnncalc.from_hf_config(LLAMA, input=(16, 256), devices="8xh100-sxm")
    with pytest.raises(ArgumentError, match="--overlap goes with --devices"):
        cnncalc.from_hf_config(LLAMA, input=(16, 256), parallel="dp=2", overlap=True)
    with pytest.raises(ArgumentError, match="no published network"):
        timed("dp=16", "16xl40")


def test_serving_over_tensor_parallel_ranks():
    """Weights and the KV cache split over tp=2; the sequences that fit in 0.9 of 80 GB, the cache in blocks of 16
    positions as vLLM pages it: by hand."""
    context = 1000
    report = cnncalc.from_hf_config(
        LLAMA, input=(1, 512), dtype="bfloat16", context=context, parallel="tp=2", devices="2xh100-sxm"
    )
    s, r = report.parallel.serving, report.parallel.rank(0)
    per_token = 4 * 2 * 4 * 32 * 2 // 2  # 4 layers × k and v × 4 kv heads × 32 × 2 B, half on each rank
    blocks = math.ceil(context / 16) * 16
    assert s.kv_bytes_per_sequence == blocks * per_token
    free = int(0.9 * 80e9) - r.param_bytes - r.buffer_bytes - r.transient_bytes
    assert (s.free_bytes, s.max_sequences) == (free, free // (blocks * per_token))
    assert s.tokens_per_second == pytest.approx(s.max_sequences * s.tokens_per_second_per_sequence)
    assert s.ttft_seconds == report.parallel.time.seconds
    assert r.param_bytes * 2 < report.memory.param_bytes * 1.1  # the weights split in two (the norms whole)


def test_decoding_reads_the_weights_and_every_sequences_cache():
    """One device, by hand: a decode step at the sequences that fit reads the weights and each sequence's KV cache
    once at the memory bandwidth (memory-bound: its FLOPs at the peak take far less)."""
    report = cnncalc.from_hf_config(
        LLAMA, input=(1, 512), dtype="bfloat16", context=1000, parallel="dp=1", devices="1xh100-sxm"
    )
    s, r = report.parallel.serving, report.parallel.rank(0)
    layer = 256 * 256 * 2 + 256 * 128 * 2 + 3 * 256 * 512 + 2 * 256  # q, o; k, v; gate, up, down; two norms
    weights = 2 * (1024 * 256 * 2 + 4 * layer + 256)  # the embedding and the head, 4 layers, the final norm; 2 B
    cache = 1008 * 4 * 2 * 4 * 32 * 2  # 1,000 positions in blocks of 16 × 4 layers × k and v × 4 kv heads × 32 × 2 B
    assert (r.param_bytes, s.kv_bytes_per_sequence) == (weights, cache)
    n = s.max_sequences
    assert s.decode_seconds == pytest.approx((weights + n * cache) / 3.35e12, rel=1e-12)  # H100 SXM: 3.35 TB/s
    assert (s.tokens_per_second_per_sequence, s.tokens_per_second) == pytest.approx(
        (1 / s.decode_seconds, n / s.decode_seconds)
    )


def test_plan_ranks_the_layouts_that_fit_and_each_is_summary_on_it(cli):
    from cnncalc.frontends.hf import graph_of
    from cnncalc.options import Options
    from cnncalc.parallel.search import plan_report

    options = Options.make(train=True, dtype="bfloat16", parallel="dp=1", devices="8xh100-sxm")
    _, found = plan_report(graph_of(LLAMA, (16, 256)), options)
    best = found.best
    assert best and [c.seconds for c in best] == sorted(c.seconds for c in best)
    assert all(c.peak_bytes <= found.memory_bytes for c in best)
    for c in best[:3]:
        again = cnncalc.from_hf_config(
            LLAMA,
            input=(16, 256),
            train=True,
            dtype="bfloat16",
            parallel=c.layout,
            recompute=c.recompute,
            devices="8xh100-sxm",
        ).parallel
        assert again.time.seconds == pytest.approx(c.seconds)
        assert max(r.peak_bytes for r in again.ranks) == c.peak_bytes
        assert again.ranks == c.parallel.ranks
    result = cli("plan", "input(64) -> [fc(256) -> relu] * 4 -> fc(10)", "--batch", "64", "--devices", "4xa100-80gb",
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["devices"] == 4 and data["best"][0]["fits"] and data["evaluated"] >= data["fitting"] > 0


def test_plot_plan_draws_every_layout(cli, tmp_path):
    """cnncalc plot --kind plan: one point per layout at its step time and peak, the best ten numbered in order."""
    pytest.importorskip("matplotlib")
    from cnncalc.frontends.hf import graph_of
    from cnncalc.options import Options
    from cnncalc.parallel.search import plan_report
    from cnncalc.render.plot import plan_points

    options = Options.make(train=True, dtype="bfloat16", parallel="dp=1", devices="8xh100-sxm")
    _, found = plan_report(graph_of(LLAMA, (16, 256)), options)
    data = plan_points(found)
    assert [(t, m, f) for t, m, f, _ in data.points] == [(c.seconds, c.peak_bytes, c.fits) for c in found.candidates]
    numbered = sorted((int(label), t, m) for t, m, _, label in data.points if label)
    assert numbered == [(i, c.seconds, c.peak_bytes) for i, c in enumerate(found.best[:10], 1)]
    assert data.memory_bytes == int(80e9 * 0.9) == found.memory_bytes
    spec = "input(16, 64) -> [decoder(4, 128)] * 4 -> fc(100)"  # docs/parallel.md's command
    out = tmp_path / "plan.png"
    result = cli("plot", spec, "--kind", "plan", "--devices", "8xh100-sxm", "--batch", "16", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = cnncalc.analyze(spec, batch=16, train=True, parallel="dp=1")
    assert report.plot("plan", devices="8xh100-sxm").axes


def _plans_agree(there, here):
    """The engine's plan, read back from its rows, is the one made here: every layout, figure for figure."""
    assert there.candidates == here.candidates and there.refused == here.refused
    assert there.as_dict(top=len(here.candidates)) == here.as_dict(top=len(here.candidates))
    assert here.run is None and there.run is not None and there.run.points == len(here.candidates) + here.refused


def test_plan_runs_on_the_sweep_engine(cli, tmp_path):
    """The layouts as a sweep in this process (workers=0): each layout a row of the Parquet dataset, and the plan
    read back from the rows is the plan made without the engine."""
    pytest.importorskip("pyarrow")
    from cnncalc.frontends.hf import graph_of
    from cnncalc.options import Options
    from cnncalc.parallel.search import plan_report
    from cnncalc.sweep.engine import read_rows

    options = Options.make(train=True, dtype="bfloat16", parallel="dp=1", devices="4xh100-sxm")
    graph = graph_of(LLAMA, (8, 256))
    _, here = plan_report(graph, options)
    assert len(here.candidates) > 20 and here.best
    _, there = plan_report(graph, options, output=str(tmp_path / "layouts"), workers=0)
    _plans_agree(there, here)
    rows = list(read_rows(tmp_path / "layouts"))
    assert sorted(r["point"] for r in rows) == list(range(len(here.candidates) + here.refused))
    by_text = {(r["layout"], r["recompute"]): r for r in rows}
    for c in here.best[:3]:
        assert by_text[str(c.layout), c.recompute]["peak_bytes"] == c.peak_bytes
    # the command line: the same ten layouts with --output, and the rows written
    plain = cli("plan", "input(64) -> [fc(256) -> relu] * 4 -> fc(10)", "--batch", "64", "--devices", "4xa100-80gb",
                "--format", "json")  # fmt: skip
    out = tmp_path / "cli"
    swept = cli("plan", "input(64) -> [fc(256) -> relu] * 4 -> fc(10)", "--batch", "64", "--devices", "4xa100-80gb",
                "--format", "json", "-o", str(out), "--workers", "0")  # fmt: skip
    assert swept.exit_code == 0, swept.output
    assert json.loads(swept.stdout) == json.loads(plain.stdout)
    assert f"every layout's row in {out}" in swept.stderr and "on 1 worker)" in swept.stderr
    assert len(list(read_rows(out))) == json.loads(plain.stdout)["evaluated"] + json.loads(plain.stdout)["refused"]
    again = cli("plan", "input(64) -> [fc(256) -> relu] * 4 -> fc(10)", "--batch", "64", "--devices", "4xa100-80gb",
                "-o", str(out))  # fmt: skip
    assert again.exit_code == 2 and "already holds a sweep" in again.stderr


def test_plan_on_a_dask_cluster(tmp_path):
    """The layouts on a Dask cluster of two worker processes on 127.0.0.1, reached by its address: the same plan
    as in this process. The cluster is closed by the test."""
    pytest.importorskip("pyarrow")
    pytest.importorskip("distributed")
    from support.dask_cluster import local_scheduler

    from cnncalc.frontends.hf import graph_of
    from cnncalc.options import Options
    from cnncalc.parallel.search import plan_report

    options = Options.make(train=True, dtype="bfloat16", parallel="dp=1", devices="4xh100-sxm")
    graph = graph_of(LLAMA, (8, 256))
    _, here = plan_report(graph, options)
    with local_scheduler(2) as address:
        _, there = plan_report(graph, options, scheduler=address)
    _plans_agree(there, here)
    assert there.run.workers == 2 and there.run.chunks > 1
