"""explain shows the arithmetic of 'same' padding: the size ceil(n/s), then the padding it needs and its split."""

from __future__ import annotations

import cnncalc


def steps(spec: str, row: int = 1) -> list[str]:
    r = cnncalc.analyze(spec)
    return [str(s) for s in r.rows[row].steps]


def test_same_with_stride_1_shows_ceil_and_the_padding():
    s = steps("input(32,32,3) -> conv(8, f=3, p=same)")
    assert s[:4] == [
        "output H = ceil(32/1) = 32",  # TensorFlow: ceil(n/s), whatever the kernel
        "padding H = max((32 − 1)·1 + (3 − 1) + 1 − 32, 0) = 2",  # 31 + 2 + 1 − 32 = 2
        "output W = ceil(32/1) = 32",
        "padding W = max((32 − 1)·1 + (3 − 1) + 1 − 32, 0) = 2",
    ]
    notes = cnncalc.analyze("input(32,32,3) -> conv(8, f=3, p=same)").rows[1].notes
    assert notes[0] == "'same' padding on H: 2 in all (1 before, 1 after)"


def test_same_with_an_odd_total_puts_the_extra_pixel_after():
    r = cnncalc.analyze("input(32,32,3) -> conv(8, f=4, s=1, p=same)")
    # (32 − 1)·1 + (4 − 1) + 1 − 32 = 3: 1 before, 2 after
    assert "padding H = max((32 − 1)·1 + (4 − 1) + 1 − 32, 0) = 3" in [str(s) for s in r.rows[1].steps]
    assert r.rows[1].notes[0] == "'same' padding on H: 3 in all (1 before, 2 after)"  # TensorFlow: the odd one after


def test_same_with_stride_2_and_dilation():
    s = steps("input(15,15,3) -> conv(8, f=3, s=2, d=2, p=same)")
    # ceil(15/2) = 8; (8 − 1)·2 + 2·(3 − 1) + 1 − 15 = 14 + 4 + 1 − 15 = 4
    assert s[:2] == ["output H = ceil(15/2) = 8", "padding H = max((8 − 1)·2 + 2·(3 − 1) + 1 − 15, 0) = 4"]


def test_same_that_needs_no_padding_says_zero():
    s = steps("input(32,32,3) -> maxpool(2, p=same)")
    # ceil(32/2) = 16; (16 − 1)·2 + (2 − 1) + 1 − 32 = 0
    assert s[:2] == ["output H = ceil(32/2) = 16", "padding H = max((16 − 1)·2 + (2 − 1) + 1 − 32, 0) = 0"]
