"""The hostile corpus: files and command lines a careless or hostile user might give cnncalc.

Each front-end's cases live in a module of their own (``cases_<front-end>.py``, a list ``CASES``); this module
gathers them. A :class:`Case` is the files to write into an empty folder, the command line to run there, the
files the user names on it, and what must happen: refused (exit 2, one ``error:`` line naming the cause) or
answered (exit 0). ``python -m hostile.write_corpus DIR`` (from ``tests/``) writes every case's files to look at.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Case:
    """One hostile input: ``files`` (name → bytes or text) written into an empty folder, then ``cnncalc *args``.

    ``named`` are the files the command line names (the only ones cnncalc may open; default: every file in
    ``files`` that appears in ``args``). ``says`` is a regular expression the error line must match;
    ``answered`` marks a case that must succeed (exit 0) within the same caps (a large but fair input).
    ``stdin`` is fed to the command; ``memory`` and ``seconds`` are the caps (default 1 GiB, 60 s).
    """

    name: str
    args: tuple[str, ...]
    files: dict[str, bytes | str] = field(default_factory=dict)
    named: tuple[str, ...] | None = None
    says: str | None = None
    answered: bool = False
    stdin: str | None = None
    memory: int = 1 << 30
    seconds: float = 60
    env: dict[str, str] = field(default_factory=dict)
    needs: tuple[str, ...] = ()  # modules the case needs installed (torch, onnx): skipped without them

    def files_named(self) -> tuple[str, ...]:
        if self.named is not None:
            return self.named
        return tuple(name for name in self.files if any(name in a for a in self.args))

    def write(self, folder: Path) -> None:
        for name, data in self.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, str):
                path.write_text(data, encoding="utf-8")
            else:
                path.write_bytes(data)


# Decoys every case's folder holds: a file cnncalc must never open unless the user names it.
DECOYS = {".env": "SECRET_KEY=do-not-read\n", "weights.bin": b"\x00" * 64, "notes.txt": "private notes\n"}


def all_cases() -> list[Case]:
    """Every ``cases_*.py`` module's ``CASES``, in module order; names are unique."""
    here = Path(__file__).parent
    found: list[Case] = []
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda i: i.name):
        if info.name.startswith("cases_"):
            found += importlib.import_module(f"hostile.{info.name}").CASES
    names = [c.name for c in found]
    assert len(names) == len(set(names)), "two hostile cases share a name"
    return found
