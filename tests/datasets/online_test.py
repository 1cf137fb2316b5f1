import gzip
import os

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


def test_load_mnist_uses_cached_file_without_network(tmp_path, monkeypatch):
    # A file already in the cache whose hash matches is used as is; make
    # the expected hash that of the fake file, so nothing downloads.
    import hashlib

    from keras_denoise.datasets import online

    cache = tmp_path / "datasets"
    cache.mkdir()
    np.savez(cache / "mnist.npz", **_fake_mnist(np.random.default_rng(0)))
    digest = hashlib.sha256((cache / "mnist.npz").read_bytes()).hexdigest()
    monkeypatch.setattr(online, "_MNIST_HASH", digest)
    monkeypatch.setattr(online, "_ORIGIN", "http://invalid.invalid/")
    (x, _), _ = datasets.load_mnist(cache_dir=str(tmp_path))
    assert x.shape == (12, 28, 28, 1)


def _write_idx(path, array, header):
    with gzip.open(path, "wb") as f:
        f.write(bytes(header) + array.tobytes())


def test_load_fashion_mnist_from_cache_dir(tmp_path, rng):
    folder = tmp_path / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    x = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 6, dtype=np.uint8)
    for prefix in ("train", "t10k"):
        _write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", y, [0] * 8)
        _write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", x, [0] * 16)
    (a, b), (c, d) = datasets.load_fashion_mnist(cache_dir=str(tmp_path))
    assert a.shape == (6, 28, 28, 1) and c.shape == (6, 28, 28, 1)
    np.testing.assert_allclose(a[..., 0], x / 255.0, atol=1e-6)
    np.testing.assert_array_equal(b, y)
    # The same files read through `path`.
    (e, _), _ = datasets.load_fashion_mnist(path=str(folder))
    np.testing.assert_array_equal(a, e)


def test_missing_local_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="path"):
        datasets.load_mnist(path=str(tmp_path / "nope.npz"))
    with pytest.raises(FileNotFoundError, match="missing"):
        datasets.load_fashion_mnist(path=str(tmp_path))
    assert not os.listdir(tmp_path)
