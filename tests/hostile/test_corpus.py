"""Every hostile case through the console script, in a subprocess watched for memory, time and stray opens.

A refused case: exit 2, one ``error:`` line in the user's words (no Python exception names, no traceback),
peak memory under its cap (1 GiB), within its time, and no file opened that the command line did not name
(the folder holds decoys: ``.env``, ``weights.bin``). An answered case: exit 0 within the same caps.
"""

from __future__ import annotations

import importlib.util
import re

import pytest
from support.hostile import assert_refused, python_words, run_guarded

from hostile.cases import all_cases
from hostile.write_corpus import write

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case, tmp_path):
    for module in case.needs:
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"needs {module}")
    folder = tmp_path / "work"
    write(case, folder)
    outcome = run_guarded(
        case.args,
        cwd=folder,
        named=case.files_named(),
        timeout=case.seconds * 2,
        memory=max(3 << 30, case.memory * 2),
        stdin=case.stdin,
        env=case.env,
    )
    if case.answered:
        assert outcome.code == 0, str(outcome)
        assert outcome.peak_bytes < case.memory, str(outcome)
        assert outcome.seconds < case.seconds, str(outcome)
        assert not outcome.stray, f"opened files it was not given: {outcome.stray}"
        assert not python_words(outcome.stderr), str(outcome)
        if case.says:
            assert re.search(case.says, outcome.stdout + outcome.stderr), str(outcome)
        return
    assert_refused(outcome, memory=case.memory, seconds=case.seconds, says=case.says)
