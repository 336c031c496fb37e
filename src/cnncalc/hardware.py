"""A small bundled table of accelerators: peak dense FLOP/s per dtype, memory bandwidth and size, each with its source.

Every figure is the vendor's published one, copied from the datasheet named beside it.
Peaks are **dense**: where a datasheet prints the 2:4 structured-sparsity figure
(NVIDIA marks it with an asterisk, "shown with sparsity"), the table holds half of it
and says so in the figure's note. ``float32`` is the plain FP32 rate (no TF32 tensor
cores: PyTorch does not use TF32 for float32 matmuls by default); ``tf32``, ``float16``,
``bfloat16`` and ``int8`` are tensor/matrix-core rates (int8 in TOPS, counted as
FLOP/s). A dtype a datasheet does not publish is absent, never guessed.

>>> h = lookup("H100 sxm")
>>> h.name, h.peak_tflops("bfloat16"), h.bandwidth_gbs   # datasheet: 1,979 TFLOPS with sparsity / 2
('h100-sxm', 989.5, 3350.0)
>>> round(h.ridge("bfloat16"), 1)   # FLOPs per byte where the roof turns: 989.5e12 / 3350e9
295.4
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from cnncalc.errors import ArgumentError

DTYPES = ("float32", "tf32", "float16", "bfloat16", "int8")


@dataclass(frozen=True, slots=True)
class Figure:
    """One published number: its value, the datasheet it comes from, and how it was read (dense vs sparse)."""

    value: float
    source: str
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", float(self.value))


@dataclass(frozen=True, slots=True)
class Hardware:
    """One device: peak dense TFLOPS per dtype, memory bandwidth (GB/s) and size (GB), each figure sourced."""

    name: str
    title: str
    aliases: tuple[str, ...]
    peaks: tuple[tuple[str, Figure], ...]  # (dtype, TFLOPS dense)
    bandwidth: Figure  # GB/s (10^9 bytes per second)
    memory: Figure  # GB (10^9 bytes)
    links: tuple[tuple[str, Figure], ...] = ()  # (nvlink | network | pcie, GB/s per device, each direction)

    @property
    def bandwidth_gbs(self) -> float:
        return self.bandwidth.value

    @property
    def memory_gb(self) -> float:
        return self.memory.value

    def peak(self, dtype: str) -> Figure:
        """The peak dense figure for ``dtype`` (float32, tf32, float16, bfloat16, int8), or an ArgumentError."""
        key = str(getattr(dtype, "value", dtype)).lower()
        for name, figure in self.peaks:
            if name == key:
                return figure
        published = ", ".join(name for name, _ in self.peaks)
        raise ArgumentError(
            f"{self.name} has no published {key} peak (it has {published})",
            hint="give the peak yourself with --peak TFLOPS --bandwidth GBS",
        )

    def peak_tflops(self, dtype: str) -> float:
        return self.peak(dtype).value

    def link(self, name: str) -> Figure:
        """A link's bandwidth, GB/s per device in each direction: ``nvlink`` (to the devices of its node),
        ``network`` (the node's network, its share per device), ``pcie``; an ArgumentError when unpublished."""
        for key, figure in self.links:
            if key == name:
                return figure
        raise ArgumentError(
            f"{self.name} has no published {name} bandwidth",
            hint="give it with --network GBS (per device, each direction)" if name == "network" else None,
        )

    def has_link(self, name: str) -> bool:
        return any(key == name for key, _ in self.links)

    def ridge(self, dtype: str) -> float:
        """FLOPs per byte at which the roofline turns: peak / bandwidth."""
        return self.peak_tflops(dtype) * 1e12 / (self.bandwidth_gbs * 1e9)


def _sparse(value: float, source: str) -> Figure:
    """A datasheet figure printed with 2:4 sparsity, kept as its dense half."""
    return Figure(value / 2, source, f"dense; the datasheet prints {value:,g} with sparsity")


_A100_40 = (
    "NVIDIA A100 Tensor Core GPU datasheet (A100 40GB SXM), "
    "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet.pdf"
)
_A100_80 = (
    "NVIDIA A100 Tensor Core GPU datasheet (A100 80GB SXM), "
    "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/"
    "nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf"
)
_H100 = "NVIDIA H100 Tensor Core GPU datasheet, https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet"
_L40 = "NVIDIA L40 GPU datasheet, https://images.nvidia.com/content/Solutions/data-center/vgpu-L40-datasheet.pdf"
_ADA = (
    "NVIDIA Ada GPU Architecture whitepaper, Appendix A (GeForce RTX 4090), "
    "https://images.nvidia.com/aem-dam/Solutions/geforce/ada/nvidia-ada-gpu-architecture.pdf"
)
_ADA_FP16 = (
    "dense, FP32 accumulate as mixed-precision training runs it; the whitepaper prints 330.4 with sparsity, "
    "and 330.3 dense with FP16 accumulate"
)
_V100 = (
    "NVIDIA Tesla V100 GPU datasheet (V100 SXM2), "
    "https://images.nvidia.com/content/technologies/volta/pdf/volta-v100-datasheet-update-us-1165301-r5.pdf"
)
_MI250X = (
    "AMD Instinct MI250X accelerator specifications, "
    "https://www.amd.com/en/products/accelerators/instinct/mi200/mi250x.html"
)
_EPYC = "AMD EPYC 9654 processor specifications, https://www.amd.com/en/products/processors/server/epyc/4th-generation-9004-and-8004-series/amd-epyc-9654.html"


_DGX_A100 = (
    "NVIDIA DGX A100 datasheet (8 single-port ConnectX-6 200 Gb/s HDR InfiniBand, one per GPU), "
    "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/nvidia-dgx-a100-datasheet.pdf"
)
_DGX_H100 = (
    "NVIDIA DGX H100 datasheet (8 single-port ConnectX-7 400 Gb/s InfiniBand/Ethernet, one per GPU), "
    "https://resources.nvidia.com/en-us-dgx-systems/ai-enterprise-dgx"
)


def _each_way(total: float, source: str, what: str) -> Figure:
    """A datasheet's bidirectional bandwidth, as one direction's half."""
    return Figure(total / 2, source, f"each direction; the datasheet prints {total:g} GB/s {what}, both directions")


def _per_gpu_network(gbits: float, source: str) -> Figure:
    return Figure(gbits / 8, source, f"the reference system's {gbits:g} Gb/s network adapter per GPU, each direction")


def _a100(name: str, title: str, aliases: tuple[str, ...], source: str, bandwidth: float, memory: float) -> Hardware:
    """The two A100 SXM parts share their compute figures; memory and bandwidth differ."""
    return Hardware(
        name,
        title,
        aliases,
        peaks=(
            ("float32", Figure(19.5, source)),
            ("tf32", _sparse(312, source)),
            ("float16", _sparse(624, source)),
            ("bfloat16", _sparse(624, source)),
            ("int8", _sparse(1248, source)),
        ),
        bandwidth=Figure(bandwidth, source),
        memory=Figure(memory, source),
        links=(
            ("nvlink", _each_way(600, source, "NVLink")),
            ("network", _per_gpu_network(200, _DGX_A100)),
            ("pcie", _each_way(64, source, "PCIe Gen4")),
        ),
    )


HARDWARE: tuple[Hardware, ...] = (
    _a100("a100-40gb", "NVIDIA A100 40GB SXM", ("a100-40", "a100-sxm4-40gb"), _A100_40, 1555, 40),
    _a100("a100-80gb", "NVIDIA A100 80GB SXM", ("a100-80", "a100-sxm4-80gb"), _A100_80, 2039, 80),
    Hardware(
        "h100-sxm",
        "NVIDIA H100 SXM",
        ("h100", "h100-sxm5"),
        peaks=(
            ("float32", Figure(67, _H100)),
            ("tf32", _sparse(989, _H100)),
            ("float16", _sparse(1979, _H100)),
            ("bfloat16", _sparse(1979, _H100)),
            ("int8", _sparse(3958, _H100)),
        ),
        bandwidth=Figure(3350, _H100, "3.35 TB/s"),
        memory=Figure(80, _H100),
        links=(
            ("nvlink", _each_way(900, _H100, "NVLink")),
            ("network", _per_gpu_network(400, _DGX_H100)),
            ("pcie", _each_way(128, _H100, "PCIe Gen5")),
        ),
    ),
    Hardware(
        "h100-pcie",
        "NVIDIA H100 PCIe",
        ("h100-pci",),
        peaks=(
            ("float32", Figure(51, _H100)),
            ("tf32", _sparse(756, _H100)),
            ("float16", _sparse(1513, _H100)),
            ("bfloat16", _sparse(1513, _H100)),
            ("int8", _sparse(3026, _H100)),
        ),
        bandwidth=Figure(2000, _H100, "2 TB/s"),
        memory=Figure(80, _H100),
        links=(("pcie", _each_way(128, _H100, "PCIe Gen5")),),
    ),
    Hardware(
        "l40",
        "NVIDIA L40",
        (),
        peaks=(
            ("float32", Figure(90.5, _L40)),
            ("tf32", _sparse(181, _L40)),
            ("float16", _sparse(362.1, _L40)),
            ("bfloat16", _sparse(362.1, _L40)),
            ("int8", _sparse(724, _L40)),
        ),
        bandwidth=Figure(864, _L40),
        memory=Figure(48, _L40),
        links=(("pcie", _each_way(64, _L40, "PCIe Gen4 x16")),),
    ),
    Hardware(
        "rtx-4090",
        "NVIDIA GeForce RTX 4090",
        ("4090", "rtx4090", "geforce-rtx-4090"),
        peaks=(
            ("float32", Figure(82.6, _ADA)),
            ("tf32", _sparse(165.2, _ADA)),
            ("float16", Figure(165.2, _ADA, _ADA_FP16)),
            ("bfloat16", Figure(165.2, _ADA, "dense, FP32 accumulate; the whitepaper prints 330.4 with sparsity")),
            ("int8", _sparse(1321.2, _ADA)),
        ),
        bandwidth=Figure(1008, _ADA),
        memory=Figure(24, _ADA),
    ),
    Hardware(
        "v100",
        "NVIDIA V100 SXM2 32GB",
        ("v100-sxm2", "tesla-v100"),
        peaks=(
            ("float32", Figure(15.7, _V100)),
            ("float16", Figure(125, _V100, "dense; 'Tensor Performance', FP16 multiply with FP32 accumulate")),
        ),
        bandwidth=Figure(900, _V100),
        memory=Figure(32, _V100),
        links=(("nvlink", _each_way(300, _V100, "NVLink")), ("pcie", _each_way(32, _V100, "PCIe"))),
    ),
    Hardware(
        "mi250x",
        "AMD Instinct MI250X",
        ("instinct-mi250x",),
        peaks=(
            ("float32", Figure(47.9, _MI250X, "dense; vector FP32 (the matrix-core FP32 rate is 95.7)")),
            ("float16", Figure(383, _MI250X, "dense; matrix cores (AMD quotes no sparsity figure for MI250X)")),
            ("bfloat16", Figure(383, _MI250X, "dense; matrix cores")),
            ("int8", Figure(383, _MI250X, "dense; matrix cores, TOPS")),
        ),
        bandwidth=Figure(3276.8, _MI250X, "3.2 TB/s (8 HBM2e stacks at 1.6 GHz)"),
        memory=Figure(128, _MI250X),
    ),
    Hardware(
        "epyc-9654",
        "AMD EPYC 9654 (96 Zen 4 cores, one socket)",
        ("cpu", "epyc"),
        peaks=(
            (
                "float32",
                Figure(
                    7.3728,
                    _EPYC,
                    "derived, AMD publishes no FLOPS figure: 96 cores x 2.4 GHz base x 32 FP32 FLOPs per cycle "
                    "(two 256-bit FMA pipes x 8 lanes x 2)",
                ),
            ),
        ),
        bandwidth=Figure(460.8, _EPYC, "per socket: 12 channels of DDR5-4800 x 8 bytes"),
        memory=Figure(6144, _EPYC, "the most one socket addresses (6 TB), not a fixed size"),
    ),
)


def _key(name: str) -> str:
    """``'H100 SXM'``, ``'h100_sxm'`` and ``'h100-sxm'`` are one name."""
    return "-".join(name.strip().lower().replace("_", " ").replace("-", " ").split())


_BY_NAME = {_key(n): h for h in HARDWARE for n in (h.name, *h.aliases)}
if len(_BY_NAME) != sum(1 + len(h.aliases) for h in HARDWARE):  # pragma: no cover - a table mistake
    raise RuntimeError("two hardware entries share a name or alias")


def names() -> tuple[str, ...]:
    """The canonical names, in table order."""
    return tuple(h.name for h in HARDWARE)


def lookup(name: str) -> Hardware:
    """A device by name or alias, case-insensitive; an unknown name suggests the nearest and lists them all."""
    key = _key(name)
    if key in _BY_NAME:
        return _BY_NAME[key]
    near = difflib.get_close_matches(key, list(_BY_NAME), n=3, cutoff=0.5)
    near_names = list(dict.fromkeys(_BY_NAME[n].name for n in near))
    guess = f"did you mean {' or '.join(near_names)}? " if near_names else ""
    raise ArgumentError(f"unknown hardware '{name}'", hint=f"{guess}known: {', '.join(names())}")


def parse_devices(value: object) -> tuple[int, Hardware]:
    """``--devices``: how many of which device, ``64xh100-sxm`` (``64×h100``, ``64*a100-80gb``; a name alone is one).

    >>> n, device = parse_devices("64xh100-sxm")
    >>> n, device.name
    (64, 'h100-sxm')
    """
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], Hardware):
        return value  # type: ignore[return-value]
    if not isinstance(value, str):
        from cnncalc.errors import wrong_type

        raise wrong_type("devices", 'text such as "64xh100-sxm"', value)
    text = value.strip()
    count, name = "1", text
    for sep in ("x", "×", "*"):
        head, found, tail = text.partition(sep)
        if found and head.strip() and head.strip()[0].isdigit():
            count, name = head.strip(), tail.strip()
            break
    from cnncalc.limits import guard
    from cnncalc.numbers import whole

    n = whole(count, "the --devices count", minimum=1)
    guard("ranks", n, f"--devices asks for {n:,} devices")
    return n, lookup(name)
