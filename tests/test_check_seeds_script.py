"""The project's seed checker (shared/check_seeds.py, beside the repository) run against the CLI.

Every example must pass. Seed 000 prints its total FLOPs as 1,060,400, but its
own four figures sum to 60,840 + 259,200 + 737,280 + 2,560 = 1,059,880; the
checker compares against that sum, which is what cnncalc reports.
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
def test_check_seeds_script_passes_every_example():
    cmd = f"{shlex.quote(sys.executable)} -m cnncalc"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--cnncalc", cmd], capture_output=True, text=True, timeout=300)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not [line for line in lines if line.startswith("FAIL")], proc.stdout
    assert sum(line.startswith("ok ") for line in lines) == 6, proc.stdout
    assert lines[-1].strip() == "6 passed, 0 failed", proc.stdout
    assert 1_059_880 == 60_840 + 259_200 + 737_280 + 2_560
