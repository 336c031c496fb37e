"""The page's timings, measured by test_web_page.py: written to web/test-output/timings.json and summed up
at the end of the run (recorded for the reader, never asserted)."""

from __future__ import annotations

import pytest

KEY = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def timings(request: pytest.FixtureRequest) -> dict[str, object]:
    """Where the browser test records what it measured."""
    return request.config.stash.setdefault(KEY, {})


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:  # noqa: ANN001 - pytest's own object
    t = config.stash.get(KEY, {})
    if not t:
        return
    lines = []
    if "first_table_ms_since_navigation" in t:
        phases = ", ".join(f"{k.removesuffix('Ms')} {v} ms" for k, v in t["engine_boot_phases_ms"].items())
        lines.append(
            f"first table {t['first_table_ms_since_navigation']} ms after navigation "
            f"(engine ready at {t['engine_boot_ms']} ms: {phases}); {t['engine']}"
        )
    if "resnet50_keystroke_ms_median_max" in t:
        median, most = t["resnet50_keystroke_ms_median_max"]
        each = ", ".join(str(k["since_input_ms"]) for k in t["resnet50_keystrokes"])
        lines.append(
            f"ResNet-50, each keystroke's update (input event to table): median {median} ms, max {most} ms [{each}]"
        )
    terminalreporter.write_sep("-", "web page timings (web/test-output/timings.json)")
    for line in lines:
        terminalreporter.write_line(line)
