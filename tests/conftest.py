"""Test configuration shared by the whole suite.

The backend defaults to TensorFlow; set `KERAS_BACKEND` to run the suite on
another one. Logging of TensorFlow's C++ runtime is silenced so that test
output stays readable.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _share_cores_between_workers():
    """Gives each pytest-xdist worker its share of the cores.

    Every worker process would otherwise start one OpenMP thread per core
    for its own ops: with two workers on two cores, PyTorch's spinning
    threads then wait on each other and a small training step takes ten
    times longer. Set before the backend is imported (subprocesses of a
    test inherit it); an `OMP_NUM_THREADS` already set is kept.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        threads = max(1, (os.cpu_count() or 1) // workers)
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))


_share_cores_between_workers()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """Skips `requires_tensorflow` tests on the other backends.

    `@pytest.mark.requires_tensorflow(reason="...")` marks a test about
    TensorFlow itself (`tf.data`, `tf.distribute`, TensorBoard summaries);
    the reason says what it needs and is shown in the skip report.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return
    for item in items:
        marker = item.get_closest_marker("requires_tensorflow")
        if marker is None:
            continue
        reason = marker.kwargs.get("reason") or (
            marker.args[0] if marker.args else "needs TensorFlow"
        )
        item.add_marker(
            pytest.mark.skip(
                reason=f"TensorFlow backend only ({reason}); "
                f"KERAS_BACKEND={backend}"
            )
        )


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Each test starts from a clean Keras session and float32 policy.

    Without `gc.collect()` (`free_memory=False`): a full collection walks
    every object TensorFlow's import made, before every test, and was most
    of the fast lane's time (figures in docs/benchmarks.md). Python's own
    collector still frees the tests' garbage.
    """
    keras.config.set_dtype_policy("float32")
    keras.utils.clear_session(free_memory=False)
    yield
    keras.config.set_dtype_policy("float32")


@pytest.fixture
def rng():
    """A NumPy generator with a fixed seed."""
    return np.random.default_rng(1234)
