"""Front-ends that translate an architecture into a Graph (they never count): YAML/JSON specs, the Python API."""
