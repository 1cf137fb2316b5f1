"""The API reference lists every public name of every documented module."""

import importlib
import re
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[2] / "docs" / "api"
MODULES = (
    "layers",
    "models",
    "callbacks",
    "metrics",
    "datasets",
    "distribute",
    "evaluation",
    "inference",
    "visualization",
)


@pytest.mark.parametrize("module", MODULES)
def test_api_page_lists_all_public_names(module):
    page = (API / f"{module}.md").read_text(encoding="utf-8")
    documented = re.findall(
        rf"^::: keras_denoise\.{module}\.(\w+)$", page, re.M
    )
    public = importlib.import_module(f"keras_denoise.{module}").__all__
    assert sorted(documented) == sorted(public)


@pytest.mark.parametrize("module", MODULES)
def test_public_names_have_docstrings(module):
    mod = importlib.import_module(f"keras_denoise.{module}")
    for name in mod.__all__:
        obj = getattr(mod, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), f"{module}.{name}"
