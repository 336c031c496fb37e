"""Front-ends: translate an architecture given in another form (a spec file, a PyTorch module) into cnncalc."""
