"""Importing the package on JAX or PyTorch does not import TensorFlow.

Only `keras_denoise.datasets` (`tf.data`) may, and it does so lazily.
Training on these backends without TensorFlow is checked by
`saving_test.py`.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

# A fresh Python process per backend.
pytestmark = pytest.mark.slow

CODE = """
    import sys

    import keras_denoise
    import keras_denoise.callbacks
    import keras_denoise.layers
    import keras_denoise.metrics
    import keras_denoise.models

    assert keras_denoise.layers.VariationalLossLayer
    loaded = sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow")
    print(loaded[:5])
"""


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_no_tensorflow_on_other_backends(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CODE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.strip().splitlines() == ["[]"]
