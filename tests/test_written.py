"""Numbers and shapes as people write them (cnncalc.written)."""

from __future__ import annotations

import pytest

from cnncalc.written import UnreadableError, parse_number, parse_shape, shape_matches


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("62,958", 62_958),
        ("2,62,400", 262_400),  # Indian grouping, seed 003
        ("2,95,294", 295_294),
        ("1 197 476", 1_197_476),
        ("1\u202f197\u202f476", 1_197_476),
        ("62958.0", 62_958),
        ("1'060'400", 1_060_400),
        ("$(1024 \\times 256 + 256) = 2,62,400$", 262_400),  # a cell that shows its working
        ("60,840 FLOPs", 60_840),
        ("0", 0),
    ],
)
def test_numbers(text, value):
    n = parse_number(text)
    assert n.matches(value)
    assert not n.matches(value + 1)


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("1.2M", [1_197_476, 1_150_000, 1_249_999], [1_100_000, 1_250_001]),  # rounds to 1.2M
        ("4.1G", [4_100_000_000, 4_149_000_000], [4_200_000_000]),
        ("15.47 GMACs", [15_470_000_000, 15_474_000_000], [15_480_000_000]),  # VGG-16 15.47 GMACs
        ("138k", [138_357, 137_500], [139_000]),
    ],
)
def test_abbreviated_numbers_are_checked_to_their_precision(text, inside, outside):
    n = parse_number(text)
    assert all(n.matches(v) for v in inside)
    assert not any(n.matches(v) for v in outside)


@pytest.mark.parametrize("text", ["abc", "1,23,4", "12,34", "3x3", "1.2.3"])
def test_unreadable_numbers(text):
    with pytest.raises(UnreadableError):
        parse_number(text)


@pytest.mark.parametrize(
    ("text", "dims", "batch"),
    [
        ("(28, 28, 8)", (28, 28, 8), False),
        ("28x28x8", (28, 28, 8), False),
        ("28 × 28 × 8", (28, 28, 8), False),
        ("[-1, 8, 28, 28]", (8, 28, 28), True),
        ("[-1, 1568]", (1568,), True),
        ("(120, 1)", (120, 1), False),
        ("1024", (1024,), False),
        ("18 × 18 × 128 = 41472", (18, 18, 128), False),  # seed 002: the shape, then its size
        ("$\\text{floor}((128 - 3 + 2 \\times 0) / 3) = 42$", (42,), False),  # seed 003
    ],
)
def test_shapes(text, dims, batch):
    s = parse_shape(text)
    assert (s.dims, s.batch) == (dims, batch)


def test_a_vector_may_be_written_as_a_column():
    assert shape_matches(parse_shape("(120, 1)"), (120,))  # seed 001 writes FC3 as (120, 1)
    assert not shape_matches(parse_shape("(120, 2)"), (120,))


def test_unreadable_shape():
    with pytest.raises(UnreadableError):
        parse_shape("big")
