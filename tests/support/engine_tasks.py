"""Tasks for the sweep engine's own tests: one that notes, in a folder, which process ran which points, and one
that cannot be loaded on a worker (as a worker without cnncalc's packages could not)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class Noted:
    """Points 0 to ``size``, each row its point and the process that made it; every call of :meth:`rows` is a
    line ``start stop`` in ``<folder>/<pid>.log``, in the order the process made them."""

    schema = [("point", "int64"), ("pid", "int64")]

    def __init__(self, folder: Path, size: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.size = str(folder), size

    def identity(self) -> str:
        return f"noted {self.size}"

    def rows(self, start: int, stop: int) -> list[dict[str, Any]]:
        with open(Path(self.folder) / f"{os.getpid()}.log", "a", encoding="utf-8") as log:
            log.write(f"{start} {stop}\n")
        return [{"point": k, "pid": os.getpid()} for k in range(start, stop)]

    def finish(self, rows: Iterator[dict[str, Any]]) -> None:
        return None

    def calls(self) -> dict[int, list[tuple[int, int]]]:
        """Each process's calls, by its pid."""
        found = {}
        for log in Path(self.folder).glob("*.log"):
            lines = log.read_text(encoding="utf-8").split()
            found[int(log.stem)] = [(int(a), int(b)) for a, b in zip(lines[::2], lines[1::2])]
        return found


class Unloadable(Noted):
    """A task that cannot be read back anywhere but in the process that made it."""

    def __init__(self, folder: Path, size: int) -> None:
        super().__init__(folder, size)
        self.made_in = os.getpid()

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state["made_in"] != os.getpid():
            raise ModuleNotFoundError("No module named 'pyarrow'")
        self.__dict__.update(state)


class Unwritable(Noted):
    """A task whose first chunk takes away the folder its part is to be written in (as a disk that goes away)."""

    def __init__(self, folder: Path, size: int, output: Path) -> None:
        super().__init__(folder, size)
        self.output = str(output)

    def rows(self, start: int, stop: int) -> list[dict[str, Any]]:
        if start > 0 or stop > 1:  # a chunk, not a worker's start on the first point
            import shutil

            shutil.rmtree(self.output, ignore_errors=True)
        return super().rows(start, stop)
