"""Run cnncalc as a careless or hostile user would, and hold it to its word.

:func:`run_guarded` runs the console script in a subprocess, in a folder of the test's, and measures what it
costs (peak resident memory, seconds) and what it opens (any file in that folder the user did not name is a
stray open). :func:`assert_refused` then asserts the contract for bad input: exit 2, one ``error:`` line, no
traceback, no Python words, memory and time under the caps, nothing opened that was not named.
:func:`watching_opens` does the same for files opened in this process, for the Python API.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

GUARD = Path(__file__).with_name("guarded_main.py")
GiB = 1 << 30

# Words that only Python's own exceptions put in a message: a message in the user's words has none of them.
PYTHON_WORDS = re.compile(
    r"Traceback \(most recent call last\)"
    r"|\b(?:Key|Attribute|Index|Type|Value|Name|Runtime|OS|IO|Recursion|Memory|ZeroDivision|Overflow|Unicode\w*"
    r"|Assertion|Lookup|Import|ModuleNotFound|NotImplemented|FileNotFound|Permission|Stop\w*|Decode|BadZip"
    r"|Arithmetic|Buffer|EOF|Connection|Timeout|IsADirectory|NotADirectory)(?:Error|Exception)\b"
    r"|\bNoneType\b|\bobject has no attribute\b|\bis not subscriptable\b|\bunhashable type\b"
    r"|\binvalid literal for int\(\)|\bnot supported between instances of\b|\bobject is not (?:iterable|callable)\b"
    r"|\bKeyboardInterrupt\b|\bSystemExit\b|\bBaseException\b|\bgot an unexpected keyword argument\b"
)


def python_words(text: str) -> list[str]:
    """The Python words in a message (empty when it speaks the user's language)."""
    return [m.group(0) for m in PYTHON_WORDS.finditer(text)]


@dataclass
class Outcome:
    """What one guarded run did."""

    args: tuple[str, ...]
    code: int | None
    stdout: str
    stderr: str
    peak_bytes: int
    seconds: float
    stray: list[str] = field(default_factory=list)
    timed_out: bool = False
    killed_for_memory: bool = False

    def __str__(self) -> str:
        return (
            f"cnncalc {' '.join(self.args)[:200]}\n  exit {self.code}, {self.peak_bytes / 2**20:.0f} MiB, "
            f"{self.seconds:.1f} s, stray opens {self.stray}\n  stderr: {self.stderr[-1500:]!r}"
        )


def run_guarded(
    args: Sequence[str],
    *,
    cwd: Path,
    named: Sequence[str | Path] = (),
    timeout: float = 120,
    memory: int = 3 * GiB,
    stdin: str | bytes | None = None,
    env: dict[str, str] | None = None,
) -> Outcome:
    """Run ``cnncalc ARGS`` in ``cwd``; ``named`` are the files the user names (relative to ``cwd`` or absolute).

    The run is killed when it passes ``timeout`` seconds or ``memory`` bytes resident (a guard for the machine;
    the contract's own caps are asserted on the outcome).
    """
    report = cwd.parent / f".guard-{cwd.name}-{time.monotonic_ns()}.txt"
    names = os.pathsep.join(str(p if Path(p).is_absolute() else cwd / p) for p in named)
    environment = {
        **os.environ,
        "CNNCALC_GUARD_WATCH": str(cwd),
        "CNNCALC_GUARD_NAMED": names,
        "CNNCALC_GUARD_REPORT": str(report),
        "PYTHONPATH": os.pathsep.join(  # this tree's sources; an inherited relative entry would read the folder
            [str(Path(__file__).resolve().parents[2] / "src")]
            + [os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        ),
        "COLUMNS": "",
        "OMP_NUM_THREADS": "1",
        **(env or {}),
    }
    data = stdin.encode() if isinstance(stdin, str) else stdin
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, str(GUARD), *args],
        cwd=cwd,
        env=environment,
        stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    flags = {"memory": False}

    def watch() -> None:  # kill a run that grows past the guard; VmRSS is read from /proc
        status = Path(f"/proc/{proc.pid}/status")
        while proc.poll() is None:
            with contextlib.suppress(OSError):
                for line in status.read_text().splitlines():
                    if line.startswith("VmRSS:") and int(line.split()[1]) * 1024 > memory:
                        flags["memory"] = True
                        proc.kill()
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    timed_out = False
    try:
        out, err = proc.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        out, err = proc.communicate()
    seconds = time.monotonic() - start
    peak, stray = 0, []
    if report.exists():  # the child's own account: its peak resident memory, then the stray opens
        lines = [line for line in report.read_text(encoding="utf-8").splitlines() if line]
        report.unlink()
        if lines and lines[0].startswith("peak_kib="):
            peak = int(lines.pop(0).removeprefix("peak_kib=")) * 1024
        stray = lines
    watcher.join(timeout=1)
    return Outcome(
        tuple(str(a) for a in args),
        None if timed_out or flags["memory"] else proc.returncode,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
        peak,
        seconds,
        stray,
        timed_out,
        flags["memory"],
    )


def assert_refused(
    outcome: Outcome, *, memory: int = GiB, seconds: float = 60, says: str | re.Pattern[str] | None = None
) -> str:
    """The contract for bad input: exit 2, one ``error:`` line in the user's words, within the caps; the line."""
    assert not outcome.timed_out, f"over {seconds} s: {outcome}"
    assert not outcome.killed_for_memory, f"killed for memory: {outcome}"
    assert outcome.code == 2, f"exit {outcome.code}, not 2: {outcome}"
    lines = [
        line for line in outcome.stderr.splitlines() if line.startswith(("error:", "Error:"))
    ]  # Error: click's usage
    assert len(lines) == 1, f"not one error line: {outcome}"
    assert "Traceback" not in outcome.stderr, str(outcome)
    assert not python_words(outcome.stderr), f"Python's words {python_words(outcome.stderr)}: {outcome}"
    assert outcome.peak_bytes < memory, f"peak {outcome.peak_bytes / 2**20:.0f} MiB: {outcome}"
    assert outcome.seconds < seconds, str(outcome)
    assert not outcome.stray, f"opened files it was not given: {outcome.stray}"
    if says is not None:
        assert re.search(says, lines[0]), f"{lines[0]!r} does not say {says!r}"
    return lines[0]


# ------------------------------------------------------------------ in this process

_WATCH: dict[str, object] = {}


def _hook(event: str, args: tuple) -> None:
    folder = _WATCH.get("folder")
    if folder is None or event != "open" or not args or isinstance(args[0], int) or args[0] is None:
        return
    path = os.path.realpath(os.fsdecode(args[0]))
    if (path == folder or path.startswith(folder + os.sep)) and path not in _WATCH["named"]:  # type: ignore[operator]
        _WATCH["stray"].append(path)  # type: ignore[attr-defined]


@contextlib.contextmanager
def watching_opens(folder: Path, named: Sequence[str | Path] = ()) -> Iterator[list[str]]:
    """Files opened in ``folder`` (but not ``named``) while the block runs, in this process: a list to assert empty."""
    if not _WATCH.get("installed"):
        sys.addaudithook(_hook)  # a hook cannot be removed: it stays, idle outside this block
        _WATCH["installed"] = True
    stray: list[str] = []
    _WATCH.update(folder=os.path.realpath(folder), named={os.path.realpath(p) for p in named}, stray=stray)
    try:
        yield stray
    finally:
        _WATCH["folder"] = None
