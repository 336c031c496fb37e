"""Root pytest configuration: the PyTorch and ONNX front-ends' doctests need torch and onnx, optional extras."""

import importlib.util

collect_ignore_glob: list[str] = []
if importlib.util.find_spec("torch") is None:
    collect_ignore_glob.append("src/cnncalc/frontends/torch*.py")
if importlib.util.find_spec("onnx") is None:
    collect_ignore_glob.append("src/cnncalc/frontends/onnx*.py")
