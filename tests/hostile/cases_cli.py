"""Hostile numbers and options on the command line (the notation and the options every command takes)."""

from __future__ import annotations

from hostile.cases import Case

CASES = [
    Case("tokens_infinity", ("summary", "input(8) -> fc(4)", "--train", "--tokens", "inf"), says="tokens"),
]
