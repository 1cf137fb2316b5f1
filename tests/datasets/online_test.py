import gzip
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_denoise import datasets


def _fake_mnist(rng, n_train=12, n_test=5):
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def test_load_mnist_from_local_npz(tmp_path, rng):
    arrays = _fake_mnist(rng)
    path = tmp_path / "mnist.npz"
    np.savez(path, **arrays)
    (x, y), (x_test, y_test) = datasets.load_mnist(path=str(path))
    assert x.shape == (12, 28, 28, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[..., 0] * 255.0, arrays["x_train"], atol=1e-4)
    np.testing.assert_array_equal(y, arrays["y_train"])
    assert x_test.shape == (5, 28, 28, 1) and y_test.dtype == np.int32


def test_load_mnist_goes_through_keras_datasets(tmp_path, monkeypatch):
    # keras.datasets.mnist.load_data asks `get_file` for "mnist.npz" (and
    # checks the real file's SHA-256); answer with a small file written
    # here, so that Keras's loader runs without the network.
    import keras

    arrays = _fake_mnist(np.random.default_rng(0))
    np.savez(tmp_path / "mnist.npz", **arrays)
    requests = []

    def fake_get_file(fname=None, origin=None, **kwargs):
        requests.append((fname, origin))
        return str(tmp_path / "mnist.npz")

    load_data = keras.datasets.mnist.load_data
    monkeypatch.setitem(load_data.__globals__, "get_file", fake_get_file)
    (x, y), (x_test, y_test) = datasets.load_mnist()
    assert len(requests) == 1 and requests[0][0] == "mnist.npz"
    assert requests[0][1].endswith("/mnist.npz")
    assert x.shape == (12, 28, 28, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[..., 0] * 255.0, arrays["x_train"], atol=1e-4)
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert y.dtype == np.int32 and x_test.shape == (5, 28, 28, 1)


def _write_idx(path, array, header):
    with gzip.open(path, "wb") as f:
        f.write(bytes(header) + array.tobytes())


_FASHION_IN_FRESH_PROCESS = """
import socket
import sys

import numpy as np


def no_network(*args, **kwargs):
    raise OSError("network access in a test")


socket.socket.connect = no_network
socket.create_connection = no_network
from keras_denoise import datasets

(x, y), (x_test, y_test) = datasets.load_fashion_mnist()
np.savez(sys.argv[1], x=x, y=y, x_test=x_test, y_test=y_test)
"""


@pytest.mark.slow
def test_load_fashion_mnist_from_keras_cache(tmp_path, rng):
    # keras.datasets.fashion_mnist checks no hash: files already in
    # $KERAS_HOME/datasets/fashion-mnist/ are read as they are. Keras reads
    # KERAS_HOME when it is imported, hence the fresh process.
    folder = tmp_path / "keras_home" / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    x = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 6, dtype=np.uint8)
    x_test, y_test = x[:4], y[:4]
    _write_idx(folder / "train-labels-idx1-ubyte.gz", y, [0] * 8)
    _write_idx(folder / "train-images-idx3-ubyte.gz", x, [0] * 16)
    _write_idx(folder / "t10k-labels-idx1-ubyte.gz", y_test, [0] * 8)
    _write_idx(folder / "t10k-images-idx3-ubyte.gz", x_test, [0] * 16)
    env = dict(
        os.environ,
        KERAS_HOME=str(tmp_path / "keras_home"),
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    out = tmp_path / "loaded.npz"
    result = subprocess.run(
        [sys.executable, "-c", _FASHION_IN_FRESH_PROCESS, str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = np.load(out)
    assert loaded["x"].shape == (6, 28, 28, 1)
    assert loaded["x"].dtype == np.float32 and loaded["y"].dtype == np.int32
    np.testing.assert_allclose(loaded["x"][..., 0], x / 255.0, atol=1e-6)
    np.testing.assert_array_equal(loaded["y"], y)
    np.testing.assert_array_equal(loaded["y_test"], y_test)
    # The same files read through `path`, in this process.
    (a, b), (c, d) = datasets.load_fashion_mnist(path=str(folder))
    np.testing.assert_array_equal(a, loaded["x"])
    np.testing.assert_array_equal(c, loaded["x_test"])
    np.testing.assert_array_equal(d, y_test)


def test_missing_local_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="path"):
        datasets.load_mnist(path=str(tmp_path / "nope.npz"))
    with pytest.raises(FileNotFoundError, match="missing"):
        datasets.load_fashion_mnist(path=str(tmp_path))
    assert not os.listdir(tmp_path)
