"""The package's dependencies point one way, and no subpackage reaches
into another's private modules or names."""

import re
from pathlib import Path

import keras_denoise

PACKAGE = Path(keras_denoise.__file__).parent
SUBPACKAGES = sorted(
    p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()
)


def _imports(path):
    text = path.read_text(encoding="utf-8")
    return re.findall(
        r"^\s*from keras_denoise((?:\.\w+)*) import ([\w, ()\n]+?)$",
        text,
        re.M,
    )


def test_no_subpackage_imports_another_subpackages_private_names():
    # `keras_denoise._x` (package-level private modules) is allowed;
    # `keras_denoise.layers._x` or `from keras_denoise.layers.y import _z`
    # from outside `layers` is not.
    problems = []
    for subpackage in SUBPACKAGES:
        for path in (PACKAGE / subpackage).rglob("*.py"):
            for module, names in _imports(path):
                parts = module.strip(".").split(".") if module else []
                if not parts or parts[0] == subpackage:
                    continue
                private_module = any(p.startswith("_") for p in parts[1:])
                private_name = any(
                    n.strip().startswith("_")
                    for n in re.split(r"[,()\s]+", names)
                    if n.strip()
                )
                if private_module or private_name:
                    problems.append((str(path), module, names))
    assert problems == []


def test_package_level_private_modules_import_no_subpackage():
    # `keras_denoise/_*.py` sit below every subpackage.
    for path in PACKAGE.glob("_*.py"):
        if path.name.startswith("__"):
            continue  # `__init__` and `__main__` (`python -m`) are not helpers
        for module, _ in _imports(path):
            assert module == "" or module.lstrip(".").startswith("_"), (
                path,
                module,
            )


def test_no_module_over_500_lines():
    long = {
        str(path.relative_to(PACKAGE)): count
        for path in PACKAGE.rglob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert long == {}
