"""The ``cnncalc`` command line."""

from __future__ import annotations

import os
import sys
import warnings
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from cnncalc.conventions import Convention, Framework, Layout
from cnncalc.errors import CnnCalcError, SpecError
from cnncalc.frontends import TORCH_SPEC
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
    "cnncalc summary config.json --input 1,4096 --dtype bfloat16 --context 8192 --quantize int4",
    "cnncalc summary config.json --lora r=8,alpha=16,targets=q_proj,v_proj",
)


app = typer.Typer(
    name="cnncalc",
    help="Shapes, parameters, MACs and FLOPs of every layer of a neural network, with the arithmetic.",
    epilog=EXAMPLES,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


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


def read_spec(spec: str) -> str:
    """SPEC is the notation itself, a path to a file holding it, or '-' for standard input."""
    if Path(spec).suffix.lower() in (".yaml", ".yml", ".json") and "(" not in spec and os.path.isfile(spec):
        from cnncalc.frontends.spec import load  # a YAML/JSON spec (docs/spec.md) is read as a Graph

        return load(spec)  # type: ignore[return-value]
    if spec == "-":
        return sys.stdin.read()
    path = Path(spec)
    looks_like_path = ("(" not in spec and "->" not in spec and "→" not in spec) and (
        "/" in spec or path.suffix in (".txt", ".cnn", ".net", ".yaml", ".yml", ".json")
    )
    try:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise SpecError(f"{spec} is not a text file ({e.reason} at byte {e.start})") from None
    except OSError as e:
        if looks_like_path:
            raise SpecError(f"cannot read {spec}: {e.strerror or e}") from None
    if looks_like_path:
        raise SpecError(f"{spec} is a folder, not a file" if path.is_dir() else f"no such file: {spec}")
    return spec


def fail(err: CnnCalcError) -> typer.Exit:
    typer.echo(f"error: {err}", err=True)
    return typer.Exit(code=2)


# The options the commands share, defined once.
SpecArg = Annotated[
    str,
    typer.Argument(
        help="The architecture: notation text, a file holding it (notation, .yaml, .yml or .json), - for stdin, "
        "or path/to/file.py:ModelClass for a PyTorch nn.Module. The .py file is imported and run as your own "
        "Python code (never unpickled), the class built with no arguments on the meta device and traced with "
        "fake tensors; --input is then the full size, batch first."
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
ConventionOpt = Annotated[
    Framework,
    typer.Option(
        "--convention",
        case_sensitive=False,
        help="Counting convention: torch (batch-norm statistics as buffers, two LSTM biases) or keras "
        "(moving statistics as non-trainable params, one LSTM bias).",
    ),
]
FlopsOpt = Annotated[
    Convention, typer.Option("--flops", case_sensitive=False, help="FLOPs convention: seed, matmul or all.")
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", case_sensitive=False, help="Output format.")]
BatchOpt = Annotated[int, typer.Option("--batch", "-b", min=1, help="Batch size (scales activations, MACs, FLOPs).")]
LayoutOpt = Annotated[
    Optional[Layout],
    typer.Option("--layout", case_sensitive=False, help="Show shapes as hwc or chw (default: hwc; chw for a model)."),
]
WidthOpt = Annotated[Optional[int], typer.Option("--width", help="Table width in characters.")]
DTypeOpt = Annotated[
    Optional[DType],
    typer.Option(
        "--dtype",
        case_sensitive=False,
        help="Element type for the memory figures (default: float32; a model's parameter dtype).",
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
DepthOpt = Annotated[
    Optional[int], typer.Option("--depth", min=0, help="Model files: rows follow the module tree this deep (3).")
]
ContextOpt = Annotated[
    Optional[int],
    typer.Option(
        "--context", min=1, help="Language models: positions a sequence holds at a decode step (default: the input)."
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
    Optional[str], typer.Option("--input-dtype", help="PyTorch models: input dtype, e.g. int64 for token ids.")
]


def llm_options(
    options: Options, context: Optional[int], scores: str, quantize: Optional[str], lora: Optional[str]
) -> Options:
    """The language-model options (--context, --scores, --quantize, --lora) over the others."""
    return Options.make(options, context=context, scores=scores, quantization=quantize, lora=lora)


def load_report(
    spec: str,
    options: Options,
    *,
    input: Optional[list[str]] = None,  # noqa: A002 - the user's word
    input_dtype: Optional[str] = None,
    kwarg: Optional[list[str]] = None,
) -> Report:
    """The Report of SPEC, from whichever front-end reads it."""
    from cnncalc.analyze import analyze_graph
    from cnncalc.api import load
    from cnncalc.inputs import parse_inputs, parse_kwargs

    source = sys.stdin.read() if spec == "-" else spec
    inputs = parse_inputs(input) or None
    graph = load(source, input=inputs, dtypes=input_dtype, kwargs=parse_kwargs(kwarg) or None)
    with warnings.catch_warnings(record=True) as caught:  # said on stderr in a line, not as Python's warning
        warnings.simplefilter("always")
        report = analyze_graph(graph, options)
    for w in caught:
        typer.echo(f"warning: {w.message}", err=True)
    return report


def emit(report: Report, format: Format, width: Optional[int], columns: Optional[tuple[str, ...]]) -> None:  # noqa: A002
    """Print a report in the chosen format."""
    if format is Format.json:
        text = report.to_json()
    elif format is Format.markdown:
        text = report.to_markdown(columns=columns)
    elif format is Format.csv:
        text = report.to_csv(columns=columns)
    else:
        text = report.table(width=width, columns=columns)
    typer.echo(text, nl=False)


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
    depth: DepthOpt = None,
    input_dtype: InputDTypeOpt = None,
    kwarg: KwargOpt = None,
    convention: ConventionOpt = Framework.torch,
    context: ContextOpt = None,
    scores: ScoresOpt = "full",
    quantize: QuantizeOpt = None,
    lora: LoraOpt = None,
) -> None:
    """Per-layer output shape, activation size, parameters, MACs and FLOPs, with totals and memory."""
    from cnncalc.render import parse_columns

    try:
        chosen = parse_columns(columns)
        options = Options.make(flops=flops, batch=batch, layout=layout, dtype=dtype, depth=depth, framework=convention)
        options = llm_options(options, context, scores, quantize, lora)
        report = load_report(spec, options, input=input, input_dtype=input_dtype, kwarg=kwarg)
    except CnnCalcError as e:
        raise fail(e) from None
    emit(report, format, width, chosen)


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


@app.command(epilog=EXPLAIN_EXAMPLES)
def explain(
    spec: SpecArg,
    input: InputsOpt = None,  # noqa: A002
    flops: FlopsOpt = Convention.seed,
    format: Annotated[  # noqa: A002
        ExplainFormat, typer.Option("--format", "-f", case_sensitive=False, help="text, markdown or json.")
    ] = ExplainFormat.text,
    batch: BatchOpt = 1,
    layout: LayoutOpt = None,
    depth: DepthOpt = None,
    input_dtype: InputDTypeOpt = None,
    kwarg: KwargOpt = None,
    convention: ConventionOpt = Framework.torch,
) -> None:
    """The worked arithmetic of every layer: output size, params, MACs and FLOPs with the numbers substituted."""
    try:
        options = Options.make(flops=flops, batch=batch, layout=layout, depth=depth, framework=convention)
        report = load_report(spec, options, input=input, input_dtype=input_dtype, kwarg=kwarg)
    except CnnCalcError as e:
        raise fail(e) from None
    typer.echo(report.explain(format.value), nl=False)


class CheckFormat(str, Enum):
    text = "text"
    json = "json"


@app.command(epilog=CHECK_EXAMPLES)
def check(
    table: Annotated[str, typer.Argument(help="The hand-made table: a CSV, TSV or Markdown file, or - for stdin.")],
    spec: Annotated[
        Optional[str],
        typer.Option(
            "--spec", "-s", help="The architecture (notation, or a file); omit it if the layer column holds it."
        ),
    ] = None,
    input: InputOpt = None,  # noqa: A002 - the user's word
    flops: FlopsOpt = Convention.seed,
    layout: Annotated[
        Optional[Layout],
        typer.Option("--layout", case_sensitive=False, help="How the table writes shapes: hwc or chw."),
    ] = None,
    format: Annotated[  # noqa: A002
        CheckFormat, typer.Option("--format", "-f", case_sensitive=False, help="text or json.")
    ] = CheckFormat.text,
) -> None:
    """Grade a hand-made table cell by cell: exit 0 when all is right, 1 when something is wrong, 2 on bad input."""
    from cnncalc.check import check as run_check

    try:
        text = sys.stdin.read() if table == "-" else None
        if text is None and not Path(table).is_file():
            raise SpecError(f"{table} is a folder, not a file" if Path(table).is_dir() else f"no such file: {table}")
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
    show: Annotated[bool, typer.Option("--show", help="Print the model's notation file instead.")] = False,
    convention: ConventionOpt = Framework.torch,
    context: ContextOpt = None,
    scores: ScoresOpt = "full",
    quantize: QuantizeOpt = None,
    lora: LoraOpt = None,
) -> None:
    """List the classic architectures, or summarise one: cnncalc zoo resnet50 --set classes=10."""
    from cnncalc import zoo as models
    from cnncalc.render import parse_columns

    try:
        if name is None:
            for n in models.names():
                m = models.model(n)
                args = ", ".join(f"{k}={v}" for k, v in m.defaults.items())
                typer.echo(f"{n:16} {m.description}" + (f" [{args}]" if args else ""))
            return
        if show:
            typer.echo(models.model(name).text, nl=False)
            return
        chosen = parse_columns(columns)
        options = Options.make(flops=flops, batch=batch, layout=layout, dtype=dtype, framework=convention)
        options = llm_options(options, context, scores, quantize, lora)
        report = models.analyze(name, options=options, **models.parse_args(list(set_ or [])))
    except CnnCalcError as e:
        raise fail(e) from None
    emit(report, format, width, chosen)


@app.command()
def kinds() -> None:
    """List the layer kinds, their other names and what they compute."""
    from cnncalc.layers import REGISTRY

    for kind in sorted(REGISTRY.values(), key=lambda k: (k.family, k.name)):
        names = ", ".join(kind.aliases)
        first = kind.doc.splitlines()[0] if kind.doc else ""
        typer.echo(f"{kind.name:16} {first}")
        if names:
            typer.echo(f"{'':16} also: {names}")


def main() -> None:
    app()
