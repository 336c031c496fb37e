"""Front-ends: translate an architecture given in another form (a YAML/JSON spec, the Python API, a PyTorch
module) into cnncalc."""
