"""The choices every entry point takes, checked in one place: FLOPs convention, batch, layout, dtype, title.

>>> Options.make(flops="MATMUL", batch=2).flops
<Convention.matmul: 'matmul'>
>>> Options.make(batch=0)
Traceback (most recent call last):
    ...
cnncalc.errors.ArgumentError: the batch must be a positive whole number (got 0)
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import Enum
from typing import Any

from cnncalc.conventions import DTYPE_BYTES, Convention, Framework, Layout
from cnncalc.errors import ArgumentError, wrong_type

DTYPES = ("float32", "float16", "bfloat16", "int8", "float64")


def enum_option(enum: type[Enum], value: object, what: str) -> Any:
    """An option's value as a member of ``enum`` (case-insensitive), or an ArgumentError listing the choices."""
    try:
        return enum(value.value if isinstance(value, enum) else str(value).lower())
    except ValueError:
        options = ", ".join(m.value for m in enum)
        raise ArgumentError(f"unknown {what} '{value}' (choose {options})") from None


def dtype_name(value: object) -> str:
    """A dtype option as its canonical name (``torch.float16`` and ``FLOAT16`` are ``float16``), or an ArgumentError."""
    name = str(getattr(value, "value", value)).lower().removeprefix("torch.")
    if name not in DTYPE_BYTES:
        raise ArgumentError(f"unknown dtype '{value}' (choose {', '.join(DTYPES)})")
    return name


@dataclass(frozen=True, slots=True)
class Options:
    """What a report is asked for, whatever the source of the network.

    ``flops``: the FLOPs convention (seed, matmul, all), or ``as=TOOL`` for another
    tool's figure (torchinfo, fvcore, ptflops, thop, calflops: ``tool``, see
    :mod:`cnncalc.others`); ``batch``: samples per
    step, for sources whose shapes carry no batch; ``layout``: how shapes are
    shown (and, in the notation, written), None for the front-end's own (hwc
    for the notation, chw for a PyTorch model); ``dtype``: the element type of
    the memory figures, None for float32 or a traced model's parameter dtype;
    ``framework``: torch or keras counting, None for the source's own (keras
    for a Keras file, else torch); ``depth``: how deep the rows follow
    the module tree of a traced model (None: its default); ``tree``, rows
    indented by depth with each module's whole figures (``"auto"``: for a model
    file shown deeper than one level, as the command line's tables do; None:
    flat rows that partition the totals); ``title``.

    Training (``train``): ``optimizer`` (sgd, momentum, adam, adamw), ``freeze``
    (names or patterns of layers whose parameters get no gradient),
    ``recompute`` (``none``, or ``blocks``: activation checkpointing of each
    block), ``master_weights`` (float32 copies of the trainable weights beside a
    16-bit ``dtype``, as mixed-precision training keeps them), ``loss`` (``sum``,
    ``cross_entropy``, ``mse`` or ``none``; None: a language model's own
    cross-entropy, else the sum of the outputs; :mod:`cnncalc.loss`).
    Language models (:mod:`cnncalc.llm`): ``context``, the positions a sequence
    holds at a decode step (None: the input's length); ``scores``, ``full`` (the
    whole score matrix, as PyTorch computes it) or ``causal`` (the half a causal
    mask keeps); ``quantization``, the weights' storage (``int8``, ``int4``,
    ``int4:64`` for groups of 64; None: the dtype, or the model's own); ``lora``,
    adapters to add (:class:`cnncalc.lora.Lora`, or its text ``r=8,alpha=16,targets=q_proj,v_proj``).
    Many devices (:mod:`cnncalc.parallel`): ``parallel``, a layout (``"dp=8,zero=3,tp=4,sp,pp=4"``, a dict or a
    :class:`~cnncalc.parallel.layout.ParallelLayout`); ``tp_plan``, how tensor parallelism shards layers by name
    (``"blocks.*.up=colwise,blocks.*.down=rowwise"``, a dict or pairs); ``pp_split``, where pipeline stages begin;
    ``devices`` (``"64xh100-sxm"``), ``gpus_per_node`` (8), ``network`` (GB/s per device across nodes, instead of
    the table's), ``overlap`` (data-parallel communication hidden behind compute) for the step's time;
    ``memory_fraction`` (0.9), the share of a device's memory serving may fill.
    """

    flops: Convention = Convention.seed
    tool: str | None = None
    batch: int = 1
    layout: Layout | None = None
    dtype: str | None = None
    title: str = ""
    framework: Framework | None = None
    depth: int | None = None
    tree: bool | str | None = None
    train: bool = False
    optimizer: str = "adam"
    freeze: tuple[str, ...] = ()
    recompute: str = "none"
    master_weights: bool = False
    loss: str | None = None
    context: int | None = None
    scores: str = "full"
    tokens: int | None = None
    hardware: str | None = None
    mfu: float | None = None
    quantization: str | None = None
    lora: Any = None
    parallel: Any = None
    tp_plan: Any = None
    pp_split: Any = None
    devices: Any = None
    gpus_per_node: int | None = None
    network: float | None = None
    overlap: bool = False
    memory_fraction: float | None = None

    @classmethod
    def make(cls, options: Options | None = None, **given: Any) -> Options:
        """Options from ``options`` with ``given`` over them, every value checked; unknown names are an error.

        ``None`` always means "not given": the value ``options`` holds (or the default) stays. So an entry
        point can pass each of its keywords through without resetting what a caller chose in ``options``:

        >>> Options.make(Options.make(dtype="float16"), dtype=None, batch=None).dtype
        'float16'
        """
        if options is not None and not isinstance(options, Options):
            raise wrong_type("options", "an Options (cnncalc.options.Options) or None", options)
        base = options if options is not None else cls()
        names = {f.name for f in fields(cls)}
        for key in given:
            if key not in names:
                raise ArgumentError(f"unknown option '{key}' (choose {', '.join(sorted(names))})")
        merged = replace(base, **{k: v for k, v in given.items() if v is not None})
        return merged._checked()

    def _checked(self) -> Options:
        for value, what in ((self.batch, "batch"), (self.depth, "depth"), (self.context, "context")):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise wrong_type(what, "a whole number (an int)", value)
        batch = self.batch
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ArgumentError(f"the batch must be a positive whole number (got {_shown(batch)})")
        depth = self.depth
        if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 0):
            raise ArgumentError(f"depth must be a whole number ≥ 0 (got {_shown(depth)})")
        context = self.context
        if context is not None and (isinstance(context, bool) or not isinstance(context, int) or context < 1):
            raise ArgumentError(f"the context must be a positive whole number of positions (got {_shown(context)})")
        from cnncalc.numbers import number

        for value, what in ((batch, "the batch"), (depth, "depth"), (context, "the context")):
            if value is not None:
                number(value, what)  # no more digits than a number may have
        for value, what in ((self.title, "title"), (self.hardware, "hardware")):
            if value is not None and not isinstance(value, str):
                raise wrong_type(what, "a str", value)
        scores = str(self.scores).lower()
        if scores not in ("full", "causal"):
            raise ArgumentError(f"unknown scores '{self.scores}' (choose full or causal)")
        quantization = lora = parallel = tp_plan = pp_split = None  # their parsers are imported when asked for
        if self.parallel is not None:
            from cnncalc.parallel.layout import parse_layout

            parallel = parse_layout(self.parallel)
        if self.tp_plan is not None or self.pp_split is not None:
            from cnncalc.parallel.plan import parse_pp_split, parse_tp_plan

            tp_plan = None if self.tp_plan is None else parse_tp_plan(self.tp_plan)
            pp_split = None if self.pp_split is None else parse_pp_split(self.pp_split)
            if parallel is None:
                given = "--tp-plan" if tp_plan is not None else "--pp-split"
                raise ArgumentError(f"{given} goes with --parallel", hint='e.g. --parallel "tp=2"')
        devices = None
        if self.devices is not None:
            from cnncalc.hardware import parse_devices

            devices = parse_devices(self.devices)
        many = (
            ("--gpus-per-node", self.gpus_per_node),
            ("--network", self.network),
            ("--overlap", self.overlap or None),
            ("--memory-fraction", self.memory_fraction),
        )
        if devices is not None and parallel is None:
            raise ArgumentError(
                "--devices goes with --parallel (cnncalc plan finds the layouts that fit)",
                hint='e.g. --devices 16xh100-sxm --parallel "dp=2,tp=8"',
            )
        given_alone = [name for name, value in many if value is not None]
        if given_alone and devices is None and self.hardware is None:
            raise ArgumentError(
                f"{', '.join(given_alone)} {'goes' if len(given_alone) == 1 else 'go'} with --devices",
                hint="e.g. --devices 64xh100-sxm",
            )
        if self.quantization is not None:
            from cnncalc.quantize import parse_quantization

            quantization = parse_quantization(self.quantization).name
        if self.lora is not None:
            from cnncalc.lora import parse_lora

            lora = parse_lora(self.lora)
        from cnncalc.others import parse_tool

        tool = parse_tool(self.flops) if isinstance(self.flops, str) else None
        tool = tool or (None if self.tool is None else parse_tool(f"as={self.tool}"))
        if tool is not None and self.train:
            raise ArgumentError(
                f"--flops as={tool} gives {tool}'s count of a forward; --train counts with cnncalc's conventions",
                hint="use --flops seed, matmul or all with --train",
            )
        return Options(
            flops=Convention.seed if tool is not None else enum_option(Convention, self.flops, "flops convention"),
            tool=tool,
            batch=batch,
            layout=None if self.layout is None else enum_option(Layout, self.layout, "layout"),
            dtype=None if self.dtype is None else dtype_name(self.dtype),
            title=str(self.title or ""),
            framework=None
            if self.framework is None
            else enum_option(Framework, self.framework, "framework convention"),
            depth=depth,
            tree=self.tree if self.tree in (None, "auto") else _flag(self.tree, "tree"),
            train=_flag(self.train, "train"),
            optimizer=_choice(self.optimizer, OPTIMIZERS, "optimizer"),
            freeze=_names(self.freeze),
            recompute=_choice(self.recompute, ("none", "blocks"), "recompute"),
            master_weights=_flag(self.master_weights, "master_weights"),
            loss=None if self.loss is None else _loss(self.loss),
            context=context,
            scores=scores,
            quantization=quantization,
            lora=lora,
            parallel=parallel,
            tp_plan=tp_plan,
            pp_split=pp_split,
            devices=devices,
            gpus_per_node=_positive(self.gpus_per_node, "--gpus-per-node"),
            network=None if self.network is None else _fraction(self.network, "--network", high=None),
            overlap=_flag(self.overlap, "overlap"),
            memory_fraction=None
            if self.memory_fraction is None
            else _fraction(self.memory_fraction, "--memory-fraction"),
            tokens=_tokens(self.tokens),
            hardware=None if self.hardware is None else str(self.hardware),
            mfu=_mfu(self.mfu),
        )


OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")


def _shown(value: object) -> str:
    """A value for a message: its repr, cut short (never a 5,000-digit number in full)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return "a number of more than 30 digits"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _tokens(value: object) -> int | None:
    """A number of tokens: a whole number, or one written ``1e12``, ``300B``, ``2T``, ``15M``."""
    if value is None:
        return None
    from cnncalc.numbers import number

    text = str(value).strip().upper().replace("_", "").replace(",", "")
    scale = {"K": 10**3, "M": 10**6, "B": 10**9, "G": 10**9, "T": 10**12}.get(text[-1:], 1)
    try:
        tokens = number(text[:-1] if scale > 1 else text, "tokens") * scale
    except ArgumentError:
        tokens = -1
    if isinstance(value, bool) or tokens < 1 or tokens != int(tokens):
        raise ArgumentError(f"tokens must be a positive whole number, such as 2e12 or 300B (got {value!r})")
    return int(tokens)


def _mfu(value: object) -> float | None:
    if value is None:
        return None
    from cnncalc.numbers import number

    try:
        mfu = float(number(value, "the model FLOPs utilisation"))
    except ArgumentError:
        mfu = -1.0
    if isinstance(value, bool) or not 0 < mfu <= 1:
        raise ArgumentError(
            f"the model FLOPs utilisation is a fraction of the peak, above 0 and at most 1 (got {value!r})"
        )
    return mfu


def _loss(value: object) -> str:
    from cnncalc.loss import loss_word

    return loss_word(value)


def _positive(value: object, what: str) -> int | None:
    if value is None:
        return None
    from cnncalc.numbers import whole

    return whole(value, what, minimum=1)


def _fraction(value: object, what: str, high: float | None = 1.0) -> float:
    """A positive finite number (at most ``high``): a share of memory, a bandwidth in GB/s."""
    from cnncalc.numbers import finite

    x = finite(value, what, minimum=0, maximum=high)
    if isinstance(value, bool) or x <= 0:
        raise ArgumentError(f"{what} must be above 0 (got {value!r})")
    return x


def _flag(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise ArgumentError(f"'{what}' must be true or false (got {value!r})")
    return value


def _choice(value: object, choices: tuple[str, ...], what: str) -> str:
    word = str(getattr(value, "value", value)).lower()
    if word not in choices:
        raise ArgumentError(f"unknown {what} '{value}' (choose {', '.join(choices)})")
    return word


def _names(value: object) -> tuple[str, ...]:
    """``freeze`` as names: one string (comma separated) or a sequence of them."""
    if value is not None and not isinstance(value, (str, list, tuple)):
        raise wrong_type("freeze", "a name, or a list of names", value)
    items = [value] if isinstance(value, str) else list(value or ())  # type: ignore[call-overload]
    if not all(isinstance(item, str) for item in items):
        raise wrong_type("freeze", "a list of names (str)", value)
    names = tuple(n.strip() for item in items for n in str(item).split(",") if n.strip())
    return names
