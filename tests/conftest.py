from __future__ import annotations

import re

import pytest
from support.hostile import python_words
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.errors import CnnCalcError

# Every message cnncalc gives a user, across the whole suite: an error, its hint, and what the CLI prints. A message
# in Python's words (a KeyError, "NoneType", a traceback) fails the run, whichever test happened to provoke it.
# The line of the user's own code a message quotes ("at model.py:12 (raise ValueError(...)) on input") is theirs.
SPOKEN: list[tuple[str, str]] = []
USER_SOURCE = re.compile(r"\S+\.py:\d+ \(.*?\) on ")
_current = {"test": ""}
_init = CnnCalcError.__init__


def _recording_init(self: CnnCalcError, message: str, *args: object, **kwargs: object) -> None:
    _init(self, message, *args, **kwargs)  # type: ignore[arg-type]
    SPOKEN.append((_current["test"], f"{message} {kwargs.get('hint') or ''}"))


CnnCalcError.__init__ = _recording_init  # type: ignore[method-assign]


def pytest_runtest_setup(item: pytest.Item) -> None:
    _current["test"] = item.nodeid


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    spoken = [(test, text, python_words(USER_SOURCE.sub("", text))) for test, text in SPOKEN]
    bad = [(test, text, words) for test, text, words in spoken if words]
    if bad:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("=", f"{len(bad)} messages in Python's words, not the user's")
            for test, text, words in bad[:40]:
                reporter.write_line(f"{test}: {words}: {text[:300]!r}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def cli():
    """Run the CLI in-process: cli("summary", spec, ...) -> Result with exit_code, stdout, stderr."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None):  # noqa: A002
        result = runner.invoke(app, list(args), input=input)
        SPOKEN.append((_current["test"], result.stderr if result.stderr_bytes is not None else ""))
        return result

    return run
