"""One gloo world per size for the whole session: every case of :mod:`gloo.cases` measured in one launch."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

if importlib.util.find_spec("torch") is None:  # pragma: no cover - the test extra installs torch
    collect_ignore_glob = ["*.py"]

_MEASURED: dict[int, dict[str, Any]] = {}


@pytest.fixture(scope="session")
def measured():
    """``measured(world)``: ``{case: [per-rank record]}`` for every case of that world, launched once."""
    import torch.distributed as dist

    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch.distributed with gloo is not available")
    from gloo.cases import CASES
    from gloo.launch import measure

    def get(world: int) -> dict[str, Any]:
        if world not in _MEASURED:
            _MEASURED[world] = measure(world, CASES[world], timeout=300)
        return _MEASURED[world]

    return get
