"""Hostile PyTorch model files: a model that prints, exits, is interrupted, raises something odd, returns no
tensor, never ends, or asks for a huge input. Each runs through ``cnncalc summary model.py:Net`` under watch."""

from __future__ import annotations

import textwrap

from hostile.cases import Case

EXIT = r"stopped at model\.py:\d+ \(sys\.exit\({code}\)\): it called sys\.exit\({code}\)"
HEAD = "import os\nimport signal\nimport sys\nimport torch\nfrom torch import nn\n\n\n"
INTERRUPT = "os.kill(os.getpid(), signal.SIGINT)"


def model(forward: str = "return self.fc(x)", *, init: str = "", top: str = "") -> str:
    """A model file: ``top`` runs at import, ``init`` in ``__init__``, ``forward`` is the forward's body."""
    body = textwrap.indent(textwrap.dedent(forward).strip(), " " * 8)
    setup = textwrap.indent(textwrap.dedent(init).strip(), " " * 8) if init else ""
    return (
        HEAD
        + (textwrap.dedent(top).strip() + "\n\n\n" if top else "")
        + "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        + "        self.fc = nn.Linear(4, 3)\n"
        + (setup + "\n" if setup else "")
        + "\n    def forward(self, x):\n"
        + body
        + "\n"
    )


def case(
    name: str,
    text: str,
    *,
    says: str | None = None,
    answered: bool = False,
    extra: tuple[str, ...] = (),
    size: str = "2,4",
    **given,
) -> Case:
    return Case(
        f"torch_{name}",
        ("summary", "model.py:Net", "--input", size, *extra),
        {"model.py": text},
        named=("model.py",),
        says=says,
        answered=answered,
        needs=("torch",),
        **given,
    )


EXITS = []
for code in (0, 3):
    EXITS += [
        case(
            f"exit{code}_at_import",
            model(top=f"sys.exit({code})"),
            says=r"importing model\.py " + EXIT.format(code=code),
        ),
        case(
            f"exit{code}_in_init",
            model(init=f"sys.exit({code})"),
            says=r"building Net\(\) " + EXIT.format(code=code),
        ),
        case(
            f"exit{code}_in_forward",
            model(f"sys.exit({code})"),
            says="the forward of Net " + EXIT.format(code=code),
        ),
    ]

CASES = [
    # the model's own prints go to stderr: standard output is the report alone (valid JSON)
    case(
        "prints_with_json",
        model(
            'print("forward says hi")\nreturn self.fc(x)', init='print("init says hi")', top='print("import says hi")'
        ),
        answered=True,
        extra=("--format", "json"),
        says=r'"totals"',
    ),
    *EXITS,
    # Ctrl-C while the model file runs (the signal a terminal sends)
    case("interrupt_at_import", model(top=INTERRUPT), says=r"importing model\.py was interrupted at model\.py:\d+"),
    case("interrupt_in_forward", model(INTERRUPT), says=r"the forward of Net was interrupted at model\.py:\d+"),
    case(
        "base_exception_subclass",
        model("raise Halt('the model halts')", top="class Halt(BaseException):\n    pass"),
        says=r"the forward of Net stopped at model\.py:\d+ \(raise Halt\('the model halts'\)\): Halt: the model halts",
    ),
    case(
        "own_exception_class",
        model("raise NoGpu('needs a GPU')", top="class NoGpu(Exception):\n    pass"),
        says=r"the model's forward failed in Net \(Net\) at model\.py:\d+ .* NoGpu: needs a GPU",
    ),
    case(
        "division_by_zero_at_import",
        model(top="ratio = 1 / 0"),
        says=r"importing model\.py failed at model\.py:\d+ \(ratio = 1 / 0\): division by zero",
    ),
    case("syntax_error", HEAD + "class Net(nn.Module:\n    pass\n", says=r"model\.py is not valid Python"),
    case(
        "needs_arguments",
        model(init="").replace("def __init__(self):", "def __init__(self, width):"),
        says=r"needs width",
    ),
    # a forward that returns no tensor is still counted: what ran is what it computed
    case("returns_a_string", model("self.fc(x)\nreturn 'done'"), answered=True, says=r"Linear-1"),
    case("returns_nothing", model("return None"), answered=True, says=r"Total params: 15"),
    # never ends: stopped by the limit on the forward's time (forward_seconds, 300 s unless raised: 10 s here), or
    # by the cap on its operators (layers, 250,000: 20,000 here), whichever comes first
    case(
        "never_ends",
        model("while True:\n    x = x + 1"),
        says=r"the model's forward has run for more than 10 s, over the limit of 10 \(forward_seconds\); "
        r"raise it with CNNCALC_LIMIT_FORWARD_SECONDS=N",
        env={"CNNCALC_LIMIT_FORWARD_SECONDS": "10"},
    ),
    case(
        "never_ends_many_operations",
        model("for _ in range(10**12):\n    x = x * 1.0"),
        says=r"the model's forward runs more than 20,000 operations, over the limit of 20,000 \(layers\); "
        r"raise it with CNNCALC_LIMIT_LAYERS=N",
        env={"CNNCALC_LIMIT_LAYERS": "20000"},
    ),
    # a huge input costs nothing on the meta device: a report, in a moment
    case(
        "huge_input",
        model("return torch.relu(self.conv(x))", init="self.conv = nn.Conv2d(3, 8, 3)"),
        size="1,3,100000,100000",
        answered=True,
        says=r"Conv2d",
    ),
    # ... unless the forward reads values and must run for real: refused with its size and the limit
    case(
        "huge_input_that_reads_values",
        model("return x[x > 0]"),
        size="1,3,100000,100000",
        says=r"reads tensor values, so it must run for real on the CPU: its weights and inputs take 111\.8 GiB, "
        r"over the limit of 536,870,912 \(forward_bytes\); raise it with CNNCALC_LIMIT_FORWARD_BYTES=N",
    ),
]
