"""Every option of every command, given random and hostile values: an answer, or a refusal in the user's words.

The options are read from the CLI itself (click's parameters of each command), so an option added later is
fuzzed too. Each run gives one to three options values from a pool of what careless and hostile users type
(NaN, infinity, huge, negative, other scripts' digits, empty, wrong words, option-like text) or random text,
on a small network. The contract: exit 0 (1 for check's wrong cells), or exit 2 with a CnnCalcError's
``error:`` line or click's usage ``Error:`` line; never an exception, a traceback or Python's words.
No value holds a '/', so nothing is written outside the test's folder.
"""

from __future__ import annotations

import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.hostile import python_words
from typer.testing import CliRunner

from cnncalc.cli import app

SPEC = "input(16,16,3) -> conv(4, f=3) -> relu -> pool(2) -> fc(10)"
ARGS = "# args: w=4\ninput(16,16,3) -> conv(w, f=3) -> relu -> pool(2) -> fc(10)"  # a sweep varies w
TABLE = "Layer,Output shape,Params\nconv,14x14x4,112\npool,7x7x4,0\nfc,10,1970\n"  # (3·3·3 + 1)·4; (196 + 1)·10
POOL = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "-1",
    "0",
    "1",
    "2",
    "3",
    "1e3",
    "0.5",
    "1.5",
    "-0",
    "1_000",
    "0x10",
    "9" * 29,
    "9" * 40,
    "9" * 5000,
    "٣",
    "３",
    "六",
    "",
    " ",
    "x",
    "none",
    "true",
    "a" * 10_000,
    "a=b",
    "=",
    ",",
    ";",
    "name,name",
    "name,bogus",
    "int4:0",
    "int4:٣",
    "r=8,alpha=nan,targets=fc",
    "r=0,targets=fc",
    "x=1,3",
    "1,3,224,224",
    "1,2",
    "h100-sxm",
    "a100-80gb",
    "float16",
    "int64",
    "seed",
    "all",
    "chw",
    "keras",
    "json",
    "csv",
    "markdown",
    "layers",
    "roofline",
    "memory",
    "blocks",
    "sgd",
    "causal",
    "conv",
    "W",
    "classes=nan",
    "classes=-1",
    "width=-1",
    "size=٣",
    "use_cache=inf",
    "--batch",
    "-h",
]
BASE = {  # each command's required parts, and a few settings that open more of its options to the values
    "summary": [[SPEC], [SPEC, "--train"], [SPEC, "--hardware", "h100-sxm"]],
    "explain": [[SPEC], [SPEC, "--draw", "w.svg", "--layer", "2"]],
    "check": [["table.csv", "--spec", SPEC], ["table.csv"]],
    "zoo": [["lenet5"], ["llama2_7b"]],
    "plot": [[SPEC, "-o", "out.png"], [SPEC, "-o", "out.svg", "--kind", "roofline", "--hardware", "a100-80gb"]],
    "web": [["--no-open"]],
    "quiz": [[], ["--level", "2"]],
    "kinds": [[]],
    "compare": [[SPEC]],
    "plan": [[SPEC, "--devices", "2xh100-sxm"], [SPEC, "--devices", "2xh100-sxm", "--batch", "2"]],
    "sweep": [[ARGS, "--vary", "w=4,8", "-o", "out", "--workers", "0"], [ARGS, "-v", "w=1..3", "-o", "out", "-w", "0"]],
}
ALLOWED = {"check": (0, 1, 2)}


NOT_NUMBERS = {"nan", "NaN", "inf", "-inf", "1e309", "٣", "３", "六", "9" * 40, "9" * 5000, "int4:٣"}


def numeric_options(name: str) -> set[str]:
    """The options that take a number (read by cnncalc.numbers): they never take NaN, infinity or '٣'."""
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    found = {
        next(o for o in p.opts if o.startswith("--")) for p in command.params if p.metavar in ("INTEGER", "NUMBER")
    }
    return found | ({"--tokens"} & {o for p in command.params for o in p.opts})


def options_of(name: str) -> list[tuple[str, bool]]:
    """A command's options: (the flag, whether it takes a value)."""
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    out = []
    for p in command.params:
        if p.param_type_name != "option" or p.name in ("help",):
            continue
        flag = next(o for o in p.opts if o.startswith("--"))
        out.append((flag, not getattr(p, "is_flag", False) and not p.secondary_opts))
    return out


values = st.one_of(
    st.sampled_from(POOL),
    st.sampled_from(POOL),
    st.text(alphabet=st.characters(blacklist_characters="/\\\x00"), max_size=12),
)


@st.composite
def command_lines(draw: st.DrawFn) -> tuple[str, list[str]]:
    name = draw(st.sampled_from(sorted(BASE)))
    args = list(draw(st.sampled_from(BASE[name])))
    options = options_of(name)
    if name == "kinds":
        return name, [draw(values)]
    for flag, takes in draw(st.lists(st.sampled_from(options), min_size=1, max_size=3, unique=True)):
        args += [flag, draw(values)] if takes else [flag]
    return name, args


class Server:  # `cnncalc web` answers at once instead of serving forever
    server_address = ("127.0.0.1", 8000)

    def serve_forever(self) -> None:
        pass

    def server_close(self) -> None:
        pass


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(command_lines())
def test_every_option_takes_any_value_without_a_traceback(tmp_path, monkeypatch, line):
    import cnncalc.web

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cnncalc.web, "make_server", lambda *a, **k: Server())
    monkeypatch.setattr("webbrowser.open", lambda *a, **k: True)
    (tmp_path / "table.csv").write_text(TABLE, encoding="utf-8")
    name, args = line
    out = CliRunner().invoke(app, [name, *args])
    shown = f"cnncalc {name} {' '.join(a[:60] for a in args)}\nexit {out.exit_code}\n{out.stderr[-1500:]}"
    assert out.exception is None or isinstance(out.exception, SystemExit), f"{shown}\n{out.exception!r}"
    assert out.exit_code in ALLOWED.get(name, (0, 2)), shown
    assert not python_words(out.stderr), shown
    if out.exit_code == 2:
        said = [ln for ln in out.stderr.splitlines() if ln.startswith(("error:", "Error:"))]
        assert len(said) == 1, shown
    numeric = numeric_options(name)
    for flag, value in zip(args, args[1:]):
        if flag in numeric and value in NOT_NUMBERS:
            assert out.exit_code == 2, f"{flag} {value[:20]!r} was taken as a number\n{shown}"


def test_the_options_are_read_from_the_cli():
    # every command's options are fuzzed, whichever are added later: these are some of today's
    assert ("--batch", True) in options_of("summary") and ("--train", False) in options_of("summary")
    assert ("--peak", True) in options_of("plot") and ("--port", True) in options_of("web")
    assert set(BASE) == set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert {"--batch", "--width", "--depth", "--context", "--mfu", "--tokens"} <= numeric_options("summary")
    assert {"--peak", "--bandwidth"} <= numeric_options("plot") and "--port" in numeric_options("web")
