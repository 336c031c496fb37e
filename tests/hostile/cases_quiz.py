"""Hostile worksheets: quiz options out of range, damaged exercise markers, drawing what has no window."""

from __future__ import annotations

from hostile.cases import Case

CASES = [
    Case("quiz_variants_huge", ("quiz", "--variants", "100000000")),
    Case("quiz_level_nan", ("quiz", "--level", "nan")),
    Case("quiz_seed_overlong", ("quiz", "--seed", "9" * 5000)),
    Case("quiz_ask_unknown", ("quiz", "--ask", "params,weights"), says="weights"),
    Case(
        "check_damaged_exercise_marker",
        ("check", "filled.md"),
        files={
            "filled.md": '<!-- cnncalc-exercise: {"spec": "input(8,8,3) -> conv(4, f=3)", "ask": [ -->\n| a |\n|---|\n'
        },
        says="damaged",
    ),
    Case(
        "check_exercise_marker_not_a_network",
        ("check", "filled.md"),
        files={"filled.md": '<!-- cnncalc-exercise: {"spec": 42} -->\n| Layer | Params |\n|---|---|\n| conv | 1 |\n'},
        says="names no network",
    ),
    Case(
        "check_exercise_marker_huge_network",
        ("check", "filled.csv"),
        files={
            "filled.csv": '# cnncalc-exercise: {"spec": "input(99999,99999,3) -> conv(64, f=1)"}\n'
            "Layer,Params\nconv,256\n"
        },
        answered=True,
        says="cells right",
    ),
    Case("draw_no_window", ("explain", "input(8,8,3) -> fc(2)", "--draw", "w.svg", "--layer", "2"), says="no window"),
    Case(
        "draw_position_nan",
        ("explain", "input(8,8,3) -> conv(2, f=3)", "--draw", "w.svg", "--layer", "2", "--position", "nan"),
    ),
]
