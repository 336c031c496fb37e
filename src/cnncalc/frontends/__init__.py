"""Front-ends: translate an architecture given in another form (a YAML/JSON spec, the Python API, a PyTorch
module) into cnncalc."""

from __future__ import annotations

import re

# ``path/to/model.py:ModelClass``: a PyTorch model to import (recognised before torch is imported).
TORCH_SPEC = re.compile(r"^(?P<file>.+\.py):(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$")
