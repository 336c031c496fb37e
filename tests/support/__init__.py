"""Test support: models built from configs, oracles, and the hostile-input harness."""
