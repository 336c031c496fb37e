"""The ``cnncalc`` command line."""

# No `from __future__ import annotations` here: typer reads every command's annotations on each run, and as
# strings each would be compiled and evaluated again (some 30 ms of a summary's start-up).
import contextlib
import copy
import os
import shutil
import sys
import warnings
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from cnncalc.conventions import Convention, Framework, Layout
from cnncalc.errors import CnnCalcError, SpecError
from cnncalc.options import Options
from cnncalc.render import DEFAULT_COLUMNS, HEADERS
from cnncalc.report import Report


def examples(*commands: str) -> str:
    """An epilog of example commands; click's ``\\b`` keeps each as written instead of re-wrapping it."""
    return "Examples:\n\n" + "\n\n".join("\b\n" + "\n".join(f"  {line}" for line in c.splitlines()) for c in commands)


EXAMPLES = examples(
    'cnncalc summary "input(32,32,3) -> conv(8, f=5) -> pool(2) -> conv(16, f=5) -> pool(2)\n'
    '                 -> fc(120) -> fc(84) -> softmax(10)"',
    "cnncalc summary net.txt --flops all --format markdown",
    'echo "conv(32, f=7, s=4) -> maxpool(3, s=2) -> fc(100)" | cnncalc summary - --input 224,224,3',
    "cnncalc summary model.yaml",
    "cnncalc zoo resnet50 --set classes=10 --format json",
    "cnncalc summary model.py:Net --input 1,3,224,224 --depth 2",
    "cnncalc summary gpt.py:GPT --input 1,128 --input-dtype int64 --flops matmul",
    "cnncalc summary resnet50.onnx --input input=1,3,224,224 --depth 2",
    "cnncalc summary model.keras",
    "cnncalc summary config.json --input 1,4096 --dtype bfloat16 --context 8192 --quantize int4",
    "cnncalc summary config.json --lora r=8,alpha=16,targets=q_proj,v_proj",
    'cnncalc summary config.json --input 256,4096 --train --dtype bfloat16 --parallel "dp=8,zero=3,tp=8"',
)


app = typer.Typer(
    name="cnncalc",
    help="Shapes, parameters, MACs and FLOPs of every layer of a neural network, with the arithmetic.",
    epilog=EXAMPLES,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def show_version(value: bool) -> None:
    if value:
        from cnncalc import __version__

        typer.echo(f"cnncalc {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", "-V", callback=show_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """Shapes, parameters, MACs and FLOPs of every layer of a neural network, with the arithmetic."""


class DType(str, Enum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    int8 = "int8"


class Format(str, Enum):
    table = "table"
    markdown = "markdown"
    csv = "csv"
    json = "json"


def read_spec(spec: str) -> Any:
    """SPEC for check: '-' for standard input, else as given (the notation, or a file holding it or a spec)."""
    return read_stdin() if spec == "-" else spec


def read_stdin() -> str:
    """Standard input, read up to the file limit (a spec or a table is never larger)."""
    from cnncalc.limits import guard, value

    cap = value("file_bytes")
    text = sys.stdin.read(cap + 1)
    guard("file_bytes", len(text), "standard input holds more than that many characters")
    return text


def fail(err: CnnCalcError) -> typer.Exit:
    typer.echo(f"error: {err}", err=True)
    return typer.Exit(code=2)


def choice(enum: type[Enum]) -> dict:
    """An Enum option's settings: any case accepted, choices shown, and a wrong value answered with them.

    ``--flops fast`` says "Invalid value for '--flops': 'fast' is not one of seed, matmul, all". The
    option is annotated ``str`` (each enum here is a ``str`` Enum) and this parser gives the member:
    typer before 0.29 would convert an Enum-annotated value again, and typer 0.29 would answer a wrong
    one with pydantic's "Value error, ...".
    """
    names = [m.value for m in enum]

    def parse(value: object) -> Enum | None:
        if value is None or isinstance(value, enum):
            return value
        try:
            return enum(str(value).lower())
        except ValueError:
            raise typer.BadParameter(f"'{value}' is not one of {', '.join(names)}") from None

    return {"parser": parse, "metavar": "[" + "|".join(names) + "]"}


def numeric(what: str, *, whole: bool = True, minimum: float | None = None, maximum: float | None = None) -> dict:
    """A number option's settings: read by :mod:`cnncalc.numbers`, so ``nan``, ``inf``, other scripts' digits and
    numbers past 30 digits are a usage error (exit 2) saying why, as click's own int and float would not.

    ``what`` names the value in the message: "--batch: the batch must be positive (got '0')".
    """

    def parse(value: object) -> Optional[float]:
        if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return value  # the default
        from cnncalc import numbers

        try:
            if whole:
                n: float = numbers.whole(value, what, minimum=None if minimum is None else int(minimum))
                if maximum is not None and n > maximum:
                    raise typer.BadParameter(f"{what} must be at most {maximum:g} (got {value!r})")
                return n
            return numbers.finite(value, what, minimum=minimum, maximum=maximum)
        except CnnCalcError as e:
            raise typer.BadParameter(e.message) from None

    return {"parser": parse, "metavar": "INTEGER" if whole else "NUMBER"}


# The options the commands share, defined once.
SpecArg = Annotated[
    str,
    typer.Argument(
        help="The architecture: notation text, a file holding it (notation, .yaml, .yml or .json), - for stdin, "
        "a model file (.onnx; .keras or the .json of model.to_json()), "
        "or path/to/file.py:ModelClass for a PyTorch nn.Module. The .py file is imported and run as your own "
        "Python code (never unpickled), the class built with no arguments on the meta device and traced (a "
        "small one on zeros, a large one on fake tensors); --input is then the full size, batch first."
    ),
]
InputOpt = Annotated[
    Optional[str], typer.Option("--input", "-i", help="Input shape as shown, e.g. 32,32,3 (channels last).")
]
InputsOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--input",
        "-i",
        help="Input shape: for the notation as shown, e.g. 32,32,3 (channels last); for a model file the batch "
        "first, e.g. 1,3,224,224, or by name with a dtype, NAME=SHAPE[:DTYPE] (repeat it for each input: "
        "--input input_ids=1,128:int64 --input attention_mask=1,128).",
    ),
]
KwargOpt = Annotated[
    Optional[list[str]],
    typer.Option("--kwarg", help="A keyword argument for a model's forward, NAME=VALUE (repeatable): use_cache=false."),
]


def flops_choice() -> dict:
    """``--flops``: a convention (seed, matmul, all), or ``as=TOOL`` for another tool's figure, checked as typed."""
    settings = choice(Convention)
    parse = settings["parser"]

    def parse_flops(value: object) -> object:
        if isinstance(value, str) and value.strip().lower().startswith("as="):
            from cnncalc.others import parse_tool

            try:
                return f"as={parse_tool(value)}"
            except CnnCalcError as e:
                raise typer.BadParameter(str(e)) from None
        return parse(value)

    tools = "torchinfo|fvcore|ptflops|thop|calflops"
    return {"parser": parse_flops, "metavar": f"[seed|matmul|all|as={tools}]"}


FlopsOpt = Annotated[
    str,
    typer.Option(
        "--flops",
        **flops_choice(),
        help="FLOPs convention: seed, matmul or all; or as=TOOL (torchinfo, fvcore, ptflops, thop, calflops) for "
        "the figure that tool prints, by its rules (cnncalc compare SPEC shows them side by side).",
    ),
]
FormatOpt = Annotated[str, typer.Option("--format", "-f", **choice(Format), help="Output format.")]
BatchOpt = Annotated[
    int,
    typer.Option(
        "--batch", "-b", **numeric("the batch", minimum=1), help="Batch size (scales activations, MACs, FLOPs)."
    ),
]
LayoutOpt = Annotated[
    Optional[str],
    typer.Option("--layout", **choice(Layout), help="Show shapes as hwc or chw (default: hwc; chw for a model file)."),
]
WidthOpt = Annotated[
    Optional[int],
    typer.Option(
        "--width",
        **numeric("the width", minimum=20),
        help="Table width in characters (default: $COLUMNS, or the terminal's; in a pipe the table is drawn whole).",
    ),
]
BoxOpt = Annotated[
    Optional[bool],
    typer.Option(
        "--box/--plain",
        help="Draw the table with box characters, or as plain text (default: boxed on a terminal, plain in a pipe).",
    ),
]
DTypeOpt = Annotated[
    Optional[str],
    typer.Option(
        "--dtype",
        **choice(DType),
        help="Element type for the memory figures (default: float32; a model file's parameter dtype).",
    ),
]
ColumnsOpt = Annotated[
    Optional[str],
    typer.Option(
        "--columns",
        "-c",
        help="Table columns, comma separated, from: "
        + ", ".join(HEADERS)
        + " (default: "
        + ", ".join(DEFAULT_COLUMNS)
        + ").",
    ),
]
UnitsOpt = Annotated[
    Optional[str],
    typer.Option(
        "--units",
        "-u",
        metavar="[raw|auto|k|M|G|T]",
        help="How the table shows counts: raw (exact, the default), auto (each in its own unit: 25.6 M), or all in "
        "k, M, G or T. The footer gives every total both ways; csv and json stay exact.",
    ),
]
ByOpt = Annotated[
    Optional[str],
    typer.Option(
        "--by",
        metavar="[kind|block]",
        help="A breakdown instead of the layers: FLOPs, MACs and params summed per operator kind (conv, linear, "
        "attention, norm, ...) or per block, with each one's share (JSON: a breakdown object beside the layers).",
    ),
]
TreeOpt = Annotated[
    Optional[bool],
    typer.Option(
        "--tree/--flat",
        help="Rows indented under their parents, each module's or block's row holding its whole figures (default "
        "for a model file whose modules nest, at --depth over 1), or one flat row per module call.",
    ),
]
ExpandOpt = Annotated[
    bool,
    typer.Option("--expand", help="Show every block: identical consecutive blocks are otherwise one row marked × N."),
]
DepthOpt = Annotated[
    Optional[int],
    typer.Option(
        "--depth", **numeric("the depth", minimum=0), help="Model files: rows follow the module tree this deep (3)."
    ),
]
ContextOpt = Annotated[
    Optional[int],
    typer.Option(
        "--context",
        **numeric("the context", minimum=1),
        help="Language models: positions a sequence holds at a decode step (default: the input).",
    ),
]
ScoresOpt = Annotated[
    str,
    typer.Option(
        "--scores",
        help="Language models: count attention's full score matrix (full, as PyTorch computes it) or the causal half.",
    ),
]
QuantizeOpt = Annotated[
    Optional[str],
    typer.Option("--quantize", help="Language models: weights stored as int8, int4, or int4:64 (scales per 64)."),
]
LoraOpt = Annotated[
    Optional[str],
    typer.Option("--lora", help="LoRA adapters on the named layers: r=8,alpha=16,targets=q_proj,v_proj (rest frozen)."),
]
InputDTypeOpt = Annotated[
    Optional[str], typer.Option("--input-dtype", help="Model files: input dtype, e.g. int64 for token ids.")
]
ConventionOpt = Annotated[
    Optional[str],
    typer.Option(
        "--convention",
        **choice(Framework),
        help="Counting convention: torch (batch-norm statistics as buffers, two LSTM biases) or keras "
        "(moving statistics as non-trainable params, one LSTM bias, shapes as (None, H, W, C)). "
        "Default: keras for a Keras file, else torch.",
    ),
]
TokensOpt = Annotated[
    Optional[str],
    typer.Option("--tokens", help="With --train: a training run over this many tokens (2e12, 300B): its FLOPs, 6·N·D."),
]
DeviceOpt = Annotated[
    Optional[str],
    typer.Option(
        "--hardware", help="Time of the run (or one step) at this device's dense peak: h100-sxm, a100-80gb..."
    ),
]
MfuOpt = Annotated[
    Optional[float],
    typer.Option(
        "--mfu",
        **numeric("the model FLOPs utilisation", whole=False),
        help="With --hardware: the model FLOPs utilisation, a fraction (default 1).",
    ),
]
ParallelOpt = Annotated[
    Optional[str],
    typer.Option(
        "--parallel",
        help='Spread the step over many devices: "dp=8,zero=3,tp=4,sp,pp=4,microbatches=16,schedule=1f1b,ep=8,cp=2" '
        "(figures per rank; --input is the global batch). See docs/parallel.md.",
    ),
]
TpPlanOpt = Annotated[
    Optional[str],
    typer.Option(
        "--tp-plan",
        help='With --parallel tp=N: how tensor parallelism splits layers by name, "blocks.*.up=colwise,'
        'blocks.*.down=rowwise" (colwise, rowwise, replicate, sequence, colwise_gather).',
    ),
]
PpSplitOpt = Annotated[
    Optional[str],
    typer.Option(
        "--pp-split",
        help="With --parallel pp=N: the blocks of each stage (10,12,12,6), or the layers later stages begin at.",
    ),
]
DevicesOpt = Annotated[
    Optional[str],
    typer.Option(
        "--devices",
        help="With --parallel: the devices, 64xh100-sxm (the layout's ranks); gives the step's time, its parts, "
        "tokens/s and MFU.",
    ),
]
GpusPerNodeOpt = Annotated[
    Optional[int], typer.Option("--gpus-per-node", min=1, help="With --devices: devices per node (default 8).")
]
NetworkOpt = Annotated[
    Optional[float],
    typer.Option("--network", help="With --devices: the network between nodes, GB/s per device each way."),
]
OverlapOpt = Annotated[
    bool, typer.Option("--overlap", help="With --devices: data-parallel communication hidden behind compute.")
]
MemoryFractionOpt = Annotated[
    Optional[float],
    typer.Option(
        "--memory-fraction", help="Serving with --devices: the share of each device's memory to fill (default 0.9)."
    ),
]
TrainOpt = Annotated[
    bool, typer.Option("--train", help="Training figures: backward FLOPs, saved activations, gradients, optimizer.")
]
OptimizerOpt = Annotated[
    str, typer.Option("--optimizer", help="With --train: sgd, momentum, adam or adamw (what it keeps per parameter).")
]
FreezeOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--freeze", help="Layers whose parameters get no gradient: names, module paths or globs (repeatable)."
    ),
]
RecomputeOpt = Annotated[
    str, typer.Option("--recompute", help="With --train: none, or blocks (activation checkpointing of each block).")
]
LossOpt = Annotated[
    Optional[str],
    typer.Option(
        "--loss",
        help="With --train: the step's loss, sum, cross_entropy, mse or none (default: a language model's "
        "cross-entropy, else the sum of the outputs).",
    ),
]
MasterOpt = Annotated[
    bool,
    typer.Option(
        "--master-weights", help="With --train: float32 master weights and optimizer state (mixed precision)."
    ),
]


def training(
    train: bool,
    optimizer: str,
    freeze: Optional[list[str]],
    recompute: str,
    master_weights: bool,
    loss: Optional[str] = None,
) -> dict[str, object]:
    """The training options as Options takes them; asking for one without --train is a mistake, said so."""
    asked = [
        flag
        for flag, given in (
            ("--optimizer", optimizer != "adam"),
            ("--recompute", recompute != "none"),
            ("--master-weights", master_weights),
            ("--loss", loss is not None),
        )
        if given
    ]
    if asked and not train:
        raise SpecError(f"{', '.join(asked)} {'goes' if len(asked) == 1 else 'go'} with --train")
    return dict(
        train=train,
        optimizer=optimizer,
        freeze=tuple(freeze or ()),
        recompute=recompute,
        master_weights=master_weights,
        loss=loss,
    )


def given_options(*pairs: tuple[str, object]) -> list[str]:
    """The flags given: each (flag, value) whose value is not None, False or empty."""
    return [flag for flag, value in pairs if value is not None and value is not False and value != []]


def table_only(format: Format, width: Optional[int], box: Optional[bool], columns: Optional[tuple[str, ...]]) -> None:  # noqa: A002
    """Refuse the table's options with a format that has no use for them."""
    if format is not Format.table:
        asked = given_options(("--width", width), ("--box/--plain", box))
        if asked:
            raise SpecError(
                f"{', '.join(asked)} {'draws' if len(asked) == 1 else 'draw'} --format table, not {format.value}"
            )
    if format is Format.json and columns:
        raise SpecError("--columns chooses a table's columns; --format json writes every field of every layer")


def llm_options(
    options: Options,
    context: Optional[int],
    scores: str,
    quantize: Optional[str],
    lora: Optional[str],
    tokens: Optional[str] = None,
    hardware: Optional[str] = None,
    mfu: Optional[float] = None,
) -> Options:
    """The language-model and run options (--context, --scores, --quantize, --lora, --tokens, --hardware, --mfu)."""
    return Options.make(
        options,
        context=context,
        scores=scores,
        quantization=quantize,
        lora=lora,
        tokens=tokens,
        hardware=hardware,
        mfu=mfu,
    )


def parallel_options(
    options: Options,
    parallel: Optional[str],
    tp_plan: Optional[str],
    pp_split: Optional[str],
    devices: Optional[str] = None,
    gpus_per_node: Optional[int] = None,
    network: Optional[float] = None,
    overlap: bool = False,
    memory_fraction: Optional[float] = None,
) -> Options:
    """The layout over many devices (--parallel, --tp-plan, --pp-split) and the devices it runs on (--devices,
    --gpus-per-node, --network, --overlap, --memory-fraction)."""
    return Options.make(
        options,
        parallel=parallel,
        tp_plan=tp_plan,
        pp_split=pp_split,
        devices=devices,
        gpus_per_node=gpus_per_node,
        network=network,
        overlap=overlap or None,
        memory_fraction=memory_fraction,
    )


def load_report(
    spec: str,
    options: Options,
    *,
    input: Optional[list[str]] = None,  # noqa: A002 - the user's word
    input_dtype: Optional[str] = None,
    kwarg: Optional[list[str]] = None,
    values: Optional[list[str]] = None,
    cap: Optional[tuple[str, str]] = None,
) -> Report:
    """The Report of SPEC, from whichever front-end reads it; ``values`` (``--set NAME=VALUE``) give its arguments.

    ``cap`` is a limit on the layers and what the command does with them ("explain_layers", "to explain"),
    checked on the graph before it is analysed.
    """
    import contextlib

    from cnncalc.analyze import analyze_graph

    graph = load_graph(spec, input=input, input_dtype=input_dtype, kwarg=kwarg, train=options.train, values=values)
    if cap is not None:
        from cnncalc.limits import guard

        limit, what = cap
        guard(limit, len(graph.nodes), f"the network has {len(graph.nodes):,} layers {what}")
    with contextlib.redirect_stdout(sys.stderr):
        with warnings.catch_warnings(record=True) as caught:  # said on stderr in a line, not as Python's warning
            warnings.simplefilter("always")
            report = analyze_graph(graph, options)
    for w in caught:
        typer.echo(f"warning: {w.message}", err=True)
    return report


def load_graph(
    spec: str,
    *,
    input: Optional[list[str]] = None,  # noqa: A002 - the user's word
    input_dtype: Optional[str] = None,
    kwarg: Optional[list[str]] = None,
    train: bool = False,
    values: Optional[list[str]] = None,
) -> Any:
    """The Graph of SPEC ('-' for stdin), with --input and --kwarg parsed; what a model file prints goes to stderr.
    ``values`` (``--set NAME=VALUE``) give its arguments: the notation's, or a config.json's fields."""
    from cnncalc.api import load

    source = read_stdin() if spec == "-" else spec
    inputs = kwargs = None
    if input or kwarg:
        from cnncalc.inputs import parse_inputs, parse_kwargs

        inputs, kwargs = parse_inputs(input) or None, parse_kwargs(kwarg) or None

    # Standard output carries the report alone: whatever a model file prints while it loads goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        if values:  # the notation's arguments or a config's fields: the spec as a sweep reads one point of it
            from cnncalc.sweep import parse_set
            from cnncalc.sweep.spaces import space_of

            given = parse_set(values)
            space = space_of(source, input=inputs, dtypes=input_dtype, kwargs=kwargs)
            space.check(list(given))
            return space.graph(given, Options.make(train=train))
        return load(source, input=inputs, dtypes=input_dtype, kwargs=kwargs, train=train)


def terminal_width() -> Optional[int]:
    """The width to draw at: $COLUMNS when set, else the terminal's; in a pipe or a file, none (nothing wraps)."""
    if os.environ.get("COLUMNS") or sys.stdout.isatty():
        return shutil.get_terminal_size((120, 24)).columns
    return None


def table_units(units: Optional[str], format: Format, expand: bool = False) -> str:  # noqa: A002
    """``--units`` checked: one of raw, auto, k, M, G, T, and only for the formats people read (``--expand`` too)."""
    from cnncalc.render import parse_units

    chosen = parse_units(units)
    if chosen != "raw" and format in (Format.csv, Format.json):
        raise SpecError(f"--units {units} applies to the table and markdown; {format.value} keeps exact integers")
    if expand and format in (Format.csv, Format.json):
        raise SpecError(f"--expand applies to the table and markdown; {format.value} has a row for every block")
    return chosen


def tree_option(tree: Optional[bool], format: Format) -> object:  # noqa: A002
    """--tree/--flat as asked; unsaid, a tree for the tables people read (a model file deeper than one level), flat
    rows for csv and json."""
    if tree is not None:
        return tree
    return "auto" if format in (Format.table, Format.markdown) else None


def breakdown_by(by: Optional[str], report: Report) -> Optional[str]:
    """``--by`` checked against the report: kind, or block where the network has blocks (else an error line)."""
    if by is None:
        return None
    from cnncalc.breakdown import breakdown, parse_by

    try:
        chosen = parse_by(by)
        breakdown(report, chosen)  # refused here, in one line, when the network has no blocks
    except CnnCalcError as e:
        raise fail(e) from None
    return chosen


def emit(
    report: Report,
    format: Format,  # noqa: A002
    width: Optional[int],
    columns: Optional[tuple[str, ...]],
    box: Optional[bool] = None,
    units: str = "raw",
    expand: bool = False,
    by: Optional[str] = None,
) -> None:
    """Print a report in the chosen format; the table fits the terminal, and is plain text in a pipe."""
    if format is Format.json:  # written a layer at a time: a long network's JSON is never held whole
        from cnncalc.render.json import chunks

        try:
            if by is not None:
                from cnncalc.breakdown import parse_by

                by = parse_by(by)
            pieces = chunks(report, by)
            first = next(pieces)
        except CnnCalcError as e:
            raise fail(e) from None
        sys.stdout.write(first)
        for piece in pieces:
            sys.stdout.write(piece)
        sys.stdout.flush()
        return
    options: dict[str, object] = {} if columns is None else {"columns": columns}
    if by is not None:
        options["by"] = by
    if format in (Format.table, Format.markdown) and units != "raw":
        options["units"] = units
    if format in (Format.table, Format.markdown) and expand:
        options["expand"] = True
    if format is Format.table:
        options.update(width=width or terminal_width(), box=sys.stdout.isatty() if box is None else box)
    try:
        from cnncalc.render import check_columns

        check_columns(report, columns)
        text = report.render(format.value, **options)
    except CnnCalcError as e:  # a column the report has no figures for (--columns time without --hardware)
        raise fail(e) from None
    typer.echo(text, nl=False)


def sequence_note(report: Report, inputs: Optional[list[str]]) -> None:
    """Say so on stderr when a two-number --input reaches a convolution or a pool, which then reads a sequence."""
    if not inputs or len(inputs) != 1 or report.traced or len(report.rows) < 2 or report.rows[0].kind != "input":
        return
    input = inputs[0]  # noqa: A001
    shape = report.shown_shape(report.rows[0])
    from cnncalc.hints import batch_first, batch_hint

    if report.framework is not Framework.keras and batch_first(shape):
        typer.echo(f"note: {batch_hint(shape)}", err=True)
        return
    nxt = next((r for r in report.rows[1:] if report.rows[0].node_id in r.inputs), None)
    from cnncalc.layers import REGISTRY

    if len(shape) != 2 or nxt is None or REGISTRY[nxt.kind].family not in ("conv", "pool"):
        return
    length, features = shape
    typer.echo(
        f"note: --input {input} has two numbers, read as a sequence of {length} positions of {features} features "
        f"(L, d), so {nxt.name} works on one axis; for a {length}x{features} image with one channel give "
        f"--input {length},{features},1",
        err=True,
    )


@app.command(epilog=EXAMPLES)
def summary(
    spec: SpecArg,
    input: InputsOpt = None,  # noqa: A002
    flops: FlopsOpt = Convention.seed,
    format: FormatOpt = Format.table,  # noqa: A002
    batch: BatchOpt = 1,
    layout: LayoutOpt = None,
    width: WidthOpt = None,
    dtype: DTypeOpt = None,
    columns: ColumnsOpt = None,
    units: UnitsOpt = None,
    depth: DepthOpt = None,
    tree: TreeOpt = None,
    expand: ExpandOpt = False,
    by: ByOpt = None,
    input_dtype: InputDTypeOpt = None,
    box: BoxOpt = None,
    kwarg: KwargOpt = None,
    convention: ConventionOpt = None,
    train: TrainOpt = False,
    optimizer: OptimizerOpt = "adam",
    freeze: FreezeOpt = None,
    recompute: RecomputeOpt = "none",
    master_weights: MasterOpt = False,
    loss: LossOpt = None,
    context: ContextOpt = None,
    scores: ScoresOpt = "full",
    quantize: QuantizeOpt = None,
    lora: LoraOpt = None,
    tokens: TokensOpt = None,
    hardware: DeviceOpt = None,
    mfu: MfuOpt = None,
    parallel: ParallelOpt = None,
    tp_plan: TpPlanOpt = None,
    pp_split: PpSplitOpt = None,
    set_: Annotated[
        Optional[list[str]],
        typer.Option(
            "--set",
            "-s",
            help="An argument, NAME=VALUE (repeatable): a name of the notation's '# args:' line or a parameter of "
            "a block it uses (block.param), or a config.json's field (hidden_size, rope_scaling.factor).",
        ),
    ] = None,
    devices: DevicesOpt = None,
    gpus_per_node: GpusPerNodeOpt = None,
    network: NetworkOpt = None,
    overlap: OverlapOpt = False,
    memory_fraction: MemoryFractionOpt = None,
) -> None:
    """Per-layer output shape, activation size, parameters, MACs and FLOPs, with totals and memory."""
    from cnncalc.render import parse_columns

    try:
        chosen = parse_columns(columns)
        table_only(format, width, box, chosen)
        shown_units = table_units(units, format, expand)
        trained = training(train, optimizer, freeze, recompute, master_weights, loss)
        options = Options.make(
            flops=flops,
            batch=batch,
            layout=layout,
            dtype=dtype,
            depth=depth,
            tree=tree_option(tree, format),
            framework=convention,
            **trained,
        )
        options = llm_options(options, context, scores, quantize, lora, tokens, hardware, mfu)
        options = parallel_options(
            options, parallel, tp_plan, pp_split, devices, gpus_per_node, network, overlap, memory_fraction
        )
        report = load_report(spec, options, input=input, input_dtype=input_dtype, kwarg=kwarg, values=set_)
    except CnnCalcError as e:
        raise fail(e) from None
    sequence_note(report, input)
    emit(report, format, width, chosen, box, shown_units, expand, breakdown_by(by, report))


EXPLAIN_EXAMPLES = examples(
    'cnncalc explain "input(224,224,3) -> conv(32, f=7, s=4) -> maxpool(3, s=2) -> fc(100)"',
    "cnncalc explain net.txt --format markdown > worked.md",
)

CHECK_EXAMPLES = examples(
    'cnncalc check my_table.md --spec "input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)"',
    "cnncalc check sheet.csv --spec net.txt --format json",
    "cnncalc check table.tsv          # the layer column holds conv(32, f=7, s=4) ... per row",
)

ZOO_EXAMPLES = examples(
    "cnncalc zoo",
    "cnncalc zoo resnet50 --set classes=10 --set size=160",
    "cnncalc zoo vgg16 --show > vgg16.cnn",
    "cnncalc zoo llama3_8b --set length=4096 --dtype bfloat16 --context 8192",
)


class ExplainFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"
    latex = "latex"


@app.command(epilog=EXPLAIN_EXAMPLES)
def explain(
    spec: SpecArg,
    input: InputsOpt = None,  # noqa: A002
    flops: FlopsOpt = Convention.seed,
    format: Annotated[  # noqa: A002
        str,
        typer.Option(
            "--format", "-f", **choice(ExplainFormat), help="text, markdown, json or latex (a solution sheet)."
        ),
    ] = ExplainFormat.text,
    batch: BatchOpt = 1,
    layout: LayoutOpt = None,
    depth: DepthOpt = None,
    input_dtype: InputDTypeOpt = None,
    kwarg: KwargOpt = None,
    convention: ConventionOpt = None,
    train: TrainOpt = False,
    optimizer: OptimizerOpt = "adam",
    freeze: FreezeOpt = None,
    recompute: RecomputeOpt = "none",
    master_weights: MasterOpt = False,
    loss: LossOpt = None,
    draw: Annotated[
        Optional[Path],
        typer.Option("--draw", help="Write the window of --layer sliding over its padded input as SVG to this file."),
    ] = None,
    layer: Annotated[
        Optional[int],
        typer.Option(
            "--layer",
            "-l",
            **numeric("the layer", minimum=1),
            help="With --draw: the conv or pool row to draw (its #).",
        ),
    ] = None,
    axis: Annotated[
        Optional[str], typer.Option("--axis", help="With --draw: the spatial axis, H or W (default: the last).")
    ] = None,
    position: Annotated[
        int,
        typer.Option(
            "--position",
            **numeric("the position", minimum=0),
            help="With --draw: the output position shown first (from 0).",
        ),
    ] = 0,
    dtype: DTypeOpt = None,
    parallel: ParallelOpt = None,
    tp_plan: TpPlanOpt = None,
    pp_split: PpSplitOpt = None,
) -> None:
    """The worked arithmetic of every layer: output size, params, MACs and FLOPs with the numbers substituted."""
    try:
        drawing = [n for n, v in (("--layer", layer), ("--axis", axis), ("--position", position or None)) if v]
        if draw is None and drawing:
            raise SpecError(f"{', '.join(drawing)} {'goes' if len(drawing) == 1 else 'go'} with --draw")
        if draw is not None and layer is None:
            raise SpecError("--draw needs --layer, the row of the conv or pool to draw", hint="e.g. --layer 2")
        trained = training(train, optimizer, freeze, recompute, master_weights, loss)
        options = Options.make(
            flops=flops, batch=batch, layout=layout, depth=depth, framework=convention, dtype=dtype, **trained
        )
        options = parallel_options(options, parallel, tp_plan, pp_split)
        cap = ("explain_layers", "to explain") if draw is None else None
        report = load_report(spec, options, input=input, input_dtype=input_dtype, kwarg=kwarg, cap=cap)
        if draw is not None:
            from cnncalc.draw import window_svg

            svg = window_svg(report, layer, axis, position)  # type: ignore[arg-type]
            try:
                draw.write_text(svg, encoding="utf-8")
            except OSError as e:
                raise SpecError(f"cannot write {draw}: {e.strerror or e}") from None
            text = ""
        else:
            text = report.explain(format.value)
    except CnnCalcError as e:
        raise fail(e) from None
    sequence_note(report, input)
    if draw is not None:
        typer.echo(f"wrote {draw}", err=True)
        return
    typer.echo(text, nl=False)


class CheckFormat(str, Enum):
    text = "text"
    json = "json"


@app.command(epilog=CHECK_EXAMPLES)
def check(
    table: Annotated[
        str,
        typer.Argument(
            help="The hand-made table: a CSV (commas, semicolons or tabs), Markdown, or a pasted Keras model.summary() "
            "or torchsummary printout; - for stdin."
        ),
    ],
    spec: Annotated[
        Optional[str],
        typer.Option(
            "--spec", "-s", help="The architecture (notation, or a file); omit it if the layer column holds it."
        ),
    ] = None,
    input: InputOpt = None,  # noqa: A002 - the user's word
    flops: FlopsOpt = Convention.seed,
    layout: Annotated[
        Optional[str],
        typer.Option("--layout", **choice(Layout), help="How the table writes shapes: hwc or chw."),
    ] = None,
    format: Annotated[  # noqa: A002
        str, typer.Option("--format", "-f", **choice(CheckFormat), help="text or json.")
    ] = CheckFormat.text,
    convention: Annotated[
        Optional[str],
        typer.Option(
            "--convention",
            **choice(Framework),
            help="Whose counting the table follows: torch or keras (default: keras for a pasted Keras summary).",
        ),
    ] = None,
) -> None:
    """Grade a hand-made table cell by cell: exit 0 when all is right, 1 when something is wrong, 2 on bad input."""
    from cnncalc.check import check as run_check
    from cnncalc.frontends import TORCH_SPEC

    try:
        text = read_stdin() if table == "-" else None
        from cnncalc.frontends import path_kind

        kind = path_kind(table)
        if text is None and kind != "file":
            raise SpecError(f"{table} is a folder, not a file" if kind == "folder" else f"no such file: {table[:200]}")
        if spec is not None and TORCH_SPEC.match(spec):
            raise SpecError(
                f"check grades a table against the notation or a YAML/JSON spec, not a PyTorch model ({spec})",
                hint="write the network in the notation for --spec; cnncalc summary reads the PyTorch model",
            )
        result = run_check(
            text if text is not None else Path(table),
            None if spec is None else read_spec(spec),
            input=input,
            flops=flops,
            layout=layout,
            convention=None if convention is None else convention.value,
        )
    except CnnCalcError as e:
        raise fail(e) from None
    typer.echo(result.to_json() if format is CheckFormat.json else result.to_text(), nl=False)
    raise typer.Exit(code=0 if result.ok else 1)


@app.command(epilog=ZOO_EXAMPLES)
def zoo(
    name: Annotated[
        Optional[str], typer.Argument(help="A model name (torchvision's spelling); none lists them.")
    ] = None,
    set_: Annotated[
        Optional[list[str]],
        typer.Option("--set", "-s", help="A model argument, e.g. --set classes=10 --set size=160."),
    ] = None,
    flops: FlopsOpt = Convention.seed,
    format: FormatOpt = Format.table,  # noqa: A002
    batch: BatchOpt = 1,
    layout: LayoutOpt = None,
    width: WidthOpt = None,
    dtype: DTypeOpt = None,
    columns: ColumnsOpt = None,
    units: UnitsOpt = None,
    tree: TreeOpt = None,
    expand: ExpandOpt = False,
    by: ByOpt = None,
    show: Annotated[bool, typer.Option("--show", help="Print the model's notation file instead.")] = False,
    box: BoxOpt = None,
    convention: ConventionOpt = None,
    train: TrainOpt = False,
    optimizer: OptimizerOpt = "adam",
    freeze: FreezeOpt = None,
    recompute: RecomputeOpt = "none",
    master_weights: MasterOpt = False,
    loss: LossOpt = None,
    context: ContextOpt = None,
    scores: ScoresOpt = "full",
    quantize: QuantizeOpt = None,
    lora: LoraOpt = None,
    tokens: TokensOpt = None,
    hardware: DeviceOpt = None,
    mfu: MfuOpt = None,
    parallel: ParallelOpt = None,
    tp_plan: TpPlanOpt = None,
    pp_split: PpSplitOpt = None,
    devices: DevicesOpt = None,
    gpus_per_node: GpusPerNodeOpt = None,
    network: NetworkOpt = None,
    overlap: OverlapOpt = False,
    memory_fraction: MemoryFractionOpt = None,
) -> None:
    """List the classic architectures, or summarise one: cnncalc zoo resnet50 --set classes=10."""
    from cnncalc import zoo as models
    from cnncalc.render import parse_columns

    try:
        asked = given_options(
            ("--set", set_),
            ("--format", format is not Format.table),
            ("--batch", batch != 1),
            ("--layout", layout),
            ("--width", width),
            ("--dtype", dtype),
            ("--columns", columns),
            ("--box/--plain", box is not None),
            ("--flops", flops is not Convention.seed),
            ("--convention", convention),
            ("--train", train),
            ("--freeze", freeze),
            ("--context", context),
            ("--scores", scores != "full"),
            ("--quantize", quantize),
            ("--lora", lora),
            ("--tokens", tokens),
            ("--hardware", hardware),
            ("--mfu", mfu),
        )
        if name is None and asked:
            raise SpecError(
                f"{', '.join(asked)}: cnncalc zoo without a name lists the models, so there is nothing to apply "
                f"{'it' if len(asked) == 1 else 'them'} to",
                hint="name a model: cnncalc zoo resnet50 " + " ".join(asked[:1]) + " ...",
            )
        if show and asked:
            raise SpecError(
                f"{', '.join(asked)}: --show prints the model's notation file as it is",
                hint="leave --show out to summarise the model with these options",
            )
        if name is None:
            import textwrap

            width = max(terminal_width() or 120, 40)
            for n in models.names():
                m = models.model(n)
                args = ", ".join(f"{k}={v}" for k, v in m.defaults.items())
                line = f"{n:16} {m.description}" + (f" [{args}]" if args else "")
                wrapped = textwrap.fill(
                    line, width=width, subsequent_indent=" " * 17, break_long_words=False, break_on_hyphens=False
                )
                typer.echo(wrapped)
            return
        if show:
            typer.echo(models.model(name).text, nl=False)
            return
        chosen = parse_columns(columns)
        table_only(format, width, box, chosen)
        shown_units = table_units(units, format, expand)
        trained = training(train, optimizer, freeze, recompute, master_weights, loss)
        options = Options.make(
            flops=flops,
            batch=batch,
            layout=layout,
            dtype=dtype,
            tree=tree_option(tree, format),
            framework=convention,
            **trained,
        )
        options = llm_options(options, context, scores, quantize, lora, tokens, hardware, mfu)
        options = parallel_options(
            options, parallel, tp_plan, pp_split, devices, gpus_per_node, network, overlap, memory_fraction
        )
        report = models.analyze(name, options=options, **models.parse_args(list(set_ or [])))
    except CnnCalcError as e:
        raise fail(e) from None
    emit(report, format, width, chosen, box, shown_units, expand, breakdown_by(by, report))


COMPARE_EXAMPLES = examples(
    "cnncalc compare resnet50.onnx --input input=1,3,224,224",
    "cnncalc compare model.py:Net --input 1,3,224,224",
    'cnncalc compare "input(224,224,3) -> conv(64, f=7, s=2, p=3) -> bn -> relu -> maxpool(3, s=2, p=1) -> fc(10)"',
)


@app.command(epilog=COMPARE_EXAMPLES)
def compare(
    spec: SpecArg,
    input: InputsOpt = None,  # noqa: A002
    batch: BatchOpt = 1,
    input_dtype: InputDTypeOpt = None,
    kwarg: KwargOpt = None,
    width: WidthOpt = None,
) -> None:
    """One network's totals under cnncalc's conventions and under torchinfo's, fvcore's, ptflops', thop's and
    calflops' rules, side by side, with the rule that makes each differ: which tool a paper's figure came from."""
    from cnncalc.layers.calc import fmt
    from cnncalc.others import compare as sides_of
    from cnncalc.render import short

    try:
        graph = load_graph(spec, input=input, input_dtype=input_dtype, kwarg=kwarg)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sides = sides_of(lambda: graph, Options.make(batch=batch))
    except CnnCalcError as e:
        raise fail(e) from None
    rows = []
    for side in sides:
        if side.total < 0:
            rows.append((side.convention, side.figure, "–", "–", "–", side.rule))
            continue
        rows.append(
            (side.convention, side.figure, fmt(side.total), short(side.macs_equivalent), fmt(side.params), side.rule)
        )
    head = ("Convention", "Figure", "Total", "As MACs", "Params", "Why it differs")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    lines = []
    for r in [head, *rows]:
        cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1]), *(c.rjust(w) for c, w in zip(r[2:5], widths[2:]))]
        lines.append("  ".join(cells) + "  " + r[5])
    lines.insert(1, "-" * min(max(len(line) for line in lines), width or 10_000))
    typer.echo("\n".join(lines))
    typer.echo(
        "As MACs: the total in multiply-adds (a FLOPs figure halved), to set beside a paper's number. "
        "Rules from torchinfo 1.8.0, fvcore 0.1.5, ptflops 0.7.5 (pytorch backend), thop 0.1.1 and calflops 0.3.2."
    )


SWEEP_EXAMPLES = examples(
    "cnncalc sweep zoo:nb201 --vary arch=all -o nb201.parquet",
    "cnncalc sweep zoo:resnet18 --vary size=log2:32..256 --vary classes=10,100,1000 -o r18.parquet --flops matmul",
    'cnncalc sweep net.cnn --vary width=16..128:16 --vary depth=2..8 --where "params < 5e6" -o grid.parquet',
    "cnncalc sweep config.json --vary hidden_size=2048,4096 --vary num_hidden_layers=16..48:8 --input 1,4096 "
    "-o llm.parquet",
    "cnncalc sweep space.py:make --vary width=log2:16..256 --random 1000 --seed 0 --pareto flops,params -o s.parquet",
    "cnncalc sweep zoo:nb201 --vary arch=all -o nb201.parquet --scheduler tcp://10.0.0.5:8786",
)


@app.command(epilog=SWEEP_EXAMPLES)
def sweep(
    spec: Annotated[
        str,
        typer.Argument(
            help="What to vary: the notation (a text or file) with a '# args:' line or blocks with defaults, "
            "zoo:NAME, a Hugging Face config.json, or path/to/space.py:make (your function or class, called with "
            "each point's values as keywords; run as your own code)."
        ),
    ],
    vary: Annotated[
        list[str],
        typer.Option(
            "--vary",
            "-v",
            help="NAME=VALUES (repeatable): values separated by commas, ranges START..STOP[:STEP] (the stop "
            "included), powers log2:32..1024, or all (an argument with a known set: zoo:nb201's arch).",
        ),
    ],
    output: Annotated[str, typer.Option("--output", "-o", help="The Parquet dataset to write (a folder).")],
    set_: Annotated[
        Optional[list[str]],
        typer.Option("--set", "-s", help="An argument fixed for every point, NAME=VALUE (repeatable)."),
    ] = None,
    random: Annotated[
        Optional[str], typer.Option("--random", help="Draw this many distinct points of the grid instead of all.")
    ] = None,
    seed: Annotated[
        str, typer.Option("--seed", help="With --random: the draw (the same seed, the same points).")
    ] = "0",
    where: Annotated[
        Optional[str],
        typer.Option("--where", help='Keep the rows meeting a condition: "params < 5e6 and flops < 4e9".'),
    ] = None,
    pareto: Annotated[
        Optional[str],
        typer.Option("--pareto", help="Keep the rows no other row beats on every named column: flops,params."),
    ] = None,
    workers: Annotated[
        Optional[str],
        typer.Option("--workers", "-w", help="Local worker processes (default: one a core; 0: in this process)."),
    ] = None,
    scheduler: Annotated[
        Optional[str],
        typer.Option(
            "--scheduler", help="A Dask cluster's scheduler, tcp://HOST:8786 (default: $DASK_SCHEDULER_ADDRESS)."
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the sweep the output folder holds, where it stopped.")
    ] = False,
    chunk: Annotated[
        Optional[str],
        typer.Option("--chunk", help="Points a task (default: sized to about a second of work, 4+ tasks a worker)."),
    ] = None,
    progress: Annotated[
        Optional[bool],
        typer.Option("--progress/--no-progress", help="Points done and points per second (default: on a terminal)."),
    ] = None,
    input: InputsOpt = None,  # noqa: A002
    flops: FlopsOpt = Convention.seed,
    batch: BatchOpt = 1,
    layout: LayoutOpt = None,
    dtype: DTypeOpt = None,
    depth: DepthOpt = None,
    input_dtype: InputDTypeOpt = None,
    kwarg: KwargOpt = None,
    convention: ConventionOpt = None,
    train: TrainOpt = False,
    optimizer: OptimizerOpt = "adam",
    freeze: FreezeOpt = None,
    recompute: RecomputeOpt = "none",
    master_weights: MasterOpt = False,
    loss: LossOpt = None,
    context: ContextOpt = None,
    scores: ScoresOpt = "full",
    quantize: QuantizeOpt = None,
    lora: LoraOpt = None,
    tokens: TokensOpt = None,
    hardware: DeviceOpt = None,
    mfu: MfuOpt = None,
    parallel: ParallelOpt = None,
    tp_plan: TpPlanOpt = None,
    pp_split: PpSplitOpt = None,
) -> None:
    """Analyse every point of a grid of a spec's arguments, one row each, streamed to a Parquet dataset (Dask)."""
    try:
        from cnncalc.numbers import whole
        from cnncalc.sweep import engine, parse_set, parse_vary, plan

        trained = training(train, optimizer, freeze, recompute, master_weights, loss)
        options = Options.make(
            flops=flops, batch=batch, layout=layout, dtype=dtype, depth=depth, framework=convention, **trained
        )
        options = llm_options(options, context, scores, quantize, lora, tokens, hardware, mfu)
        options = parallel_options(options, parallel, tp_plan, pp_split)
        inputs = kwargs = None
        if input or kwarg:
            from cnncalc.inputs import parse_inputs, parse_kwargs

            inputs, kwargs = parse_inputs(input) or None, parse_kwargs(kwarg) or None
        count = None if random is None else whole(random, "--random", minimum=1)
        n_workers = None if workers is None else whole(workers, "--workers", minimum=0)
        points_a_chunk = None if chunk is None else whole(chunk, "--chunk", minimum=1)
        with contextlib.redirect_stdout(sys.stderr):  # whatever the user's code prints goes to stderr
            task = plan(
                spec,
                parse_vary(vary),
                fixed=parse_set(list(set_ or [])),
                random=count,
                seed=whole(seed, "--seed", minimum=0),
                where=where,
                pareto=pareto,
                options=options,
                input=inputs,
                dtypes=input_dtype,
                kwargs=kwargs,
            )
            if task.note:
                typer.echo(f"note: {task.note}", err=True)
            done = engine.run(
                task,
                output,
                workers=n_workers,
                scheduler=scheduler,
                resume=resume,
                progress=progress,
                chunk=points_a_chunk,
                seconds_per_point=None if resume or points_a_chunk else engine.timed(task.row, task.size),
            )
    except CnnCalcError as e:
        raise fail(e) from None
    except KeyboardInterrupt:
        typer.echo(f"error: interrupted; the chunks written are kept: --resume continues ({output})", err=True)
        raise typer.Exit(code=130) from None
    resumed = f", {done.resumed:,} chunks done before" if done.resumed else ""
    kept = f"{done.rows:,} rows" + (" on the Pareto front" if task.pareto else "")
    started = f", after {done.startup:,.1f} s starting them" if done.startup else ""
    typer.echo(
        f"wrote {done.path}: {kept} of {task.size:,} points; {done.points:,} points in {done.seconds:,.1f} s "
        f"({done.rate:,.0f} points/s on {done.workers} worker{'s' if done.workers != 1 else ''}{started}{resumed})",
        err=True,
    )


PLAN_EXAMPLES = examples(
    "cnncalc plan config.json --input 64,4096 --devices 64xh100-sxm --dtype bfloat16 --master-weights",
    'cnncalc plan "input(64) -> [fc(512) -> relu] * 8 -> fc(10)" --batch 64 --devices 8xa100-80gb --format json',
)


@app.command(epilog=PLAN_EXAMPLES)
def plan(
    spec: SpecArg,
    devices: Annotated[str, typer.Option("--devices", help="The devices: 64xh100-sxm (8 per node by default).")],
    input: InputsOpt = None,  # noqa: A002
    batch: BatchOpt = 1,
    dtype: DTypeOpt = None,
    flops: FlopsOpt = Convention.seed,
    input_dtype: InputDTypeOpt = None,
    kwarg: KwargOpt = None,
    optimizer: OptimizerOpt = "adam",
    master_weights: MasterOpt = False,
    freeze: FreezeOpt = None,
    tp_plan: TpPlanOpt = None,
    gpus_per_node: GpusPerNodeOpt = None,
    network: NetworkOpt = None,
    overlap: OverlapOpt = False,
    mfu: MfuOpt = None,
    memory_fraction: Annotated[
        Optional[float],
        typer.Option("--memory-fraction", help="The share of each device's memory a rank may fill (default 0.9)."),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many layouts to list (default 10).")] = 10,
    format: Annotated[  # noqa: A002
        str, typer.Option("--format", "-f", **choice(CheckFormat), help="text or json.")
    ] = CheckFormat.text,
    output: Annotated[
        Optional[str],
        typer.Option("--output", "-o", help="Also write every layout's row to this Parquet dataset (a folder)."),
    ] = None,
    workers: Annotated[
        Optional[str],
        typer.Option("--workers", "-w", help="Evaluate the layouts on this many local Dask workers (default 0: here)."),
    ] = None,
    scheduler: Annotated[
        Optional[str],
        typer.Option(
            "--scheduler",
            help="Evaluate the layouts on the Dask cluster at tcp://HOST:8786 (with -o or --workers: "
            "$DASK_SCHEDULER_ADDRESS by default).",
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the plan the --output folder holds, where it stopped.")
    ] = False,
) -> None:
    """Every parallel layout of a training step on --devices that fits, ranked by the step's time: the best ten.

    The layouts are a sweep: by default they are evaluated here, in this process; with --output, --workers or
    --scheduler on the sweep engine (Dask), each layout a row of a Parquet dataset."""
    from cnncalc.parallel.search import plan_report

    try:
        options = Options.make(
            flops=flops,
            batch=batch,
            dtype=dtype,
            train=True,
            optimizer=optimizer,
            master_weights=master_weights,
            freeze=tuple(freeze or ()),
            tp_plan=tp_plan,
            parallel="dp=1",
            devices=devices,
            gpus_per_node=gpus_per_node,
            network=network,
            overlap=overlap or None,
            mfu=mfu,
            memory_fraction=memory_fraction,
        )
        inputs = kwargs = None
        if input or kwarg:
            from cnncalc.inputs import parse_inputs, parse_kwargs

            inputs, kwargs = parse_inputs(input) or None, parse_kwargs(kwarg) or None
        source = read_stdin() if spec == "-" else spec
        if input_dtype is not None or kwargs is not None:
            from cnncalc.api import load

            source = load(source, input=inputs, dtypes=input_dtype, kwargs=kwargs, train=True)
        from cnncalc.numbers import whole

        n_workers = None if workers is None else whole(workers, "--workers", minimum=0)
        _, found = plan_report(
            source,
            options,
            input=inputs,
            output=output,
            workers=n_workers,
            scheduler=scheduler,
            resume=resume,
            progress=None,
        )
    except CnnCalcError as e:
        raise fail(e) from None
    except KeyboardInterrupt:
        if output is None:
            raise
        typer.echo(f"error: interrupted; the layouts written are kept: --resume continues ({output})", err=True)
        raise typer.Exit(code=130) from None
    if found.run is not None:
        done = found.run
        kept = f"every layout's row in {output}; " if output is not None else ""
        typer.echo(
            f"{kept}{done.points:,} layouts in {done.seconds:,.1f} s ({done.rate:,.0f} layouts/s on {done.workers} "
            f"worker{'s' if done.workers != 1 else ''}"
            + (f", {done.resumed:,} chunks done before" if done.resumed else "")
            + ")",
            err=True,
        )
    if format is CheckFormat.json:
        import json

        typer.echo(json.dumps(found.as_dict(top), indent=2, ensure_ascii=False))
        return
    from cnncalc.render.ranks import plan_lines

    typer.echo("\n".join(plan_lines(found, top)))


class PlotKind(str, Enum):
    layers = "layers"
    roofline = "roofline"
    memory = "memory"
    plan = "plan"
    sweep = "sweep"


PLOT_EXAMPLES = examples(
    'cnncalc plot "input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)" -o layers.png',
    "cnncalc plot net.txt --kind roofline --hardware a100-80gb -o roofline.svg",
    "cnncalc plot net.txt --kind roofline --peak 19.5 --bandwidth 2039 --dtype float32 -o roofline.pdf",
    "cnncalc plot net.txt --kind memory --dtype bfloat16 -o memory.png",
    "cnncalc plot results.parquet --kind sweep --x flops --y params --color width -o sweep.png",
)


@app.command(epilog=PLOT_EXAMPLES)
def plot(
    spec: SpecArg,
    output: Annotated[str, typer.Option("--output", "-o", help="The file to write: .png, .svg or .pdf.")],
    kind: Annotated[
        PlotKind,
        typer.Option(
            "--kind",
            "-k",
            case_sensitive=False,
            help="layers: per-layer bars of params, MACs/FLOPs and activation bytes; roofline: a log-log roofline, "
            "one point per layer; memory: params, gradients, optimizer state and activations per optimizer; plan: "
            "every parallel layout on --devices, peak memory against step time (cnncalc plan's); sweep: a sweep's "
            "points (SPEC is its dataset), --y against --x on log axes, the Pareto front drawn.",
        ),
    ] = PlotKind.layers,
    x: Annotated[Optional[str], typer.Option("--x", help="sweep: the column across (default: flops).")] = None,
    y: Annotated[Optional[str], typer.Option("--y", help="sweep: the column up (default: params).")] = None,
    color: Annotated[
        Optional[str], typer.Option("--color", help="sweep: a column that colours the points (an argument).")
    ] = None,
    log: Annotated[bool, typer.Option("--log", help="layers: log-scale bars.")] = False,
    hardware: Annotated[
        Optional[str],
        typer.Option(
            "--hardware", help="roofline: a device from the bundled table (cnncalc.hardware; e.g. a100-80gb, h100-sxm)."
        ),
    ] = None,
    peak: Annotated[
        Optional[float],
        typer.Option(
            "--peak",
            **numeric("the peak", whole=False, minimum=0),
            help="roofline: peak TFLOPS (overrides the device's).",
        ),
    ] = None,
    bandwidth: Annotated[
        Optional[float],
        typer.Option(
            "--bandwidth",
            **numeric("the bandwidth", whole=False, minimum=0),
            help="roofline: memory bandwidth in GB/s (overrides the device's).",
        ),
    ] = None,
    input: InputsOpt = None,  # noqa: A002
    flops: FlopsOpt = Convention.seed,
    batch: BatchOpt = 1,
    layout: LayoutOpt = None,
    dtype: DTypeOpt = None,
    depth: DepthOpt = None,
    input_dtype: InputDTypeOpt = None,
    kwarg: KwargOpt = None,
    convention: ConventionOpt = None,
    devices: Annotated[
        Optional[str], typer.Option("--devices", help="plan: the devices, 64xh100-sxm (8 per node by default).")
    ] = None,
    gpus_per_node: GpusPerNodeOpt = None,
    master_weights: MasterOpt = False,
    memory_fraction: Annotated[
        Optional[float],
        typer.Option("--memory-fraction", help="plan: the share of each device's memory a rank may fill (0.9)."),
    ] = None,
) -> None:
    """Draw the network: per-layer bars, a roofline against a device, the training memory, the parallel layouts
    on some devices, or a sweep's points (needs matplotlib)."""
    options: dict = {}
    if kind is PlotKind.layers:
        options["log"] = log
    elif kind is PlotKind.roofline:
        options.update(hardware=hardware, peak_tflops=peak, bandwidth_gbs=bandwidth)
    try:
        sweeping = [name for name, value in (("--x", x), ("--y", y), ("--color", color)) if value is not None]
        if sweeping and kind is not PlotKind.sweep:
            raise SpecError(f"{', '.join(sweeping)} {'applies' if len(sweeping) == 1 else 'apply'} to --kind sweep")
        given = (("--hardware", hardware), ("--peak", peak), ("--bandwidth", bandwidth))
        unused = [name for name, value in given if value is not None]
        if unused and kind is not PlotKind.roofline:
            raise SpecError(f"{', '.join(unused)} {'applies' if len(unused) == 1 else 'apply'} only to --kind roofline")
        if log and kind is not PlotKind.layers:
            raise SpecError("--log applies only to --kind layers (a roofline's axes are always logarithmic)")
        planned = (("--devices", devices), ("--gpus-per-node", gpus_per_node), ("--memory-fraction", memory_fraction))
        unused = [name for name, value in planned if value is not None]
        if unused and kind is not PlotKind.plan:
            raise SpecError(f"{', '.join(unused)} {'applies' if len(unused) == 1 else 'apply'} only to --kind plan")
        if kind is PlotKind.sweep:
            from cnncalc.render.sweep_plot import plot_sweep

            plot_sweep(spec, output, x or "flops", y or "params", color)
            typer.echo(f"wrote {output}", err=True)
            return
        if kind is PlotKind.plan:
            from cnncalc.parallel.search import plan_report

            if devices is None:
                raise SpecError("--kind plan needs --devices", hint="e.g. --devices 8xh100-sxm")
            settings = Options.make(
                flops=flops,
                batch=batch,
                dtype=dtype,
                train=True,
                master_weights=master_weights,
                parallel="dp=1",
                devices=devices,
                gpus_per_node=gpus_per_node,
                memory_fraction=memory_fraction,
            )
            inputs = None
            if input:
                from cnncalc.inputs import parse_inputs

                inputs = parse_inputs(input) or None
            report, found = plan_report(read_stdin() if spec == "-" else spec, settings, input=inputs)
            report.plot("plan", output, plan=found)
            typer.echo(f"wrote {output}", err=True)
            return
        settings = Options.make(
            flops=flops,
            batch=batch,
            layout=layout,
            dtype=dtype,
            depth=depth,
            framework=convention,
            train=kind is PlotKind.memory,  # the memory plot is a training step's
        )
        drawn = ("plot_layers", "to draw") if kind is not PlotKind.memory else None
        report = load_report(spec, settings, input=input, input_dtype=input_dtype, kwarg=kwarg, cap=drawn)
        report.plot(kind.value, output, **options)
    except CnnCalcError as e:
        raise fail(e) from None
    typer.echo(f"wrote {output}", err=True)


@app.command()
def web(
    dist: Annotated[
        Optional[Path],
        typer.Option(
            "--dist", help="The built page's folder (default: $CNNCALC_WEB_DIST, else the repository's web/dist)."
        ),
    ] = None,
    port: Annotated[
        int,
        typer.Option(
            "--port", "-p", **numeric("the port", minimum=0, maximum=65535), help="Port on localhost (0: any free)."
        ),
    ] = 8000,
    host: Annotated[str, typer.Option("--host", help="Address to serve on.")] = "127.0.0.1",
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open the page in the browser.")] = True,
) -> None:
    """Serve the calculator's web page (cnncalc running in the browser with Pyodide) on localhost."""
    from cnncalc.web import find_dist, make_server, url_of

    try:
        server = make_server(find_dist(dist), host, port)
    except CnnCalcError as e:
        raise fail(e) from None
    url = url_of(server)
    typer.echo(f"serving the cnncalc page at {url} (Ctrl+C stops it)")
    sys.stdout.flush()
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


QUIZ_EXAMPLES = examples(
    "cnncalc quiz --level 1 --seed 7 > exercise.md",
    "cnncalc quiz --level 1 --seed 7 --key > key.md",
    "cnncalc quiz --level 2 --variants 30 --seed 100 --ask output_shape,params,macs --output class/",
    'cnncalc quiz "input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)" --format latex --key > key.tex',
    "cnncalc check filled.md          # grades it: the exercise carries its network",
)


class QuizFormat(str, Enum):
    markdown = "markdown"
    csv = "csv"
    latex = "latex"
    html = "html"


QUIZ_SUFFIX = {"markdown": ".md", "csv": ".csv", "latex": ".tex", "html": ".html"}


@app.command(epilog=QUIZ_EXAMPLES)
def quiz(
    spec: Annotated[
        Optional[str],
        typer.Argument(help="The network to set (notation or a file); none: one is generated at --level."),
    ] = None,
    level: Annotated[
        Optional[int],
        typer.Option(
            "--level",
            **numeric("the level", minimum=1, maximum=3),
            help="Generated networks: 1 conv/pool/fc chains; 2 padding, strides, dilation, groups; "
            "3 branches and batch norm (default 1).",
        ),
    ] = None,
    seed: Annotated[
        Optional[int],
        typer.Option("--seed", **numeric("the seed"), help="Generated networks: the same seed, the same one."),
    ] = None,
    variants: Annotated[
        int,
        typer.Option(
            "--variants",
            **numeric("the variants", minimum=1),
            help="This many different networks of the level, each with its key.",
        ),
    ] = 1,
    ask: Annotated[
        Optional[str],
        typer.Option("--ask", help="The columns to fill: output_shape, activation_size, params, macs, flops."),
    ] = None,
    format: Annotated[  # noqa: A002
        str, typer.Option("--format", "-f", **choice(QuizFormat), help="markdown, csv, latex or html.")
    ] = QuizFormat.markdown,
    key: Annotated[bool, typer.Option("--key", help="Print the answer key instead of the blank table.")] = False,
    output: Annotated[
        Optional[Path],
        typer.Option(
            "--output", "-o", help="A folder to write each exercise and its key to (exercise-01.md, key-01.md…)."
        ),
    ] = None,
) -> None:
    """A worksheet: a network's table to fill by hand, and its answer key (check grades it filled in)."""
    from cnncalc import quiz as quizzes

    try:
        if spec is not None and (level is not None or variants > 1 or seed is not None):
            given = [n for n, v in (("--level", level), ("--seed", seed), ("--variants", variants > 1)) if v]
            raise SpecError(
                f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} for generated networks, not a given one"
            )
        if spec is not None:
            from cnncalc.api import read_text

            made = [quizzes.exercise(read_stdin() if spec == "-" else read_text(spec), ask=ask)]
        elif variants > 1:
            made = quizzes.variants(variants, level=level or 1, seed=0 if seed is None else seed, ask=ask)
        else:
            made = [quizzes.exercise(level=level or 1, seed=seed, ask=ask)]
        fmt = format.value
        if output is not None:
            try:
                output.mkdir(parents=True, exist_ok=True)
                for i, ex in enumerate(made, start=1):
                    for name, as_key in (("exercise", False), ("key", True)):
                        path = output / f"{name}-{i:02d}{QUIZ_SUFFIX[fmt]}"
                        path.write_text(quizzes.render(ex, fmt, key=as_key), encoding="utf-8")
            except OSError as e:
                raise SpecError(f"cannot write to {output}: {e.strerror or e}") from None
            typer.echo(f"wrote {len(made)} exercise{'s' if len(made) > 1 else ''} and their keys to {output}", err=True)
            return
        texts = [quizzes.render(ex, fmt, key=key) for ex in made]
    except CnnCalcError as e:
        raise fail(e) from None
    typer.echo("\n".join(texts), nl=False)


KINDS_EXAMPLES = examples("cnncalc kinds", "cnncalc kinds lstm", "cnncalc kinds FCwB")


@app.command(epilog=KINDS_EXAMPLES)
def kinds(
    name: Annotated[
        Optional[str], typer.Argument(help="A layer name or alias: its arguments, formulas and a worked example.")
    ] = None,
) -> None:
    """List the layer kinds, their other names and what they compute; or describe one: cnncalc kinds lstm."""
    from cnncalc.layers import REGISTRY

    if name is not None:
        from cnncalc.kinds import describe

        try:
            typer.echo(describe(name), nl=False)
        except CnnCalcError as e:
            raise fail(e) from None
        return
    for kind in sorted(REGISTRY.values(), key=lambda k: (k.family, k.name)):
        names = ", ".join(kind.aliases)
        first = kind.doc.splitlines()[0] if kind.doc else ""
        typer.echo(f"{kind.name:16} {first}")
        if names:
            typer.echo(f"{'':16} also: {names}")


def main() -> None:
    """The console script (and ``python -m cnncalc``).

    typer builds every command's options before it runs one; the command named first on the line is
    built alone, in a copy of the app that holds only it (the options before a command, --version and
    --help, are the app's own, so they come first: anything else goes to the whole app).
    """
    name = sys.argv[1] if len(sys.argv) > 1 else None
    chosen = [
        info
        for info in app.registered_commands
        if name == (info.name or typer.main.get_command_name(info.callback.__name__))  # type: ignore[union-attr]
    ]
    one = app
    if chosen:
        one = copy.copy(app)
        one.registered_commands = chosen
    try:
        one()
    except CnnCalcError as e:  # a command that let one through: said as every command says it
        typer.echo(f"error: {e}", err=True)
        sys.exit(2)
    except BaseException as e:  # noqa: BLE001 - never a traceback: the last word on what went wrong
        sys.exit(last_word(e))


def last_word(e: BaseException) -> int:
    """Say what stopped cnncalc in one ``error:`` line and give the exit code (2 for the input, 3 for a bug).

    A bug is still said as one line; ``CNNCALC_DEBUG=1`` prints Python's traceback as well, for a report.
    """
    if isinstance(e, SystemExit):  # click's own exit (a usage error, --help) or typer.Exit
        raise e
    if isinstance(e, KeyboardInterrupt):
        typer.echo("error: interrupted", err=True)
        return 130
    if isinstance(e, RecursionError):
        typer.echo("error: the input nests too deeply for cnncalc to read", err=True)
        return 2
    if isinstance(e, MemoryError):
        typer.echo("error: out of memory: the input asks for more than this machine has", err=True)
        return 2
    if isinstance(e, BrokenPipeError):  # `cnncalc summary ... | head`: the reader left, nothing to say
        return 0
    from cnncalc.usercode import described

    typer.echo(f"error: internal error, please report it with the input that caused it: {described(e)}", err=True)
    if os.environ.get("CNNCALC_DEBUG"):
        import traceback

        traceback.print_exception(e)
    return 3
