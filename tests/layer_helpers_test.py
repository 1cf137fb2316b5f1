"""Tests of the layer helpers in `keras_denoise._layers`."""

import keras
import numpy as np

from keras_denoise import _layers
from keras_denoise.layers import AdditiveGaussianNoise


def test_apply_corruption_dispatch():
    images = np.full((2, 4, 4, 1), 0.5, "float32")
    noisy = _layers.apply_corruption(AdditiveGaussianNoise(0.2, seed=1), images)
    # A corruption layer corrupts even though no training flag is given.
    assert isinstance(noisy, np.ndarray) and np.mean(noisy != images) > 0.9
    doubled = _layers.apply_corruption(
        keras.layers.Rescaling(2.0), images
    )  # any other layer, called with training=True
    np.testing.assert_array_equal(doubled, images * 2.0)
    np.testing.assert_array_equal(
        _layers.apply_corruption(lambda x: x - 0.5, images), images * 0.0
    )


def test_is_layer():
    assert _layers.is_layer(keras.layers.Dense(2))
    assert _layers.is_layer(keras.Sequential([keras.layers.Dense(2)]))
    assert not _layers.is_layer(lambda x: x)
    assert not _layers.is_layer(keras.layers.Dense)


def test_walk_layers_goes_into_nested_models_breadth_first():
    inner = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, name="inner_dense")],
        name="inner",
    )
    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(1, name="head")(inner(inputs))
    model = keras.Model(inputs, outputs)
    paths = [path for path, _ in _layers.walk_layers(model)]
    # Shallower layers first; a nested layer's path names its parents.
    assert paths[1:] == ["inner", "head", "inner/inner_dense"]


def test_walk_layers_yields_a_shared_layer_once():
    shared = keras.layers.Dense(2, name="shared")
    first = keras.Sequential([keras.Input((2,)), shared], name="first")
    second = keras.Sequential([keras.Input((2,)), shared], name="second")
    model = keras.Sequential([keras.Input((2,)), first, second])
    found = [path for path, layer in _layers.walk_layers(model)]
    assert found == ["first", "second", "first/shared"]
