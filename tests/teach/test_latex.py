"""LaTeX solution sheets: explain's arithmetic and the quiz keys compile with a plain pdflatex."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

import cnncalc
from cnncalc import quiz, zoo
from cnncalc.options import Options
from cnncalc.render import latex

PDFLATEX = shutil.which("pdflatex")
needs_tex = pytest.mark.skipif(
    PDFLATEX is None and os.environ.get("CI", "").lower() not in ("1", "true", "yes"),
    reason="pdflatex is not installed (CI installs it)",
)


def compile_tex(source: str, folder) -> bytes:
    assert PDFLATEX is not None, "CI installs texlive-latex-base: pdflatex must be there"
    (folder / "doc.tex").write_text(source, encoding="utf-8")
    run = subprocess.run(
        [PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    pdf = (folder / "doc.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    return pdf


@needs_tex
@pytest.mark.parametrize(
    "spec, options",
    [
        ("input(150,150,3) -> conv(32, f=3) -> pool(2) -> conv(64, f=3, s=2, p=1, d=2) -> fc(100) -> softmax(10)", {}),
        ("zoo:resnet18", {"train": True}),
        ("zoo:llama3_8b", {}),
        ("x = input(28,28,3) -> conv(8, f=3, p=1)\ny = x -> conv(8, f=3, p=1)\nadd(x, y) -> gap -> fc(10)", {}),
    ],
)
def test_explain_latex_compiles(tmp_path, spec, options):
    if spec.startswith("zoo:"):
        report = zoo.analyze(spec[4:], options=Options.make(**options))
    else:
        report = cnncalc.analyze(spec, **options)
    compile_tex(report.explain("latex"), tmp_path)


@needs_tex
@pytest.mark.parametrize("level", [1, 2, 3])
def test_quiz_sheets_compile(tmp_path, level):
    for seed in range(3):
        ex = quiz.exercise(level=level, seed=seed, ask=("output_shape", "params", "macs", "flops"))
        compile_tex(quiz.render(ex, "latex"), tmp_path)
        compile_tex(quiz.render(ex, "latex", key=True), tmp_path)


def test_every_special_character_is_escaped():
    nasty = "a_b & c % d $ e # f { g } h ~ i ^ j \\ k — l − m · n"
    text = latex.text(nasty)
    for ch in "&%$#_{}":
        assert f"\\{ch}" in text
    assert "\\textbackslash{}" in text and "~" not in text.replace("\\textasciitilde{}", "")
    assert text.isascii()
    assert latex.math("floor((9 − 3)/2) + 1") == r"\left\lfloor (9 - 3)/2 \right\rfloor + 1"


def test_explain_latex_holds_the_seed_worksheet():
    report = cnncalc.analyze("input(150,150,3) -> conv(32, f=3)")
    tex = report.explain("latex")
    assert r"\text{WE: }3 \times 3 \times 3 &= 27" in tex  # 3·3·3 = 27 weights per filter
    assert r"27 \times 32 &= 864" in tex
    assert r"\text{Bias: }1 \times 32 &= 32" in tex
    assert r"\text{Total: } &896" in tex
    assert r"\text{output H} &= (150 - 3 + 2 \times 0) + 1 = 148" in tex
