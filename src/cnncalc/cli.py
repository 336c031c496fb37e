"""The ``cnncalc`` command line."""

from __future__ import annotations

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
"""

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
    except UnicodeDecodeError as e:
        raise SpecError(f"{spec} is not a text file ({e.reason} at byte {e.start})") from None
    except OSError as e:
        if looks_like_path:
            raise SpecError(f"cannot read {spec}: {e.strerror or e}") from None
    if looks_like_path:
        raise SpecError(f"no such file: {spec}")
    return spec


def fail(err: CnnCalcError) -> typer.Exit:
    typer.echo(f"error: {err}", err=True)
    return typer.Exit(code=2)


@app.command(epilog=EXAMPLES)
def summary(
    spec: Annotated[str, typer.Argument(help="The architecture: notation text, a file holding it, or - for stdin.")],
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
) -> None:
    """Per-layer output shape, activation size, parameters, MACs and FLOPs, with totals."""
    from cnncalc.api import analyze

    try:
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
