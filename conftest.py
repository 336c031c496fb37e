"""Root pytest configuration: the PyTorch front-end's doctests need torch, an optional extra."""

import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("torch") else ["src/cnncalc/frontends/torch*.py"]
