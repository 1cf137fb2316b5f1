"""Tests of the package-wide helpers in `keras_denoise._utils`."""

import os

import keras
import numpy as np
import pytest

from keras_denoise import _utils
from keras_denoise.layers import AdditiveGaussianNoise


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / "sub" / "file.bin"
    _utils.atomic_write(path, lambda file: file.write(b"first"))
    _utils.write_bytes_atomic(path, b"second")
    assert path.read_bytes() == b"second"
    assert os.listdir(tmp_path / "sub") == ["file.bin"]


def test_atomic_write_failure_keeps_old_file(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"old")

    def fail(file):
        file.write(b"half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        _utils.atomic_write(path, fail)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["file.bin"]


def test_atomic_path(tmp_path):
    path = tmp_path / "out" / "model.keras"
    with _utils.atomic_path(path, suffix=".keras") as temp:
        assert temp.endswith(".keras") and os.path.dirname(temp) == str(
            path.parent
        )
        with open(temp, "wb") as file:
            file.write(b"new")
    assert path.read_bytes() == b"new"
    with pytest.raises(RuntimeError, match="save failed"):
        with _utils.atomic_path(path) as temp:
            with open(temp, "wb") as file:
                file.write(b"half")
            raise RuntimeError("save failed")
    assert path.read_bytes() == b"new"
    assert os.listdir(path.parent) == ["model.keras"]


@pytest.mark.parametrize("value", [0, 1.5, True, "2", None])
def test_check_int_rejects(value):
    with pytest.raises(ValueError, match=r"`n` must be an integer >= 1\."):
        _utils.check_int("n", value)


def test_check_int_accepts_numpy_integers():
    value = _utils.check_int("n", np.int64(3), minimum=3)
    assert value == 3 and type(value) is int


def test_apply_corruption_dispatch():
    images = np.full((2, 4, 4, 1), 0.5, "float32")
    noisy = _utils.apply_corruption(AdditiveGaussianNoise(0.2, seed=1), images)
    # A corruption layer corrupts even though no training flag is given.
    assert isinstance(noisy, np.ndarray) and np.mean(noisy != images) > 0.9
    doubled = _utils.apply_corruption(
        keras.layers.Rescaling(2.0), images
    )  # any other layer, called with training=True
    np.testing.assert_array_equal(doubled, images * 2.0)
    np.testing.assert_array_equal(
        _utils.apply_corruption(lambda x: x - 0.5, images), images * 0.0
    )


@pytest.fixture
def umask():
    """Sets the process umask for a test and restores it afterwards."""
    saved = os.umask(0o022)
    try:
        yield lambda mask: os.umask(mask)
    finally:
        os.umask(saved)


def _mode(path):
    return os.stat(path).st_mode & 0o777


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_atomic_outputs_get_the_mode_open_would_give(tmp_path, umask, mask):
    umask(mask)
    _utils.write_bytes_atomic(tmp_path / "a.bin", b"x")
    with _utils.atomic_path(tmp_path / "b.keras", suffix=".keras") as temp:
        with open(temp, "wb") as file:
            file.write(b"y")
    with open(tmp_path / "plain.bin", "wb") as file:
        file.write(b"z")
    expected = 0o666 & ~mask
    assert _mode(tmp_path / "plain.bin") == expected
    assert _mode(tmp_path / "a.bin") == expected
    assert _mode(tmp_path / "b.keras") == expected


def test_replacing_a_file_keeps_its_mode(tmp_path, umask):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    _utils.write_bytes_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert _mode(path) == 0o640
    with _utils.atomic_path(path) as temp:
        with open(temp, "wb") as file:
            file.write(b"newer")
    assert _mode(path) == 0o640
    assert os.listdir(tmp_path) == ["a.bin"]
