"""The parallel layout as users write it: the words, the defaults, and every malformed layout refused in words."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.errors import ArgumentError, LimitError, WrongTypeError
from cnncalc.limits import raised
from cnncalc.parallel.layout import ParallelLayout, parse_layout


def test_the_words_and_their_defaults():
    layout = parse_layout("dp=8, zero=3, tp=4, sp, pp=4, microbatches=16, schedule=1f1b, ep=8, cp=2")
    assert (layout.dp, layout.zero, layout.tp, layout.sp, layout.pp) == (8, 3, 4, True, 4)
    assert (layout.microbatches, layout.schedule, layout.ep, layout.cp) == (16, "1f1b", 8, 2)
    assert layout.world_size == 8 * 4 * 4 * 2  # ep is drawn from the data-parallel replicas
    assert parse_layout("pp=4").microbatches == 4  # the least that keeps four stages busy
    assert parse_layout("pp=2,schedule=interleaved").vpp == 2
    assert parse_layout("pp=2,schedule=interleaved").microbatches == 2
    assert parse_layout("mb=4").microbatches == 4  # gradient accumulation without a pipeline
    assert parse_layout({"dp": 2, "sp": True, "tp": 2}) == ParallelLayout(dp=2, tp=2, sp=True)
    assert parse_layout("TP=2,SP=true") == ParallelLayout(tp=2, sp=True)


def test_a_layout_reads_back_as_written():
    for text in ("dp=8,zero=3,tp=4,sp", "pp=4,microbatches=8,schedule=gpipe", "dp=4,ep=2", "dp=1"):
        layout = parse_layout(text)
        assert parse_layout(str(layout)) == layout


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("dp=nan", "dp must be a whole number"),
        ("dp=inf", "dp must be a whole number"),
        ("tp=0", "tp must be positive"),
        ("pp=1e400", "pp must be a whole number"),
        ("pp=2.5", "pp must be a whole number"),
        ("dp=٣", "digits 0-9"),
        ("dp=" + "9" * 40, "digits"),
        ("dp=-2", "dp must be positive"),
        ("zero=4", "0, 1, 2 or 3"),
        ("zero=-1", "at least 0"),
        ("dq=2", "unknown word 'dq'"),
        ("pipeline_stages=2", "unknown word"),
        ("dp=2,dp=4", "gives dp twice"),
        ("dp=2,,tp=2", "empty item"),
        ("dp", "dp needs a value"),
        ("sp", "needs tp=2 or more"),
        ("tp=2,sp=maybe", "sp is a flag"),
        ("schedule=gpipe", "goes with pp=2 or more"),
        ("pp=2,schedule=zigzag", "unknown schedule"),
        ("pp=2,vpp=2", "go with schedule=interleaved"),
        ("pp=4,microbatches=2", "at least as many micro-batches as stages"),
        ("pp=4,microbatches=9,schedule=interleaved,vpp=2", "not a multiple"),
        ("dp=4,ep=3", "must divide dp=4"),
        ("dp=2,tp=true", "tp must be a whole number"),
    ],
)
def test_malformed_layouts_are_refused_in_words(text, says):
    with pytest.raises(ArgumentError, match=says) as e:
        parse_layout(text)
    assert "--parallel" in str(e.value)


def test_the_ranks_are_capped():
    with pytest.raises(LimitError, match="ranks"):
        parse_layout("dp=1024,tp=1024,pp=2")
    with raised(ranks=1 << 22):
        assert parse_layout("dp=1024,tp=1024,pp=2").world_size == 1 << 21


def test_a_python_caller_gets_type_errors():
    with pytest.raises(WrongTypeError):
        cnncalc.analyze("input(8) -> fc(4)", parallel=3)
    with pytest.raises(TypeError):
        cnncalc.analyze("input(8) -> fc(4)", parallel=["dp=2"])


def test_tp_plan_and_pp_split_go_with_a_layout():
    with pytest.raises(ArgumentError, match="--tp-plan goes with --parallel"):
        cnncalc.analyze("input(8) -> fc(4)", tp_plan="fc=colwise")
    with pytest.raises(ArgumentError, match="unknown style 'colwize'"):
        cnncalc.analyze("input(8) -> fc(4)", parallel="tp=2", tp_plan="fc=colwize")
