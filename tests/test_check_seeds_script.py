"""The project's seed checker (shared/check_seeds.py, beside the repository) run against the CLI.

Every example must pass except one number: seed 000 prints the total FLOPs as
1,060,400, but its own four figures sum to 60,840 + 259,200 + 737,280 + 2,560
= 1,059,880, which is what cnncalc reports. That single line is the only
disagreement allowed.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = [ROOT.parent / "shared" / "check_seeds.py", Path("/work/shared/check_seeds.py")]
SCRIPT = next((p for p in CANDIDATES if p.is_file()), None)


@pytest.mark.skipif(SCRIPT is None, reason="shared/check_seeds.py is not beside this checkout")
def test_check_seeds_script_finds_only_the_seed_slip():
    cmd = f"{shlex.quote(sys.executable)} -m cnncalc"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--cnncalc", cmd], capture_output=True, text=True, timeout=300)
    lines = proc.stdout.splitlines()
    failed = [line for line in lines if line.startswith("FAIL")]
    problems = [line.strip() for line in lines if line.startswith("     ")]
    assert failed == ["FAIL seed 000 (FLOPs example)"], proc.stdout + proc.stderr
    assert problems == ["total FLOPs: expected 1060400, got 1059880"], proc.stdout
    assert 1_059_880 == 60_840 + 259_200 + 737_280 + 2_560
