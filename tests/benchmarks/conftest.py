"""Fixtures of the benchmark scripts' tests."""

import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def load_benchmark():
    """Imports `benchmarks/NAME.py` as a module (the scripts are no
    package: each puts its own folder on `sys.path` for its helpers)."""

    def load(name):
        spec = importlib.util.spec_from_file_location(
            name, BENCHMARKS / f"{name}.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
