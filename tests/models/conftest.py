"""Fixtures shared by the model-builder tests.

The helpers are fixtures (rather than an importable module) so that they
need no package layout under `tests/`.
"""

import keras
import numpy as np
import pytest

from keras_denoise.datasets import load_digits
from keras_denoise.layers import AdditiveGaussianNoise


def _assert_same(expected, actual):
    expected = keras.tree.flatten(expected)
    actual = keras.tree.flatten(actual)
    assert len(expected) == len(actual)
    for e, a in zip(expected, actual, strict=True):
        np.testing.assert_array_equal(np.asarray(e), np.asarray(a))


@pytest.fixture
def assert_round_trip(tmp_path):
    """Saves a model to `.keras`, loads it without custom objects and checks
    that predictions are identical. Returns the loaded model."""

    def check(model, x):
        expected = model.predict(x, verbose=0)
        path = tmp_path / f"{model.name}.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)
        _assert_same(expected, loaded.predict(x, verbose=0))
        assert loaded.name == model.name
        return loaded

    return check


@pytest.fixture
def assert_trains():
    """Compiles a model, fits one step and checks the loss is finite and
    that trainable weights moved. Returns the fit history."""

    def check(model, x, y=None, **compile_kwargs):
        compile_kwargs.setdefault("optimizer", keras.optimizers.Adam(1e-2))
        model.compile(**compile_kwargs)
        before = [w.numpy() for w in model.trainable_weights]
        assert before, "the model has no trainable weights"
        history = model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])
        moved = [
            not np.array_equal(b, w.numpy())
            for b, w in zip(before, model.trainable_weights, strict=True)
        ]
        assert any(moved)
        return history

    return check


@pytest.fixture
def images(rng):
    """A tiny batch of gray and RGB images in [0, 1], by channel count."""

    def make(shape, batch=4):
        return rng.uniform(size=(batch, *shape)).astype("float32")

    return make


@pytest.fixture
def psnr():
    """Mean PSNR in dB of images in [0, 1], per image then averaged."""

    def compute(clean, images):
        mse = np.mean((clean - np.asarray(images)) ** 2, axis=(1, 2, 3))
        return float(np.mean(10.0 * np.log10(1.0 / np.maximum(mse, 1e-10))))

    return compute


@pytest.fixture(scope="session")
def digits16():
    """scikit-learn's digits at 16x16 in [0, 1]: (x, y), (x_test, y_test)."""
    return load_digits(size=16, test_split=0.2, seed=0)


@pytest.fixture(scope="session")
def noisy_test_digits(digits16):
    """Held-out digits with Gaussian noise sigma=0.3 (clipped to [0, 1]),
    made by `AdditiveGaussianNoise` with a fixed seed: (noisy, clean, y)."""
    _, (x_test, y_test) = digits16
    noise = AdditiveGaussianNoise(0.3, seed=7)
    noisy = np.asarray(noise.corrupt(x_test))
    return noisy, x_test, y_test
