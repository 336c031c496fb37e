"""Packaging: users take a range of torch versions, the tests the one pinned; the README installs from a clone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def torch_requirement(extra: str) -> str:
    """The torch requirement of an extra, read from pyproject.toml (tomllib is not in Python 3.10)."""
    body = re.search(rf"^{extra} = \[(.*?)\]", PYPROJECT, re.MULTILINE | re.DOTALL).group(1)
    return next(r for r in re.findall(r'"([^"]+)"', body) if re.match(r"torch\b", r))


def test_the_torch_extra_takes_a_range():
    assert re.fullmatch(r"torch>=2\.\d+", torch_requirement("torch"))


def test_the_test_and_bench_extras_pin_the_torch_they_compare_against():
    assert torch_requirement("test") == torch_requirement("bench") == "torch==2.13.0"


def test_the_readme_installs_from_a_clone_until_cnncalc_is_published():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "cnncalc[torch]" not in readme  # `pip install "cnncalc[torch]"` finds nothing on PyPI yet
    assert 'pip install ".[torch]"' in readme
    # the two set-up commands, as .ci/run and a new user run them
    assert ".venv/bin/pip install . && .venv/bin/cnncalc summary" in readme
    assert '.venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest -q' in readme
