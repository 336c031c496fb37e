from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app


@pytest.fixture
def cli():
    """Run the CLI in-process: cli("summary", spec, ...) -> Result with exit_code, stdout, stderr."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None):  # noqa: A002
        return runner.invoke(app, list(args), input=input)

    return run
