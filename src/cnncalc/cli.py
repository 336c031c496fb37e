"""The ``cnncalc`` command line."""

from __future__ import annotations

import re
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from cnncalc.conventions import Convention, Layout
from cnncalc.errors import CnnCalcError, SpecError

EXAMPLES = """\
Examples:

  cnncalc summary "input(32,32,3) -> conv(8, f=5) -> pool(2) -> conv(16, f=5) -> pool(2)
                   -> fc(120) -> fc(84) -> softmax(10)"

  cnncalc summary net.txt --flops all --format markdown

  echo "conv(32, f=7, s=4) -> maxpool(3, s=2) -> fc(100)" | cnncalc summary - --input 224,224,3

  cnncalc summary model.py:Net --input 1,3,224,224 --depth 2

  cnncalc summary gpt.py:GPT --input 1,128 --input-dtype int64 --flops matmul
"""

TORCH_SPEC = re.compile(r"^.+\.py:[A-Za-z_][\w.]*$")

app = typer.Typer(
    name="cnncalc",
    help="Shapes, parameters, MACs and FLOPs of every layer of a neural network, with the arithmetic.",
    epilog=EXAMPLES,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


class Format(str, Enum):
    table = "table"
    markdown = "markdown"
    csv = "csv"
    json = "json"


def read_spec(spec: str) -> str:
    """SPEC is the notation itself, a path to a file holding it, or '-' for standard input."""
    if spec == "-":
        return sys.stdin.read()
    path = Path(spec)
    looks_like_path = ("(" not in spec and "->" not in spec and "→" not in spec) and (
        "/" in spec or path.suffix in (".txt", ".cnn", ".net", ".yaml", ".yml", ".json")
    )
    try:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    except OSError:
        pass
    if looks_like_path:
        raise SpecError(f"no such file: {spec}")
    return spec


def fail(err: CnnCalcError) -> typer.Exit:
    typer.echo(f"error: {err}", err=True)
    return typer.Exit(code=2)


@app.command(epilog=EXAMPLES)
def summary(
    spec: Annotated[
        str,
        typer.Argument(
            help="The architecture: notation text, a file holding it, - for stdin, or path/to/file.py:ModelClass "
            "for a PyTorch nn.Module. The .py file is imported and run as your own Python code (never unpickled), "
            "the class built with no arguments on the meta device; --input is then the full size, batch first."
        ),
    ],
    input: Annotated[  # noqa: A002 - the user's word
        Optional[str], typer.Option("--input", "-i", help="Input shape as shown, e.g. 32,32,3 (channels last).")
    ] = None,
    flops: Annotated[
        Convention, typer.Option("--flops", case_sensitive=False, help="FLOPs convention: seed, matmul or all.")
    ] = Convention.seed,
    format: Annotated[  # noqa: A002
        Format, typer.Option("--format", "-f", case_sensitive=False, help="Output format.")
    ] = Format.table,
    batch: Annotated[
        int, typer.Option("--batch", "-b", min=1, help="Batch size (scales activations, MACs, FLOPs).")
    ] = 1,
    layout: Annotated[
        Layout, typer.Option("--layout", case_sensitive=False, help="Show shapes as hwc or chw.")
    ] = Layout.hwc,
    width: Annotated[Optional[int], typer.Option("--width", help="Table width in characters.")] = None,
    depth: Annotated[
        int, typer.Option("--depth", min=0, help="PyTorch models: rows follow the module tree this deep.")
    ] = 3,
    input_dtype: Annotated[
        Optional[str], typer.Option("--input-dtype", help="PyTorch models: input dtype, e.g. int64 for token ids.")
    ] = None,
) -> None:
    """Per-layer output shape, activation size, parameters, MACs and FLOPs, with totals."""
    from cnncalc.api import analyze

    try:
        if TORCH_SPEC.match(spec):
            report = _torch_summary(spec, input, flops=flops, batch=batch, depth=depth, input_dtype=input_dtype)
        else:
            report = analyze(read_spec(spec), input=input, flops=flops, batch=batch, layout=layout)
    except CnnCalcError as e:
        raise fail(e) from None
    if format is Format.json:
        text = report.to_json()
    elif format is Format.markdown:
        text = report.to_markdown()
    elif format is Format.csv:
        text = report.to_csv()
    else:
        text = report.table(width=width)
    typer.echo(text, nl=False)


def _torch_summary(spec: str, input: Optional[str], *, flops: Convention, batch: int, depth: int, input_dtype):  # noqa: A002, ANN001
    """SPEC ``file.py:Class``: the PyTorch front-end (torch is imported only here)."""
    try:
        from cnncalc.frontends.torch import summarize_file
    except ImportError:
        raise SpecError(
            f"{spec} is a PyTorch model, and torch is not installed", hint="pip install cnncalc[torch]"
        ) from None
    if batch != 1:
        raise SpecError("for a PyTorch model the batch is the first number of --input", hint="e.g. --input 8,3,224,224")
    return summarize_file(spec, input, depth=depth, flops=flops, input_dtype=input_dtype)


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
