"""The bundled hardware table: the datasheets' figures (dense), a source for each, and lookups by name."""

from __future__ import annotations

import pytest

from cnncalc.errors import ArgumentError
from cnncalc.hardware import HARDWARE, lookup, names

# (name, dtype, TFLOPS dense) as the vendors publish them; NVIDIA's tensor figures are printed
# "with sparsity", so the dense figure is half the printed one.
PUBLISHED_PEAKS = [
    ("a100-40gb", "float32", 19.5),
    ("a100-40gb", "bfloat16", 624 / 2),
    ("a100-80gb", "float16", 624 / 2),
    ("a100-80gb", "int8", 1248 / 2),
    ("h100-sxm", "float32", 67),
    ("h100-sxm", "bfloat16", 1979 / 2),
    ("h100-sxm", "int8", 3958 / 2),
    ("h100-pcie", "float32", 51),
    ("h100-pcie", "float16", 1513 / 2),
    ("l40", "float32", 90.5),
    ("l40", "bfloat16", 362.1 / 2),
    ("rtx-4090", "float32", 82.6),
    ("rtx-4090", "float16", 165.2),  # Ada whitepaper: FP16 tensor with FP32 accumulate, dense
    ("v100", "float32", 15.7),
    ("v100", "float16", 125),
    ("mi250x", "float32", 47.9),
    ("mi250x", "bfloat16", 383),
]

# (name, GB/s, GB)
PUBLISHED_MEMORY = [
    ("a100-40gb", 1555, 40),
    ("a100-80gb", 2039, 80),
    ("h100-sxm", 3350, 80),
    ("h100-pcie", 2000, 80),
    ("l40", 864, 48),
    ("rtx-4090", 1008, 24),
    ("v100", 900, 32),
    ("mi250x", 3276.8, 128),  # 3.2 TB/s as AMD rounds it
    ("epyc-9654", 460.8, 6144),  # 12 channels x DDR5-4800 x 8 bytes = 460.8 GB/s
]


@pytest.mark.parametrize(("name", "dtype", "tflops"), PUBLISHED_PEAKS)
def test_peaks_are_the_datasheets_dense_figures(name: str, dtype: str, tflops: float):
    assert lookup(name).peak_tflops(dtype) == pytest.approx(tflops)


@pytest.mark.parametrize(("name", "gbs", "gb"), PUBLISHED_MEMORY)
def test_bandwidth_and_memory_are_the_datasheets(name: str, gbs: float, gb: float):
    h = lookup(name)
    assert (h.bandwidth_gbs, h.memory_gb) == (pytest.approx(gbs), pytest.approx(gb))


def test_the_cpu_peak_is_derived_from_cores_clock_and_fma_width():
    # 96 cores x 2.4 GHz x (2 FMA pipes x 8 FP32 lanes x 2 FLOPs) = 7.3728 TFLOPS
    cpu = lookup("cpu")
    assert cpu.peak_tflops("float32") == pytest.approx(96 * 2.4e9 * 2 * 8 * 2 / 1e12)
    assert "derived" in cpu.peak("float32").note


def test_the_table_holds_the_devices_users_ask_for():
    assert set(names()) >= {"a100-40gb", "a100-80gb", "h100-sxm", "h100-pcie", "l40", "rtx-4090", "v100", "mi250x"}
    assert any("epyc" in n for n in names())


def test_every_figure_names_its_source_and_sparse_ones_say_they_were_halved():
    for h in HARDWARE:
        figures = [f for _, f in h.peaks] + [h.bandwidth, h.memory]
        for f in figures:
            assert f.value > 0
            assert any(word in f.source.lower() for word in ("datasheet", "specifications", "whitepaper"))
            assert "https://" in f.source
        for dtype, f in h.peaks:
            if "sparsity" in f.note:
                assert f.note.startswith("dense"), (h.name, dtype)


def test_lookups_ignore_case_spaces_and_underscores_and_know_aliases():
    assert lookup("H100 SXM") is lookup("h100_sxm") is lookup("h100") is lookup("H100-SXM5")
    assert lookup("RTX 4090") is lookup("4090")
    assert lookup("A100-80GB").name == "a100-80gb"


def test_an_unknown_name_suggests_the_nearest_and_lists_them_all():
    with pytest.raises(ArgumentError) as e:
        lookup("h100 sx")
    text = str(e.value)
    assert "unknown hardware 'h100 sx'" in text
    assert "did you mean h100-sxm" in text
    for name in names():
        assert name in text


def test_a_dtype_the_datasheet_does_not_publish_is_an_error_not_a_guess():
    with pytest.raises(ArgumentError, match="v100 has no published int8 peak .*--peak"):
        lookup("v100").peak("int8")


def test_the_ridge_is_peak_over_bandwidth():
    # A100 80GB, float32: 19.5e12 FLOP/s / 2,039e9 B/s = 9.5635... FLOPs per byte
    assert lookup("a100-80gb").ridge("float32") == pytest.approx(19.5e12 / 2039e9)
