"""The command line's dependencies point one way."""

import re
from pathlib import Path

import keras_denoise

PACKAGE = Path(keras_denoise.__file__).parent


def test_the_package_never_imports_the_launcher():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(
            r"^\s*(from|import) keras_denoise_cli\b", text, re.M
        ), path


def test_the_cli_uses_no_private_name_of_another_subpackage():
    # `keras_denoise._x` (package-level private modules) is allowed;
    # `keras_denoise.datasets._x` or `from ...datasets.y import _z` is not.
    for path in (PACKAGE / "cli").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        private = re.findall(
            r"from keras_denoise\.(?!cli\b)\w+\.(?:\w+\.)*_\w+ import"
            r"|from keras_denoise\.(?!cli\b)[\w.]+ import _\w+",
            text,
        )
        assert private == [], (path, private)
