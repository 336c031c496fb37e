"""Every command block of the README, run as written: the README's claims, tested.

The blocks are read from README.md itself, and each is checked by what it claims:

- a console session (``$ command``, then what it prints): the command runs, and its output is compared;
- commands (``cnncalc ...`` lines): each runs, in a folder holding stand-ins for the files it names
  (tests/data/readme), and exits 0; optional parts written ``[--depth 2]`` are run too;
- the synopsis of the commands: every option it shows is in the command's help, and each command runs;
- the Python example: it runs, and each value written in its comments is what it computes;
- the notation: each network in it is summarised;
- the set-up: a fresh virtual environment, ``pip install .`` of a copy of the clone, the README's command;
  then ``cnncalc web`` in the clone, where the page was built, serves it; and ``.[torch]`` brings numpy.

Commands written inline (```cnncalc zoo resnet50 --show```) run too. A block that no test reads fails
:func:`test_every_block_is_read`, so a block added to the README comes with its check.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
STAND_INS = ROOT / "tests" / "data" / "readme"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class Block:
    line: int  # where it starts in README.md
    lang: str
    text: str

    @property
    def first(self) -> str:
        return self.text.splitlines()[0] if self.text else ""

    def __str__(self) -> str:
        return f"README.md:{self.line} {self.first[:60]}"


def blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    found = []
    for m in re.finditer(r"^( *)```(\w*)\n(.*?)^\1```", text, re.S | re.M):  # a block in a list is indented
        body = textwrap.dedent(m.group(3)) if m.group(1) else m.group(3)
        found.append(Block(text.count("\n", 0, m.start()) + 1, m.group(2), body))
    return found


def kind(block: Block) -> str:
    """Which check reads a block."""
    first = block.first
    if first.startswith("$ "):
        return "console"
    if block.lang == "python":
        return "python"
    if first.startswith("python3 -m venv") and "pip install . " in first:
        return "set-up"
    if first.startswith("python3 -m venv") and '".[test]"' in first:
        return "tests"
    if first.startswith("cd web"):
        return "web"
    if re.search(r"\b(SPEC|TABLE)\b", block.text):
        return "synopsis"
    if first.startswith(("cnncalc ", "pip install")):
        return "commands"
    return "notation"


ALL = blocks()


def by_kind(name: str) -> list[Block]:
    return [b for b in ALL if kind(b) == name]


def test_every_block_is_read():
    known = {"console", "python", "set-up", "tests", "web", "synopsis", "commands", "notation"}
    assert {kind(b) for b in ALL} <= known
    # the README's blocks today, by kind: a new block is read by one of these checks, or this count fails
    counts = {k: len(by_kind(k)) for k in sorted(known)}
    assert counts == {
        "commands": 9,
        "console": 4,
        "notation": 2,
        "python": 1,
        "set-up": 1,
        "synopsis": 1,
        "tests": 1,
        "web": 1,
    }, counts


# ---------------------------------------------------------------- running the CLI


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A folder holding every file the README's commands name, and the repository's tests/ and benchmarks/."""
    where = tmp_path_factory.mktemp("readme")
    for path in STAND_INS.iterdir():
        shutil.copy(path, where / path.name)
    shutil.copy(ROOT / "tests" / "data" / "hf" / "llama3_8b.json", where / "config.json")
    for name in ("tests", "benchmarks"):
        (where / name).symlink_to(ROOT / name)
    return where


def cnncalc(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    env.pop("COLUMNS", None)
    env.setdefault("KERAS_BACKEND", "torch")
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "cnncalc", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def words(line: str) -> list[str]:
    """A command line's words, its comment dropped and optional parts ``[--depth 2]`` kept."""
    words = shlex.split(line, comments=True)
    return [w.strip("[]") if w.startswith("[--") or w.endswith("]") and not w.startswith("[") else w for w in words]


def model_files(folder: Path, names: set[str]) -> None:
    """The binary stand-ins a block names, made here: an ONNX convnet and a Keras save."""
    if "resnet50.onnx" in names and not (folder / "resnet50.onnx").exists():
        onnx = pytest.importorskip("onnx")
        from onnx import TensorProto, helper, numpy_helper

        np = pytest.importorskip("numpy")
        w = numpy_helper.from_array(np.zeros((16, 3, 7, 7), np.float32), "conv.weight")
        fc = numpy_helper.from_array(np.zeros((10, 16), np.float32), "fc.weight")
        nodes = [
            helper.make_node(
                "Conv", ["input", "conv.weight"], ["c"], "/layer1/conv/Conv", strides=[4, 4], pads=[3] * 4
            ),
            helper.make_node("Relu", ["c"], ["r"], "/layer1/relu/Relu"),
            helper.make_node("GlobalAveragePool", ["r"], ["p"], "/pool/GlobalAveragePool"),
            helper.make_node("Flatten", ["p"], ["f"], "/flatten/Flatten"),
            helper.make_node("Gemm", ["f", "fc.weight"], ["logits"], "/fc/Gemm", transB=1),
        ]
        graph = helper.make_graph(
            nodes,
            "net",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 224, 224])],
            [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
            [w, fc],
        )
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), folder / "resnet50.onnx")
    if "model.keras" in names and not (folder / "model.keras").exists():
        os.environ.setdefault("KERAS_BACKEND", "torch")
        from support.keras_models import lenet

        lenet().save(folder / "model.keras")


@pytest.mark.parametrize("block", by_kind("commands"), ids=str)
def test_commands(block: Block, folder: Path):
    lines = [line for line in block.text.splitlines() if line.strip()]
    model_files(folder, {w for line in lines for w in shlex.split(line, comments=True)})
    for line in lines:
        if line.startswith("pip install"):
            extra = re.search(r'"(?:cnncalc)?(?:\.)?\[(\w+)\]"', line)
            assert extra and extra.group(1) in extras(), f"{line}: no such extra in pyproject.toml"
            continue
        args = words(line)[1:]
        into = None
        if ">" in args:  # `cnncalc explain net.txt --format latex > solution.tex`: standard output to a file
            at = args.index(">")
            args, into = args[:at], args[at + 1]
        if args[0] == "check" and "exercise-" in args[1]:  # "a filled exercise": filled in from its own key
            exercise = folder / args[1]
            exercise.write_text((exercise.parent / exercise.name.replace("exercise-", "key-")).read_text())
        out = cnncalc(args, folder)
        assert out.returncode == 0, f"{line}\n{out.stderr[-2000:]}"
        if into is not None:
            (folder / into).write_text(out.stdout, encoding="utf-8")
        assert "error:" not in out.stderr, f"{line}\n{out.stderr[-2000:]}"
        if "--convention keras" in line:
            assert "1,117,377" in out.stdout  # Keras' own count for this network, as the README says


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A console line as bash runs it (``$(...)``, pipes), ``cnncalc`` being this checkout's."""
    cnncalc = f"{shlex.quote(sys.executable)} -m cnncalc"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    env.pop("COLUMNS", None)
    script = f'cnncalc() {{ {cnncalc} "$@"; }}\nset -o pipefail\n{command}'
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def extras() -> dict[str, list[str]]:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]


def test_torch_extra_brings_numpy():
    # PyTorch warns at its first use when numpy is missing: `pip install ".[torch]"` brings it
    assert any(re.match(r"numpy\b", req) for req in extras()["torch"])


# ---------------------------------------------------------------- console sessions: command, then output


def sessions(block: Block) -> Iterator[tuple[str, list[str]]]:
    command, output = None, []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            if command is not None:
                yield command, output
            command, output = line[2:], []
        else:
            output.append(line)
    if command is not None:
        yield command, output


def in_order(expected: list[str], got: list[str]) -> bool:
    """Whether ``expected`` (``...`` standing for any lines) is ``got``'s lines in order, each run consecutive."""
    runs, run = [], []
    for line in expected:
        if line.strip() == "...":
            runs.append(run)
            run = []
        else:
            run.append(line)
    runs.append(run)
    at = 0
    for k, run in enumerate(runs):
        if not run:
            continue
        found = next((i for i in range(at, len(got) - len(run) + 1) if got[i : i + len(run)] == run), None)
        if found is None or (k == 0 and found != 0):
            return False
        at = found + len(run)
    return not runs[-1] or at == len(got)


@pytest.mark.parametrize("block", by_kind("console"), ids=str)
def test_console_sessions(block: Block, folder: Path):
    for command, expected in sessions(block):
        boxed = any("┃" in line for line in expected)  # shown as on a terminal 100 columns wide, boxed
        out = shell(command + (" --box --width 100" if boxed else ""), folder)
        got = (out.stdout if out.returncode == 0 else out.stderr).splitlines()
        if any(line.strip() == "..." for line in expected):
            assert in_order(expected, got), f"$ {command}\n" + "\n".join(got)
        else:
            assert got == expected, f"$ {command}\n" + "\n".join(got)
        assert out.returncode == (2 if expected and expected[0].startswith("error:") else 0)


# ---------------------------------------------------------------- the synopsis


@pytest.mark.parametrize("block", by_kind("synopsis"), ids=str)
def test_the_synopsis_names_options_each_command_has(block: Block, folder: Path):
    joined = re.sub(r"\n\s+(?=\[|-)", " ", block.text)  # a command's continuation lines
    examples = {"SPEC": "net.txt", "TABLE": "tests/data/seed002_q1.md", "NAME": "resnet50", "FILE": "out.png"}
    for line in joined.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        command = line.split()[1] if not line.split()[1].startswith("-") else None
        helped = cnncalc([command, "-h"] if command else ["-h"], folder).stdout
        for option in re.findall(r"(?<![\w-])(--[a-z][\w-]*|-[a-zA-Z])\b", line):
            assert option in helped, f"{option} is not in `cnncalc {command} -h`"
        for choices in re.findall(r"--\w+ ((?:[\w-]+\|)+[\w-]+)", line):
            for choice in choices.split("|"):
                assert choice in helped, f"{choice} is not in `cnncalc {command} -h`"
        if command in (None, "web"):
            continue
        # the command itself, its required parts given and the optional ones left out
        required = re.sub(r"\[[^\]]*\]", "", line).split()[1:]
        args = [examples.get(w, w) for w in required if w not in ("...", "|")]
        if command == "check":
            args += ["--spec", "tests/data/seed002_q1.spec"]
        if command == "plot":
            args = [a for a in args if a not in ("TFLOPS", "GBS")]
        out = cnncalc(args, folder)
        assert out.returncode in ((0, 1) if command == "check" else (0,)), f"{args}\n{out.stderr[-2000:]}"


# ---------------------------------------------------------------- the Python example


@pytest.mark.parametrize("block", by_kind("python"), ids=str)
def test_the_python_example(block: Block):
    scope: dict[str, object] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(block.text, str(README), "exec"), scope)  # noqa: S102 - the README's own example
    checked = 0
    for line in block.text.splitlines():
        code, sep, comment = line.partition("#")
        if not sep or not code.strip() or "=" in code.split("(")[0]:
            continue
        try:
            written = ast.literal_eval(comment.strip())
        except (ValueError, SyntaxError):
            continue
        assert eval(code.strip(), scope) == written, line  # noqa: S307 - the README's own expression
        checked += 1
    assert checked >= 2  # the parameters (370,338) and the FLOPs per layer


# ---------------------------------------------------------------- the notation


@pytest.mark.parametrize("block", by_kind("notation"), ids=str)
def test_the_notation_examples(block: Block, folder: Path, tmp_path: Path):
    # a block holds networks separated by blank lines, unless it is one graph (named nodes, a def)
    one = re.search(r"^\s*\w+\s*=\s*input|^\s*def ", block.text, re.M)
    specs = [block.text] if one else [s for s in re.split(r"\n\s*\n", block.text) if s.strip()]
    for i, spec in enumerate(specs):
        path = tmp_path / f"spec{i}.txt"
        path.write_text(spec, encoding="utf-8")
        out = cnncalc(["summary", str(path)], folder)
        assert out.returncode == 0, f"{spec}\n{out.stderr}"


# ---------------------------------------------------------------- commands written inline

MENTIONS = {"cnncalc summary", "cnncalc sweep"}  # a command named in prose, not a command line


def inline() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return sorted(set(re.findall(r"(?<!`)`(cnncalc [^`]+)`", text)) - MENTIONS)


@pytest.mark.parametrize("line", inline())
def test_inline_commands(line: str, folder: Path):
    args = ["net.txt" if a == "SPEC" else a for a in shlex.split(line)[1:]]  # `cnncalc compare SPEC`
    if args and args[-1] == "resnet50.py:ResNet50":  # the model file benchmarks/resnet50.py writes and times
        import importlib.util

        spec = importlib.util.spec_from_file_location("readme_resnet50_benchmark", ROOT / "benchmarks" / "resnet50.py")
        bench = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(bench)  # type: ignore[union-attr]
        (folder / "resnet50.py").write_text(bench.MODEL_FILE.format(tests=str(ROOT / "tests")), encoding="utf-8")
        args += ["--input", "1,3,224,224"]
    out = cnncalc(args, folder)
    if args[0] == "check":  # seed 002's worksheet: the student's mistakes are found, exit 1
        assert out.returncode == 1
        for found in ("written 1792, right 18,496", "written 2717585, right 2,747,585"):
            assert found in out.stdout
        return
    assert out.returncode == 0, f"{line}\n{out.stderr[-2000:]}"


# ---------------------------------------------------------------- set-up on a fresh machine


def test_the_test_command_is_what_ci_runs():
    (block,) = by_kind("tests")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m venv .venv" in block.text and "python3 -m venv .venv" in ci
    assert '-e ".[test]"' in block.text and '-e ".[test]"' in ci
    assert ".venv/bin/python -m pytest -q" in block.text and ".venv/bin/python -m pytest -q" in ci


def test_the_page_is_built_as_ci_builds_it():
    (block,) = by_kind("web")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert block.first.startswith("cd web && npm ci && npm run build")
    assert "cd web && npm ci" in ci and "npm run --silent build" in ci
    assert "cnncalc web" in block.text  # served by test_a_fresh_install_as_the_readme_says


def copy_of_the_clone(where: Path) -> Path:
    """The repository's files as a clone has them (no virtual environment, no node_modules), and a built page."""
    skip = {".git", ".venv", "node_modules", "build", "__pycache__", ".pytest_cache", "test-output", "dist"}
    shutil.copytree(ROOT, where, ignore=lambda d, names: [n for n in names if n in skip or n.endswith(".egg-info")])
    if (ROOT / "web" / "dist" / "index.html").is_file():
        shutil.copytree(ROOT / "web" / "dist", where / "web" / "dist")  # what `npm run build` leaves in web/
    return where


def test_a_fresh_install_as_the_readme_says(tmp_path: Path):
    (block,) = by_kind("set-up")
    steps = [s.strip() for s in block.text.strip().split("&&")]
    assert steps[:2] == ["python3 -m venv .venv", ".venv/bin/pip install ."], steps
    clone = copy_of_the_clone(tmp_path / "clone")
    subprocess.run([sys.executable, "-m", "venv", str(clone / ".venv")], check=True, timeout=300)
    pip = subprocess.run(
        [str(clone / ".venv" / "bin" / "pip"), "install", "-q", "."],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert pip.returncode == 0, pip.stderr[-3000:]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COLUMNS", "CNNCALC_WEB_DIST")}
    command = shlex.split(steps[2])
    assert command[0] == ".venv/bin/cnncalc"
    out = subprocess.run(
        [str(clone / ".venv" / "bin" / "cnncalc"), *command[1:]],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    # (7·7·3 + 1)·32 + (3·3·32 + 1)·64 + (3·3·64 + 1)·128 + (4·4·128 + 1)·512 + (512 + 1)·100
    assert "Total params: 1,197,476" in out.stdout
    requires = subprocess.run(
        [str(clone / ".venv" / "bin" / "python"), "-c", "import importlib.metadata as m; print(m.requires('cnncalc'))"],
        env=env,  # the clone's install, not a cnncalc found on the caller's PYTHONPATH
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert 'numpy; extra == "torch"' in requires  # `pip install ".[torch]"` brings numpy

    # then the README's web block: the page built in the clone (`cd web && npm ci && npm run build`), and
    # `cnncalc web` run there finds it, though the package itself is in the virtual environment
    if not (clone / "web" / "dist" / "index.html").is_file():
        if IN_CI:
            pytest.fail("web/dist is not built: .ci/run builds it before the tests")
        pytest.skip("web/dist is not built here (cd web && npm ci && npm run build)")
    for cwd in (clone / "web", clone):
        served = subprocess.Popen(
            [str(clone / ".venv" / "bin" / "cnncalc"), "web", "--port", "0", "--no-open"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            first = served.stdout.readline()  # type: ignore[union-attr]
            url = re.search(r"http://\S+/", first)
            assert url, first + served.stderr.read()  # type: ignore[union-attr]
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(url.group(0), timeout=10) as page:
                        assert b"cnncalc" in page.read()
                    with urllib.request.urlopen(url.group(0) + "wheels/manifest.json", timeout=10) as page:
                        assert b"cnncalc-" in page.read()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        finally:
            served.terminate()
            served.wait(timeout=30)
