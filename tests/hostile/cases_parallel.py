"""Malformed and outsized parallel layouts (--parallel, --tp-plan, --pp-split) on the command line."""

from __future__ import annotations

from hostile.cases import Case

MLP = "input(64) -> fc(128) -> relu -> fc(10)"
LLAMA = "input(16) -> embedding(256, 64) -> [decoder(4, 128, kv_heads=2)] * 4 -> rmsnorm -> fc(256)"


def layout(name: str, text: str, says: str, *extra: str, net: str = MLP) -> Case:
    return Case(f"parallel_{name}", ("summary", net, "--train", "--batch", "8", "--parallel", text, *extra), says=says)


CASES = [
    layout("dp_nan", "dp=nan", r"--parallel dp must be a whole number \(got 'nan'\)"),
    layout("tp_zero", "tp=0", "--parallel tp must be positive"),
    layout("pp_overflow", "pp=1e400", "--parallel pp must be a whole number"),
    layout("long_number", "dp=" + "9" * 5000, "dp has 5000 digits"),
    layout("other_digits", "dp=٤", "digits 0-9"),
    layout("unknown_word", "dp=2,shards=4", "unknown word 'shards'"),
    layout("word_twice", "dp=2,dp=2", "gives dp twice"),
    layout("empty_items", ",,,,", "empty item"),
    layout("many_items", ",".join(["dp=1"] * 10_000), "gives dp twice"),
    layout("huge_world", "dp=1000000,tp=1000000", "over the limit"),
    layout("huge_microbatches", "microbatches=10000000000", "over the limit"),
    layout("batch_does_not_split", "dp=3", "global batch of 8 does not split into dp=3"),
    layout("ep_without_dp", "ep=2", "ep=2 spreads the experts over data-parallel replicas"),
    layout("tp_without_plan", "tp=2", "no layer of this network is split by tensor parallelism"),
    layout("heads_do_not_split", "tp=3", "do not split over tp=3", net=LLAMA),
    layout("layers_do_not_split", "pp=3,mb=4", "4 layers .blocks. do not split evenly over pp=3", net=LLAMA),
    layout("sp_alone", "sp", "needs tp=2 or more"),
    layout("plan_matches_nothing", "tp=2", "matches no layer", "--tp-plan", "nothing.*=colwise", net=LLAMA),
    layout("plan_bad_style", "tp=2", "unknown style 'sideways'", "--tp-plan", "fc=sideways"),
    layout("split_too_many", "pp=2", "--pp-split gives 3 stages", "--pp-split", "1,1,2", net=LLAMA),
    Case("parallel_tp_plan_alone", ("summary", MLP, "--tp-plan", "fc=colwise"), says="--tp-plan goes with --parallel"),
    layout("devices_do_not_match", "dp=2", "is 2 ranks .dp=2., but --devices gives 4", "--devices", "4xh100-sxm"),
    layout("devices_zero", "dp=2", "the --devices count must be positive", "--devices", "0xh100-sxm"),
    layout("devices_unknown", "dp=2", "unknown hardware 'tpu-v9'", "--devices", "2xtpu-v9"),
    layout("devices_huge", "dp=2", "over the limit", "--devices", "99999999xh100-sxm"),
    layout(
        "memory_fraction_nan",
        "dp=2",
        "--memory-fraction must be a finite number",
        "--devices",
        "2xh100-sxm",
        "--memory-fraction",
        "nan",
    ),  # fmt: skip
    layout("network_alone", "dp=2", "--network goes with --devices", "--network", "50"),
    Case("parallel_devices_alone", ("summary", MLP, "--devices", "8xh100-sxm"), says="--devices goes with --parallel"),
    Case(
        "plan_devices_nan",
        ("plan", MLP, "--batch", "8", "--devices", "nanxh100"),
        says="unknown hardware",
    ),
    Case(
        "plan_workers_nan",
        ("plan", MLP, "--batch", "8", "--devices", "4xa100-80gb", "--workers", "nan"),
        says=r"--workers must be a whole number \(got 'nan'\)",
    ),
    Case(
        "plan_workers_past_the_cap",
        ("plan", MLP, "--batch", "8", "--devices", "4xa100-80gb", "--workers", "100000"),
        says=r"over the limit of 64 \(local_workers\)",
    ),
    Case(
        "plan_resume_without_output",
        ("plan", MLP, "--batch", "8", "--devices", "4xa100-80gb", "--resume"),
        says="--resume needs --output",
    ),
    Case(
        "plan_answers",
        ("plan", LLAMA, "--batch", "8", "--devices", "4xa100-80gb"),
        says="layouts on 4",
        answered=True,
    ),
]
