"""Worksheets: generated networks are valid and of their level; keys are summary's figures; a filled exercise
with planted mistakes is graded with exactly those cells wrong, in every format it is handed out in."""

from __future__ import annotations

import json
import random
import re

import pytest

import cnncalc
from cnncalc import quiz
from cnncalc.layers import REGISTRY

SEEDS = range(0, 40)


def nodes(spec: str):
    return cnncalc.parse(spec).nodes


def keywords(node) -> dict:
    return dict(node.kwargs)


@pytest.mark.parametrize("level", [1, 2, 3])
def test_generated_networks_are_valid(level):
    for seed in SEEDS:
        spec = quiz.generate(level, seed)
        report = cnncalc.analyze(spec)  # builds: no window larger than its input, no size below 1
        for row in report.rows:
            if row.windows:  # every window fits its padded input, by hand: (k−1)·d + 1 ≤ n + p_begin + p_end
                source = next(r for r in report.rows if r.node_id == row.inputs[0])
                for w, n in zip(row.windows, source.output_shape[1:]):
                    assert (w.kernel - 1) * w.dilation + 1 <= n + w.pad_begin + w.pad_end, (spec, row.name)
            assert all(d >= 1 for d in row.output_shape)


def test_level_one_is_a_plain_chain_of_conv_pool_fc():
    for seed in SEEDS:
        spec = quiz.generate(1, seed)
        kinds = [n.kind for n in nodes(spec)]
        assert set(kinds) <= {"input", "conv", "maxpool", "dense"}, spec
        assert "conv" in kinds and "dense" in kinds
        for n in nodes(spec):
            assert not set(keywords(n)) & {"p", "s", "d", "g"}, spec  # stride 1, no padding


def test_level_two_pads_strides_dilates_and_groups():
    for seed in SEEDS:
        spec = quiz.generate(2, seed)
        convs = [keywords(n) for n in nodes(spec) if n.kind == "conv"]
        assert any(k.get("p", 0) not in (0, "valid") for k in convs), spec
        assert any(k.get("s", 1) > 1 for k in convs), spec
        assert any(k.get("d", 1) > 1 for k in convs), spec
        assert any(k.get("g", 1) > 1 for k in convs), spec


def test_level_three_branches_and_normalises():
    for seed in SEEDS:
        spec = quiz.generate(3, seed)
        kinds = [n.kind for n in nodes(spec)]
        assert {"add", "concat"} & set(kinds), spec
        assert "batchnorm" in kinds or any(REGISTRY[k].family == "norm" for k in kinds), spec


def test_variants_are_all_different_and_reproducible():
    first = quiz.variants(30, level=2, seed=5)
    again = quiz.variants(30, level=2, seed=5)
    assert len({ex.spec for ex in first}) == 30
    assert [ex.spec for ex in first] == [ex.spec for ex in again]


@pytest.mark.parametrize("level", [1, 2, 3])
def test_the_key_is_summarys_figures(cli, level):
    ask = ("output_shape", "activation_size", "params", "macs", "flops")
    for seed in range(8):
        ex = quiz.exercise(level=level, seed=seed, ask=ask)
        result = cli("summary", ex.spec, "--format", "json")
        assert result.exit_code == 0, result.output
        layers = json.loads(result.stdout)["layers"]
        _, rows = quiz.table(ex, key=True)
        assert len(rows) == len(layers)
        for row, layer in zip(rows, layers):
            shape, size, params, macs, flops = row[2:]
            assert (
                shape
                == "("
                + ", ".join(map(str, layer["output_shape"]))
                + ("," if len(layer["output_shape"]) == 1 else "")
                + ")"
            )
            assert [int(v.replace(",", "")) for v in (size, params, macs, flops)] == [
                layer["activation_size"],
                layer["params"],
                layer["macs"],
                layer["flops"],
            ]


def wrong(value: str, rng: random.Random) -> str:
    """A slip a student makes: a number off by a bit, a shape with one size off."""
    if value.startswith("("):
        sizes = [int(v) for v in re.findall(r"\d+", value)]
        i = rng.randrange(len(sizes))
        sizes[i] += rng.choice((1, 2, -1)) if sizes[i] > 2 else 1
        return "(" + ", ".join(map(str, sizes)) + ("," if len(sizes) == 1 else "") + ")"
    n = int(value.replace(",", ""))
    return f"{(n + rng.choice((1, 10, 100))) if n else 7:,}"


@pytest.mark.parametrize("fmt", quiz.FORMATS)
def test_planted_mistakes_are_exactly_the_wrong_cells(cli, tmp_path, fmt):
    rng = random.Random(fmt)
    for level in (1, 2, 3):
        for seed in range(4):
            ex = quiz.exercise(level=level, seed=seed, ask=("output_shape", "params", "macs"))
            headers, rows = quiz.table(ex, key=True)
            cells = [(r, c) for r in range(1, len(rows)) for c in range(2, len(headers))]
            k = rng.randint(0, 4)
            planted = set(rng.sample(cells, k))
            filled = [
                [wrong(v, rng) if (r, c) in planted else v for c, v in enumerate(row)] for r, row in enumerate(rows)
            ]
            path = tmp_path / f"filled-{level}-{seed}.{fmt}"
            path.write_text(quiz.render(ex, fmt, filled=filled), encoding="utf-8")
            result = cli("check", str(path), "--format", "json")  # no --spec: the exercise carries it
            graded = json.loads(result.stdout)
            bad = {(c["row"], c["column"]) for c in graded["cells"] if not c["ok"]}
            assert bad == {(r + 1, headers[c]) for r, c in planted}, (fmt, ex.spec, planted, bad)
            assert result.exit_code == (1 if planted else 0)
            assert sum(1 for c in graded["cells"] if c["ok"]) == len(cells) + 3 - k  # the input's row: 3 right


def test_an_exercise_from_a_given_spec_and_its_key_in_latex():
    ex = quiz.exercise("input(150,150,3) -> conv(32, f=3) -> pool(2)", ask="params")
    key = quiz.render(ex, "latex", key=True)
    # the seeds' worksheet: WE 3·3·3 = 27, 27·32 = 864, bias 32, total 896
    assert r"\text{WE: }3 \times 3 \times 3 &= 27" in key
    assert r"27 \times 32 &= 864" in key
    assert r"\text{Bias: }1 \times 32 &= 32" in key
    assert r"\text{Total: } &896" in key


def test_quiz_command_writes_variants_and_keys(cli, tmp_path):
    result = cli("quiz", "--level", "2", "--variants", "3", "--seed", "9", "--output", str(tmp_path / "class"))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "class").iterdir())
    assert names == [f"{w}-0{i}.md" for w in ("exercise", "key") for i in (1, 2, 3)]
    for i in (1, 2, 3):
        graded = cli("check", str(tmp_path / "class" / f"key-0{i}.md"))
        assert graded.exit_code == 0, graded.output


@pytest.mark.parametrize(
    "args, says",
    [
        (("--level", "4"), "4"),
        (("--level", "1", "--ask", "params,params"), "twice"),
        (("--ask", "weights"), "unknown column 'weights'"),
        (("input(8,8,3) -> conv(4, f=3)", "--level", "2"), "generated"),
        (("input(8,8,3) -> conv(4, f=9)",), "does not work out"),
        (("--variants", "100000"), "at most"),
        (("--format", "pdf"), "pdf"),
    ],
)
def test_quiz_refuses_what_it_cannot_set(cli, args, says):
    result = cli("quiz", *args)
    assert result.exit_code == 2
    assert says in result.output


def test_a_file_of_many_exercises_is_graded_one_at_a_time(cli, tmp_path):
    result = cli("quiz", "--level", "1", "--variants", "2", "--key")
    path = tmp_path / "both.md"
    path.write_text(result.stdout)
    graded = cli("check", str(path))
    assert graded.exit_code == 2 and "2 exercises" in graded.output
