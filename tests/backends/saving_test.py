"""`.keras` files move between the TensorFlow, JAX and PyTorch backends.

The backend is fixed when Keras is imported, so `portability_script.py`
runs in one fresh process per backend: each trains the package's models
one step (with its metrics and callbacks) and saves them, then each loads
the files the other backends saved and compares predictions. A backend that
is not installed is skipped here; CI installs all three
(`pip install -e ".[test,backends]"`).
"""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

HERE = os.path.dirname(os.path.abspath(__file__))
BACKENDS = ("tensorflow", "jax", "torch")
MODELS = (
    "conv_autoencoder",
    "denoise_classifier",
    "dense_autoencoder",
    "residual_denoiser",
    "variational_autoencoder",
)
TIMEOUT = 300


def _installed(backend):
    return importlib.util.find_spec(backend) is not None


def _script(mode, backend, directory):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    completed = subprocess.run(
        [
            sys.executable,
            os.path.join(HERE, "portability_script.py"),
            mode,
            str(directory),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    with open(os.path.join(directory, f"{mode}-{backend}.json")) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    missing = [b for b in BACKENDS if not _installed(b)]
    if missing:
        pytest.skip(
            f"backends not installed: {missing} (CI installs all three: "
            'pip install -e ".[test,backends]")'
        )
    directory = tmp_path_factory.mktemp("portability")
    saved = {b: _script("save", b, directory) for b in BACKENDS}
    loaded = {b: _script("load", b, directory) for b in BACKENDS}
    return saved, loaded


@pytest.mark.parametrize("source", BACKENDS)
@pytest.mark.parametrize("target", BACKENDS)
def test_predictions_match_across_backends(reports, source, target):
    if source == target:
        pytest.skip("same backend: covered by the models' round-trip tests")
    _, loaded = reports
    for name in MODELS:
        entry = loaded[target][f"{source}-{name}"]
        expected_class = (
            "VariationalModel"
            if name == "variational_autoencoder"
            else "Functional"
        )
        assert entry["class"] == expected_class
        assert entry["outputs"] == (2 if name == "denoise_classifier" else 1)
        # Same weights, different kernels: equal up to float32 round-off
        # (a few ulps of values of order 1).
        assert entry["max_abs_diff"] <= 2e-6 * max(1.0, entry["max_abs_value"])


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_training_does_not_import_tensorflow(reports, backend):
    saved, _ = reports
    assert sorted(saved[backend]["saved"]) == sorted(MODELS)
    assert saved[backend]["tensorflow_imported"] is False
