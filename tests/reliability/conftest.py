"""Fixtures of the reliability suite: tiny models and image folders."""

import keras
import numpy as np
import pytest

from keras_denoise import datasets


@pytest.fixture(scope="session")
def model_file(tmp_path_factory):
    """An untrained one-convolution gray denoiser saved as `.keras`."""
    inputs = keras.Input((None, None, 1))
    outputs = keras.layers.Conv2D(1, 3, padding="same")(inputs)
    path = tmp_path_factory.mktemp("model") / "model.keras"
    keras.Model(inputs, outputs).save(path)
    return str(path)


@pytest.fixture
def photos(tmp_path):
    """A folder of three 16x16 gray PNGs."""
    folder = tmp_path / "photos"
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.png", "g.png"):
        datasets.write_image(str(folder / name), rng.random((16, 16)))
    return folder
