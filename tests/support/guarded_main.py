"""cnncalc's console script under watch: every file it opens is checked against the files the user named.

Run by :func:`support.hostile.run_guarded` as ``python guarded_main.py ARGS...``. The environment says what to
watch: ``CNNCALC_GUARD_WATCH`` (a folder: any file opened inside it that is not named is a stray open),
``CNNCALC_GUARD_NAMED`` (the named files, separated by os.pathsep) and ``CNNCALC_GUARD_REPORT`` (where to
write its peak resident memory and the stray opens, one a line). Outside the folder, a file opened anywhere but
Python's own installation, the source tree, the system's folders (/proc, /sys, /dev, /etc, /usr) and the
temporary folder is stray too.
"""

import os
import sys
import tempfile


def _real(path: str) -> str:
    return os.path.realpath(os.path.abspath(path))


def watcher() -> tuple[list[str], str]:
    """The audit hook for this run, from the environment: (the stray opens as they come, the report's path)."""
    watch = _real(os.environ["CNNCALC_GUARD_WATCH"])
    named = {_real(p) for p in os.environ.get("CNNCALC_GUARD_NAMED", "").split(os.pathsep) if p}
    report = os.environ["CNNCALC_GUARD_REPORT"]
    allowed = tuple(
        _real(p) + os.sep
        for p in {
            sys.prefix,
            sys.base_prefix,
            sys.exec_prefix,
            os.path.dirname(os.path.dirname(os.path.abspath(__file__))),  # tests/
            *[p for p in sys.path if p and os.path.isdir(p) and not _real(p).startswith(watch)],
            "/proc",
            "/sys",
            "/dev",
            "/etc",
            "/usr",
            tempfile.gettempdir(),
            os.path.expanduser("~/.cache"),
        }
    )
    stray: list[str] = []

    def hook(event: str, args: tuple) -> None:
        if event != "open" or not args or isinstance(args[0], int) or args[0] is None:
            return
        path = _real(os.fsdecode(args[0]))
        if path == _real(report) or path in named:
            return
        inside = path == watch or path.startswith(watch + os.sep)
        if inside or not path.startswith(allowed):
            stray.append(path)

    sys.addaudithook(hook)
    return stray, report


def main() -> None:
    stray, report = watcher()
    sys.argv = ["cnncalc", *sys.argv[1:]]
    try:
        from cnncalc.cli import main as cnncalc_main

        cnncalc_main()
    finally:
        # VmHWM, the peak resident set of this program's memory since exec (getrusage's ru_maxrss would carry
        # the peak of the process it was forked from: pytest's, with torch loaded)
        status = open("/proc/self/status", encoding="ascii").read()
        peak = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))  # KiB
        with open(report, "w", encoding="utf-8") as f:
            f.write("\n".join([f"peak_kib={peak}", *stray]))


if __name__ == "__main__":
    main()
