"""The shipped models give the same output on TensorFlow, JAX and PyTorch.

The backend is fixed when Keras is imported, so `pretrained_script.py`
runs once per backend in a fresh process and saves the models' outputs on
a seeded 40x40 noisy input; the outputs are compared here. The tolerance
is from a measurement: the largest difference between two backends'
outputs was below 1e-5 (float32 convolutions summed in different orders);
the bound is 1e-4, far below one 8-bit level (3.9e-3).
"""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_denoise import models

pytestmark = pytest.mark.slow

HERE = os.path.dirname(os.path.abspath(__file__))
BACKENDS = ("tensorflow", "jax", "torch")
ATOL = 1e-4


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    missing = [b for b in BACKENDS if importlib.util.find_spec(b) is None]
    if missing:
        pytest.skip(
            f"backends not installed: {missing} (CI installs all three: "
            'pip install -e ".[test,backends]")'
        )
    directory = tmp_path_factory.mktemp("pretrained")
    for backend in BACKENDS:
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        completed = subprocess.run(
            [
                sys.executable,
                os.path.join(HERE, "pretrained_script.py"),
                str(directory),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert completed.returncode == 0, completed.stderr[-4000:]
    return directory


@pytest.mark.parametrize("name", models.pretrained_names())
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_same_output_as_tensorflow(outputs, name, backend):
    reference = np.load(outputs / f"tensorflow-{name}.npy")
    other = np.load(outputs / f"{backend}-{name}.npy")
    assert other.shape == reference.shape
    np.testing.assert_allclose(other, reference, atol=ATOL, rtol=0)
