"""Root pytest configuration: the PyTorch front-end's doctests need torch, an optional extra."""

try:
    import torch  # noqa: F401

    collect_ignore_glob: list[str] = []
except ImportError:
    collect_ignore_glob = ["src/cnncalc/frontends/torch*.py"]
