"""Every `>>>` example in the public docstrings runs and prints what it shows.

One test per public name of each module's `__all__` that has examples. The
layers, models, metrics and callbacks run on every backend; the data,
evaluation and plotting modules need TensorFlow (`tf.data`, image files).
"""

import doctest
import importlib

import keras
import pytest

import keras_denoise

PORTABLE = ("layers", "models", "metrics", "callbacks", "inference")
TENSORFLOW_ONLY = ("datasets", "evaluation", "visualization")
_FINDER = doctest.DocTestFinder(recurse=False)


def _examples(module_name):
    module = importlib.import_module(f"keras_denoise.{module_name}")
    for name in module.__all__:
        obj = getattr(module, name)
        if callable(obj) and any(t.examples for t in _FINDER.find(obj, name)):
            yield pytest.param(
                module_name,
                name,
                id=f"{module_name}.{name}",
                marks=(
                    [pytest.mark.requires_tensorflow("tf.data, image files")]
                    if module_name in TENSORFLOW_ONLY
                    else []
                ),
            )


@pytest.mark.parametrize(
    "module_name, name",
    [p for module in PORTABLE + TENSORFLOW_ONLY for p in _examples(module)],
)
def test_docstring_examples_run(module_name, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files
    obj = getattr(importlib.import_module(f"keras_denoise.{module_name}"), name)
    globs = {"keras": keras, "keras_denoise": keras_denoise}
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    tests = _FINDER.find(obj, name, globs=globs)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0
