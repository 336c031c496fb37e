"""A sweep's values: lists, ranges, powers and all, each number checked; the grid's numbering; random draws."""

from __future__ import annotations

import itertools

import pytest

from cnncalc.errors import ArgumentError
from cnncalc.sweep.values import Grid, Sample, axis


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("2048,4096", [2048, 4096]),
        ("16..48:8", [16, 24, 32, 40, 48]),
        ("1..4", [1, 2, 3, 4]),
        ("64..16:-16", [64, 48, 32, 16]),
        ("0.5..1:0.25", [0.5, 0.75, 1.0]),
        ("0.1..0.3:0.1", [0.1, 0.2, 0.3]),  # exact: 0.1 + 2·0.1 is not past 0.3
        ("log2:32..1024", [32, 64, 128, 256, 512, 1024]),
        ("log2:32..1000", [32, 64, 128, 256, 512]),
        ("log2:32..1024:2", [32, 128, 512]),
        ("log10:1..1000", [1, 10, 100, 1000]),
        ("relu,gelu, silu", ["relu", "gelu", "silu"]),
        ("8, 16..32:8, 64", [8, 16, 24, 32, 64]),
        ("1e3,2.5e3", [1000.0, 2500.0]),
        ("|none~0|+|none~0|none~1|", ["|none~0|+|none~0|none~1|"]),
    ],
)
def test_values_as_written(text, values):
    assert axis("x", text).values() == values


def test_all_is_an_arguments_known_set():
    assert axis("arch", "all", ("a", "b", "c")).values() == ["a", "b", "c"]
    with pytest.raises(ArgumentError, match="no list of every value"):
        axis("width", "all")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("nan", "finite"),
        ("1,inf", "finite"),
        ("-Infinity", "finite"),
        ("٣", "digits 0-9"),
        ("1" * 40, "digits"),
        ("1..10:0", "step cannot be 0"),
        ("10..1", "has no values"),
        ("1..nan", "finite"),
        ("1,,2", "empty value"),
        ("a..b", "a range|a number"),
        ("log2:0..64", "positive"),
        ("log1:1..64", "base"),
        ("log2:x", "not a range of powers"),
        ("relu\x07", "control characters"),
    ],
)
def test_a_bad_value_is_refused_naming_the_argument(text, says):
    with pytest.raises(ArgumentError, match=says) as info:
        axis("width", text).values()
    assert "--vary width" in str(info.value)


def test_a_huge_range_is_never_listed():
    a = axis("n", "1..10000000000000000000000000")
    assert a.size == 10**25 and a[10**24] == 10**24 + 1
    assert Grid([a, axis("m", "1..10")]).size == 10**26


def test_the_grid_numbers_points_as_itertools_product():
    axes = [axis("a", "1..3"), axis("b", "x,y"), axis("c", "log2:1..4")]
    grid = Grid(axes)
    expected = list(itertools.product([1, 2, 3], ["x", "y"], [1, 2, 4]))
    assert len(grid) == len(expected) == 18
    assert [tuple(grid.point(i).values()) for i in range(18)] == expected


def test_a_random_draw_is_distinct_repeatable_and_spread():
    for size in (1, 2, 7, 1000, 15_625, 10**12):
        count = min(size, 500)
        s = Sample(size, count, seed=42)
        drawn = [s.index(k) for k in range(count)]
        assert len(set(drawn)) == count and all(0 <= i < size for i in drawn)
        assert drawn == [Sample(size, count, seed=42).index(k) for k in range(count)]
    whole = Sample(50, 50, seed=3)
    assert sorted(whole.index(k) for k in range(50)) == list(range(50))  # a permutation: every point once
    assert [Sample(10**6, 10, seed=1).index(k) for k in range(10)] != [
        Sample(10**6, 10, seed=2).index(k) for k in range(10)
    ]
    big = [Sample(10**6, 2000, seed=0).index(k) for k in range(2000)]
    assert min(big) < 10**5 and max(big) > 9 * 10**5  # not the first points: drawn from the whole grid
