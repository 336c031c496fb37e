"""The real Hugging Face configs in tests/data/hf/ (README.md there says where each came from)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

CONFIGS = Path(__file__).resolve().parent.parent / "data" / "hf"


@cache
def _text(name: str) -> str:
    return (CONFIGS / f"{name}.json").read_text()


def config(name: str) -> dict[str, Any]:
    """A config.json by file name (a fresh dict each time)."""
    return json.loads(_text(name))


def names() -> list[str]:
    return sorted(p.stem for p in CONFIGS.glob("*.json"))
