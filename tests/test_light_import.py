"""`import cnncalc` and everything the web page runs need none of the optional or CLI-only packages.

The page runs cnncalc in the browser from its wheel and lark's alone: PyYAML, rich and typer
(the CLI's) and torch, pandas, matplotlib (the extras') are not there, so importing any of them
on that path would break the page.
"""

from __future__ import annotations

import subprocess
import sys

ABSENT = ("yaml", "rich", "typer", "click", "torch", "pandas", "matplotlib", "numpy", "dask", "distributed", "pyarrow")

SCRIPT = f"""
import sys
ABSENT = {ABSENT!r}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ABSENT:
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())

import cnncalc
from cnncalc import zoo
from cnncalc.explain import explain_row
r = cnncalc.analyze("input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)", flops="all", dtype="float16")
r.to_json(); r.to_csv(); r.to_markdown(); r.explain("json"); explain_row(r, r.rows[1])
assert zoo.analyze("resnet50").totals.params == 25557032
from cnncalc.sweep import plan  # a sweep's plan and points need neither Dask nor pyarrow
assert [r["params"] for r in plan("zoo:lenet5", {{"classes": "2,3"}}).rows(0, 2)] == [61026, 61111]
try:
    cnncalc.analyze("input(32,32,3) -> cnov(8)")
except cnncalc.CnnCalcError as e:
    assert "did you mean conv" in str(e)
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set(ABSENT))
print("loaded:", loaded)
"""


def test_the_browser_path_imports_no_optional_package():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "loaded: []"


def test_analyze_and_check_stay_functions_whichever_module_is_imported_first():
    # `import cnncalc` imports each name when it is first used; the modules cnncalc.analyze and cnncalc.check
    # (imported by what runs) never take the place of the functions of the same names
    code = (
        "import cnncalc.analyze, cnncalc.check.read, cnncalc.frontends.net\n"
        "import cnncalc\n"
        "from cnncalc.api import analyze\n"
        "from cnncalc.check import check\n"
        "assert cnncalc.analyze is analyze and cnncalc.check is check, (cnncalc.analyze, cnncalc.check)\n"
        "assert cnncalc.analyze('input(4) -> fc(2)').totals.params == 10\n"
        "assert {'analyze', 'check', 'Net', 'from_torch'} <= set(dir(cnncalc))\n"
        "assert 'torch' not in __import__('sys').modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
